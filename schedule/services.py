"""The schedule follows filed documents: filing an annual plan or a proposal
schedules its projects; filing a change request changes exactly what it asks."""
import math
import random

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import District, Organisation, User
from accounts.regions import place_filter
from plans.models import ChangeRequest, Document
from workflow.submission import document_submit

from . import signals
from .models import (
    MAX_CANCEL_REASON, ProjectLogEntry, ScheduleChange, ScheduledProject, SpotCheck, SpotCheckItem,
)
from .scopes import is_organiser

ERROR_PROJECT_CLOSED = _("This project is finished or cancelled and can no longer be changed.")
ERROR_PROJECT_NOT_APPROVED = _("Only projects of approved, filed documents can be changed.")
ERROR_CHANGE_PENDING = _("A change request for this project is already under review.")
ERROR_NOTHING_CHANGED = _("Fill in at least one change.")
ERROR_END_BEFORE_START = _("The last month cannot be before the first month.")
ERROR_NOT_ORGANISER = _("Only the project's organiser can ask for a change.")
ERROR_NOT_ORGANISER_CLOSE = _("Only the project's organiser can close it.")
ERROR_NOT_BUREAU_CANCEL = _("Only the district's education bureau can cancel a project of its filed plan.")
ERROR_CANCEL_REASON = _("Say why the project is cancelled: its teachers and their schools are told.")
ERROR_CANNOT_CLOSE = _("The project cannot be closed yet: closing credits its teachers from their attendance.")

OPEN_CHANGE_STATUSES = [
    Document.Status.DRAFT, Document.Status.SCHOOL_REVIEW, Document.Status.INITIAL_REVIEW,
    Document.Status.EXPERT_REVIEW, Document.Status.FILING, Document.Status.RETURNED, Document.Status.CHANGES_CHECK,
]


def document_filed(*, document: Document) -> None:
    """When the review flow files a document (备案; workflow.signals.document_filed)."""
    if document.kind == Document.Kind.ANNUAL_PLAN:
        schedule_annual_plan(document=document)
    elif document.kind == Document.Kind.PROJECT_PROPOSAL:
        schedule_proposal(document=document)
    elif document.kind == Document.Kind.CHANGE_REQUEST:
        change_request_apply(document=document)


def schedule_annual_plan(*, document: Document) -> list[ScheduledProject]:
    organiser = document.organisation
    return ScheduledProject.objects.bulk_create(
        ScheduledProject(
            district_id=organiser.district_id, source=document, sequence=row.sequence, year=document.year,
            name=row.name, organiser=organiser, headcount=row.headcount, all_staff=row.all_staff,
            modes=row.modes, start_month=row.month, end_month=row.month, location=row.location,
        )
        for row in document.annual_plan.projects.order_by("sequence")
    )


def schedule_proposal(*, document: Document) -> ScheduledProject:
    proposal, organiser = document.project_proposal, document.organisation
    return ScheduledProject.objects.create(
        district_id=organiser.district_id, source=document, sequence=1, year=document.year,
        name=document.title, organiser=organiser, open_to=organiser if organiser.is_school else None,
        # The proposal's 学段/学科; a school's own project is for its own stage at most.
        stage=proposal.stage or (organiser.stage if organiser.is_school else ""), subject=proposal.subject,
        target_group=proposal.target_group, headcount=proposal.headcount, modes=proposal.modes,
        start_month=proposal.start_month, end_month=proposal.end_month, location=proposal.location,
        hours=proposal.hours,
    )


def change_request_check(*, project: ScheduledProject, changes: dict, exclude=None) -> None:
    """Refuse a change the schedule cannot take; changes maps project fields to new values."""
    if project.source.status != Document.Status.APPROVED:
        raise ValidationError(ERROR_PROJECT_NOT_APPROVED)
    if project.status != ScheduledProject.Status.SCHEDULED:
        raise ValidationError(ERROR_PROJECT_CLOSED)
    pending = project.change_requests.filter(document__status__in=OPEN_CHANGE_STATUSES)
    if exclude is not None:
        pending = pending.exclude(pk=exclude.pk)
    if pending.exists():
        raise ValidationError(ERROR_CHANGE_PENDING)
    if not changes:
        raise ValidationError(ERROR_NOTHING_CHANGED)
    start = changes.get("start_month", project.start_month)
    end = changes.get("end_month", project.end_month)
    if end < start:
        raise ValidationError({"new_end_month": ERROR_END_BEFORE_START})


def may_request_change(user: User, project: ScheduledProject) -> bool:
    return is_organiser(user, project)


@transaction.atomic
def change_request_submit(*, project: ScheduledProject, user: User, reason: str, **new_values) -> Document:
    """Create the change request as a document and send it into review at once."""
    if not may_request_change(user, project):
        raise PermissionDenied(ERROR_NOT_ORGANISER)
    project = ScheduledProject.objects.select_for_update().get(pk=project.pk)
    request = ChangeRequest(project=project, reason=reason, **new_values)
    change_request_check(project=project, changes=request.requested_changes())
    document = Document.objects.create(
        kind=Document.Kind.CHANGE_REQUEST, organisation=project.organiser, year=project.year,
        # A 200-character project name must not overflow the title column.
        title=str(_("Change request for %(name)s") % {"name": project.name})[:Document._meta.get_field("title").max_length],
        created_by=user,
    )
    request.document = document
    request.full_clean()
    request.save()
    return document_submit(document=document, user=user)


def change_request_apply(*, document: Document) -> list[ScheduleChange]:
    request = document.change_request
    project = ScheduledProject.objects.select_for_update().get(pk=request.project_id)
    changes = request.requested_changes()
    change_request_check(project=project, changes=changes, exclude=request)
    applied = []
    for field, new_value in changes.items():
        old_value = getattr(project, field)
        if old_value == new_value:
            continue
        applied.append(ScheduleChange(project=project, change_request=document, field=field,
                                      old_value="" if old_value is None else str(old_value),
                                      new_value=str(new_value)))
        setattr(project, field, new_value)
    project.full_clean()
    project.save()
    applied = ScheduleChange.objects.bulk_create(applied)
    if applied:  # notices: the project's teachers and their schools hear of it
        signals.project_changed.send(sender=ScheduledProject, project=project, changes=applied)
    return applied


def may_cancel(user: User, project: ScheduledProject) -> bool:
    """The bureau that filed the plan cancels one of its projects (a change of the organiser's
    goes through a change request instead). A city's or province's project: the bureau of that
    city or province, which filed it."""
    if project.is_regional:
        return (user.is_regional_officer and user.organisation.kind == Organisation.Kind.BUREAU
                and place_filter(user.organisation) == place_filter(project.organiser))
    return user.is_bureau_officer and user.organisation.district_id == project.district_id


@transaction.atomic
def project_cancel(*, project: ScheduledProject, user: User, reason: str, today=None) -> ScheduledProject:
    """Cancel a scheduled project: its status, a log entry with the reason, and the signal that
    tells its teachers and their schools (notices). Under the project's row lock, so a cancel
    and a close (or a second cancel) never both happen."""
    if not may_cancel(user, project):
        raise PermissionDenied(ERROR_NOT_BUREAU_CANCEL)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ERROR_CANCEL_REASON})
    project = ScheduledProject.objects.select_for_update().get(pk=project.pk)
    if project.status != ScheduledProject.Status.SCHEDULED:
        raise ValidationError(ERROR_PROJECT_CLOSED)
    project.status = ScheduledProject.Status.CANCELLED
    project.save(update_fields=["status"])
    entry = ProjectLogEntry(project=project, author=user, kind=ProjectLogEntry.Kind.CANCELLED,
                            happened_on=today or timezone.localdate(), text=reason[:MAX_CANCEL_REASON])
    entry.full_clean()
    entry.save()
    signals.project_cancelled.send(sender=ScheduledProject, project=project, reason=entry.text)
    return project


@transaction.atomic
def log_entry_add(*, project: ScheduledProject, user: User, kind: str, happened_on, text: str,
                  results: dict | None = None) -> ProjectLogEntry:
    """results (closing only): the organiser's assessment, {teacher id: "pass" | "fail" |
    "excellent"}; attendees who completed and are not named pass (attendance.assessment)."""
    closing = kind == ProjectLogEntry.Kind.CLOSED
    if closing:
        # Closed once: a second close waits here, then finds the project finished.
        project = ScheduledProject.objects.select_for_update().get(pk=project.pk)
    closing = closing and project.status == ScheduledProject.Status.SCHEDULED
    if closing:
        if not is_organiser(user, project):
            raise PermissionDenied(ERROR_NOT_ORGANISER_CLOSE)
        # attendance: sessions not over or not marked refuse it; else it records the assessment results
        blockers = [reason for _receiver, reasons in signals.project_closing.send(
            sender=ScheduledProject, project=project, user=user, results=results or {}) for reason in reasons]
        if blockers:
            raise ValidationError([ERROR_CANNOT_CLOSE, *blockers])
    entry = ProjectLogEntry(project=project, author=user, kind=kind, happened_on=happened_on, text=text)
    entry.full_clean()
    entry.save()
    if closing:
        project.status = ScheduledProject.Status.FINISHED
        project.save(update_fields=["status"])
        # credits: attendance becomes credits (or says why not)
        signals.project_finished.send(sender=ScheduledProject, project=project)
    return entry


def spot_check_sample(project_ids: list[int], *, seed: int, share_percent: int) -> list[int]:
    """ceil(share of the year's projects), drawn reproducibly from the seed."""
    population = sorted(project_ids)
    size = math.ceil(len(population) * share_percent / 100)
    return sorted(random.Random(seed).sample(population, size))


ERROR_SPOT_CHECK_DRAWN = _("The spot check of %(year)s was already drawn on %(date)s by %(name)s. There is one "
                           "draw a year: to draw again, cancel that draw first, giving the reason.")
ERROR_SPOT_CHECK_CANCELLED = _("This draw was cancelled: it can no longer be changed.")
ERROR_CANCEL_REASON = _("Give the reason for cancelling the draw.")
ERROR_CANCEL_REASON_LONG = _("The reason can be at most %(max)s characters.")


def _lock_district_draws(district_id) -> None:
    """Draws and cancellations of one district wait for each other here (the district's
    row lock on PostgreSQL; SQLite serialises writers with IMMEDIATE transactions)."""
    District.objects.select_for_update().filter(pk=district_id).exists()


def _already_drawn(check: SpotCheck) -> ValidationError:
    return ValidationError(ERROR_SPOT_CHECK_DRAWN % {
        "year": check.year, "date": date_format(timezone.localtime(check.created_at), "DATE_FORMAT"),
        "name": check.created_by.display_name})


@transaction.atomic
def spot_check_draw(*, user: User, year: int, share_percent: int = 20, seed: int | None = None) -> SpotCheck:
    """Draw ⌈share⌉ of the district's projects of a year, once a year (see spot_check_cancel)."""
    if not user.is_bureau_officer:
        raise PermissionDenied
    district_id = user.organisation.district_id
    _lock_district_draws(district_id)
    current = SpotCheck.objects.filter(district_id=district_id, year=year, cancelled_at__isnull=True).select_related(
        "created_by").first()
    if current is not None:
        raise _already_drawn(current)
    project_ids = sorted(ScheduledProject.objects.filter(district_id=district_id, year=year)
                         .exclude(status=ScheduledProject.Status.CANCELLED).values_list("pk", flat=True))
    if not project_ids:
        raise ValidationError(_("There are no scheduled projects in %(year)s.") % {"year": year})
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**62)
    check = SpotCheck(district_id=district_id, year=year, share_percent=share_percent, seed=seed,
                      population=len(project_ids), population_ids=project_ids, created_by=user)
    check.full_clean(validate_constraints=False)  # year and share in range; one a year is checked above
    try:
        with transaction.atomic():  # the constraint stands behind the lock
            check.save()
    except IntegrityError:
        raise _already_drawn(SpotCheck.objects.select_related("created_by").get(
            district_id=district_id, year=year, cancelled_at__isnull=True))
    SpotCheckItem.objects.bulk_create(
        SpotCheckItem(spot_check=check, project_id=pk)
        for pk in spot_check_sample(project_ids, seed=seed, share_percent=share_percent)
    )
    return check


def may_manage_spot_check(user: User, check: SpotCheck) -> bool:
    return user.is_bureau_officer and user.district_id == check.district_id


@transaction.atomic
def spot_check_cancel(*, check: SpotCheck, user: User, reason: str) -> SpotCheck:
    """The bureau cancels a year's draw, with a reason, so that the year can be drawn again.
    The draw is kept, marked cancelled (who, when, why), with its items and findings."""
    if not may_manage_spot_check(user, check):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ERROR_CANCEL_REASON})
    if len(reason) > MAX_CANCEL_REASON:
        raise ValidationError({"reason": ERROR_CANCEL_REASON_LONG % {"max": MAX_CANCEL_REASON}})
    _lock_district_draws(check.district_id)
    check = SpotCheck.objects.get(pk=check.pk)  # as it is now, under the lock
    if check.cancelled:
        raise ValidationError(ERROR_SPOT_CHECK_CANCELLED)
    check.cancelled_at, check.cancelled_by, check.cancel_reason = timezone.now(), user, reason
    check.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
    return check


def spot_check_record(*, item: SpotCheckItem, user: User, findings: str) -> SpotCheckItem:
    if not user.is_bureau_officer or user.district_id != item.spot_check.district_id:
        raise PermissionDenied
    if item.spot_check.cancelled:
        raise ValidationError(ERROR_SPOT_CHECK_CANCELLED)
    if not findings.strip():
        raise ValidationError({"findings": _("Write down what the check found.")})
    item.findings, item.checked_by, item.checked_at = findings, user, timezone.now()
    item.save(update_fields=["findings", "checked_by", "checked_at"])
    return item
