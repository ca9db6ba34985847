"""The roll-ups' figures: for a year, what each school of a district did (seed 001's targets).

``school_figures`` counts one district in a constant number of aggregate queries (about ten,
however many schools and teachers it has); ``district_figures`` is their sum. The summary
table (models.SchoolYearFigures) keeps these rows so that the city and province pages add up
stored rows instead of counting hundreds of thousands of teachers on every view.

What is counted, for a credit year Y of a district:

* teachers: teachers in post at a school or kindergarten (as the credit pages count them);
* participants: those with at least one attended session (present, late or left early) in
  the credit year, or a ledger entry of the year from training (a project, school-based
  training, a registered declaration or a provincial record; bonuses and exemptions are not
  training);
* registered: those with credits (> 0) registered in the year's ledger;
* completed: those meeting the year's minimum by the district's rule set
  (credits.selectors.district_completion: the credit pages' own rule);
* plans_due / plans_on_time: every school owes one school-based plan a year (报送进度, the
  tracker's school plan); on time when filed (备案) by PLAN_DUE of the year;
* projects_planned: rows of the district's filed annual plan of the year; projects_run: the
  projects of that plan held (closed as finished by their organiser);
* projects_held / spot_checked: the year's scheduled projects not cancelled (what a draw
  samples) and the items of the year's draw that is not cancelled.

Projects count at their organiser (the training school for the annual plan), so a district's
sum holds them once.
"""
import datetime
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q

from accounts.models import District
from attendance.models import Attendance, Teacher
from credits.models import CreditEntry
from credits.selectors import SCHOOL_KINDS, district_completion
from plans.models import Document, PlannedProject
from schedule.models import ScheduledProject, SpotCheckItem

# Seed 001's targets for a district (percent).
TARGET_PARTICIPATION = Decimal(94)
TARGET_REGISTRATION = Decimal(100)
TARGET_SPOT_CHECK = Decimal(20)

# School-based plans of a year are due by this day of the year (submitted in June: domain brief).
PLAN_DUE = (6, 30)

PRESENT = [Attendance.Status.PRESENT, Attendance.Status.LATE, Attendance.Status.LEFT_EARLY]
TRAINING_SOURCES = [CreditEntry.Source.PROJECT, CreditEntry.Source.SCHOOL_BASED, CreditEntry.Source.DECLARATION,
                    CreditEntry.Source.PROVINCIAL]
ONE_DECIMAL = Decimal("0.1")


def rate(part: int, whole: int) -> Decimal | None:
    """part / whole in percent, one decimal (half up); None when the whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    teachers: int = 0
    participants: int = 0
    registered: int = 0
    completed: int = 0
    plans_due: int = 0
    plans_on_time: int = 0
    projects_planned: int = 0
    projects_run: int = 0
    projects_held: int = 0
    spot_checked: int = 0

    def __add__(self, other: "Figures") -> "Figures":
        if not isinstance(other, Figures):
            return NotImplemented
        return Figures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def __radd__(self, other):
        if other == 0:  # sum() starts from 0
            return self
        return NotImplemented

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in FIELDS}

    @property
    def participation_rate(self) -> Decimal | None:
        return rate(self.participants, self.teachers)

    @property
    def registration_rate(self) -> Decimal | None:
        return rate(self.registered, self.teachers)

    @property
    def completion_rate(self) -> Decimal | None:
        return rate(self.completed, self.teachers)

    @property
    def spot_check_coverage(self) -> Decimal | None:
        return rate(self.spot_checked, self.projects_held)

    @property
    def participation_below_target(self) -> bool:
        return self.participation_rate is not None and self.participation_rate < TARGET_PARTICIPATION

    @property
    def registration_below_target(self) -> bool:
        return self.registration_rate is not None and self.registration_rate < TARGET_REGISTRATION

    @property
    def spot_check_below_target(self) -> bool:
        return self.spot_check_coverage is not None and self.spot_check_coverage < TARGET_SPOT_CHECK


FIELDS = [f.name for f in fields(Figures)]


def credit_year_dates(rule_set, year: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a credit year under the rule set (its year_start)."""
    month, day = (int(part) for part in rule_set.year_start.split("-"))
    first = datetime.date(year, month, day)
    return first, datetime.date(year + 1, month, day) - datetime.timedelta(days=1)


def plan_due(year: int) -> datetime.date:
    return datetime.date(year, *PLAN_DUE)


def _counts(queryset, key: str, **annotations) -> dict:
    """{key value: {annotation: count}} of one GROUP BY query."""
    return {row[key]: row for row in queryset.order_by().values(key).annotate(**annotations)}


def school_figures(year: int, district: District) -> dict[int, Figures]:
    """{organisation id: Figures} for every school and kindergarten of the district (and any
    other organisation of it that organised projects of the year), in about ten queries."""
    completion = district_completion(district, year)  # the credit pages' counting (four queries)
    result = {school.organisation.pk: Figures(teachers=school.teachers, completed=school.meeting_year,
                                              plans_due=1)
              for school in completion.schools}
    first, last = credit_year_dates(completion.rule_set, year)
    teachers = Teacher.objects.filter(organisation__district=district, organisation__kind__in=SCHOOL_KINDS,
                                      active=True)
    year_entries = CreditEntry.objects.filter(teacher=OuterRef("pk"), credit_year=year)
    attended = Attendance.objects.filter(teacher=OuterRef("pk"), status__in=PRESENT,
                                         session__date__range=(first, last))
    for organisation_id, row in _counts(
            teachers, "organisation_id",
            participants=Count("pk", filter=Q(Exists(year_entries.filter(source__in=TRAINING_SOURCES)))
                               | Q(Exists(attended))),
            registered_count=Count("pk", filter=Q(Exists(year_entries.filter(credits__gt=0))))).items():
        figures = result.setdefault(organisation_id, Figures())
        figures.participants = row["participants"]
        figures.registered = row["registered_count"]

    due = plan_due(year)
    for organisation_id, row in _counts(
            Document.objects.filter(organisation__district=district, organisation__kind__in=SCHOOL_KINDS,
                                    kind=Document.Kind.SCHOOL_PLAN, year=year,
                                    status=Document.Status.APPROVED, filed_at__date__lte=due),
            "organisation_id", n=Count("pk")).items():
        if organisation_id in result:
            result[organisation_id].plans_on_time = min(row["n"], 1)

    for organisation_id, row in _counts(
            PlannedProject.objects.filter(plan__document__organisation__district=district,
                                          plan__document__kind=Document.Kind.ANNUAL_PLAN,
                                          plan__document__year=year,
                                          plan__document__status=Document.Status.APPROVED),
            "plan__document__organisation_id", n=Count("pk")).items():
        result.setdefault(organisation_id, Figures()).projects_planned = row["n"]

    for organisation_id, row in _counts(
            ScheduledProject.objects.filter(district=district, year=year)
            .exclude(status=ScheduledProject.Status.CANCELLED),
            "organiser_id", held=Count("pk"),
            run=Count("pk", filter=Q(status=ScheduledProject.Status.FINISHED,
                                     source__kind=Document.Kind.ANNUAL_PLAN))).items():
        figures = result.setdefault(organisation_id, Figures())
        figures.projects_held, figures.projects_run = row["held"], row["run"]

    for organisation_id, row in _counts(
            SpotCheckItem.objects.filter(spot_check__district=district, spot_check__year=year,
                                         spot_check__cancelled_at__isnull=True)
            .exclude(project__status=ScheduledProject.Status.CANCELLED),
            "project__organiser_id", n=Count("pk")).items():
        result.setdefault(organisation_id, Figures()).spot_checked = row["n"]
    return result


def district_figures(year: int, district: District) -> Figures:
    return sum(school_figures(year, district).values(), Figures())

