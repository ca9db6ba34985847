"""The schedule follows the review flow (workflow.signals), connected in ScheduleConfig.ready()."""
from plans.models import Document

from . import services


def connect():
    from workflow import signals

    signals.document_filed.connect(document_filed, sender=Document, dispatch_uid="schedule.document_filed")


def document_filed(sender, document, **kwargs) -> None:
    services.document_filed(document=document)
