from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .models import (
    AnnualPlan, Document, DocumentVersion, PlannedProject, ProjectProposal, SchoolPlan, SchoolPlanYear,
)

ERROR_NOT_EDITABLE = _("Only a draft or a returned document can be changed.")
ERROR_NO_PROJECTS = _("An annual plan needs at least one project in its schedule table.")
ERROR_NO_YEAR_BLOCKS = _("A school-based plan needs at least one school-year block.")
ERROR_ALREADY_SUBMITTED = _("This document has already been submitted.")
ERROR_CHANGED_SINCE_OPENED = _(
    "This document was changed after you opened it (by someone else, or in another tab). "
    "Nothing was saved: reload the page to see the current version, then make your changes again."
)


def document_check_complete(*, document: Document) -> None:
    detail = document.detail
    if isinstance(detail, AnnualPlan) and not detail.projects.exists():
        raise ValidationError(ERROR_NO_PROJECTS)
    if isinstance(detail, SchoolPlan) and not detail.years.exists():
        raise ValidationError(ERROR_NO_YEAR_BLOCKS)


def document_snapshot(*, document: Document) -> dict:
    """The document's content as plain data, frozen into DocumentVersion."""
    detail = document.detail
    content = {
        "title": document.title,
        "year": document.year,
        "detail": model_to_dict(detail, exclude=["document"]),
    }
    if isinstance(detail, AnnualPlan):
        content["projects"] = [model_to_dict(p, exclude=["id", "plan"]) for p in detail.projects.all()]
    if isinstance(detail, SchoolPlan):
        content["years"] = [model_to_dict(y, exclude=["id", "plan"]) for y in detail.years.all()]
    # Decimals and the like become strings so the snapshot is JSON.
    return _jsonable(content)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def document_freeze_version(*, document: Document, user: User) -> DocumentVersion:
    """Freeze the content as the next version. Call inside a transaction: the
    row lock makes the number and the snapshot those of the committed row,
    even if the caller's instance is stale (an edit saved meanwhile)."""
    locked = Document.objects.select_for_update().get(pk=document.pk)
    document.version = locked.version + 1
    document.save(update_fields=["version", "updated_at"])
    return DocumentVersion.objects.create(
        document=document, number=document.version,
        content=document_snapshot(document=document), submitted_by=user,
    )


@transaction.atomic
def document_submit(*, document: Document, user: User) -> Document:
    """First submission of a draft: freeze version 1 and start the review flow."""
    from workflow.flows import ReviewFlow
    from workflow.services import trail_record
    from workflow.models import Decision, Step

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


def document_assert_editable(*, document: Document, user: User) -> None:
    if not user.has_perm("plans.change_document", document):
        raise PermissionDenied
    if not document.is_editable:
        raise ValidationError(ERROR_NOT_EDITABLE, code="not_editable")


# Each kind's content model and, for the kinds with a table, the model of its rows.
CONTENT_MODELS = {
    Document.Kind.ANNUAL_PLAN: (AnnualPlan, PlannedProject),
    Document.Kind.SCHOOL_PLAN: (SchoolPlan, SchoolPlanYear),
    Document.Kind.PROJECT_PROPOSAL: (ProjectProposal, None),
}


def _validated_save(obj):
    obj.full_clean()
    obj.save()
    return obj


@transaction.atomic
def document_create(*, kind: str, user: User, year: int, title: str, content: dict, rows=()) -> Document:
    """A draft of the user's organisation with its content and table rows (an
    annual plan's projects, a school plan's year blocks), from plain values:
    for scripts such as the demo; the new-document page saves its forms."""
    document = _validated_save(Document(kind=kind, organisation=user.organisation, year=year, title=title,
                                        created_by=user))
    if not user.has_perm("plans.change_document", document):
        raise PermissionDenied  # rolls the draft back
    content_model, row_model = CONTENT_MODELS[kind]
    detail = _validated_save(content_model(document=document, **content))
    for row in rows:
        _validated_save(row_model(plan=detail, **row))
    return document


@transaction.atomic
def document_content_update(*, document: Document, user: User, **fields) -> None:
    """Change fields of a draft's or returned document's content, as its edit page does."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    document_assert_editable(document=document, user=user)
    detail = document.detail
    for field, value in fields.items():
        setattr(detail, field, value)
    _validated_save(detail)


def document_edit_token(document: Document) -> str:
    """What the edit form carries to prove it shows the current row: every
    save of a document (edits, submissions, decisions) moves updated_at."""
    return document.updated_at.isoformat() if document.updated_at else ""


def document_lock_for_edit(*, document: Document, user: User, token: str) -> Document:
    """Lock the row for an edit (inside a transaction) and check, under the
    lock, that it may still be edited and is as the form showed it."""
    locked = Document.objects.select_for_update().get(pk=document.pk)
    document_assert_editable(document=locked, user=user)
    if not token or token != document_edit_token(locked):
        raise ValidationError(ERROR_CHANGED_SINCE_OPENED, code="changed")
    return locked
