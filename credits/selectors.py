"""学时/学分 figures for many teachers at once, and one teacher's ledger.

Every selector runs a fixed number of queries however many teachers and ledger
lines there are: CreditEntry is summed in the database, grouped by teacher and
credit year, and the rows are put together in Python.

The rules are credits.rules, which services.teacher_totals and the ledger use too:

* a year's figures are counted by the rule set in force on 31 December of that
  credit year (services.year_rule_set), which also says which five-year cycle
  the year belongs to (RuleSet.cycle_of);
* the database sums each credit year's entries; rules.standing adds up the cycle
  and judges both against the minimums (a new teacher's cycle includes
  new_teacher_extra);
* a teacher has hit a cap when an entry of the cycle was cut (rules.is_capped):
  the database gives each year's largest cut (credits by the rule - credits).
  Zero entries with a note but nothing cut (no rule, attendance too low) are
  refusals, not caps.
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import DecimalField, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from accounts.models import District, Organisation
from attendance.models import Teacher
from core.prepared import PreparedQuery

from . import rules as credit_rules
from .models import CategoryRequirement, CreditEntry, CycleClosure, Recognition, RuleSet
from .services import categories_of, minimums, rule_set_for, teacher_totals, year_rule_set

ZERO = Decimal(0)
SCHOOL_KINDS = [Organisation.Kind.SCHOOL, Organisation.Kind.KINDERGARTEN]


def current_credit_year(district: District, today: datetime.date | None = None, rule_sets=None) -> int:
    today = today or timezone.localdate()
    return rule_set_for(district, today, rule_sets).credit_year(today)


def percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return Decimal(part) / Decimal(whole) * 100


# --- many teachers ------------------------------------------------------------------

@dataclass(frozen=True)
class TeacherCredits(credit_rules.Standing):
    """One teacher's year and cycle figures (missing, short, meets: rules.Standing)."""

    teacher: Teacher = None
    capped_year: bool = False     # an entry of the year was cut by a cap
    capped_cycle: bool = False    # an entry of the cycle was cut by a cap
    provisional_year: Decimal = ZERO    # credits of the year still waiting for recognition (not counted)
    provisional_cycle: Decimal = ZERO   # the same in the cycle

    @property
    def capped(self) -> bool:
        return self.capped_cycle


@dataclass
class _CycleFigures:
    """The database's sums for a set of teachers: each one's credits and largest cut by
    credit year, and credits by category in the cycle."""

    year: int
    cycle: tuple[int, int]
    credits: dict
    cuts: dict
    by_category: dict
    categories: list
    minimums: credit_rules.Minimums
    waiting: dict = field(default_factory=lambda: defaultdict(dict))  # provisional credits by credit year

    def standing(self, teacher_pk: int, is_new_teacher: bool) -> credit_rules.Standing:
        return credit_rules.standing(year=self.year, cycle=self.cycle, credits_by_year=self.credits[teacher_pk],
                                     minimums=self.minimums, is_new_teacher=is_new_teacher,
                                     categories=self.categories, credits_by_category=self.by_category[teacher_pk])

    def capped_year(self, teacher_pk: int) -> bool:
        return credit_rules.is_capped(self.cuts[teacher_pk].get(self.year))

    def capped_cycle(self, teacher_pk: int) -> bool:
        return any(credit_rules.is_capped(cut) for cut in self.cuts[teacher_pk].values())

    def row(self, teacher: Teacher) -> "TeacherCredits":
        figures = self.standing(teacher.pk, teacher.is_new_teacher)
        return TeacherCredits(
            **vars(figures), teacher=teacher,  # Standing's fields (vars: cheaper than fields() per row)
            capped_year=self.capped_year(teacher.pk), capped_cycle=self.capped_cycle(teacher.pk),
            provisional_year=self.waiting[teacher.pk].get(self.year, ZERO),
            provisional_cycle=sum(self.waiting[teacher.pk].values(), ZERO),
        )


def _cycle_figures(teacher_pks, rule_set: RuleSet, year: int, categories=None) -> _CycleFigures:
    """Two queries (three with the rule set's category minimums); ``teacher_pks``: a
    values("pk") queryset of the teachers, or a short list of their pks."""
    first, last = rule_set.cycle_of(year)
    in_cycle = CreditEntry.objects.filter(teacher__in=teacher_pks, credit_year__range=(first, last)).order_by()
    # Only confirmed credits count; provisional ones (credits.recognition) are summed apart, in the same query.
    confirmed, provisional = Q(recognition=Recognition.CONFIRMED), Q(recognition=Recognition.PROVISIONAL)
    credits, cuts = defaultdict(dict), defaultdict(dict)  # teacher id → {credit year: figure}
    waiting = defaultdict(dict)
    for row in (in_cycle.values("teacher_id", "credit_year")
                .annotate(total=Sum("credits", filter=confirmed), pending=Sum("credits", filter=provisional),
                          largest_cut=Max(F("raw_credits") - F("credits"), filter=confirmed))):
        if row["total"] is not None:
            credits[row["teacher_id"]][row["credit_year"]] = row["total"]
            cuts[row["teacher_id"]][row["credit_year"]] = row["largest_cut"]
        if row["pending"]:
            waiting[row["teacher_id"]][row["credit_year"]] = row["pending"]
    categories = categories_of(rule_set) if categories is None else categories
    by_category = defaultdict(dict)  # teacher id → {category code: credits in the cycle}
    if categories:
        for row in in_cycle.filter(confirmed).exclude(category="").values("teacher_id", "category").annotate(
                total=Sum("credits")):
            by_category[row["teacher_id"]][row["category"]] = row["total"]
    return _CycleFigures(year=year, cycle=(first, last), credits=credits, cuts=cuts, by_category=by_category,
                         categories=categories, minimums=minimums(rule_set), waiting=waiting)


def teacher_credit_rows(teachers: QuerySet, rule_set: RuleSet, year: int,
                        organisations: dict | None = None) -> list[TeacherCredits]:
    """The year's and its cycle's figures for a queryset of teachers, in two queries
    (three where the rule set has category minimums, four with the categories' query)."""
    teacher_pks = teachers.order_by().values("pk")
    # Not a join: a school's 500 rows share one Organisation object (``organisations``:
    # {pk: Organisation} of every school the teachers belong to, else one more query).
    teachers = list((teachers if organisations else teachers.prefetch_related("organisation")).order_by("name", "pk"))
    if organisations:
        for teacher in teachers:
            Teacher.organisation.field.set_cached_value(teacher, organisations[teacher.organisation_id])
    if not teachers:
        return []
    figures = _cycle_figures(teacher_pks, rule_set, year)
    return [figures.row(teacher) for teacher in teachers]


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

    @property
    def below_excellent(self) -> list[TeacherCredits]:
        """Too few credits this year to be rated 优秀 (where the rules set a threshold)."""
        return [row for row in self.rows if row.below_excellent]

    @property
    def short_category(self) -> list[TeacherCredits]:
        return [row for row in self.rows if row.short_category]

    @property
    def provisional_year(self) -> Decimal:
        """Credits of the year still waiting for recognition (not counted above)."""
        return sum((row.provisional_year for row in self.rows), ZERO)

    @property
    def with_provisional(self) -> list[TeacherCredits]:
        return [row for row in self.rows if row.provisional_cycle]


@dataclass
class SchoolCredits(CreditSummary):
    organisation: Organisation = None
    rule_set: RuleSet = None
    year: int = 0

    @property
    def cycle(self) -> tuple[int, int]:
        return self.rule_set.cycle_of(self.year)

    @property
    def has_categories(self) -> bool:
        return any(row.categories for row in self.rows)


def school_credits(organisation: Organisation, year: int, rule_sets: list[RuleSet] | None = None) -> SchoolCredits:
    """Each teacher in post at the school: year and cycle totals, short, capped. Three queries
    (two with ``rule_sets``: services.rule_set_for)."""
    rule_set = year_rule_set(organisation.district, year, rule_sets)
    teachers = Teacher.objects.filter(organisation=organisation, active=True)
    return SchoolCredits(rows=teacher_credit_rows(teachers, rule_set, year, {organisation.pk: organisation}),
                         organisation=organisation,
                         rule_set=rule_set, year=year)


@dataclass
class SchoolCreditTotals:
    """A school's totals over every teacher in post (the counts SchoolCredits gives as lists)."""

    organisation: Organisation
    rule_set: RuleSet
    year: int
    teachers: int = 0
    meeting_year: int = 0
    meeting_cycle: int = 0
    short_year: int = 0
    short_cycle: int = 0
    capped: int = 0
    below_excellent: int = 0
    short_category: int = 0
    has_categories: bool = False
    with_provisional: int = 0     # teachers with credits of the cycle awaiting recognition (not counted)

    @property
    def cycle(self) -> tuple[int, int]:
        return self.rule_set.cycle_of(self.year)

    @property
    def completion_rate(self) -> Decimal | None:
        return percent(self.meeting_year, self.teachers)


def _per_teacher_sums(teachers: QuerySet, year: int, first: int, last: int) -> QuerySet:
    """Rows (is new teacher, confirmed credits of the year, of the cycle first–last, the
    cycle's largest cut, its provisional credits), one a teacher, as _cycle_figures gives them:
    the totals rounded to the ledger's two places so that SQLite's float sums compare as
    PostgreSQL's numeric ones."""
    # Only confirmed credits count (credits.recognition); provisional ones are counted apart.
    confirmed = Q(credit_entries__recognition=Recognition.CONFIRMED)
    in_cycle = Q(credit_entries__credit_year__range=(first, last)) & confirmed
    return teachers.order_by().annotate(
        year_total=Coalesce(Round(Sum("credit_entries__credits",
                                      filter=Q(credit_entries__credit_year=year) & confirmed), 2),
                            ZERO, output_field=DecimalField()),
        cycle_total=Coalesce(Round(Sum("credit_entries__credits", filter=in_cycle), 2), ZERO,
                             output_field=DecimalField()),
        largest_cut=Max(F("credit_entries__raw_credits") - F("credit_entries__credits"), filter=in_cycle),
        pending=Sum("credit_entries__credits", filter=Q(credit_entries__credit_year__range=(first, last),
                                                        credit_entries__recognition=Recognition.PROVISIONAL)),
    ).values_list("is_new_teacher", "year_total", "cycle_total", "largest_cut", "pending")


# The same for the teachers in post of one school (its pk: school), compiled once: the school
# page runs it on every request, and building it in the ORM cost more than running it
# (issue 14 item 5).
_SCHOOL_SUMS = PreparedQuery(
    lambda school, year, first, last: _per_teacher_sums(
        Teacher.objects.filter(organisation_id=school, active=True), year, first, last),
    school=int, year=int, first=int, last=int)


def _school_totals_of_sums(totals: "SchoolCreditTotals", figures_minimums, cycle) -> None:
    """The totals of a rule set without category minimums, from each teacher in post's year
    and cycle sums (_per_teacher_sums), one row a teacher without a model object, judged as
    rules.Standing judges them (tests/test_credits__school_page.py holds the two together).
    Counting the rows here costs less than building an aggregate over them."""
    first, last = cycle
    minimums = figures_minimums
    per_teacher = _SCHOOL_SUMS.rows(school=totals.organisation.pk, year=totals.year, first=first, last=last)
    annual, excellent = minimums.annual, minimums.excellent_rating
    cycle_minimum = {False: minimums.cycle_for(False), True: minimums.cycle_for(True)}
    for is_new_teacher, year_total, cycle_total, largest_cut, pending in per_teacher:
        totals.teachers += 1
        totals.meeting_year += year_total >= annual
        totals.meeting_cycle += cycle_total >= cycle_minimum[is_new_teacher]
        totals.capped += credit_rules.is_capped(largest_cut)
        totals.below_excellent += excellent is not None and year_total < excellent
        totals.with_provisional += pending is not None and pending > 0
    totals.short_year = totals.teachers - totals.meeting_year
    totals.short_cycle = totals.teachers - totals.meeting_cycle


# What a row of the school page reads of its teacher (_CycleFigures.row, credits.presenters).
PAGE_TEACHER_FIELDS = ("pk", "name", "is_new_teacher")


def school_credit_page(organisation: Organisation, year: int, number: int, per_page: int,
                       rule_sets: list[RuleSet] | None = None) -> tuple[SchoolCreditTotals, Page]:
    """The school page: the totals over every teacher in post (judged by the same rules as
    school_credits' rows), and the full rows (TeacherCredits, their teacher a light record:
    PAGE_TEACHER_FIELDS) of page ``number`` only, in name order; a number beyond the end gives
    the last page. A fixed number of queries, and no model object a teacher: the totals are
    counted from each teacher's sums (one row a teacher; where the rule set has category
    minimums, whose surplus rules are Python's only, through rules.Standing)."""
    rule_set = year_rule_set(organisation.district, year, rule_sets)
    teachers = Teacher.objects.filter(organisation=organisation, active=True)
    totals = SchoolCreditTotals(organisation=organisation, rule_set=rule_set, year=year)
    categories = categories_of(rule_set)
    if not categories:
        _school_totals_of_sums(totals, minimums(rule_set), rule_set.cycle_of(year))
    else:
        in_order = list(teachers.values_list("pk", "is_new_teacher"))
        figures = _cycle_figures(teachers.order_by().values("pk"), rule_set, year)
        totals.teachers = len(in_order)
        for pk, is_new_teacher in in_order:
            standing = figures.standing(pk, is_new_teacher)
            short_year, short_cycle, short_category = standing.short_year, standing.short_cycle, standing.short_category
            totals.meeting_year += not short_year
            totals.meeting_cycle += not short_cycle
            totals.short_year += short_year
            totals.short_cycle += short_cycle
            totals.capped += figures.capped_cycle(pk)
            totals.below_excellent += standing.below_excellent
            totals.short_category += short_category
            totals.has_categories = totals.has_categories or bool(standing.categories)
            totals.with_provisional += bool(figures.waiting[pk])
    # The page's teachers as light records: the rows and the table read no more of them.
    paginator = Paginator(teachers.order_by("name", "pk").values_list(*PAGE_TEACHER_FIELDS, named=True), per_page)
    paginator.count = totals.teachers  # counted above: no COUNT query of its own
    page = paginator.page(min(number, paginator.num_pages))
    on_page = list(page.object_list)
    figures = _cycle_figures([teacher.pk for teacher in on_page], rule_set, year, categories=categories)
    page.object_list = [figures.row(teacher) for teacher in on_page]
    return totals, page


@dataclass
class DistrictCredits(CreditSummary):
    district: District = None
    rule_set: RuleSet = None
    year: int = 0
    schools: list[SchoolCredits] = field(default_factory=list)

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
    rows = teacher_credit_rows(teachers, rule_set, year, {school.pk: school for school in schools})
    by_school = defaultdict(list)
    for row in rows:
        by_school[row.teacher.organisation_id].append(row)
    return DistrictCredits(rows=rows, district=district, rule_set=rule_set, year=year,
                           schools=[SchoolCredits(rows=by_school[s.pk], organisation=s, rule_set=rule_set, year=year)
                                    for s in schools])


def cycle_closures(organisation: Organisation, first_year: int) -> list[CycleClosure]:
    return list(CycleClosure.objects.filter(teacher__organisation=organisation, first_year=first_year)
                .select_related("teacher", "confirmed_by").order_by("teacher__name", "teacher__pk"))


# --- one teacher --------------------------------------------------------------------

@dataclass
class TeacherLedger:
    teacher: Teacher
    totals: dict                         # services.teacher_totals
    entries: list[CreditEntry]           # the cycle's, oldest first
    years: list[tuple[int, Decimal]]     # (credit year, confirmed credits) for each year of the cycle
    provisional_years: dict = field(default_factory=dict)  # credit year → credits awaiting recognition

    @property
    def provisional_year(self) -> Decimal:
        return self.provisional_years.get(self.year, ZERO)

    @property
    def provisional_cycle(self) -> Decimal:
        return sum(self.provisional_years.values(), ZERO)

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
    names = {(c.rule_set_id, c.code): c.name for c in CategoryRequirement.objects.filter(
        rule_set_id__in={entry.rule_set_id for entry in entries if entry.category})}
    provisional = defaultdict(lambda: ZERO)
    for entry in entries:
        entry.capped = credit_rules.is_capped(entry.raw_credits - entry.credits)
        entry.category_name = names.get((entry.rule_set_id, entry.category), entry.category)
        if entry.recognition == Recognition.CONFIRMED:
            by_year[entry.credit_year] += entry.credits
        elif entry.recognition == Recognition.PROVISIONAL:
            provisional[entry.credit_year] += entry.credits
    return TeacherLedger(teacher=teacher, totals=totals, entries=entries,
                         years=[(y, by_year[y]) for y in range(first, last + 1)],
                         provisional_years=dict(provisional))

