"""What the lower apps' signals mean for notices; connected in NoticesConfig.ready().
The apps that send them (workflow, attendance, credits, schedule) know nothing of notices."""
from django.urls import reverse
from django.utils import timezone

from attendance import signals as attendance_signals
from attendance.models import Enrolment, LeaveRequest
from credits import signals as credit_signals
from credits.models import CreditEntry, DeclarationProcess
from jobs.models import Job
from jobs.signals import job_finished
from plans.models import Document
from schedule import signals as schedule_signals
from schedule.models import ScheduledProject
from workflow import signals
from workflow.kit import task_process
from workflow.models import ReviewProcess
from workflow.services import task_recipients, task_url

from . import events
from .models import Notice
from .services import (TITLE_APPROVED, TITLE_CHANGES_REQUESTED, TITLE_COPIED, TITLE_COPIED_NOTE, TITLE_HANDED_OVER, TITLE_JOB_DONE,
                       TITLE_JOB_FAILED, TITLE_REJECTED, TITLE_RETURNED, TITLE_TASK_CREATED, district_text, inner,
                       notify)


def connect():
    signals.task_created.connect(task_created, dispatch_uid="notices.task_created")
    signals.task_decided.connect(task_decided, dispatch_uid="notices.task_decided")
    signals.task_handed_over.connect(task_handed_over, dispatch_uid="notices.task_handed_over")
    signals.document_copied.connect(document_copied, sender=Document, dispatch_uid="notices.document_copied")
    attendance_signals.enrolment_changed.connect(enrolment_changed, sender=Enrolment,
                                                 dispatch_uid="notices.enrolment_changed")
    attendance_signals.leave_requested.connect(leave_requested, sender=LeaveRequest,
                                               dispatch_uid="notices.leave_requested")
    attendance_signals.leave_decided.connect(leave_decided, sender=LeaveRequest, dispatch_uid="notices.leave_decided")
    credit_signals.credits_recorded.connect(credits_recorded, sender=CreditEntry,
                                            dispatch_uid="notices.credits_recorded")
    schedule_signals.project_changed.connect(project_changed, sender=ScheduledProject,
                                             dispatch_uid="notices.project_changed")
    schedule_signals.project_cancelled.connect(project_cancelled, sender=ScheduledProject,
                                               dispatch_uid="notices.project_cancelled")
    job_finished.connect(job_ended, dispatch_uid="notices.job_finished")


def job_ended(sender, job, **kwargs):
    """A background job finished: its owner hears of it (not of a job they cancelled)."""
    kinds = {Job.State.DONE: (Notice.Kind.JOB_DONE, TITLE_JOB_DONE),
             Job.State.FAILED: (Notice.Kind.JOB_FAILED, TITLE_JOB_FAILED)}
    if job.state not in kinds:
        return
    kind, message = kinds[job.state]
    notify(users=[job.owner], kind=kind, title=district_text(message, title=job.title),
           url=reverse("jobs:detail", args=[job.pk]), dedup_key=f"{kind}:{job.pk}", email=False)


def task_created(sender, task, node, **kwargs):
    """Tell the owner of a new task (or, while it waits in a queue, everyone
    who may claim it), in any flow on the kit, unless its node is not announced."""
    if not node.announce:
        return
    title = district_text(TITLE_TASK_CREATED, step=node.task_title, title=inner(task_process(task).subject_title))
    notify(users=task_recipients(task), kind=Notice.Kind.TASK_CREATED, title=title, url=task_url(task),
           dedup_key=f"task-created:{task.pk}")


def task_decided(sender, process, task=None, decision="", **kwargs):
    """A document returned, filed or rejected: its author hears of it; a declared
    training's decision at any step: its teacher does."""
    if isinstance(process, ReviewProcess):
        document_outcome_notify(document=process.document, process=process)
    elif isinstance(process, DeclarationProcess) and task is not None:
        events.declaration_decided(process=process, task=task, decision=decision)


def task_handed_over(sender, task, actor, **kwargs):
    """转办: the colleague who now holds the task hears of it."""
    title = district_text(TITLE_HANDED_OVER, name=actor.display_name, step=task.flow_task.task_title,
                          title=inner(task_process(task).subject_title))
    notify(users=[task.owner], kind=Notice.Kind.HANDED_OVER, title=title, url=task_url(task),
           dedup_key=f"handed-over:{task.pk}:{task.owner_id}:{timezone.now():%Y%m%d%H%M%S%f}")


def document_copied(sender, document, copy, **kwargs):
    """抄送: the recipient may read the document now."""
    message = TITLE_COPIED_NOTE if copy.note else TITLE_COPIED
    title = district_text(message, name=copy.sender.display_name, title=inner(document.title),
                          note=copy.note)
    notify(users=[copy.recipient], kind=Notice.Kind.COPY, title=title,
           url=reverse("plans:detail", args=[document.pk]), dedup_key=f"copy:{copy.pk}")


def enrolment_changed(sender, enrolment, previous, **kwargs):
    events.enrolment_changed(enrolment=enrolment, previous=previous)


def leave_requested(sender, leave, **kwargs):
    events.leave_requested(leave=leave)


def leave_decided(sender, leave, **kwargs):
    events.leave_decided(leave=leave)


def credits_recorded(sender, teacher, entries, **kwargs):
    events.credits_recorded(teacher=teacher, entries=entries)


def project_changed(sender, project, changes, **kwargs):
    events.project_changed(project=project, changes=changes)


def project_cancelled(sender, project, reason="", **kwargs):
    events.project_cancelled(project=project, reason=reason)


def document_outcome_notify(*, document, process=None) -> None:
    """Tell the author (and the last submitter) a document was returned, filed or
    rejected; once per version (its dedup key), however many decisions follow.
    修改后同意 also returns it, but says so: the author revises as asked, no new expert round."""
    kinds = {
        Document.Status.RETURNED: (Notice.Kind.RETURNED, TITLE_RETURNED),
        Document.Status.APPROVED: (Notice.Kind.APPROVED, TITLE_APPROVED),
        Document.Status.REJECTED: (Notice.Kind.REJECTED, TITLE_REJECTED),
    }
    if document.status not in kinds:
        return
    kind, message = kinds[document.status]
    if document.status == Document.Status.RETURNED and process is not None and process.changes_requested:
        message = TITLE_CHANGES_REQUESTED
    last = document.versions.order_by("-number").select_related("submitted_by").first()
    authors = [document.created_by] + ([last.submitted_by] if last else [])
    notify(users=authors, kind=kind, title=district_text(message, title=inner(document.title),
                                                         number=document.filing_number or ""),
           url=reverse("plans:detail", args=[document.pk]),
           dedup_key=f"{kind}:{document.pk}:v{document.version}")
