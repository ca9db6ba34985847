from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .models import (
    AnnualPlan, Document, DocumentVersion, PlannedProject, ProjectProposal, SchoolPlan, SchoolPlanYear,
)

ERROR_NOT_EDITABLE = _("Only a draft or a returned document can be changed.")
MISSING_PROJECTS = _("at least one project in the training schedule")
MISSING_YEAR_BLOCKS = _("at least one school-year block in the five-year plan")
ERROR_CHANGED_SINCE_OPENED = _(
    "This document was changed after you opened it (by someone else, or in another tab). "
    "Nothing was saved: reload the page to see the current version, then make your changes again."
)


ERROR_INCOMPLETE = _("Not submitted: the document is not complete yet. Still to fill in: %(missing)s.")

# What a submitted document must have; a draft may be saved without any of it.
# Per kind: the content's required fields, then (table kinds) the rows' required fields.
REQUIRED_CONTENT = {
    Document.Kind.ANNUAL_PLAN: ["guiding_ideology", "objectives", "target_audience", "tasks_and_content"],
    Document.Kind.SCHOOL_PLAN: ["significance", "objectives", "hours_per_teacher", "group_leader", "forms",
                                "topics", "assessment", "annual_budget"],
    Document.Kind.PROJECT_PROPOSAL: ["organiser", "target_group", "headcount", "modes", "start_month", "end_month",
                                     "location", "hours", "content_modules", "design", "budget"],
    Document.Kind.CHANGE_REQUEST: ["reason"],
}
REQUIRED_ROW_FIELDS = {
    PlannedProject: ["name", "headcount", "modes", "month"],
    SchoolPlanYear: ["start_year", "content", "forms", "hours"],
}
ROW_LABEL = _("%(table)s, row %(row)s: %(field)s")


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def _table_rows(detail):
    """(table label, no-rows message, ordered rows) of a content with a table, else None."""
    if isinstance(detail, AnnualPlan):
        return _("Training schedule"), MISSING_PROJECTS, detail.projects.order_by("sequence", "pk")
    if isinstance(detail, SchoolPlan):
        years = detail.years.order_by(models.F("start_year").asc(nulls_last=True), "pk")
        return _("Five-year plan"), MISSING_YEAR_BLOCKS, years
    return None


def missing_for_submission(document: Document) -> list[str]:
    """What the document still lacks before it may be submitted, as labels the
    author reads ("培训工作安排表第3行：拟培训时间"), in the order of the form; [] when complete."""
    detail = document.detail
    missing = [str(document._meta.get_field(name).verbose_name) for name in ("title",) if _empty(document.title)]
    for name in REQUIRED_CONTENT[document.kind]:
        if _empty(getattr(detail, name)):
            missing.append(str(detail._meta.get_field(name).verbose_name))
    table = _table_rows(detail)
    if table is not None:
        table_label, no_rows, rows = table
        rows = list(rows)
        if not rows:
            missing.append(str(no_rows))
        for number, row in enumerate(rows, start=1):
            for name in REQUIRED_ROW_FIELDS[type(row)]:
                value = getattr(row, name)
                if name == "headcount" and row.all_staff:
                    continue
                if _empty(value):
                    missing.append(str(ROW_LABEL % {"table": table_label, "row": number,
                                                    "field": row._meta.get_field(name).verbose_name}))
    return missing


def document_check_complete(*, document: Document) -> None:
    """Refuse (ValidationError, code "incomplete") a submission of an incomplete
    document, naming everything it still lacks."""
    missing = missing_for_submission(document)
    if missing:
        raise ValidationError(ERROR_INCOMPLETE, code="incomplete", params={"missing": "；".join(missing)})


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
