"""What the review kit tells the apps above it (connected in their AppConfig.ready()).

workflow imports none of its listeners: notices, for one, hears of new tasks
and decisions here and decides itself whom to tell.
"""
from django.dispatch import Signal

# A human task of any flow built on the kit was created (its due date is set).
# sender: the flow class; task: the viewflow Task; node: its HumanTask node.
task_created = Signal()

# A human task was completed through workflow.services.task_decide, inside its
# transaction (the subject's new status, the trail entry and process.decision
# are saved). sender: the process class; process, task, decision, actor.
task_decided = Signal()

# A document was filed (备案): approved, its filing number set, inside the filing
# decision's transaction, before its trail entry (a receiver that raises refuses
# the filing). sender: Document; document. schedule schedules its projects or
# applies the change request.
document_filed = Signal()

# A claimed task was handed over (转办) to a colleague, inside the hand-over's
# transaction. sender: the flow class; task: the task (its new owner set); actor: who handed it over.
task_handed_over = Signal()

# A document was copied (抄送) to someone for information, inside the copy's
# transaction. sender: Document; document, copy (the DocumentCopy: recipient, sender, note).
document_copied = Signal()
