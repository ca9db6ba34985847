"""Background work of printing (django-tasks: the API of Django 6's django.tasks)."""
from django_tasks import task


@task()
def store_rendering(document_id: int) -> None:
    """Render a filed document's PDF once and keep it (enqueued when the document is filed)."""
    from plans.models import Document

    from . import services

    document = Document.objects.filter(pk=document_id, status=Document.Status.APPROVED).first()
    if document is not None:
        services.stored_rendering_ensure(document)
