"""Enrolment, sessions, sign-in, leave and completion (seeds 001, 003, 004)."""
import datetime
import hashlib
import hmac
import math
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User
from plans.models import Document
from schedule.models import ScheduledProject, SchoolQuota
from schedule.scopes import is_organiser

from . import nomination_signals, quotas
from . import rules as attendance_rules
from . import signals
from .models import (
    MAX_MAKE_UP_NOTE, Attendance, CompletionRules, Enrolment, LeaveRequest, MakeUp, ProjectRun, Session,
    SignInAttempt, Teacher,
)
from .rules import semesters

ERROR_SCHOOL_QUOTA = _("Your school has used all %(quota)s of its places on this project.")
ERROR_TOO_FEW_PLACES = _("Only %(left)s places are left for your school on this project, and you chose "
                         "%(chosen)s teachers. Nobody was nominated: choose at most %(left)s.")
ERROR_NOMINATE_NOBODY = _("Choose at least one teacher to nominate.")
ERROR_SCHOOL_AFTER_CONFIRMATION = _("%(name)s has already been confirmed by the organiser: the school can no longer "
                                    "withdraw or replace this nomination. Ask the organiser.")
ERROR_REPLACE_OTHER_SCHOOL = _("A nomination can only be replaced by another teacher of the same school.")
ERROR_REPLACE_NOT_IN_POST = _("%(name)s is not in post and cannot be nominated.")
ERROR_REPLACE_SAME = _("Choose a different teacher to replace %(name)s.")
ERROR_CONFIRM_NOBODY = _("Tick at least one nomination to confirm.")
ERROR_CONFIRM_TOO_MANY = _("Only %(free)s places are free on this project, and you ticked %(chosen)s nominations. "
                           "Nobody was confirmed: tick at most %(free)s, or raise the number of places.")
ERROR_CONFIRM_DECIDED = _("These nominations have already been decided or withdrawn (perhaps in another window): "
                          "%(names)s. Nobody was confirmed.")
ERROR_ALREADY_ENROLLED = _("This teacher is already on this project's list.")
ERROR_NO_SELF_ENROLMENT = _("This project does not take applications from teachers.")
ERROR_NOT_OPEN_TO_SCHOOL = _("This project is not open to your school.")
ERROR_PROJECT_CANCELLED = _("This project was cancelled: no more enrolment, sign-in or leave.")
ERROR_APPLY_NOT_ON_ROSTER = _("Only a teacher on a school's roster can apply for a project.")
ERROR_CODE_INVALID = _("The sign-in code is wrong or has expired. Scan the code shown now.")
ERROR_OUTSIDE_WINDOW = _("Sign-in for this session is open from %(opens)s to %(closes)s.")
ERROR_NOT_ON_ROSTER = _("You are not on this session's roster.")
ERROR_ALREADY_SIGNED_IN = _("You have already signed in to this session.")
ERROR_LEAVE_PAST = _("Leave can only be asked for a session that has not started yet.")
ERROR_LEAVE_TWICE = _("You have already asked for leave for this session.")
ERROR_MARK_NOT_ON_ROSTER = _("%(name)s is not on this session's roster.")
ERROR_ENROLMENT_DECIDED = _("This enrolment has already been decided (perhaps in another window). "
                            "The list below shows its current state.")
ERROR_MARK_NOT_YET = _("This session is on %(date)s: attendance can be recorded from that day on.")
ERROR_SIGN_IN_NOT_YET = _("This session is on %(date)s: signing in opens on that day.")
ERROR_ON_LEAVE = _("Your leave for this session was approved, so you cannot sign in to it. "
                   "If you came after all, ask the organiser to mark you at roll call.")
ERROR_TOO_MANY_WRONG_CODES = _("Too many wrong codes: signing in with the code is closed to you for this session. "
                               "Ask the organiser to mark you at roll call.")
ERROR_SESSION_COOL_OFF = _("Too many wrong codes were tried at this session in the last few minutes. "
                           "Try again in %(minutes)s minutes, or ask the organiser to mark you at roll call.")
ERROR_NO_OPEN_SESSION = _("None of your sessions is open for sign-in now.")
ERROR_LEAVE_DECIDED = _("This leave request has already been answered (perhaps in another window).")
ERROR_LEAVE_ATTENDED = _("%(name)s is already marked as attending this session: the leave can no longer be approved.")
ERROR_CLOSE_NO_SESSIONS = _("The project has confirmed teachers but no sessions: closing it would credit nobody.")
ERROR_CLOSE_NOT_OVER = _("The session “%(session)s” on %(date)s is not over yet.")
ERROR_CLOSE_UNMARKED = _("The session “%(session)s” on %(date)s has %(count)s teachers of its roster not marked.")
ERROR_CLOSE_MORE = _("… and %(count)s more sessions.")
ERROR_NO_FREE_PLACE = _("There is no free place on this project: the teacher stays on the waiting list.")
ERROR_MAKE_UP_PROJECT_CLOSED = _("This project is finished or cancelled. Make-up is accepted before the project is "
                                 "closed, because closing credits its teachers.")
ERROR_MAKE_UP_OTHER_PROJECT = _("This session is not a session of this project.")
ERROR_MAKE_UP_NOT_YET = _("The session “%(session)s” on %(date)s is not over yet: "
                          "only a missed session can be made up.")
ERROR_MAKE_UP_NOT_ON_ROSTER = _("%(name)s is not on this project's roster.")
ERROR_MAKE_UP_UNMARKED = _("%(name)s is not marked at the session “%(session)s” yet: record the roll call first.")
ERROR_MAKE_UP_ATTENDED = _("%(name)s attended the session “%(session)s”: there is nothing to make up.")
ERROR_MAKE_UP_TWICE = _("A make-up of the session “%(session)s” is already recorded for %(name)s.")
ERROR_MAKE_UP_KIND = _("Choose how the session was made up: an assignment or a recorded lesson.")
ERROR_MAKE_UP_NOTE = _("Describe the make-up: what the teacher handed in or watched, and how it was checked.")
ERROR_MAKE_UP_NOTE_LONG = _("The note can be at most %(max)s characters.")

CODE_PERIOD_SECONDS = 60  # the code on the screen changes every minute


# --- who may do what -----------------------------------------------------------

def is_session_organiser(user: User, session: Session) -> bool:
    return user.writes_documents and user.organisation_id == session.organisation_id


def is_school_officer_of(user: User, teacher: Teacher) -> bool:
    return user.is_school_officer and user.organisation_id == teacher.organisation_id


def project_run(project: ScheduledProject) -> ProjectRun:
    run = ProjectRun.objects.filter(project=project).first()
    if run is None:
        rules = CompletionRules.for_district(project.district_id)
        run = ProjectRun(project=project, quota=project.headcount,
                         min_attendance_percent=rules.default_min_attendance_percent)
    return run


# --- enrolment (招生审核与确认, 选课报名) ----------------------------------------

def _check_school_quota(project, teacher, run):
    if project.is_regional:  # a city's or province's project: the school's and district's places
        quotas.check_places(project, teacher.organisation)
        return
    if run.per_school_quota is None:
        return
    taken = project.enrolments.filter(
        teacher__organisation_id=teacher.organisation_id,
        status__in=[Enrolment.Status.NOMINATED, Enrolment.Status.CONFIRMED, Enrolment.Status.WAITLISTED],
    ).count()
    if taken >= run.per_school_quota:
        raise ValidationError(ERROR_SCHOOL_QUOTA % {"quota": run.per_school_quota})


def _check_open_to(project, teacher):
    if project.status == ScheduledProject.Status.CANCELLED:
        raise ValidationError(ERROR_PROJECT_CANCELLED)
    if project.is_regional:
        # Open to the schools its quota gives places (attendance.quotas); counted by _check_school_quota.
        if not SchoolQuota.objects.filter(project=project, school_id=teacher.organisation_id).exists():
            raise ValidationError(ERROR_NOT_OPEN_TO_SCHOOL)
        return
    if project.open_to_id not in (None, teacher.organisation_id) or \
            project.district_id != teacher.organisation.district_id:
        raise ValidationError(ERROR_NOT_OPEN_TO_SCHOOL)


def _lock_project(project_id) -> ScheduledProject:
    """Every capacity decision of a project runs under its row lock (PostgreSQL;
    SQLite serialises writers with IMMEDIATE transactions), and reads the
    enrolments only after taking it."""
    return ScheduledProject.objects.select_for_update().get(pk=project_id)


def _lock_enrolment(enrolment: Enrolment) -> tuple[ScheduledProject, Enrolment]:
    """The project locked, then the enrolment as it is now: the caller's copy
    may be stale (read before another request's decision was committed)."""
    project = _lock_project(enrolment.project_id)
    current = Enrolment.objects.select_related("teacher__organisation").get(pk=enrolment.pk)
    return project, current


def _confirmed_count(project) -> int:
    return Enrolment.objects.filter(project=project, status=Enrolment.Status.CONFIRMED).count()


@transaction.atomic
def enrolment_nominate(*, project: ScheduledProject, teacher: Teacher, user: User) -> Enrolment:
    """The school puts one of its teachers forward; the organiser decides."""
    if not is_school_officer_of(user, teacher):
        raise PermissionDenied
    project = _lock_project(project.pk)
    _check_open_to(project, teacher)
    if project.enrolments.filter(teacher=teacher).exclude(status=Enrolment.Status.WITHDRAWN).exists():
        raise ValidationError(ERROR_ALREADY_ENROLLED)
    _check_school_quota(project, teacher, project_run(project))
    enrolment, _created = Enrolment.objects.update_or_create(
        project=project, teacher=teacher,
        defaults={"status": Enrolment.Status.NOMINATED, "created_by": user, "decided_by": None, "decided_at": None},
    )
    _send(enrolment, nomination_signals.NOMINATED, user)
    return enrolment


def _school_places_left(project, organisation_id, run) -> int | None:
    """The school's places not yet taken by a nomination, confirmation or waiting-list
    place (None: no per-school limit). Read under the project's lock."""
    if project.is_regional:
        places = quotas.places_left(project, Organisation.objects.get(pk=organisation_id))
        return min(places["school_left"], places["district_left"])
    if run.per_school_quota is None:
        return None
    taken = project.enrolments.filter(
        teacher__organisation_id=organisation_id,
        status__in=[Enrolment.Status.NOMINATED, Enrolment.Status.CONFIRMED, Enrolment.Status.WAITLISTED],
    ).count()
    return max(run.per_school_quota - taken, 0)


def nomination_places(project: ScheduledProject, organisation_id: int) -> dict:
    """What the nominating school is told: its places left (None: no limit) and the
    project's free places (None: no limit; nominations beyond them may end on the waiting list)."""
    run = project_run(project)
    return {"school_left": _school_places_left(project, organisation_id, run), "project_free": project_free_places(project)}


def project_free_places(project: ScheduledProject) -> int | None:
    """Places not yet confirmed (None: no limit)."""
    run = project_run(project)
    return None if run.quota is None else max(run.quota - _confirmed_count(project), 0)


def _send(enrolment, event, user, replacement=None):
    nomination_signals.nomination_changed.send(sender=Enrolment, enrolment=enrolment, event=event, user=user,
                                               replacement=replacement)


@transaction.atomic
def enrolment_nominate_many(*, project: ScheduledProject, teachers, user: User) -> list[Enrolment]:
    """The school puts several of its teachers forward at once: all of them, or none.

    The school's places (per_school_quota) are counted under the project's lock
    before anything is saved, so choosing more teachers than places are left
    refuses the whole nomination with both numbers; it never nominates some.
    The project's own quota does not refuse a nomination: the organiser's
    confirmation sends those beyond it to the waiting list."""
    teachers = list(teachers)
    if not teachers:
        raise ValidationError(ERROR_NOMINATE_NOBODY)
    for teacher in teachers:
        if not is_school_officer_of(user, teacher):
            raise PermissionDenied
    project = _lock_project(project.pk)
    if project.is_regional:  # the school's places and its district's, both numbers in the refusal
        quotas.check_places(project, user.organisation, len(teachers))
        return [enrolment_nominate(project=project, teacher=teacher, user=user) for teacher in teachers]
    left = _school_places_left(project, user.organisation_id, project_run(project))
    if left is not None and len(teachers) > left:
        if left == 0:
            raise ValidationError(ERROR_SCHOOL_QUOTA % {"quota": project_run(project).per_school_quota})
        raise ValidationError(ERROR_TOO_FEW_PLACES % {"left": left, "chosen": len(teachers)})
    return [enrolment_nominate(project=project, teacher=teacher, user=user) for teacher in teachers]


@transaction.atomic
def enrolment_apply(*, project: ScheduledProject, user: User) -> Enrolment:
    """A teacher applies (选课报名); their school approves before the organiser sees it."""
    teacher = Teacher.objects.select_related("organisation").filter(user=user).first()
    if teacher is None:  # staff, or a login whose roster row is gone
        raise ValidationError(ERROR_APPLY_NOT_ON_ROSTER)
    project = _lock_project(project.pk)  # two applications at once: one row, one answer
    if not project_run(project).self_enrolment:
        raise ValidationError(ERROR_NO_SELF_ENROLMENT)
    _check_open_to(project, teacher)
    if project.enrolments.filter(teacher=teacher).exclude(status=Enrolment.Status.WITHDRAWN).exists():
        raise ValidationError(ERROR_ALREADY_ENROLLED)
    enrolment, _created = Enrolment.objects.update_or_create(
        project=project, teacher=teacher, defaults={"status": Enrolment.Status.APPLIED, "created_by": user},
    )
    return enrolment


@transaction.atomic
def enrolment_school_decide(*, enrolment: Enrolment, user: User, approve: bool) -> Enrolment:
    if not is_school_officer_of(user, enrolment.teacher):
        raise PermissionDenied
    project, enrolment = _lock_enrolment(enrolment)
    if enrolment.status != Enrolment.Status.APPLIED:
        raise ValidationError(ERROR_ENROLMENT_DECIDED)
    if approve:
        _check_school_quota(project, enrolment.teacher, project_run(project))
    previous = enrolment.status
    enrolment.status = Enrolment.Status.NOMINATED if approve else Enrolment.Status.DECLINED
    enrolment.decided_by, enrolment.decided_at = user, timezone.now()
    enrolment.save()
    _enrolment_changed(enrolment, previous, user)
    return enrolment


@transaction.atomic
def enrolment_organiser_decide(*, enrolment: Enrolment, user: User, confirm: bool) -> Enrolment:
    """Confirm (to the roster, or the waiting list when full) or decline."""
    project, enrolment = _lock_enrolment(enrolment)
    if not is_organiser(user, project) or enrolment.status == Enrolment.Status.APPLIED:
        raise PermissionDenied  # an application goes to the teacher's school first
    if enrolment.status not in (Enrolment.Status.NOMINATED, Enrolment.Status.WAITLISTED):
        raise ValidationError(ERROR_ENROLMENT_DECIDED)
    if confirm:
        run = project_run(project)
        full = run.quota is not None and _confirmed_count(project) >= run.quota
        if full and enrolment.status == Enrolment.Status.WAITLISTED:
            # Confirming again would only send the teacher to the back of the queue.
            raise ValidationError(ERROR_NO_FREE_PLACE)
        enrolment.status = Enrolment.Status.WAITLISTED if full else Enrolment.Status.CONFIRMED
    else:
        enrolment.status = Enrolment.Status.DECLINED
    enrolment.decided_by, enrolment.decided_at = user, timezone.now()
    enrolment.save()
    _send(enrolment, {Enrolment.Status.CONFIRMED: nomination_signals.CONFIRMED,
                      Enrolment.Status.WAITLISTED: nomination_signals.WAITLISTED,
                      Enrolment.Status.DECLINED: nomination_signals.DECLINED}[enrolment.status], user)
    return enrolment


@transaction.atomic
def enrolment_confirm_many(*, project: ScheduledProject, enrolment_ids, user: User) -> list[Enrolment]:
    """The organiser confirms several nominations at once (ticked on the project page).

    All or nothing, under the project's row lock: when more are ticked than the
    project has free places, nobody is confirmed and the message gives both
    numbers (a batch never fills the roster with an arbitrary part of the ticked
    ones, nor sends part of them to the waiting list). A nomination withdrawn or
    decided meanwhile refuses the batch too. Each confirmation records who and when."""
    project = _lock_project(project.pk)
    if not is_organiser(user, project):
        raise PermissionDenied
    ids = sorted(set(enrolment_ids))
    if not ids:
        raise ValidationError(ERROR_CONFIRM_NOBODY)
    enrolments = list(Enrolment.objects.filter(project=project, pk__in=ids).select_related("teacher")
                      .order_by("created_at", "pk"))
    if len(enrolments) != len(ids):
        raise Enrolment.DoesNotExist  # an id of another project's enrolment, or none: 404
    if any(e.status == Enrolment.Status.APPLIED for e in enrolments):
        raise PermissionDenied  # an application goes to the teacher's school first
    decided = [e.teacher.name for e in enrolments
               if e.status not in (Enrolment.Status.NOMINATED, Enrolment.Status.WAITLISTED)]
    if decided:
        raise ValidationError(ERROR_CONFIRM_DECIDED % {"names": "、".join(decided)})
    run = project_run(project)
    if run.quota is not None:
        free = max(run.quota - _confirmed_count(project), 0)
        if len(enrolments) > free:
            raise ValidationError(ERROR_CONFIRM_TOO_MANY % {"free": free, "chosen": len(enrolments)})
    now = timezone.now()
    for enrolment in enrolments:
        enrolment.status, enrolment.decided_by, enrolment.decided_at = Enrolment.Status.CONFIRMED, user, now
        enrolment.save(update_fields=["status", "decided_by", "decided_at"])
        _send(enrolment, nomination_signals.CONFIRMED, user)
    return enrolments


SCHOOL_WITHDRAWABLE = [Enrolment.Status.NOMINATED, Enrolment.Status.WAITLISTED]


def _check_school_may_change(enrolment):
    """A school withdraws or replaces its nomination until the organiser confirms it."""
    if enrolment.status == Enrolment.Status.CONFIRMED:
        raise ValidationError(ERROR_SCHOOL_AFTER_CONFIRMATION % {"name": enrolment.teacher.name})
    if enrolment.status not in SCHOOL_WITHDRAWABLE:
        raise ValidationError(ERROR_ENROLMENT_DECIDED)


@transaction.atomic
def enrolment_replace(*, enrolment: Enrolment, teacher: Teacher, user: User) -> Enrolment:
    """The school swaps a nominated teacher for another of its teachers in one locked
    step: the new teacher takes the nomination's place (its status, its turn in the
    organiser's list and on the waiting list), the old one is withdrawn."""
    if not is_school_officer_of(user, enrolment.teacher):
        raise PermissionDenied
    if teacher.organisation_id != enrolment.teacher.organisation_id:
        raise ValidationError(ERROR_REPLACE_OTHER_SCHOOL)
    project, enrolment = _lock_enrolment(enrolment)
    _check_school_may_change(enrolment)
    if teacher.pk == enrolment.teacher_id:
        raise ValidationError(ERROR_REPLACE_SAME % {"name": enrolment.teacher.name})
    teacher = Teacher.objects.get(pk=teacher.pk)  # as it is now, under the lock
    if not teacher.active:
        raise ValidationError(ERROR_REPLACE_NOT_IN_POST % {"name": teacher.name})
    _check_open_to(project, teacher)
    # As for a nomination: a teacher the organiser declined does not come back by a replacement.
    if project.enrolments.filter(teacher=teacher).exclude(status=Enrolment.Status.WITHDRAWN).exists():
        raise ValidationError(ERROR_ALREADY_ENROLLED)
    now = timezone.now()
    replacement, _created = Enrolment.objects.update_or_create(
        project=project, teacher=teacher,
        defaults={"status": enrolment.status, "created_by": user, "decided_by": enrolment.decided_by,
                  "decided_at": enrolment.decided_at},
    )
    # Its turn: the organiser's list is ordered by created_at, the waiting list by decided_at.
    Enrolment.objects.filter(pk=replacement.pk).update(created_at=enrolment.created_at)
    replacement.refresh_from_db()
    enrolment.status, enrolment.decided_by, enrolment.decided_at = Enrolment.Status.WITHDRAWN, user, now
    enrolment.save(update_fields=["status", "decided_by", "decided_at"])
    _send(enrolment, nomination_signals.REPLACED, user, replacement=replacement)
    return replacement


def _enrolment_changed(enrolment: Enrolment, previous: str, actor: User | None) -> None:
    """Tell the apps above (notices) of a decision on an enrolment."""
    if enrolment.status != previous:
        signals.enrolment_changed.send(sender=Enrolment, enrolment=enrolment, previous=previous, actor=actor)


WITHDRAWABLE = [Enrolment.Status.APPLIED, Enrolment.Status.NOMINATED, Enrolment.Status.CONFIRMED,
                Enrolment.Status.WAITLISTED]


@transaction.atomic
def enrolment_withdraw(*, enrolment: Enrolment, user: User) -> Enrolment | None:
    """A place freed on the roster goes to the first on the waiting list."""
    project, enrolment = _lock_enrolment(enrolment)
    organiser = is_organiser(user, project)
    if not (organiser or is_school_officer_of(user, enrolment.teacher)):
        raise PermissionDenied
    if enrolment.status not in WITHDRAWABLE:
        raise ValidationError(ERROR_ENROLMENT_DECIDED)
    if not organiser:
        _check_school_may_change(enrolment)  # the school: until the organiser confirms
    previous = enrolment.status
    was_confirmed = previous == Enrolment.Status.CONFIRMED
    was_nomination = previous in (Enrolment.Status.NOMINATED, Enrolment.Status.WAITLISTED,
                                  Enrolment.Status.CONFIRMED)
    enrolment.status, enrolment.decided_by, enrolment.decided_at = Enrolment.Status.WITHDRAWN, user, timezone.now()
    enrolment.save()
    # A nomination's withdrawal tells the teacher and the school (nomination_signals);
    # any other place taken back tells the teacher alone.
    if was_nomination:
        _send(enrolment, nomination_signals.WITHDRAWN, user)
    else:
        _enrolment_changed(enrolment, previous, user)
    run = project_run(project)
    if was_confirmed and (run.quota is None or _confirmed_count(project) < run.quota):
        waiting = project.enrolments.filter(status=Enrolment.Status.WAITLISTED).order_by("decided_at", "pk").first()
        if waiting:
            waiting.status = Enrolment.Status.CONFIRMED
            waiting.save(update_fields=["status"])
            _enrolment_changed(waiting, Enrolment.Status.WAITLISTED, None)
            return waiting
    return None


# --- sessions ------------------------------------------------------------------

def sessions_generate(*, project: ScheduledProject, user: User, hours_per_day: int = 6) -> list[Session]:
    """Draft sessions from the schedule: the project's hours in days of at most
    hours_per_day, on weekdays from the 10th of its first month. Edit freely."""
    if not is_organiser(user, project):
        raise PermissionDenied
    total = project.hours or hours_per_day
    days = math.ceil(total / hours_per_day)
    day = datetime.date(project.year, project.start_month, 10)
    sessions, remaining = [], Decimal(total)
    for n in range(1, days + 1):
        while day.weekday() >= 5:
            day += datetime.timedelta(days=1)
        hours = min(remaining, Decimal(hours_per_day))
        start = datetime.time(9, 0)
        end = (datetime.datetime.combine(day, start) + datetime.timedelta(hours=float(hours) + 1)).time()
        sessions.append(Session(project=project, organisation=project.organiser, date=day, start_time=start,
                                end_time=end, hours=hours, place=project.location,
                                title=f"{project.name}（{n}）"))
        remaining -= hours
        day += datetime.timedelta(days=1)
    return Session.objects.bulk_create(sessions)


def roster(session: Session):
    """Teachers expected at a session: a project's confirmed enrolments, or a
    school's teachers in post for its own school-based training."""
    if session.project_id:
        return Teacher.objects.filter(enrolments__project_id=session.project_id,
                                      enrolments__status=Enrolment.Status.CONFIRMED).order_by("organisation", "name")
    return Teacher.objects.filter(organisation_id=session.organisation_id, active=True).order_by("name")


def _lock_session(session_id) -> Session:
    """One writer at a time per session: roll call, sign-in and leave decisions
    of a session take this row lock before reading what they decide on."""
    return Session.objects.select_for_update().get(pk=session_id)


def _day(date) -> str:
    return date_format(date, "DATE_FORMAT")


@transaction.atomic
def attendance_mark(*, session: Session, user: User, marks: dict[int, str], source=Attendance.Source.ROLL_CALL,
                    now=None):
    """Mark a whole roster at once: {teacher id: status}."""
    if not is_session_organiser(user, session):
        raise PermissionDenied
    now = now or timezone.now()
    if session.date > timezone.localdate(now):
        raise ValidationError(ERROR_MARK_NOT_YET % {"date": _day(session.date)})
    _lock_session(session.pk)
    expected = {t.pk: t for t in roster(session)}
    for teacher_id in marks:
        if teacher_id not in expected:
            name = Teacher.objects.filter(pk=teacher_id).values_list("name", flat=True).first() or teacher_id
            raise ValidationError(ERROR_MARK_NOT_ON_ROSTER % {"name": name})
    for teacher_id, status in marks.items():
        if status not in Attendance.Status.values:
            raise ValidationError(_("Unknown attendance status."))
        Attendance.objects.update_or_create(
            session=session, teacher_id=teacher_id,
            defaults={"status": status, "source": source, "marked_by": user},
        )


# --- self sign-in with a rotating code ---------------------------------------------
#
# A code has a million values and two are accepted at a time (this minute's and
# the last), so guessing is stopped by counting wrong codes in the database
# (several servers share it): MAX_WRONG_CODES_PER_TEACHER at a session closes
# code sign-in to that teacher for the session; MAX_WRONG_CODES_PER_SESSION
# from everyone within SESSION_COOL_OFF_MINUTES pauses it for the whole session.
# Every attempt is kept as a SignInAttempt row, refusals included.

MAX_WRONG_CODES_PER_TEACHER = 5
MAX_WRONG_CODES_PER_SESSION = 30
SESSION_COOL_OFF_MINUTES = 5


def sign_in_code(session: Session, at: datetime.datetime) -> str:
    """Six digits from the session's secret and the current minute."""
    period = int(at.timestamp()) // CODE_PERIOD_SECONDS
    digest = hmac.new(session.secret.encode(), f"{session.pk}:{period}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def sign_in_window(session: Session) -> tuple[datetime.datetime, datetime.datetime]:
    rules = CompletionRules.for_district(session.organisation.district_id)
    start = session.starts_at()
    return (start - datetime.timedelta(minutes=rules.sign_in_opens_minutes),
            min(session.ends_at(), start + datetime.timedelta(minutes=rules.sign_in_closes_minutes)))


def _code_matches(session, code, now):
    if not (code.isascii() and code.isdigit()):  # compare_digest refuses other strings
        return False
    # The code on the screen, or the one just before it (a slow phone).
    return any(hmac.compare_digest(code, sign_in_code(session, now - datetime.timedelta(seconds=s)))
               for s in (0, CODE_PERIOD_SECONDS))


def on_roster(session: Session, teacher: Teacher | None) -> bool:
    return teacher is not None and roster(session).filter(pk=teacher.pk).exists()


def has_approved_leave(session: Session, teacher: Teacher) -> bool:
    return LeaveRequest.objects.filter(session=session, teacher=teacher,
                                       status=LeaveRequest.Status.APPROVED).exists()


def _project_cancelled(session: Session) -> bool:
    return session.project_id is not None and ScheduledProject.objects.filter(
        pk=session.project_id, status=ScheduledProject.Status.CANCELLED).exists()


def _sign_in_refusal(session: Session, teacher: Teacher | None, now) -> str | None:
    """Why this teacher cannot sign in to this session now, before any code is tried."""
    if not on_roster(session, teacher):
        return ERROR_NOT_ON_ROSTER
    if _project_cancelled(session):
        return ERROR_PROJECT_CANCELLED
    if session.date > timezone.localdate(now):
        return ERROR_SIGN_IN_NOT_YET % {"date": _day(session.date)}
    opens, closes = sign_in_window(session)
    if not opens <= now <= closes:
        return ERROR_OUTSIDE_WINDOW % {
            "opens": timezone.localtime(opens).strftime("%H:%M"), "closes": timezone.localtime(closes).strftime("%H:%M")}
    if has_approved_leave(session, teacher):
        return ERROR_ON_LEAVE
    return None


def _guessing_refusal(session: Session, teacher: Teacher, now) -> str | None:
    """Too many wrong codes already: by this teacher, or at this session just now."""
    wrong = SignInAttempt.objects.filter(session=session, outcome=SignInAttempt.Outcome.WRONG_CODE)
    if wrong.filter(teacher=teacher).count() >= MAX_WRONG_CODES_PER_TEACHER:
        return ERROR_TOO_MANY_WRONG_CODES
    recent = wrong.filter(at__gt=now - datetime.timedelta(minutes=SESSION_COOL_OFF_MINUTES))
    if recent.count() >= MAX_WRONG_CODES_PER_SESSION:
        return ERROR_SESSION_COOL_OFF % {"minutes": SESSION_COOL_OFF_MINUTES}
    return None


def wrong_codes_by_teacher(session: Session) -> dict[int, int]:
    """{teacher id: wrong codes tried}, for the organiser's roll call."""
    return dict(SignInAttempt.objects.filter(session=session, outcome=SignInAttempt.Outcome.WRONG_CODE)
                .values("teacher").annotate(n=Count("pk")).values_list("teacher", "n"))


def _attempt(sessions, teacher, user, code, now) -> Attendance:
    """Try the code against these sessions (the teacher may sign in to each of
    them now) under their row locks; record the attempt, whatever its outcome."""
    Outcome = SignInAttempt.Outcome
    error = attendance = None
    with transaction.atomic():
        locked = [_lock_session(pk) for pk in sorted(s.pk for s in sessions)]  # one order: no deadlock
        done = set(Attendance.objects.filter(session__in=locked, teacher=teacher,
                                             source=Attendance.Source.SELF_SIGN_IN).values_list("session_id", flat=True))
        pending = [s for s in locked if s.pk not in done]
        # Leave is checked again under the lock: an approval may have just been committed.
        refusals = {s.pk: ERROR_ON_LEAVE if has_approved_leave(s, teacher) else _guessing_refusal(s, teacher, now)
                    for s in pending}
        usable = [s for s in pending if refusals[s.pk] is None]
        match = next((s for s in usable if _code_matches(s, code, now)), None)
        if not pending:
            error = ERROR_ALREADY_SIGNED_IN
        elif not usable:
            error = refusals[pending[0].pk]
            outcomes = [(s, Outcome.REFUSED) for s in pending]
        elif match is None:
            error = ERROR_CODE_INVALID
            outcomes = [(s, Outcome.WRONG_CODE) for s in usable]
        else:
            session = next(s for s in sessions if s.pk == match.pk)  # the caller's copy, with its organisation
            rules = CompletionRules.for_district(session.organisation.district_id)
            late = now > session.starts_at() + datetime.timedelta(minutes=rules.late_after_minutes)
            attendance, _created = Attendance.objects.update_or_create(
                session=session, teacher=teacher,
                defaults={"status": Attendance.Status.LATE if late else Attendance.Status.PRESENT,
                          "source": Attendance.Source.SELF_SIGN_IN, "marked_by": user},
            )
            outcomes = [(session, Outcome.SIGNED_IN)]
        if pending:
            SignInAttempt.objects.bulk_create(
                SignInAttempt(session=s, teacher=teacher, user=user, outcome=outcome, at=now) for s, outcome in outcomes)
    # Raised only now, so that the recorded attempt is committed with the refusal.
    if error is not None:
        raise ValidationError(error)
    return attendance


def sign_in(*, session: Session, user: User, code: str, now: datetime.datetime | None = None) -> Attendance:
    """Sign in to one session (the QR code's link names it)."""
    now = now or timezone.now()
    teacher = Teacher.objects.filter(user=user).first()
    refusal = _sign_in_refusal(session, teacher, now)
    if refusal is not None:
        raise ValidationError(refusal)
    return _attempt([session], teacher, user, str(code).strip(), now)


def sign_in_with_code(*, user: User, code: str, now: datetime.datetime | None = None) -> Attendance:
    """Sign in with the six digits alone: tried against the teacher's sessions open now."""
    now = now or timezone.now()
    teacher = Teacher.objects.filter(user=user).first()
    if teacher is None:
        raise ValidationError(ERROR_NO_OPEN_SESSION)
    today = Session.objects.filter(
        Q(project__enrolments__teacher=teacher, project__enrolments__status=Enrolment.Status.CONFIRMED)
        | Q(school_plan__isnull=False, organisation_id=teacher.organisation_id),
        date=timezone.localdate(now),
    ).distinct().select_related("organisation")
    refusals = {s: _sign_in_refusal(s, teacher, now) for s in today if on_roster(s, teacher)}
    open_now = [s for s, refusal in refusals.items() if refusal is None]
    if not open_now:
        raise ValidationError(ERROR_ON_LEAVE if ERROR_ON_LEAVE in refusals.values() else ERROR_NO_OPEN_SESSION)
    return _attempt(open_now, teacher, user, str(code).strip(), now)


def may_see_sign_in(user: User, session: Session) -> bool:
    """The sign-in page names the session: only for its roster, its organiser and its district's staff."""
    if is_session_organiser(user, session) or user.is_district_reviewer_of(session.organisation.district_id):
        return True
    return user.is_teacher and on_roster(session, Teacher.objects.filter(user=user).first())


# --- leave (请假手续) -----------------------------------------------------------------

@transaction.atomic
def leave_request(*, session: Session, user: User, reason: str, now=None) -> LeaveRequest:
    now = now or timezone.now()
    teacher = Teacher.objects.filter(user=user).first()
    if not on_roster(session, teacher):
        raise ValidationError(ERROR_NOT_ON_ROSTER)
    if _project_cancelled(session):
        raise ValidationError(ERROR_PROJECT_CANCELLED)
    if session.starts_at() <= now:
        raise ValidationError(ERROR_LEAVE_PAST)
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the leave.")})
    _lock_session(session.pk)  # two requests at once: one row, one answer
    if LeaveRequest.objects.filter(session=session, teacher=teacher).exists():
        raise ValidationError(ERROR_LEAVE_TWICE)
    leave = LeaveRequest.objects.create(session=session, teacher=teacher, reason=reason)
    signals.leave_requested.send(sender=LeaveRequest, leave=leave)
    return leave


@transaction.atomic
def leave_decide(*, leave: LeaveRequest, user: User, approve: bool) -> LeaveRequest:
    """One decision per request: taken under the session's and the request's row
    locks, on the request as it is now (not as the officer's page showed it)."""
    if not is_school_officer_of(user, leave.teacher):
        raise PermissionDenied
    _lock_session(leave.session_id)
    leave = LeaveRequest.objects.select_for_update().get(pk=leave.pk)
    if leave.status != LeaveRequest.Status.PENDING:
        raise ValidationError(ERROR_LEAVE_DECIDED)
    if approve and Attendance.objects.filter(session_id=leave.session_id, teacher_id=leave.teacher_id,
                                             status__in=Attendance.ATTENDED).exists():
        raise ValidationError(ERROR_LEAVE_ATTENDED % {"name": leave.teacher.name})
    leave.status = LeaveRequest.Status.APPROVED if approve else LeaveRequest.Status.REFUSED
    leave.decided_by, leave.decided_at = user, timezone.now()
    leave.save()
    if approve:
        Attendance.objects.update_or_create(
            session=leave.session, teacher=leave.teacher,
            defaults={"status": Attendance.Status.LEAVE, "source": Attendance.Source.LEAVE, "marked_by": user},
        )
    signals.leave_decided.send(sender=LeaveRequest, leave=leave, actor=user)
    return leave


# --- make-up (补学) -------------------------------------------------------------------
#
# A teacher who missed a session of a project (approved leave, or absence) can
# make it up by an assignment or a recorded lesson; once the organiser accepts
# it, the session's hours count towards the project's completion share
# (rules.project_completion). The attendance mark stays 请假 or 缺席.

MISSED = [Attendance.Status.ABSENT, Attendance.Status.LEAVE]


@transaction.atomic
def make_up_accept(*, project: ScheduledProject, session: Session, teacher: Teacher, user: User, kind: str,
                   note: str, now=None) -> MakeUp:
    """The organiser accepts a make-up of one missed session by one teacher of the roster."""
    if not is_organiser(user, project):
        raise PermissionDenied
    now = now or timezone.now()
    # The project's lock first (closing takes it too: a make-up and the close that credits
    # it never cross), then the session's (roll call takes it: the mark cannot change under us).
    project = _lock_project(project.pk)
    if project.status != ScheduledProject.Status.SCHEDULED:
        raise ValidationError(ERROR_MAKE_UP_PROJECT_CLOSED)
    if session.project_id != project.pk:
        raise ValidationError(ERROR_MAKE_UP_OTHER_PROJECT)  # its title is not told: it may be anyone's
    if kind not in MakeUp.Kind.values:
        raise ValidationError({"kind": ERROR_MAKE_UP_KIND})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ERROR_MAKE_UP_NOTE})
    if len(note) > MAX_MAKE_UP_NOTE:
        raise ValidationError({"note": ERROR_MAKE_UP_NOTE_LONG % {"max": MAX_MAKE_UP_NOTE}})
    if session.ends_at() > now:
        raise ValidationError(ERROR_MAKE_UP_NOT_YET % {"session": session.title, "date": _day(session.date)})
    _lock_session(session.pk)
    names = {"name": teacher.name, "session": session.title}
    if not roster(session).filter(pk=teacher.pk).exists():
        raise ValidationError(ERROR_MAKE_UP_NOT_ON_ROSTER % names)
    status = Attendance.objects.filter(session=session, teacher=teacher).values_list("status", flat=True).first()
    if status is None:
        raise ValidationError(ERROR_MAKE_UP_UNMARKED % names)
    if status not in MISSED:
        raise ValidationError(ERROR_MAKE_UP_ATTENDED % names)
    if MakeUp.objects.filter(session=session, teacher=teacher).exists():
        raise ValidationError(ERROR_MAKE_UP_TWICE % names)
    return MakeUp.objects.create(session=session, teacher=teacher, kind=kind, note=note, accepted_by=user,
                                 accepted_at=now)


def made_up_hours(project: ScheduledProject, teacher: Teacher) -> Decimal:
    """Hours of the project's sessions this teacher missed (leave or absence) and made up.
    A session marked as attended after all counts once, as attended (reports.project_report
    counts the same way for a whole roster)."""
    return Attendance.objects.filter(
        session__project=project, teacher=teacher, status__in=MISSED,
        session__make_ups__teacher=teacher,
    ).aggregate(h=Sum("session__hours"))["h"] or Decimal(0)


# --- closing a project ----------------------------------------------------------------

MAX_LISTED_SESSIONS = 10


def project_close_blockers(project: ScheduledProject, now=None) -> list[str]:
    """Why the project cannot be closed yet. Closing credits its attendees from
    their attendance, so every session must be over and every teacher on its
    roster marked; a project with teachers but no sessions would credit nobody."""
    now = now or timezone.now()
    sessions = list(project.sessions.all())
    if not sessions and project.enrolments.filter(status=Enrolment.Status.CONFIRMED).exists():
        return [str(ERROR_CLOSE_NO_SESSIONS)]
    reasons = []
    for session in sessions:
        if session.ends_at() > now:
            reasons.append(ERROR_CLOSE_NOT_OVER % {"session": session.title, "date": _day(session.date)})
            continue
        missing = roster(session).exclude(attendance__session=session).count()
        if missing:
            reasons.append(ERROR_CLOSE_UNMARKED % {"session": session.title, "date": _day(session.date),
                                                   "count": missing})
    if len(reasons) > MAX_LISTED_SESSIONS:
        reasons = reasons[:MAX_LISTED_SESSIONS] + [
            ERROR_CLOSE_MORE % {"count": len(reasons) - MAX_LISTED_SESSIONS}]
    return [str(reason) for reason in reasons]


# --- completion rules -------------------------------------------------------------

def is_exempt(teacher: Teacher, year: int, rules: CompletionRules) -> bool:
    """Women who are 50 and men who are 55 by 31 December attend but are not assessed."""
    return attendance_rules.is_exempt(female=teacher.gender == Teacher.Gender.FEMALE, birth_date=teacher.birth_date,
                                      year=year, women_from=rules.exempt_age_women, men_from=rules.exempt_age_men)


def school_based_absence_by_semester(teacher: Teacher, year: int) -> list[Decimal]:
    absences = Attendance.objects.filter(teacher=teacher, status=Attendance.Status.ABSENT,
                                         session__school_plan__isnull=False)
    return [absences.filter(session__date__range=semester).aggregate(h=Sum("session__hours"))["h"] or Decimal(0)
            for semester in semesters(year)]


def school_based_credit_forfeited(teacher: Teacher, year: int, rules: CompletionRules) -> bool:
    """累计缺席5个学时以上 in any semester: no school-based credit that year (attendance.rules)."""
    exempt = is_exempt(teacher, year, rules)
    absence = [] if exempt else school_based_absence_by_semester(teacher, year)  # no need to count
    return attendance_rules.school_based_forfeiture(absence, rules.school_absence_limit_hours, exempt).forfeited


def project_attendance(project: ScheduledProject, teacher: Teacher) -> dict:
    total = project.sessions.aggregate(h=Sum("hours"))["h"] or Decimal(0)
    attended = Attendance.objects.filter(session__project=project, teacher=teacher,
                                         status__in=Attendance.ATTENDED).aggregate(h=Sum("session__hours"))["h"]
    completion = attendance_rules.project_completion(attended_hours=attended, total_hours=total,
                                                     needed_percent=project_run(project).min_attendance_percent,
                                                     made_up_hours=made_up_hours(project, teacher))
    # Credits are for attended hours; made-up hours count towards completion (the share).
    return {"total_hours": completion.total_hours, "attended_hours": completion.attended_hours,
            "made_up_hours": completion.made_up_hours, "counted_hours": completion.counted_hours,
            "share": completion.share, "completed": completion.completed}


def school_plan_for(teacher_or_org_id, year):
    return Document.objects.filter(kind=Document.Kind.SCHOOL_PLAN, organisation_id=teacher_or_org_id,
                                   year=year, status=Document.Status.APPROVED).first()


# --- entered by hand (the project page's forms, the admin), for scripts such as the demo ---

def _validated_save(obj):
    obj.full_clean()
    obj.save()
    return obj


def project_run_save(*, project: ScheduledProject, user: User, **fields) -> ProjectRun:
    """The organiser's enrolment settings (places, places per school, self-enrolment, attendance needed)."""
    if not is_organiser(user, project):
        raise PermissionDenied
    run = project_run(project)
    for field, value in fields.items():
        setattr(run, field, value)
    return _validated_save(run)


def session_add(*, user: User, project: ScheduledProject | None = None, school_plan: Document | None = None,
                **fields) -> Session:
    """A session added by hand: to a project by its organiser, or by a school's
    training officer under the school's approved school-based plan."""
    if project is not None:
        if not is_organiser(user, project):
            raise PermissionDenied
        session = Session(project=project, organisation=project.organiser, **fields)
    else:
        if not (user.is_school_officer and user.organisation_id == school_plan.organisation_id
                and school_plan.kind == Document.Kind.SCHOOL_PLAN and school_plan.status == Document.Status.APPROVED):
            raise PermissionDenied
        session = Session(school_plan=school_plan, organisation=school_plan.organisation, **fields)
    return _validated_save(session)


def teacher_link_user(*, teacher: Teacher, user: User) -> Teacher:
    """Give a roster teacher their login (Teacher.user), as the admin does."""
    teacher.user = user
    return _validated_save(teacher)
