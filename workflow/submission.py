"""Submitting a draft starts its review, so it belongs to the review flow (the
document page's submit button posts to document_views.document_submit)."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from plans.models import Document
from plans.services import document_check_complete, document_freeze_version

from .flows import ReviewFlow
from .models import Decision, Step
from .services import trail_record

ERROR_ALREADY_SUBMITTED = _("This document has already been submitted.")


@transaction.atomic
def document_submit(*, document: Document, user: User) -> Document:
    """First submission of a draft: freeze version 1 and start the review flow."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if not user.has_perm("plans.change_document", document):
        raise PermissionDenied
    if document.status != Document.Status.DRAFT:
        raise ValidationError(ERROR_ALREADY_SUBMITTED, code="already_submitted")
    document_check_complete(document=document)
    document_freeze_version(document=document, user=user)
    document.status = Document.Status.INITIAL_REVIEW
    document.save(update_fields=["status", "updated_at"])
    trail_record(document=document, step=Step.SUBMIT, decision=Decision.SUBMIT, actor=user)
    ReviewFlow.start.run(document=document)
    return document
