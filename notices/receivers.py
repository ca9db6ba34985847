"""Notices about review events, received from workflow's signals (workflow.signals),
connected in NoticesConfig.ready(): workflow sits below notices and never calls it."""
from django.urls import reverse

from plans.models import Document
from workflow.services import task_recipients, task_url

from .models import Notice
from .services import TITLE_APPROVED, TITLE_REJECTED, TITLE_RETURNED, TITLE_TASK_CREATED, district_text, notify


def connect():
    from workflow import signals

    signals.task_created.connect(task_created, dispatch_uid="notices.task_created")
    for signal, name in ((signals.document_filed, "filed"), (signals.document_returned, "returned"),
                         (signals.document_rejected, "rejected")):
        signal.connect(document_decided, sender=Document, dispatch_uid=f"notices.document_{name}")


def task_created(sender, task, **kwargs) -> None:
    """Tell the owner (or the queue) about a new review task.

    A revise task is not announced: its author has just been told the
    document was returned (document_decided).
    """
    if task.flow_task.name == "revise":
        return
    title = district_text(TITLE_TASK_CREATED, step=task.flow_task.task_title,
                          title=task.process.coerced.document.title)
    notify(users=task_recipients(task), kind=Notice.Kind.TASK_CREATED, title=title, url=task_url(task),
           dedup_key=f"task-created:{task.pk}")


def document_decided(sender, document, **kwargs) -> None:
    """Tell the author (and the last submitter) a document was returned, filed or rejected."""
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
