from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import District, Organisation
from core import limits
from core.choices import Subject
from core.limits import Between, check_between
from plans.models import MONTH_VALIDATORS, Document, TrainingMode, choice_labels, months_display


class ScheduledProject(models.Model):
    """A project of a filed annual plan or proposal, as the district runs it (月工作安排).

    A city's or province's project (its training centre's filed plan or proposal) has no
    district: it is open to the schools its quotas give places (DistrictQuota, SchoolQuota)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("project status", "Scheduled")
        FINISHED = "finished", pgettext_lazy("project status", "Finished")
        CANCELLED = "cancelled", pgettext_lazy("project status", "Cancelled")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="scheduled_projects",
                                 null=True, blank=True, verbose_name=_("district"))
    source = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="scheduled_projects",
                               verbose_name=_("source document"))
    sequence = models.PositiveSmallIntegerField(_("No."))
    year = models.PositiveSmallIntegerField(_("year"), validators=limits.year_range())
    name = models.CharField(_("project name"), max_length=200)
    organiser = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="organised_projects",
                                  verbose_name=_("organiser"))
    # Projects a school proposes for its own teachers stay inside that school.
    open_to = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("only for"))
    target_group = models.CharField(_("target group"), max_length=200, blank=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Organisation.Stage.choices, blank=True,
                             help_text=_("Empty means every stage."))
    subject = models.CharField(_("subject"), max_length=50, choices=Subject.choices, blank=True,
                               help_text=_("Empty means every subject."))
    headcount = models.PositiveIntegerField(_("planned headcount"), null=True, blank=True,
                                            validators=[Between(1, limits.MAX_HEADCOUNT, limits.ERROR_HEADCOUNT)])
    all_staff = models.BooleanField(_("all staff"), default=False)
    modes = models.JSONField(_("training modes"), default=list)
    start_month = models.PositiveSmallIntegerField(_("first month"), validators=MONTH_VALIDATORS)
    end_month = models.PositiveSmallIntegerField(_("last month"), validators=MONTH_VALIDATORS)
    location = models.CharField(_("location"), max_length=100, blank=True)
    hours = models.PositiveIntegerField(_("hours"), null=True, blank=True,
                                        validators=[Between(1, limits.MAX_PROJECT_HOURS, limits.ERROR_HOURS)])
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("scheduled project")
        verbose_name_plural = _("scheduled projects")
        ordering = ["year", "start_month", "source_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["source", "sequence"], name="one_schedule_row_per_source_row"),
            models.CheckConstraint(condition=models.Q(end_month__gte=models.F("start_month")),
                                   name="schedule_end_not_before_start"),
            check_between("year", limits.MIN_YEAR, limits.MAX_YEAR, name="schedule_year_range"),
            check_between("start_month", 1, 12, name="schedule_start_month_range"),
            check_between("end_month", 1, 12, name="schedule_end_month_range"),
            check_between("headcount", 1, limits.MAX_HEADCOUNT, nullable=True, name="schedule_headcount_range"),
            # sessions_generate drafts days from these hours: no 60,000-hour project of 10,000 sessions
            check_between("hours", 1, limits.MAX_PROJECT_HOURS, nullable=True, name="schedule_hours_range"),
        ]
        indexes = [models.Index(fields=["district", "year", "start_month"])]

    def __str__(self):
        return self.name

    @property
    def modes_display(self):
        return choice_labels(TrainingMode, self.modes)

    @property
    def months_display(self):
        return months_display(self.start_month, self.end_month)

    def runs_in(self, month: int) -> bool:
        return self.start_month <= month <= self.end_month

    @property
    def is_regional(self) -> bool:
        """A city's or province's project: places by quota, not the district's own."""
        return self.district_id is None


class DistrictQuota(models.Model):
    """名额: the places a city's or province's project gives one district (set by its organiser)."""

    project = models.ForeignKey(ScheduledProject, on_delete=models.CASCADE, related_name="district_quotas")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="project_quotas",
                                 verbose_name=_("district"))
    places = models.PositiveIntegerField(_("places"), validators=[
        Between(1, limits.MAX_HEADCOUNT, limits.ERROR_HEADCOUNT)])

    class Meta:
        verbose_name = _("district quota")
        verbose_name_plural = _("district quotas")
        ordering = ["district__name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "district"], name="one_quota_per_district"),
            check_between("places", 1, limits.MAX_HEADCOUNT, name="district_quota_places_range"),
        ]


class SchoolQuota(models.Model):
    """The district bureau's split of its district's places among its schools."""

    project = models.ForeignKey(ScheduledProject, on_delete=models.CASCADE, related_name="school_quotas")
    school = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="project_quotas",
                               verbose_name=_("school"))
    places = models.PositiveIntegerField(_("places"), validators=[
        Between(1, limits.MAX_HEADCOUNT, limits.ERROR_HEADCOUNT)])

    class Meta:
        verbose_name = _("school quota")
        verbose_name_plural = _("school quotas")
        ordering = ["school__name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "school"], name="one_quota_per_school"),
            check_between("places", 1, limits.MAX_HEADCOUNT, name="school_quota_places_range"),
        ]


class ScheduleChange(models.Model):
    """One field changed by an approved change request: the schedule's history."""

    project = models.ForeignKey(ScheduledProject, on_delete=models.CASCADE, related_name="changes")
    change_request = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(_("field"), max_length=30)
    old_value = models.CharField(_("old value"), max_length=200)
    new_value = models.CharField(_("new value"), max_length=200)
    applied_at = models.DateTimeField(_("applied at"), auto_now_add=True)

    class Meta:
        verbose_name = _("schedule change")
        verbose_name_plural = _("schedule changes")
        ordering = ["applied_at", "pk"]

    @property
    def field_label(self):
        """The changed field's verbose name (the log stores its code)."""
        try:
            return ScheduledProject._meta.get_field(self.field).verbose_name
        except FieldDoesNotExist:  # a field since renamed: show its stored name
            return self.field


class ProjectLogEntry(models.Model):
    """项目日志: what happened in a project, written by its organiser."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        SESSION = "session", _("Session held")
        PROBLEM = "problem", _("Problem")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", pgettext_lazy("project log", "Cancelled")
        OTHER = "other", _("Other")

    project = models.ForeignKey(ScheduledProject, on_delete=models.CASCADE, related_name="log")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    happened_on = models.DateField(_("date"), validators=limits.date_range())
    text = models.TextField(_("what happened"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("project log entry")
        verbose_name_plural = _("project log entries")
        ordering = ["happened_on", "pk"]
        constraints = [check_between("happened_on", limits.MIN_DATE, limits.MAX_DATE, name="log_date_range")]


MAX_CANCEL_REASON = 1000


class SpotCheck(models.Model):
    """抽查: a reproducible random sample of a year's projects (seed recorded).

    One draw a year per district: a second is refused unless the bureau cancels
    the first, with a reason. A cancelled draw is kept (with its items, findings,
    seed and reason), so the record shows every draw ever made."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="spot_checks")
    year = models.PositiveSmallIntegerField(_("year"), validators=limits.year_range())
    share_percent = models.PositiveSmallIntegerField(
        _("share (%)"), default=20, validators=[MinValueValidator(1), MaxValueValidator(100)])
    seed = models.BigIntegerField(_("random seed"))
    population = models.PositiveIntegerField(_("projects in the year"))
    # The ids the sample was drawn from: projects cancelled or added later do not change
    # what the seed reproduces (reproduce()). Empty for draws made before it was kept.
    population_ids = models.JSONField(_("projects drawn from"), default=list, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("drawn at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("cancelled by"))
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True, max_length=MAX_CANCEL_REASON)

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        ordering = ["-created_at"]
        constraints = [
            check_between("year", limits.MIN_YEAR, limits.MAX_YEAR, name="spot_check_year_range"),
            check_between("share_percent", 1, 100, name="spot_check_share_range"),
            models.UniqueConstraint(fields=["district", "year"], condition=models.Q(cancelled_at__isnull=True),
                                    name="one_spot_check_per_year"),
            models.CheckConstraint(condition=models.Q(cancelled_at__isnull=True) | ~models.Q(cancel_reason=""),
                                   name="spot_check_cancelled_with_reason"),
        ]

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    def reproduce(self) -> list[int] | None:
        """The sample the seed gives over the recorded population (None if it was not kept)."""
        from .services import spot_check_sample

        if not self.population_ids:
            return None
        return spot_check_sample(self.population_ids, seed=self.seed, share_percent=self.share_percent)


class SpotCheckItem(models.Model):
    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items")
    project = models.ForeignKey(ScheduledProject, on_delete=models.PROTECT, related_name="spot_checks")
    findings = models.TextField(_("findings"), blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("spot-check item")
        verbose_name_plural = _("spot-check items")
        ordering = ["project__start_month", "project__name"]
        constraints = [models.UniqueConstraint(fields=["spot_check", "project"], name="project_once_per_check")]
