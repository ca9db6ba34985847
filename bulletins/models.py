"""Formal documents the chain above the schools issues about them (seed 002):

* the annual bulletin (年度通报) of a district's schools' credit registration, issued once a
  year by the district's bureau (一年一通报);
* the commendation list (表彰名单) of a credit cycle, issued once a cycle by a city's bureau
  (一周期一表彰).

An issued document is final: its figures are kept as they were on the day of issue
(``content``), rendered once to a PDF kept in storage with its checksum, and served from
there. A second one for the same district and year (city and cycle) is refused unless the
first is withdrawn, with a reason; a withdrawn one is kept (who, when, why).
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import City, District, Organisation
from core import limits
from core.limits import check_between

MAX_WITHDRAW_REASON = 500


def issued_path(instance, filename):
    return f"bulletins/{instance.kind}/{filename}"


class Issued(models.Model):
    class Kind(models.TextChoices):
        BULLETIN = "bulletin", _("Annual bulletin")
        COMMENDATION = "commendation", _("Commendation list")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # A bulletin is a district's; a commendation list is a city's.
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="bulletins", verbose_name=_("district"))
    city = models.ForeignKey(City, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="commendations", verbose_name=_("city"))
    # A bulletin's year; a commendation's cycle is first_year..last_year.
    first_year = models.PositiveSmallIntegerField(_("year"), validators=limits.year_range())
    last_year = models.PositiveSmallIntegerField(_("last year"), validators=limits.year_range())
    issuer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("issued by (organisation)"))
    # 建教师〔2026〕3号: the issuer's prefix, the year of issue and its sequence in that year.
    number = models.CharField(_("document number"), max_length=40)
    number_year = models.PositiveSmallIntegerField(_("year of the number"))
    sequence = models.PositiveIntegerField(_("sequence"))
    title = models.CharField(_("title"), max_length=200)
    content = models.JSONField(_("figures as issued"), editable=False)
    file = models.FileField(_("file"), upload_to=issued_path, max_length=200)
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    size = models.PositiveIntegerField(_("size"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("issued by"))
    issued_at = models.DateTimeField(_("issued at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("withdrawn by"))
    withdraw_reason = models.TextField(_("reason for withdrawing"), blank=True, max_length=MAX_WITHDRAW_REASON)

    class Meta:
        verbose_name = _("issued bulletin or commendation")
        verbose_name_plural = _("issued bulletins and commendations")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            check_between("first_year", limits.MIN_YEAR, limits.MAX_YEAR, name="issued_first_year_range"),
            check_between("last_year", limits.MIN_YEAR, limits.MAX_YEAR, name="issued_last_year_range"),
            models.CheckConstraint(name="issued_bulletin_of_district_commendation_of_city", condition=(
                Q(kind="bulletin", district__isnull=False, city__isnull=True)
                | Q(kind="commendation", district__isnull=True, city__isnull=False))),
            models.CheckConstraint(name="issued_years_in_order", condition=Q(first_year__lte=models.F("last_year"))),
            # One standing document per district and year, per city and cycle (the lock comes first).
            models.UniqueConstraint(fields=["district", "first_year"],
                                    condition=Q(kind="bulletin", withdrawn_at__isnull=True),
                                    name="one_bulletin_per_district_year"),
            models.UniqueConstraint(fields=["city", "first_year"],
                                    condition=Q(kind="commendation", withdrawn_at__isnull=True),
                                    name="one_commendation_per_city_cycle"),
            models.UniqueConstraint(fields=["issuer", "number_year", "sequence"], name="issued_number_unique"),
            models.CheckConstraint(condition=Q(withdrawn_at__isnull=True) | ~Q(withdraw_reason=""),
                                   name="issued_withdrawn_with_reason"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def cycle(self) -> tuple[int, int]:
        return self.first_year, self.last_year
