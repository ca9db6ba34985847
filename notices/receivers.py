"""What the review kit's signals (workflow.signals) mean for notices; connected
in NoticesConfig.ready(). workflow knows nothing of notices."""
from django.urls import reverse

from jobs.models import Job
from jobs.signals import job_finished
from plans.models import Document
from workflow import signals
from workflow.kit import task_process
from workflow.models import ReviewProcess
from workflow.services import task_recipients, task_url

from .models import Notice
from .services import (TITLE_APPROVED, TITLE_JOB_DONE, TITLE_JOB_FAILED, TITLE_REJECTED, TITLE_RETURNED,
                       TITLE_TASK_CREATED, district_text, notify)


def connect():
    signals.task_created.connect(task_created, dispatch_uid="notices.task_created")
    signals.task_decided.connect(task_decided, dispatch_uid="notices.task_decided")
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
    title = district_text(TITLE_TASK_CREATED, step=node.task_title, title=task_process(task).subject_title)
    notify(users=task_recipients(task), kind=Notice.Kind.TASK_CREATED, title=title, url=task_url(task),
           dedup_key=f"task-created:{task.pk}")


def task_decided(sender, process, **kwargs):
    """A document returned, filed or rejected: its author hears of it."""
    if isinstance(process, ReviewProcess):
        document_outcome_notify(document=process.document)


def document_outcome_notify(*, document) -> None:
    """Tell the author (and the last submitter) a document was returned, filed or
    rejected; once per version (its dedup key), however many decisions follow."""
    kinds = {
        Document.Status.RETURNED: (Notice.Kind.RETURNED, TITLE_RETURNED),
        Document.Status.APPROVED: (Notice.Kind.APPROVED, TITLE_APPROVED),
        Document.Status.REJECTED: (Notice.Kind.REJECTED, TITLE_REJECTED),
    }
    if document.status not in kinds:
        return
    kind, message = kinds[document.status]
    last = document.versions.order_by("-number").select_related("submitted_by").first()
    authors = [document.created_by] + ([last.submitted_by] if last else [])
    notify(users=authors, kind=kind, title=district_text(message, title=document.title,
                                                         number=document.filing_number or ""),
           url=reverse("plans:detail", args=[document.pk]),
           dedup_key=f"{kind}:{document.pk}:v{document.version}")
