from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import District, Organisation
from core import limits
from core.limits import check_between


class SchoolYearFigures(models.Model):
    """One school's figures of a credit year (oversight.metrics.Figures), as last computed.

    The roll-up pages add these rows up by district, city and province instead of counting
    every teacher on each view; services.figures_refresh replaces a district's rows at once."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    # The organisation's district, kept here so the city and province sums group without a join.
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+", verbose_name=_("district"))
    year = models.PositiveSmallIntegerField(_("year"), validators=limits.year_range())
    teachers = models.PositiveIntegerField(default=0)
    participants = models.PositiveIntegerField(default=0)
    registered = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    plans_due = models.PositiveIntegerField(default=0)
    plans_on_time = models.PositiveIntegerField(default=0)
    projects_planned = models.PositiveIntegerField(default=0)
    projects_run = models.PositiveIntegerField(default=0)
    projects_held = models.PositiveIntegerField(default=0)
    spot_checked = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("school year figures")
        verbose_name_plural = _("school year figures")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="one_figures_row_per_school_year"),
            check_between("year", limits.MIN_YEAR, limits.MAX_YEAR, name="figures_year_range"),
        ]
        indexes = [models.Index(fields=["district", "year"], name="figures_district_year")]

    def __str__(self):
        return f"{self.organisation} {self.year}"


class FiguresRefresh(models.Model):
    """A refresh of a district's figures waiting for a worker: one at most per district and
    year, so a burst of changes (a project closing credits fifty teachers) enqueues one task."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(validators=limits.year_range())
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="one_pending_refresh_per_district_year"),
        ]
