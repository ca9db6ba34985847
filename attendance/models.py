import datetime
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import District, Organisation
from core import limits
from core.choices import Subject  # noqa: F401 - attendance.models.Subject is used across the app
from core.limits import Between, BirthDate, check_between
from plans.models import Document
from schedule.models import ScheduledProject

from . import rules


class Teacher(models.Model):
    """A school's teacher (教师花名册)."""

    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="teachers",
                                     verbose_name=_("school"))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="teacher", verbose_name=_("login account"))
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"), validators=[BirthDate()])
    id_number = models.CharField(_("ID number"), max_length=18, unique=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Organisation.Stage.choices, blank=True)
    subject = models.CharField(_("subject"), max_length=20, choices=Subject.choices)
    title = models.CharField(_("professional title"), max_length=50, blank=True)
    is_new_teacher = models.BooleanField(_("new teacher"), default=False)
    active = models.BooleanField(_("in post"), default=True)
    # 离岗: off the school's active lists; attendance, credits and declarations stay with the row.
    left_on = models.DateField(_("left the post on"), null=True, blank=True, validators=limits.date_range())
    left_reason = models.CharField(_("reason for leaving"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")
        ordering = ["organisation", "name"]
        constraints = [
            # "At least 16 today" is the validator's; the database keeps the fixed outer bounds.
            check_between("birth_date", limits.MIN_BIRTH_DATE, limits.MAX_BIRTH_DATE, name="teacher_birth_date_range"),
            check_between("left_on", limits.MIN_DATE, limits.MAX_DATE, nullable=True, name="teacher_left_on_range"),
            # A teacher in post has no leaving date.
            models.CheckConstraint(condition=models.Q(active=False) | models.Q(left_on__isnull=True),
                                   name="teacher_in_post_has_not_left"),
        ]

    def __str__(self):
        return self.name

    def age_on(self, day: datetime.date) -> int:
        return rules.age_on(self.birth_date, day)


class ProjectRun(models.Model):
    """How a scheduled project is run: quotas, self-enrolment, completion threshold."""

    project = models.OneToOneField(ScheduledProject, on_delete=models.CASCADE, primary_key=True, related_name="run")
    quota = models.PositiveIntegerField(_("places"), null=True, blank=True, help_text=_("Empty: no limit."),
                                        validators=[Between(1, limits.MAX_HEADCOUNT, limits.ERROR_HEADCOUNT)])
    per_school_quota = models.PositiveIntegerField(_("places per school"), null=True, blank=True,
                                                   validators=[Between(1, limits.MAX_HEADCOUNT, limits.ERROR_HEADCOUNT)])
    self_enrolment = models.BooleanField(_("teachers may apply themselves"), default=False)
    min_attendance_percent = models.PositiveSmallIntegerField(
        _("attendance needed to complete (%)"), default=80, validators=[Between(1, 100, limits.ERROR_PERCENT)])

    class Meta:
        verbose_name = _("project run settings")
        verbose_name_plural = _("project run settings")
        constraints = [
            check_between("quota", 1, limits.MAX_HEADCOUNT, nullable=True, name="run_quota_range"),
            check_between("per_school_quota", 1, limits.MAX_HEADCOUNT, nullable=True, name="run_school_quota_range"),
            check_between("min_attendance_percent", 1, 100, name="run_attendance_percent_range"),
        ]


class Enrolment(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied, awaiting school")
        NOMINATED = "nominated", _("Nominated, awaiting organiser")
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waiting list")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    project = models.ForeignKey(ScheduledProject, on_delete=models.CASCADE, related_name="enrolments")
    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="enrolments")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["project", "teacher"], name="one_enrolment_per_teacher")]

    ON_ROSTER = [Status.CONFIRMED]


class AssessmentResult(models.Model):
    """The organiser's assessment of one attendee at a project's close (合格 / 不合格 / 优秀学员),
    one per enrolment. Credits follow it (credits.services.credit_finished_project): 不合格 gives
    a zero entry saying why (甘肃 第七条), 优秀学员 the bonus the district's rules give.
    Attendees who did not complete the project by attendance get none."""

    class Result(models.TextChoices):
        PASS = "pass", pgettext_lazy("assessment", "Passed")
        FAIL = "fail", pgettext_lazy("assessment", "Failed")
        EXCELLENT = "excellent", _("Excellent trainee")

    enrolment = models.OneToOneField(Enrolment, on_delete=models.CASCADE, related_name="assessment",
                                     verbose_name=_("enrolment"))
    result = models.CharField(_("assessment result"), max_length=10, choices=Result.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("result recorded by"))
    recorded_at = models.DateTimeField(_("result recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("assessment result")
        verbose_name_plural = _("assessment results")
        ordering = ["enrolment__project", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(result__in=["pass", "fail", "excellent"]),
                                              name="assessment_result_known")]

    def __str__(self):
        return f"{self.enrolment.teacher} · {self.get_result_display()}"


def new_secret():
    return secrets.token_hex(16)


class Session(models.Model):
    """One session of a scheduled project, or of a school's own school-based training."""

    project = models.ForeignKey(ScheduledProject, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="sessions", verbose_name=_("project"))
    school_plan = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="sessions", verbose_name=_("school-based plan"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sessions",
                                     verbose_name=_("organiser"))
    # Drafted sessions are titled "project name（n）": a 200-character name and the number fit.
    title = models.CharField(_("topic"), max_length=250)
    date = models.DateField(_("date"), validators=limits.date_range())
    start_time = models.TimeField(_("start"))
    end_time = models.TimeField(_("end"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1, validators=[
        Between(limits.MIN_SESSION_HOURS, limits.MAX_SESSION_HOURS, limits.ERROR_HOURS)])
    place = models.CharField(_("place"), max_length=100, blank=True)
    online = models.BooleanField(_("online"), default=False)
    # Seeds the rotating sign-in code; never shown.
    secret = models.CharField(max_length=32, default=new_secret, editable=False)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["date", "start_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(project__isnull=False, school_plan__isnull=True)
                | models.Q(project__isnull=True, school_plan__isnull=False),
                name="session_of_project_or_school_plan"),
            models.CheckConstraint(condition=models.Q(end_time__gt=models.F("start_time")),
                                   name="session_ends_after_start"),
            check_between("date", limits.MIN_DATE, limits.MAX_DATE, name="session_date_range"),
            check_between("hours", limits.MIN_SESSION_HOURS, limits.MAX_SESSION_HOURS, name="session_hours_range"),
        ]

    def __str__(self):
        return f"{self.title} {self.date}"

    @property
    def is_school_based(self):
        return self.school_plan_id is not None

    def starts_at(self) -> datetime.datetime:
        from django.utils import timezone

        return timezone.make_aware(datetime.datetime.combine(self.date, self.start_time))

    def ends_at(self) -> datetime.datetime:
        from django.utils import timezone

        return timezone.make_aware(datetime.datetime.combine(self.date, self.end_time))


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        LEFT_EARLY = "left_early", _("Left early")
        ABSENT = "absent", _("Absent")
        LEAVE = "leave", _("On leave")

    class Source(models.TextChoices):
        ROLL_CALL = "roll_call", _("Roll call")
        SELF_SIGN_IN = "self", _("Signed in with the code")
        PAPER = "paper", _("From the paper sheet")
        LEAVE = "leave", _("Approved leave")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(_("attendance"), max_length=20, choices=Status.choices)
    source = models.CharField(_("recorded by"), max_length=20, choices=Source.choices)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["session", "teacher"], name="one_mark_per_teacher")]

    ATTENDED = [Status.PRESENT, Status.LATE, Status.LEFT_EARLY]


class LeaveRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting the school")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="leave_requests")
    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="leave_requests")
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        constraints = [models.UniqueConstraint(fields=["session", "teacher"], name="one_leave_request_per_session")]


MAX_MAKE_UP_NOTE = 1000


class MakeUp(models.Model):
    """补学: a missed project session (leave or absence) made up by an assignment
    or a recorded lesson, accepted by the project's organiser. Its hours count
    towards the project's completion share (rules.project_completion); the
    attendance mark stays what it was (请假 or 缺席)."""

    class Kind(models.TextChoices):
        ASSIGNMENT = "assignment", _("Assignment")
        RECORDED_LESSON = "recorded_lesson", _("Recorded lesson")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="make_ups",
                                verbose_name=_("session"))
    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="make_ups",
                                verbose_name=_("teacher"))
    kind = models.CharField(_("make-up by"), max_length=20, choices=Kind.choices)
    note = models.TextField(_("note"), max_length=MAX_MAKE_UP_NOTE)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("accepted by"))
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)

    class Meta:
        verbose_name = _("make-up")
        verbose_name_plural = _("make-ups")
        ordering = ["session__date", "session__start_time", "pk"]
        constraints = [models.UniqueConstraint(fields=["session", "teacher"], name="one_make_up_per_session")]

    def __str__(self):
        return f"{self.teacher} · {self.session}"


class SignInAttempt(models.Model):
    """One try of a sign-in code by a teacher at a session, kept whatever its outcome.

    Wrong codes are counted here (not in a cache: several servers share the
    database) to stop guessing; refusals stay on record for the organiser."""

    class Outcome(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        WRONG_CODE = "wrong_code", _("Wrong code")
        REFUSED = "refused", _("Refused after too many wrong codes")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="sign_in_attempts")
    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="sign_in_attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("sign-in attempt")
        verbose_name_plural = _("sign-in attempts")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["session", "outcome", "at"], name="sign_in_attempt_session")]


AGE_RANGE = [Between(limits.MIN_EXEMPT_AGE, limits.MAX_EXEMPT_AGE, limits.ERROR_AGE)]
MINUTES_RANGE = [Between(0, limits.MAX_MINUTES, limits.ERROR_MINUTES)]


class CompletionRules(models.Model):
    """A district's attendance rules (seed 003 and seed 001 by default)."""

    district = models.OneToOneField(District, on_delete=models.CASCADE, primary_key=True,
                                    related_name="completion_rules")
    school_absence_limit_hours = models.DecimalField(
        _("school-based absence that forfeits the year's credit (hours, inclusive)"),
        max_digits=4, decimal_places=1, default=5,
        validators=[Between(limits.MIN_SESSION_HOURS, limits.MAX_ABSENCE_HOURS, limits.ERROR_HOURS)])
    exempt_age_women = models.PositiveSmallIntegerField(_("women exempt from assessment from age"), default=50,
                                                        validators=AGE_RANGE)
    exempt_age_men = models.PositiveSmallIntegerField(_("men exempt from assessment from age"), default=55,
                                                      validators=AGE_RANGE)
    participation_target_percent = models.PositiveSmallIntegerField(
        _("participation target (%)"), default=94, validators=[Between(1, 100, limits.ERROR_PERCENT)])
    default_min_attendance_percent = models.PositiveSmallIntegerField(
        _("default attendance needed to complete a project (%)"), default=80,
        validators=[Between(1, 100, limits.ERROR_PERCENT)])
    sign_in_opens_minutes = models.PositiveSmallIntegerField(_("sign-in opens before the start (minutes)"),
                                                             default=30, validators=MINUTES_RANGE)
    sign_in_closes_minutes = models.PositiveSmallIntegerField(_("sign-in closes after the start (minutes)"),
                                                              default=30, validators=MINUTES_RANGE)
    late_after_minutes = models.PositiveSmallIntegerField(_("late after the start (minutes)"), default=10,
                                                          validators=MINUTES_RANGE)

    class Meta:
        verbose_name = _("completion rules")
        verbose_name_plural = _("completion rules")
        constraints = [
            check_between("school_absence_limit_hours", limits.MIN_SESSION_HOURS, limits.MAX_ABSENCE_HOURS,
                          name="rules_absence_limit_range"),
            check_between("exempt_age_women", limits.MIN_EXEMPT_AGE, limits.MAX_EXEMPT_AGE, name="rules_age_women_range"),
            check_between("exempt_age_men", limits.MIN_EXEMPT_AGE, limits.MAX_EXEMPT_AGE, name="rules_age_men_range"),
            check_between("participation_target_percent", 1, 100, name="rules_participation_range"),
            check_between("default_min_attendance_percent", 1, 100, name="rules_attendance_range"),
            check_between("sign_in_opens_minutes", 0, limits.MAX_MINUTES, name="rules_opens_range"),
            check_between("sign_in_closes_minutes", 0, limits.MAX_MINUTES, name="rules_closes_range"),
            check_between("late_after_minutes", 0, limits.MAX_MINUTES, name="rules_late_range"),
        ]

    @classmethod
    def for_district(cls, district_id) -> "CompletionRules":
        rules = cls.objects.filter(district_id=district_id).first()
        return rules or cls(district_id=district_id)
