"""The summary table: a district's SchoolYearFigures rows, replaced at once."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import District, Organisation
from credits.selectors import current_credit_year

from . import metrics
from .models import FiguresRefresh, SchoolYearFigures

ERROR_RECOUNT_NOT_BEGUN = gettext_lazy("A year that has not begun has no figures to recount.")


def recount_check(district: District, year: int, today=None) -> None:
    """A "refresh now" of the district's year is refused (ValidationError) when the year has not
    begun (its rows would be written for a future year) or the district has no credit rules for
    it (the recount could count nothing)."""
    from credits.services import year_rule_set

    today = today or timezone.localdate()
    if year > today.year:
        raise ValidationError(ERROR_RECOUNT_NOT_BEGUN)
    first, _last = metrics.credit_year_dates(year_rule_set(district, year), year)
    if first > today:
        raise ValidationError(ERROR_RECOUNT_NOT_BEGUN)


@transaction.atomic
def figures_refresh(*, year: int, district: District) -> list[SchoolYearFigures]:
    """Count the district's schools for the year (metrics.school_figures) and replace its
    rows, in one transaction under the district's row lock (two refreshes of a district run
    one after the other: the second writes over the first, never beside it)."""
    District.objects.select_for_update().filter(pk=district.pk).first()
    figures = metrics.school_figures(year, district)
    # Only the district's own organisations (a project organised from elsewhere counts there).
    own = set(Organisation.objects.filter(pk__in=list(figures), district=district).values_list("pk", flat=True))
    now = timezone.now()
    SchoolYearFigures.objects.filter(district=district, year=year).delete()
    return SchoolYearFigures.objects.bulk_create(
        SchoolYearFigures(organisation_id=organisation_id, district=district, year=year, computed_at=now,
                          **row.as_dict())
        for organisation_id, row in sorted(figures.items()) if organisation_id in own)


def figures_refresh_all(*, year: int | None = None, today=None) -> list[tuple[District, int, int]]:
    """Every district (the nightly run): (district, year, rows written). Without ``year``,
    each district's current credit year (on ``today``). Pending refreshes of those years are dropped;
    a district with no credit rules in force is left out."""
    done = []
    for district in District.objects.order_by("pk"):
        try:
            district_year = year or current_credit_year(district, today)
            FiguresRefresh.objects.filter(district=district, year=district_year).delete()
            done.append((district, district_year, len(figures_refresh(year=district_year, district=district))))
        except ValidationError:  # no credit rules in force for the district: nothing to count
            continue
    return done
