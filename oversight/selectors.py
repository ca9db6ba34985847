"""The roll-up pages' rows, read from the summary table (models.SchoolYearFigures).

Each page costs a fixed number of queries however many schools, districts or cities it adds
up: the database sums the rows, grouped by city or district, or lists a district's rows."""
from dataclasses import dataclass, field

from django.db.models import Max, Min, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import City, District, Organisation, Province

from .metrics import FIELDS, Figures, rate
from .models import SchoolYearFigures


@dataclass
class Row:
    """One line of a roll-up: a city, a district or a school, with its figures."""

    pk: int
    name: str
    figures: Figures
    url: str = ""                       # where it drills down to ("" when the viewer may not)
    computed_at: object = None          # the oldest of its rows (None: never computed)
    kind: str = ""

    @property
    def plans_rate(self):
        return rate(self.figures.plans_on_time, self.figures.plans_due)

    @property
    def projects_rate(self):
        return rate(self.figures.projects_run, self.figures.projects_planned)


@dataclass
class RollUp:
    rows: list[Row]
    year: int
    total: Figures = field(default_factory=Figures)
    computed_at: object = None          # the oldest row's time: "figures as of"
    latest_at: object = None
    missing: list = field(default_factory=list)  # names of parts never computed for the year


SUMS = {name: Sum(name) for name in FIELDS}


def _figures(row: dict) -> Figures:
    return Figures(**{name: row[name] or 0 for name in FIELDS})


def _rollup(rows: list[Row], year: int) -> RollUp:
    times = [row.computed_at for row in rows if row.computed_at]
    return RollUp(rows=rows, year=year, total=sum((row.figures for row in rows), Figures()),
                  computed_at=min(times, default=None), latest_at=max(times, default=None),
                  missing=[row.name for row in rows if row.computed_at is None])


def _grouped(queryset, key: str) -> dict:
    return {row[key]: row for row in queryset.order_by().values(key).annotate(
        oldest=Min("computed_at"), newest=Max("computed_at"), **SUMS)}


def province_rollup(province: Province, year: int) -> RollUp:
    """One row per city of the province. Two queries."""
    sums = _grouped(SchoolYearFigures.objects.filter(district__city__province=province, year=year),
                    "district__city_id")
    rows = []
    for city in City.objects.filter(province=province).order_by("name", "pk"):
        row = sums.get(city.pk)
        rows.append(Row(pk=city.pk, name=city.name, kind="city", figures=_figures(row) if row else Figures(),
                        computed_at=row["oldest"] if row else None))
    return _rollup(rows, year)


def city_rollup(city: City, year: int) -> RollUp:
    """One row per district of the city. Two queries."""
    sums = _grouped(SchoolYearFigures.objects.filter(district__city=city, year=year), "district_id")
    rows = []
    for district in District.objects.filter(city=city).order_by("name", "pk"):
        row = sums.get(district.pk)
        rows.append(Row(pk=district.pk, name=district.name, kind="district",
                        figures=_figures(row) if row else Figures(), computed_at=row["oldest"] if row else None))
    return _rollup(rows, year)


def district_rollup(district: District, year: int) -> RollUp:
    """One row per school of the district (and per other organiser of its projects). Two queries."""
    stored = {row.organisation_id: row for row in SchoolYearFigures.objects.filter(district=district, year=year)}
    organisations = Organisation.objects.filter(district=district).order_by("kind", "name", "pk")
    rows = []
    for organisation in organisations:
        row = stored.get(organisation.pk)
        if row is None and not organisation.is_school:
            continue  # the bureau, the expert pool: only when they organised something
        rows.append(Row(pk=organisation.pk, name=organisation.name, kind=organisation.kind,
                        figures=Figures(**{name: getattr(row, name) for name in FIELDS}) if row else Figures(),
                        computed_at=row.computed_at if row else None))
    rollup = _rollup(rows, year)
    if stored:  # schools added since the last count are counted at the next one, not "missing"
        rollup.missing = []
    return rollup


# --- sorting ----------------------------------------------------------------------------------

# ?sort= values (a leading "-" sorts descending): the column and how to read it from a row.
COLUMNS = [
    ("name", _("Name"), lambda row: row.name),
    ("plans", _("Plans filed on time"), lambda row: row.plans_rate),
    ("projects", _("Projects run / planned"), lambda row: row.projects_rate),
    ("participation", _("Participation rate"), lambda row: row.figures.participation_rate),
    ("registration", _("Registration rate"), lambda row: row.figures.registration_rate),
    ("completion", _("Completion rate"), lambda row: row.figures.completion_rate),
    ("spot_check", _("Spot-check coverage"), lambda row: row.figures.spot_check_coverage),
    ("teachers", pgettext_lazy("roll-up column", "Teachers"), lambda row: row.figures.teachers),
]
SORT_KEYS = {code: key for code, _label, key in COLUMNS}
SORTS = [code for code in SORT_KEYS] + ["-" + code for code in SORT_KEYS]


def rows_sorted(rows: list[Row], sort: str) -> list[Row]:
    """By a column (ascending, or descending with "-"); rows without a figure last either way,
    ties by name."""
    if not sort:
        return rows
    descending = sort.startswith("-")
    key = SORT_KEYS[sort.lstrip("-")]
    known = [row for row in rows if key(row) is not None]
    unknown = [row for row in rows if key(row) is None]
    known.sort(key=lambda row: row.name)
    known.sort(key=key, reverse=descending)
    return known + unknown
