"""Notices about a teacher's training: enrolment decisions, leave, declared
training at every step, credits recorded, a project's change or cancellation.

The receivers (notices/receivers.py) call these; each says what happened, in
the district's language, with the thing's name, and links to the page where
the recipient sees it or acts on it.
"""
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from attendance.models import Enrolment, LeaveRequest, Teacher
from credits.models import CreditEntry, Declaration
from credits.rules import format_number
from plans.models import months_display

from .models import Notice
from .services import district_text, inner, notify

Status = Enrolment.Status

# An enrolment's new status (and, where it matters, the one before) → what the teacher is told.
ENROLMENT_FORWARDED = _("Your school forwarded your application for “%(project)s” to the organiser.")
ENROLMENT_CONFIRMED = _("You are enrolled in “%(project)s”.")
ENROLMENT_WAITLISTED = _("“%(project)s” is full: you are on its waiting list.")
ENROLMENT_PROMOTED = _("A place became free on “%(project)s”: you are enrolled now.")
ENROLMENT_DECLINED = _("Your enrolment in “%(project)s” was declined.")
ENROLMENT_SCHOOL_DECLINED = _("Your school did not forward your application for “%(project)s”.")
ENROLMENT_REMOVED = _("You were taken off the list of “%(project)s”.")

LEAVE_REQUESTED = _("%(name)s asks for leave from “%(session)s” on %(date)s.")
LEAVE_APPROVED = _("Your leave from “%(session)s” on %(date)s was approved.")
LEAVE_REFUSED = _("Your leave from “%(session)s” on %(date)s was refused.")

DECLARATION_APPROVED = _("Your declared training “%(title)s” passed %(step)s.")
DECLARATION_CONFIRMED = _("Your declared training “%(title)s” was confirmed: %(credits)s credits recorded.")
DECLARATION_RETURNED = _("Your declared training “%(title)s” was returned for revision at %(step)s: %(comment)s")
DECLARATION_REJECTED = _("Your declared training “%(title)s” was rejected at %(step)s: %(comment)s")

CREDITS_RECORDED = _("%(credits)s credits recorded for “%(description)s”.")
CREDITS_NONE = _("No credits for “%(description)s”: %(note)s")

PROJECT_CHANGED = _("“%(project)s” was changed: %(changes)s")
PROJECT_CANCELLED = _("“%(project)s” was cancelled: %(reason)s")
CHANGE_MONTHS = _("Training months")

COMMENT_MAX = 120


def _short(text: str, limit: int = COMMENT_MAX) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _day(date) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return formats.date_format(date, "DATE_FORMAT")


def _school_officers(organisation_ids) -> list[User]:
    return list(User.objects.filter(role=User.Role.SCHOOL_OFFICER, organisation_id__in=organisation_ids,
                                    is_active=True).order_by("pk"))


# --- enrolment --------------------------------------------------------------------------------

def enrolment_changed(*, enrolment: Enrolment, previous: str) -> None:
    """Tell the teacher what was decided about their place on a project."""
    status = enrolment.status
    if status == Status.NOMINATED and previous == Status.APPLIED:
        message = ENROLMENT_FORWARDED
    elif status == Status.CONFIRMED:
        message = ENROLMENT_PROMOTED if previous == Status.WAITLISTED else ENROLMENT_CONFIRMED
    elif status == Status.WAITLISTED:
        message = ENROLMENT_WAITLISTED
    elif status == Status.DECLINED:
        message = ENROLMENT_SCHOOL_DECLINED if previous == Status.APPLIED else ENROLMENT_DECLINED
    elif status == Status.WITHDRAWN:
        message = ENROLMENT_REMOVED
    else:
        return
    teacher = enrolment.teacher
    notify(users=[teacher.user], kind=Notice.Kind.ENROLMENT,
           title=district_text(message, project=inner(enrolment.project.name)),
           url=reverse("attendance:me"),
           dedup_key=f"enrolment:{enrolment.pk}:{previous}:{status}:{enrolment.decided_at:%Y%m%d%H%M%S%f}"
           if enrolment.decided_at else None)


# --- leave ------------------------------------------------------------------------------------

def _session_name(leave: LeaveRequest) -> str:
    session = leave.session
    project = session.project
    return inner(f"{project.name}·{session.title}" if project is not None else session.title)


def leave_requested(*, leave: LeaveRequest) -> None:
    """The teacher's school decides on leave: its training officers hear of the request."""
    teacher = leave.teacher
    notify(users=_school_officers([teacher.organisation_id]), kind=Notice.Kind.LEAVE,
           title=district_text(LEAVE_REQUESTED, name=teacher.name, session=_session_name(leave),
                               date=_day(leave.session.date)),
           url=reverse("attendance:leave"), dedup_key=f"leave-requested:{leave.pk}")


def leave_decided(*, leave: LeaveRequest) -> None:
    if leave.status not in (LeaveRequest.Status.APPROVED, LeaveRequest.Status.REFUSED):
        return
    message = LEAVE_APPROVED if leave.status == LeaveRequest.Status.APPROVED else LEAVE_REFUSED
    notify(users=[leave.teacher.user], kind=Notice.Kind.LEAVE,
           title=district_text(message, session=_session_name(leave), date=_day(leave.session.date)),
           url=reverse("attendance:me"), dedup_key=f"leave-decided:{leave.pk}")


# --- declared training -------------------------------------------------------------------------

def declaration_decided(*, process, task, decision: str) -> None:
    """Each review step's decision on a declaration, told to the declaring teacher
    (a resubmission goes to the school as a new task: workflow's task_created)."""
    from workflow.kit import Decision

    declaration = Declaration.objects.select_related("teacher__user").get(pk=process.declaration_id)
    step = task.flow_task.task_title
    comment = _short(task_comment(process, task))
    params = {"title": inner(declaration.title), "step": step, "comment": comment}
    if decision == Decision.APPROVE:
        if declaration.status == Declaration.Status.CONFIRMED:
            credits = declaration.entries.aggregate(total=Sum("credits"))["total"] or Decimal(0)
            kind, message, params["credits"] = Notice.Kind.APPROVED, DECLARATION_CONFIRMED, format_number(credits)
        else:
            kind, message = Notice.Kind.APPROVED, DECLARATION_APPROVED
    elif decision == Decision.RETURN:
        kind, message = Notice.Kind.RETURNED, DECLARATION_RETURNED
    elif decision == Decision.REJECT:
        kind, message = Notice.Kind.REJECTED, DECLARATION_REJECTED
    else:
        return
    url = reverse("credits:declaration_detail", args=[declaration.pk])
    if decision == Decision.RETURN:
        url = _revise_url(process) or url  # straight to the form that resubmits
    notify(users=[declaration.teacher.user], kind=kind, title=district_text(message, **params), url=url,
           dedup_key=f"declaration:{decision}:{task.pk}")


def _revise_url(process) -> str:
    from viewflow.workflow.models import Task

    from workflow.selectors import OPEN_STATUSES
    from workflow.services import task_url

    revise = Task.objects.filter(process_id=process.pk, flow_task_type="HUMAN", status__in=OPEN_STATUSES,
                                 owner__isnull=False).order_by("-pk").first()
    return task_url(revise) if revise is not None else ""


def task_comment(process, task) -> str:
    """The comment the step's decision left in the trail."""
    from workflow.kit import trail_model_for

    trail = trail_model_for(process.subject)
    entry = trail.objects.filter(task=task).order_by("-pk").first()
    return entry.comment if entry else ""


# --- credits ----------------------------------------------------------------------------------

def credits_recorded(*, teacher: Teacher, entries: list[CreditEntry]) -> None:
    """A record in a teacher's ledger: what it gives, or why nothing. Declared
    training is told by its confirmation (declaration_decided)."""
    if not entries or teacher.user_id is None or any(entry.declaration_id for entry in entries):
        return
    first = entries[0]
    total = sum((entry.credits for entry in entries), Decimal(0))
    description = inner(first.description)
    if total > 0 or not first.note:
        title = district_text(CREDITS_RECORDED, credits=format_number(total), description=description)
    else:
        title = district_text(CREDITS_NONE, description=description, note=_short(first.note))
    notify(users=[teacher.user], kind=Notice.Kind.CREDITS, title=title, url=reverse("credits:my_credits"),
           dedup_key=f"credits:{first.pk}")


# --- a project's change or cancellation ------------------------------------------------------------

ACTIVE = [Status.APPLIED, Status.NOMINATED, Status.CONFIRMED, Status.WAITLISTED]


def _project_people(project):
    """(teachers with a login on the project's lists, the training officers of their schools)."""
    teachers = list(Teacher.objects.filter(enrolments__project=project, enrolments__status__in=ACTIVE)
                    .select_related("user").order_by("pk"))
    users = [teacher.user for teacher in teachers if teacher.user_id]
    return users, _school_officers({teacher.organisation_id for teacher in teachers})


def _changes_text(project, changes) -> str:
    """What changed, in words: the months as the schedule shows them (5月→6月), then
    the other fields by their names; never a field's code."""
    months = {change.field: change for change in changes if change.field in ("start_month", "end_month")}
    parts = []
    if months:
        def old(field):
            return int(months[field].old_value) if field in months else getattr(project, field)

        parts.append(f"{CHANGE_MONTHS}：{months_display(old('start_month'), old('end_month'))}"
                     f"→{months_display(project.start_month, project.end_month)}")
    for change in changes:
        if change.field not in months:
            parts.append(f"{change.field_label}：{change.old_value or '—'}→{change.new_value or '—'}")
    return "；".join(parts)


def project_changed(*, project, changes) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        text = _changes_text(project, changes)
    _project_notify(project, district_text(PROJECT_CHANGED, project=inner(project.name), changes=text),
                    key=f"project-changed:{project.pk}:{changes[0].pk}")


def project_cancelled(*, project, reason: str = "") -> None:
    _project_notify(project, district_text(PROJECT_CANCELLED, project=inner(project.name),
                                           reason=_short(reason) or "—"),
                    key=f"project-cancelled:{project.pk}")


def _project_notify(project, title: str, key: str) -> None:
    teachers, officers = _project_people(project)
    notify(users=teachers, kind=Notice.Kind.PROJECT_CHANGED, title=title, url=reverse("attendance:me"),
           dedup_key=key)
    notify(users=officers, kind=Notice.Kind.PROJECT_CHANGED, title=title,
           url=reverse("schedule:project", args=[project.pk]), dedup_key=key)
