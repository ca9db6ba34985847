"""The credit rules of seed 002 as pure functions: plain values in, plain values out.

No database and no models here (only the standard library and gettext): the
services (one teacher, writing the ledger) gather the figures with queries, call
these, and write what they return; the selectors (a whole school or district in
a fixed number of queries) call the same functions on summed figures, so a page
and the ledger cannot disagree.

* the calendar: which credit year a day belongs to, which cycle a year belongs to,
  and the day whose rule set counts a year;
* conversion: hours to credits by a conversion rule (its unit of hours, or flat
  credits per record);
* caps, applied in the order given, each cut explained: per record, per year and
  per cycle of one kind of training, then per year overall;
* bonuses (excellent trainee: flat credits by level, or a percentage of the
  record rounded to a whole credit), capped like any credits;
* assessment results: a failed assessment gives no credits;
* the same content taught at several levels in one year counts once, at the highest;
* leave exemptions (per semester or per month) and days without hours;
* the year's and the cycle's requirement, the yearly threshold for an 优秀 rating,
  category minimums per cycle with declared offsets, and whether an entry was cut by a cap.
"""
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")


def format_number(value) -> str:
    """A figure as the ledger writes it: 30, 3.33 (never 30.00 or 3.3333)."""
    value = Decimal(value) + 0  # + 0 turns -0 into 0
    return format(value.normalize(), "f") if value == value.to_integral() else format(value.quantize(CENT), "f")


# --- the calendar -----------------------------------------------------------------

def credit_year(day: datetime.date, year_start: str = "01-01") -> int:
    """The credit year a day belongs to; year_start is "MM-DD" (1 January, or 1 February
    where the year runs from February to January)."""
    month, dom = (int(part) for part in year_start.split("-"))
    return day.year if (day.month, day.day) >= (month, dom) else day.year - 1


def cycle_of(year: int, cycle_start_year: int, cycle_years: int = 5) -> tuple[int, int]:
    """The first and last credit year of the cycle that holds `year`."""
    first = cycle_start_year + (year - cycle_start_year) // cycle_years * cycle_years
    return first, first + cycle_years - 1


def counting_day(year: int) -> datetime.date:
    """The day whose rule set counts a credit year: its minimums and its cycle."""
    return datetime.date(year, 12, 31)


# --- conversion -------------------------------------------------------------------

@dataclass(frozen=True)
class Conversion:
    """How hours of one kind of training become credits."""

    credits: Decimal               # credits per unit of hours, or per record when flat
    unit_hours: Decimal = Decimal(1)   # hours that make one unit
    flat: bool = False             # credits per record, hours ignored


def convert(hours, conversion: Conversion) -> Decimal:
    """Credits by the rule before any cap, rounded half up to the cent."""
    if conversion.flat:
        raw = Decimal(conversion.credits)
    else:
        raw = Decimal(str(hours)) * conversion.credits / conversion.unit_hours
    return raw.quantize(CENT, ROUND_HALF_UP)


# --- caps -----------------------------------------------------------------------------

SAME_CONTENT = "content"   # the same content taught again this year: only the highest counts
PER_RECORD = "record"      # at most this much for one record
KIND_YEAR = "kind_year"    # of this kind of training, in a credit year
KIND_CYCLE = "kind_cycle"  # of this kind of training, in a cycle
YEAR = "year"              # of everything, in a credit year


@dataclass(frozen=True)
class Cap:
    kind: str                # SAME_CONTENT, PER_RECORD, KIND_YEAR, KIND_CYCLE or YEAR (the ledger's order)
    limit: Decimal
    used: Decimal = ZERO     # credits already counted against it

    @property
    def room(self) -> Decimal:
        return max(Decimal(self.limit) - self.used, ZERO)


@dataclass(frozen=True)
class Cut:
    kind: str
    room: Decimal      # what the cap still allowed
    amount: Decimal    # what it took away

    @property
    def reason(self) -> str:
        messages = {
            SAME_CONTENT: _("the same content taught at several levels in a year counts once, at the highest: "
                            "%(cut)s cut"),
            PER_RECORD: _("at most %(cap)s credits per record: %(cut)s cut"),
            KIND_YEAR: _("at most %(cap)s credits of this kind left this year: %(cut)s cut"),
            KIND_CYCLE: _("at most %(cap)s credits of this kind left this cycle: %(cut)s cut"),
            YEAR: _("at most %(cap)s credits left this year: %(cut)s cut"),
        }
        return messages[self.kind] % {"cap": format_number(self.room), "cut": format_number(self.amount)}


def apply_caps(credits: Decimal, caps: Sequence[Cap]) -> tuple[Decimal, tuple[Cut, ...]]:
    """Each cap in turn keeps what fits in its room; every cut says what and why."""
    cuts = []
    for cap in caps:
        if credits > cap.room:
            cuts.append(Cut(cap.kind, cap.room, credits - cap.room))
            credits = cap.room
    return credits, tuple(cuts)


@dataclass(frozen=True)
class Award:
    """One ledger line's figures: what the rule gave, what is credited, and why."""

    raw: Decimal                 # credits by the rule
    credits: Decimal             # after the caps
    cuts: tuple[Cut, ...] = ()
    refusal: str = ""            # why the rule gives nothing

    @property
    def note(self) -> str:
        return "；".join(cut.reason for cut in self.cuts) or self.refusal

    @property
    def capped(self) -> bool:
        return is_capped(self.raw - self.credits)


FAILED = "failed"   # an Award's refusal code: the trainee failed the organiser's assessment


def failed_assessment_note() -> str:
    return _("Those who fail the assessment get no credits.")


def award(hours, conversion: Conversion | None, caps: Sequence[Cap] = (), *, passed: bool = True,
          same_content: Decimal | None = None) -> Award:
    """Convert a record's hours and apply the caps in order.

    passed=False: the trainee failed the organiser's assessment, nothing is credited
    (甘肃办法第七条: 成绩不合格者，不认定学分). same_content: credits already counted
    this year for the same content where the rules count it once, at the highest level
    (湖南 五、4; 长沙 三、7): the record adds only what it gives beyond them."""
    if not passed:
        return Award(ZERO, ZERO, refusal=failed_assessment_note())
    if conversion is None:
        return Award(ZERO, ZERO, refusal=_("These rules give no credits for this kind of training."))
    raw = convert(hours, conversion)
    if same_content is not None:
        caps = [Cap(SAME_CONTENT, raw, Decimal(same_content)), *caps]
    credits, cuts = apply_caps(raw, caps)
    return Award(raw, credits, cuts)


@dataclass(frozen=True)
class BonusRule:
    credits: Decimal = ZERO            # flat credits (Gansu: by the level of the training)
    percent: Decimal | None = None     # or a share of the record's credits (Changsha: 20)


def round_whole(value) -> Decimal:
    """四舍五入取整: half up to a whole credit."""
    return Decimal(value).quantize(ONE, ROUND_HALF_UP)


def bonus_credits(bonus: BonusRule, base=ZERO) -> Decimal:
    """A percentage bonus raises the record's credits by that share and rounds the result
    to a whole credit (长沙 三、2: 学分可上浮20%（四舍五入取整）): 18 → 21.6 → 22, a bonus of 4."""
    if bonus.percent is None:
        return Decimal(bonus.credits)
    base = Decimal(base)
    return max(round_whole(base * (100 + Decimal(bonus.percent)) / 100) - base, ZERO)


def bonus_award(bonus: BonusRule | None, caps: Sequence[Cap] = (), *, base=ZERO) -> Award:
    """A bonus is credits like any other: the yearly cap applies. base: the record's credits."""
    if bonus is None:
        return Award(ZERO, ZERO, refusal=_("These rules give no bonus at this level."))
    amount = bonus_credits(bonus, base)
    credits, cuts = apply_caps(amount, caps)
    return Award(amount, credits, cuts)


# --- inputs other than hours -------------------------------------------------------------

def hours_from_days(days, hours_per_day) -> Decimal:
    """A certificate without hours: so many hours a day (长沙 三、2: 每天按6学时计)."""
    return Decimal(str(days)) * Decimal(hours_per_day)


def leave_exemption(*, per_semester=ZERO, per_month=ZERO, semesters=None, months=None) -> Award:
    """Credits exempted for approved maternity or sick leave: per full semester (湖南 五、5:
    请假每满一学期，可免修30学分) or per month (长沙 三、6: 按6学分/月). A unit the
    rules do not count by gives nothing, and says so."""
    if months is not None:
        per_unit, units = Decimal(per_month or 0), Decimal(months)
    else:
        per_unit, units = Decimal(per_semester or 0), Decimal(1 if semesters is None else semesters)
    if per_unit <= 0:
        return Award(ZERO, ZERO, refusal=_("These rules exempt no credits for leave counted this way."))
    credits = (per_unit * units).quantize(CENT, ROUND_HALF_UP)
    return Award(credits, credits)


def is_capped(cut) -> bool:
    """A ledger entry was cut by a cap when the rule gave more than was credited
    (cut = credits by the rule - credits). Caps only ever take away and refusals
    give 0 of 0, so for several entries pass the largest cut; None is no entry."""
    return cut is not None and cut > 0


# --- requirements -----------------------------------------------------------------------

@dataclass(frozen=True)
class Minimums:
    annual: Decimal
    cycle: Decimal
    new_teacher_extra: Decimal = ZERO   # added to a new teacher's cycle
    excellent_rating: Decimal | None = None   # fewer in a year: no 优秀 rating that year

    def cycle_for(self, is_new_teacher: bool) -> Decimal:
        return self.cycle + (self.new_teacher_extra if is_new_teacher else ZERO)


def missing(total: Decimal, required: Decimal) -> Decimal:
    return max(required - total, ZERO)


@dataclass(frozen=True)
class Standing:
    """A teacher's year and cycle against the minimums (and the category minimums)."""

    year_total: Decimal
    year_required: Decimal
    cycle_total: Decimal
    cycle_required: Decimal
    categories: tuple = ()                  # CategoryProgress, in the rule set's order
    excellent_minimum: Decimal | None = None

    @property
    def year_missing(self) -> Decimal:
        return missing(self.year_total, self.year_required)

    @property
    def cycle_missing(self) -> Decimal:
        return missing(self.cycle_total, self.cycle_required)

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
    def categories_missing(self) -> list:
        return categories_missing(self.categories)

    @property
    def short_category(self) -> bool:
        return bool(self.categories_missing)

    @property
    def completes_cycle(self) -> bool:
        """准予结业: the cycle's total and every category minimum reached."""
        return self.meets_cycle and not self.short_category

    @property
    def may_be_rated_excellent(self) -> bool | None:
        return may_be_rated_excellent(self.year_total, self.excellent_minimum)

    @property
    def below_excellent(self) -> bool:
        return self.may_be_rated_excellent is False


def standing(*, year: int, cycle: tuple[int, int], credits_by_year: Mapping[int, Decimal], minimums: Minimums,
             is_new_teacher: bool, categories: Sequence["Category"] = (),
             credits_by_category: Mapping[str, Decimal] | None = None) -> Standing:
    """The year's and the cycle's totals against the minimums of the rule set that
    counts the year (counting_day), whatever rule set gave each year's credits;
    credits_by_category: the cycle's credits by category code."""
    first, last = cycle
    return Standing(
        year_total=credits_by_year.get(year) or ZERO,
        year_required=minimums.annual,
        cycle_total=sum((credits or ZERO for y, credits in credits_by_year.items() if first <= y <= last), ZERO),
        cycle_required=minimums.cycle_for(is_new_teacher),
        categories=tuple(category_progress(categories, credits_by_category or {})),
        excellent_minimum=minimums.excellent_rating,
    )


def may_be_rated_excellent(year_total, minimum) -> bool | None:
    """Whether a year's credits allow an 优秀 rating in that year's appraisal (湖南 七:
    一个年度内培训学分少于72学分者，原则上当年年度考核不能评为优秀等第). None: the
    rules set no such threshold."""
    if minimum is None:
        return None
    return Decimal(year_total or 0) >= Decimal(minimum)


# --- category minimums per cycle -------------------------------------------------------------

@dataclass(frozen=True)
class Category:
    """A category a rule set requires a minimum of in each cycle (陕西: 集中培训 30, 远程培训
    40, 校本研修 50). Its credits beyond the minimum may count towards another category's
    minimum when the rules declare it (surplus_to), at most surplus_limit of them."""

    code: str
    name: str
    minimum: Decimal
    surplus_to: str = ""
    surplus_limit: Decimal | None = None


@dataclass(frozen=True)
class CategoryProgress:
    code: str
    name: str
    minimum: Decimal
    earned: Decimal                  # the category's own credits in the cycle
    received: Decimal = ZERO         # another category's surplus counted towards this one
    given: Decimal = ZERO            # this category's surplus counted towards another
    received_from: str = ""          # name of the category the surplus came from
    given_to: str = ""

    @property
    def counted(self) -> Decimal:
        return self.earned + self.received

    @property
    def missing(self) -> Decimal:
        return missing(self.counted, self.minimum)

    @property
    def met(self) -> bool:
        return self.counted >= self.minimum


def category_progress(categories: Sequence[Category], credits: Mapping[str, Decimal]) -> list[CategoryProgress]:
    """Each category's credits against its minimum, in the order given. A declared offset
    moves only the source category's own surplus beyond its minimum (never credits it
    received), only as much as the target still lacks, and at most the declared limit."""
    earned = {c.code: Decimal(credits.get(c.code) or 0) for c in categories}
    names = {c.code: c.name for c in categories}
    received, given = {c.code: ZERO for c in categories}, {c.code: ZERO for c in categories}
    sources, targets = {}, {}
    for category in categories:
        target = category.surplus_to
        if not target or target not in earned or target == category.code:
            continue
        surplus = max(earned[category.code] - Decimal(category.minimum), ZERO)
        if category.surplus_limit is not None:
            surplus = min(surplus, Decimal(category.surplus_limit))
        target_minimum = next(c.minimum for c in categories if c.code == target)
        lacking = max(Decimal(target_minimum) - earned[target] - received[target], ZERO)
        moved = min(surplus, lacking)
        if moved > 0:
            received[target] += moved
            given[category.code] += moved
            sources[target], targets[category.code] = names[category.code], names[target]
    return [CategoryProgress(code=c.code, name=c.name, minimum=Decimal(c.minimum), earned=earned[c.code],
                             received=received[c.code], given=given[c.code],
                             received_from=sources.get(c.code, ""), given_to=targets.get(c.code, ""))
            for c in categories]


def categories_missing(progress: Sequence[CategoryProgress]) -> list[CategoryProgress]:
    """The categories whose minimum is not met: a cycle cannot be completed (准予结业) with any."""
    return [p for p in progress if not p.met]


# --- recognition up the chain -------------------------------------------------------

# Which levels confirm which credits, bottom up, per rule family: (origin → levels).
# Origins: "provincial" (provincial or national training), "city", "county",
# "school_based" (school-based training, and projects a school runs), "declaration"
# (outside training a teacher declares; without its own line it follows its level,
# less a leading "county": the bureau's confirmation in the declaration flow is the
# county's). Levels: "county" (the district's bureau), "city", "province".
# A family without a route (hunan, gansu, …) or an origin without a line: credits
# are final when written. Change the route here; docs/recognition.md shows it.
RECOGNITION_ROUTES: dict[str, dict[str, tuple[str, ...]]] = {
    # 陕教师〔2013〕31号: 省级及以上培训项目的学分,由省级机构认定; 市、县级培训项目的学分,
    # 由市级机构统一报省级机构审核后方可认定; 中小学校本研修的学分,由县级机构统一报市级机构审核后认定.
    "shaanxi": {
        "provincial": ("province",),
        "city": ("city", "province"),
        "county": ("county", "city", "province"),
        "school_based": ("county", "city"),
    },
}


def recognition_origin(source: str, level: str) -> str:
    """The route's key for a ledger line: school-based (or a school's own project), or the level."""
    if source == "school_based" or level == "school":
        return "school_based"
    if level in ("province", "national"):
        return "provincial"
    if level == "city":
        return "city"
    return "county"


def recognition_route(family: str, origin: str, *, declared: bool = False) -> tuple[str, ...]:
    """The levels that confirm such credits, in order; () when they are final at once."""
    routes = RECOGNITION_ROUTES.get(family, {})
    if declared:
        if "declaration" in routes:
            return tuple(routes["declaration"])
        route = tuple(routes.get(origin, ()))
        return route[1:] if route[:1] == ("county",) else route
    return tuple(routes.get(origin, ()))
