"""What the review flow tells the apps above it (schedule, notices, …).

workflow sits below them (.importlinter), so it never calls them: it sends
these signals, and each higher app connects its receivers in its
AppConfig.ready(). Receivers run inside the decision's transaction: one that
raises refuses the decision (the task view's savepoint rolls back everything).
Every signal is sent with sender=Document and the keyword arguments named.
"""
from django.dispatch import Signal

# document: approved and filed (备案), its filing number set (schedule: schedule its projects).
document_filed = Signal()
# document: returned to its author for revision.
document_returned = Signal()
# document: rejected for good.
document_rejected = Signal()
# task: a review task was created and has its due date (sender: the flow class).
task_created = Signal()
