"""Printing follows the review flow (workflow.signals), connected in PrintingConfig.ready()."""
from django.db import transaction

from plans.models import Document


def connect():
    from workflow import signals

    signals.document_filed.connect(document_filed, sender=Document, dispatch_uid="printing.document_filed")


def document_filed(sender, document, **kwargs) -> None:
    """Render the filed PDF after the filing commits (its trail entry is then part of it).
    robust: a failed rendering never undoes a filing; the first download renders it then."""
    from .tasks import store_rendering

    document_id = document.pk
    transaction.on_commit(lambda: store_rendering.enqueue(document_id), robust=True)
