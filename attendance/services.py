"""Enrolment, sessions, sign-in, leave and completion (seeds 001, 003, 004)."""
import datetime
import hashlib
import hmac
import math
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from plans.models import Document
from schedule.models import ScheduledProject

from . import rules as attendance_rules
from .models import Attendance, CompletionRules, Enrolment, LeaveRequest, ProjectRun, Session, Teacher
from .rules import semesters

ERROR_SCHOOL_QUOTA = _("Your school has used all %(quota)s of its places on this project.")
ERROR_ALREADY_ENROLLED = _("This teacher is already on this project's list.")
ERROR_NO_SELF_ENROLMENT = _("This project does not take applications from teachers.")
ERROR_NOT_OPEN_TO_SCHOOL = _("This project is not open to your school.")
ERROR_CODE_INVALID = _("The sign-in code is wrong or has expired. Scan the code shown now.")
ERROR_OUTSIDE_WINDOW = _("Sign-in for this session is open from %(opens)s to %(closes)s.")
ERROR_NOT_ON_ROSTER = _("You are not on this session's roster.")
ERROR_ALREADY_SIGNED_IN = _("You have already signed in to this session.")
ERROR_LEAVE_PAST = _("Leave can only be asked for a session that has not started yet.")
ERROR_LEAVE_TWICE = _("You have already asked for leave for this session.")
ERROR_MARK_NOT_ON_ROSTER = _("%(name)s is not on this session's roster.")

CODE_PERIOD_SECONDS = 60  # the code on the screen changes every minute


# --- who may do what -----------------------------------------------------------

def is_organiser(user: User, project: ScheduledProject) -> bool:
    return user.role in (User.Role.TRAINING_OFFICER, User.Role.SCHOOL_OFFICER) and \
        user.organisation_id == project.organiser_id


def is_session_organiser(user: User, session: Session) -> bool:
    return user.role in (User.Role.TRAINING_OFFICER, User.Role.SCHOOL_OFFICER) and \
        user.organisation_id == session.organisation_id


def is_school_officer_of(user: User, teacher: Teacher) -> bool:
    return user.role == User.Role.SCHOOL_OFFICER and user.organisation_id == teacher.organisation_id


def project_run(project: ScheduledProject) -> ProjectRun:
    run = ProjectRun.objects.filter(project=project).first()
    if run is None:
        rules = CompletionRules.for_district(project.district_id)
        run = ProjectRun(project=project, quota=project.headcount,
                         min_attendance_percent=rules.default_min_attendance_percent)
    return run


# --- enrolment (招生审核与确认, 选课报名) ----------------------------------------

def _check_school_quota(project, teacher, run):
    if run.per_school_quota is None:
        return
    taken = project.enrolments.filter(
        teacher__organisation_id=teacher.organisation_id,
        status__in=[Enrolment.Status.NOMINATED, Enrolment.Status.CONFIRMED, Enrolment.Status.WAITLISTED],
    ).count()
    if taken >= run.per_school_quota:
        raise ValidationError(ERROR_SCHOOL_QUOTA % {"quota": run.per_school_quota})


def _check_open_to(project, teacher):
    if project.open_to_id not in (None, teacher.organisation_id) or \
            project.district_id != teacher.organisation.district_id:
        raise ValidationError(ERROR_NOT_OPEN_TO_SCHOOL)


@transaction.atomic
def enrolment_nominate(*, project: ScheduledProject, teacher: Teacher, user: User) -> Enrolment:
    """The school puts one of its teachers forward; the organiser decides."""
    if not is_school_officer_of(user, teacher):
        raise PermissionDenied
    project = ScheduledProject.objects.select_for_update().get(pk=project.pk)
    _check_open_to(project, teacher)
    if project.enrolments.filter(teacher=teacher).exclude(status=Enrolment.Status.WITHDRAWN).exists():
        raise ValidationError(ERROR_ALREADY_ENROLLED)
    _check_school_quota(project, teacher, project_run(project))
    enrolment, _created = Enrolment.objects.update_or_create(
        project=project, teacher=teacher,
        defaults={"status": Enrolment.Status.NOMINATED, "created_by": user, "decided_by": None, "decided_at": None},
    )
    return enrolment


@transaction.atomic
def enrolment_apply(*, project: ScheduledProject, user: User) -> Enrolment:
    """A teacher applies (选课报名); their school approves before the organiser sees it."""
    teacher = Teacher.objects.select_related("organisation").get(user=user)
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
    if not is_school_officer_of(user, enrolment.teacher) or enrolment.status != Enrolment.Status.APPLIED:
        raise PermissionDenied
    if approve:
        _check_school_quota(enrolment.project, enrolment.teacher, project_run(enrolment.project))
    enrolment.status = Enrolment.Status.NOMINATED if approve else Enrolment.Status.DECLINED
    enrolment.decided_by, enrolment.decided_at = user, timezone.now()
    enrolment.save()
    return enrolment


@transaction.atomic
def enrolment_organiser_decide(*, enrolment: Enrolment, user: User, confirm: bool) -> Enrolment:
    """Confirm (to the roster, or the waiting list when full) or decline."""
    project = ScheduledProject.objects.select_for_update().get(pk=enrolment.project_id)
    if not is_organiser(user, project) or enrolment.status not in (
            Enrolment.Status.NOMINATED, Enrolment.Status.WAITLISTED):
        raise PermissionDenied
    if confirm:
        run = project_run(project)
        confirmed = project.enrolments.filter(status=Enrolment.Status.CONFIRMED).count()
        full = run.quota is not None and confirmed >= run.quota
        enrolment.status = Enrolment.Status.WAITLISTED if full else Enrolment.Status.CONFIRMED
    else:
        enrolment.status = Enrolment.Status.DECLINED
    enrolment.decided_by, enrolment.decided_at = user, timezone.now()
    enrolment.save()
    return enrolment


@transaction.atomic
def enrolment_withdraw(*, enrolment: Enrolment, user: User) -> Enrolment | None:
    """A place freed on the roster goes to the first on the waiting list."""
    project = ScheduledProject.objects.select_for_update().get(pk=enrolment.project_id)
    if not (is_organiser(user, project) or is_school_officer_of(user, enrolment.teacher)):
        raise PermissionDenied
    was_confirmed = enrolment.status == Enrolment.Status.CONFIRMED
    enrolment.status, enrolment.decided_by, enrolment.decided_at = Enrolment.Status.WITHDRAWN, user, timezone.now()
    enrolment.save()
    if was_confirmed:
        waiting = project.enrolments.filter(status=Enrolment.Status.WAITLISTED).order_by("decided_at", "pk").first()
        if waiting:
            waiting.status = Enrolment.Status.CONFIRMED
            waiting.save(update_fields=["status"])
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


@transaction.atomic
def attendance_mark(*, session: Session, user: User, marks: dict[int, str], source=Attendance.Source.ROLL_CALL):
    """Mark a whole roster at once: {teacher id: status}."""
    if not is_session_organiser(user, session):
        raise PermissionDenied
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
    # The code on the screen, or the one just before it (a slow phone).
    return any(hmac.compare_digest(code, sign_in_code(session, now - datetime.timedelta(seconds=s)))
               for s in (0, CODE_PERIOD_SECONDS))


@transaction.atomic
def sign_in(*, session: Session, user: User, code: str, now: datetime.datetime | None = None) -> Attendance:
    now = now or timezone.now()
    opens, closes = sign_in_window(session)
    if not opens <= now <= closes:
        raise ValidationError(ERROR_OUTSIDE_WINDOW % {
            "opens": timezone.localtime(opens).strftime("%H:%M"), "closes": timezone.localtime(closes).strftime("%H:%M")})
    if not _code_matches(session, str(code).strip(), now):
        raise ValidationError(ERROR_CODE_INVALID)
    teacher = Teacher.objects.filter(user=user).first()
    if teacher is None or not roster(session).filter(pk=teacher.pk).exists():
        raise ValidationError(ERROR_NOT_ON_ROSTER)
    Session.objects.select_for_update().filter(pk=session.pk).exists()  # one sign-in at a time per session
    if Attendance.objects.filter(session=session, teacher=teacher, source=Attendance.Source.SELF_SIGN_IN).exists():
        raise ValidationError(ERROR_ALREADY_SIGNED_IN)
    rules = CompletionRules.for_district(session.organisation.district_id)
    late = now > session.starts_at() + datetime.timedelta(minutes=rules.late_after_minutes)
    attendance, _created = Attendance.objects.update_or_create(
        session=session, teacher=teacher,
        defaults={"status": Attendance.Status.LATE if late else Attendance.Status.PRESENT,
                  "source": Attendance.Source.SELF_SIGN_IN, "marked_by": user},
    )
    return attendance


def open_sessions_for_code(*, user: User, code: str, now=None):
    """The sessions whose current code is this one, among the teacher's rosters."""
    now = now or timezone.now()
    teacher = Teacher.objects.filter(user=user).first()
    if teacher is None:
        return []
    candidates = Session.objects.filter(date=timezone.localdate(now)).select_related("organisation")
    return [s for s in candidates if _code_matches(s, code, now) and roster(s).filter(pk=teacher.pk).exists()]


# --- leave (请假手续) -----------------------------------------------------------------

def leave_request(*, session: Session, user: User, reason: str, now=None) -> LeaveRequest:
    now = now or timezone.now()
    teacher = Teacher.objects.filter(user=user).first()
    if teacher is None or not roster(session).filter(pk=teacher.pk).exists():
        raise ValidationError(ERROR_NOT_ON_ROSTER)
    if session.starts_at() <= now:
        raise ValidationError(ERROR_LEAVE_PAST)
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the leave.")})
    if LeaveRequest.objects.filter(session=session, teacher=teacher).exists():
        raise ValidationError(ERROR_LEAVE_TWICE)
    return LeaveRequest.objects.create(session=session, teacher=teacher, reason=reason)


@transaction.atomic
def leave_decide(*, leave: LeaveRequest, user: User, approve: bool) -> LeaveRequest:
    if not is_school_officer_of(user, leave.teacher) or leave.status != LeaveRequest.Status.PENDING:
        raise PermissionDenied
    leave.status = LeaveRequest.Status.APPROVED if approve else LeaveRequest.Status.REFUSED
    leave.decided_by, leave.decided_at = user, timezone.now()
    leave.save()
    if approve:
        Attendance.objects.update_or_create(
            session=leave.session, teacher=leave.teacher,
            defaults={"status": Attendance.Status.LEAVE, "source": Attendance.Source.LEAVE, "marked_by": user},
        )
    return leave


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
                                                     needed_percent=project_run(project).min_attendance_percent)
    return {"total_hours": completion.total_hours, "attended_hours": completion.attended_hours,
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
        if not (user.role == User.Role.SCHOOL_OFFICER and user.organisation_id == school_plan.organisation_id
                and school_plan.kind == Document.Kind.SCHOOL_PLAN and school_plan.status == Document.Status.APPROVED):
            raise PermissionDenied
        session = Session(school_plan=school_plan, organisation=school_plan.organisation, **fields)
    return _validated_save(session)


def teacher_link_user(*, teacher: Teacher, user: User) -> Teacher:
    """Give a roster teacher their login (Teacher.user), as the admin does."""
    teacher.user = user
    return _validated_save(teacher)
