"""学时/学分 figures for many teachers at once, and one teacher's ledger.

Every selector runs a fixed number of queries however many teachers and ledger
lines there are: CreditEntry is summed in the database, grouped by teacher, and
the rows are put together in Python.

The figures follow credits.services.teacher_totals:

* a year's figures are counted by the rule set in force on 31 December of that
  credit year (services.rule_set_for), which also says which five-year cycle
  the year belongs to (RuleSet.cycle_of);
* the year total is the sum of the entries of that credit year, the cycle total
  the sum of the entries of every credit year of the cycle;
* the cycle requirement of a new teacher includes new_teacher_extra;
* a teacher has hit a cap when an entry of the cycle was cut: a non-empty note
  and fewer credits than the rule gave (credits < raw_credits). Zero entries
  with a note but nothing cut (no rule, attendance too low) are refusals, not caps.
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import District, Organisation
from attendance.models import Teacher

from .models import CreditEntry, CycleClosure, RuleSet
from .services import rule_set_for, teacher_totals

ZERO = Decimal(0)
SCHOOL_KINDS = [Organisation.Kind.SCHOOL, Organisation.Kind.KINDERGARTEN]
CAPPED = ~Q(note="") & Q(credits__lt=F("raw_credits"))


def year_rule_set(district: District, year: int) -> RuleSet:
    """The rule set a credit year is counted by (as teacher_totals does)."""
    return rule_set_for(district, datetime.date(year, 12, 31))


def current_credit_year(district: District, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    return rule_set_for(district, today).credit_year(today)


def percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return Decimal(part) / Decimal(whole) * 100


# --- many teachers ------------------------------------------------------------------

@dataclass
class TeacherCredits:
    """One teacher's year and cycle figures."""

    teacher: Teacher
    year_total: Decimal
    cycle_total: Decimal
    year_required: Decimal
    cycle_required: Decimal
    capped_year: int = 0      # entries cut by a cap in the year
    capped_cycle: int = 0     # entries cut by a cap in the cycle

    @property
    def year_missing(self) -> Decimal:
        return max(self.year_required - self.year_total, ZERO)

    @property
    def cycle_missing(self) -> Decimal:
        return max(self.cycle_required - self.cycle_total, ZERO)

    @property
    def short_year(self) -> bool:
        return self.year_total < self.year_required

    @property
    def short_cycle(self) -> bool:
        return self.cycle_total < self.cycle_required

    @property
    def meets_cycle(self) -> bool:
        return not self.short_cycle

    @property
    def capped(self) -> bool:
        return self.capped_cycle > 0


def teacher_credit_rows(teachers: QuerySet, rule_set: RuleSet, year: int) -> list[TeacherCredits]:
    """The year's and its cycle's figures for a queryset of teachers, in two queries."""
    first, last = rule_set.cycle_of(year)
    teacher_pks = teachers.order_by().values("pk")
    teachers = list(teachers.select_related("organisation").order_by("name", "pk"))
    if not teachers:
        return []
    in_year = Q(credit_year=year)
    sums = {
        row["teacher_id"]: row for row in
        CreditEntry.objects.filter(teacher__in=teacher_pks, credit_year__range=(first, last))
        .order_by().values("teacher_id").annotate(
            year_total=Sum("credits", filter=in_year),
            cycle_total=Sum("credits"),
            capped_year=Count("pk", filter=in_year & CAPPED),
            capped_cycle=Count("pk", filter=CAPPED),
        )
    }
    rows = []
    for teacher in teachers:
        figures = sums.get(teacher.pk, {})
        rows.append(TeacherCredits(
            teacher=teacher,
            year_total=figures.get("year_total") or ZERO,
            cycle_total=figures.get("cycle_total") or ZERO,
            year_required=rule_set.annual_minimum,
            cycle_required=rule_set.cycle_minimum + (rule_set.new_teacher_extra if teacher.is_new_teacher else 0),
            capped_year=figures.get("capped_year") or 0,
            capped_cycle=figures.get("capped_cycle") or 0,
        ))
    return rows


@dataclass
class CreditSummary:
    """Totals over a list of teacher rows."""

    rows: list[TeacherCredits]

    @property
    def teachers(self) -> int:
        return len(self.rows)

    @property
    def meeting_year(self) -> int:
        return sum(not row.short_year for row in self.rows)

    @property
    def meeting_cycle(self) -> int:
        return sum(not row.short_cycle for row in self.rows)

    @property
    def completion_rate(self) -> Decimal | None:
        """Share of teachers (in %) meeting the yearly minimum."""
        return percent(self.meeting_year, self.teachers)

    @property
    def short_year(self) -> list[TeacherCredits]:
        return [row for row in self.rows if row.short_year]

    @property
    def short_cycle(self) -> list[TeacherCredits]:
        return [row for row in self.rows if row.short_cycle]

    @property
    def capped(self) -> list[TeacherCredits]:
        return [row for row in self.rows if row.capped]


@dataclass
class SchoolCredits(CreditSummary):
    organisation: Organisation = None
    rule_set: RuleSet = None
    year: int = 0

    @property
    def cycle(self) -> tuple[int, int]:
        return self.rule_set.cycle_of(self.year)


def school_credits(organisation: Organisation, year: int) -> SchoolCredits:
    """Each teacher in post at the school: year and cycle totals, short, capped. Three queries."""
    rule_set = year_rule_set(organisation.district, year)
    teachers = Teacher.objects.filter(organisation=organisation, active=True)
    return SchoolCredits(rows=teacher_credit_rows(teachers, rule_set, year), organisation=organisation,
                         rule_set=rule_set, year=year)


@dataclass
class SchoolSummary(CreditSummary):
    organisation: Organisation = None


@dataclass
class DistrictCredits(CreditSummary):
    district: District = None
    rule_set: RuleSet = None
    year: int = 0
    schools: list[SchoolSummary] = field(default_factory=list)

    @property
    def cycle(self) -> tuple[int, int]:
        return self.rule_set.cycle_of(self.year)


def district_completion(district: District, year: int) -> DistrictCredits:
    """Each school and kindergarten of the district: teachers in post, how many meet
    the yearly minimum (the completion rate), short of the cycle, capped. Four queries."""
    rule_set = year_rule_set(district, year)
    schools = list(Organisation.objects.filter(district=district, kind__in=SCHOOL_KINDS).order_by("kind", "name"))
    teachers = Teacher.objects.filter(organisation__district=district, organisation__kind__in=SCHOOL_KINDS,
                                      active=True)
    rows = teacher_credit_rows(teachers, rule_set, year)
    by_school = defaultdict(list)
    for row in rows:
        by_school[row.teacher.organisation_id].append(row)
    return DistrictCredits(rows=rows, district=district, rule_set=rule_set, year=year,
                           schools=[SchoolSummary(rows=by_school[s.pk], organisation=s) for s in schools])


def cycle_closures(organisation: Organisation, first_year: int) -> list[CycleClosure]:
    return list(CycleClosure.objects.filter(teacher__organisation=organisation, first_year=first_year)
                .select_related("teacher", "confirmed_by").order_by("teacher__name", "teacher__pk"))


# --- one teacher --------------------------------------------------------------------

@dataclass
class TeacherLedger:
    teacher: Teacher
    totals: dict                         # services.teacher_totals
    entries: list[CreditEntry]           # the cycle's, oldest first
    years: list[tuple[int, Decimal]]     # (credit year, credits) for each year of the cycle

    @property
    def year(self) -> int:
        return self.totals["year"]

    @property
    def cycle(self) -> tuple[int, int]:
        return self.totals["cycle"]

    @property
    def year_entries(self) -> list[CreditEntry]:
        return [entry for entry in self.entries if entry.credit_year == self.year]


def teacher_ledger(teacher: Teacher, year: int) -> TeacherLedger:
    """A teacher's totals against the minimums and every ledger line of the cycle."""
    totals = teacher_totals(teacher, year)
    first, last = totals["cycle"]
    entries = list(CreditEntry.objects.filter(teacher=teacher, credit_year__range=(first, last))
                   .order_by("occurred_on", "pk"))
    by_year = defaultdict(lambda: ZERO)
    for entry in entries:
        entry.capped = entry_is_capped(entry)
        by_year[entry.credit_year] += entry.credits
    return TeacherLedger(teacher=teacher, totals=totals, entries=entries,
                         years=[(y, by_year[y]) for y in range(first, last + 1)])


def entry_is_capped(entry: CreditEntry) -> bool:
    return bool(entry.note) and entry.credits < entry.raw_credits
