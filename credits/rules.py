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
* bonuses (excellent trainee), capped like any credits;
* the year's and the cycle's requirement, and whether an entry was cut by a cap.
"""
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

ZERO = Decimal(0)
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

PER_RECORD = "record"      # at most this much for one record
KIND_YEAR = "kind_year"    # of this kind of training, in a credit year
KIND_CYCLE = "kind_cycle"  # of this kind of training, in a cycle
YEAR = "year"              # of everything, in a credit year


@dataclass(frozen=True)
class Cap:
    kind: str                # PER_RECORD, KIND_YEAR, KIND_CYCLE or YEAR (the ledger's order)
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


def award(hours, conversion: Conversion | None, caps: Sequence[Cap] = ()) -> Award:
    """Convert a record's hours and apply the caps in order."""
    if conversion is None:
        return Award(ZERO, ZERO, refusal=_("These rules give no credits for this kind of training."))
    raw = convert(hours, conversion)
    credits, cuts = apply_caps(raw, caps)
    return Award(raw, credits, cuts)


@dataclass(frozen=True)
class BonusRule:
    credits: Decimal     # flat credits (excellent trainee: by the level of the training)


def bonus_award(bonus: BonusRule | None, caps: Sequence[Cap] = ()) -> Award:
    """A bonus is credits like any other: the yearly cap applies."""
    if bonus is None:
        return Award(ZERO, ZERO, refusal=_("These rules give no bonus at this level."))
    credits, cuts = apply_caps(Decimal(bonus.credits), caps)
    return Award(Decimal(bonus.credits), credits, cuts)


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

    def cycle_for(self, is_new_teacher: bool) -> Decimal:
        return self.cycle + (self.new_teacher_extra if is_new_teacher else ZERO)


def missing(total: Decimal, required: Decimal) -> Decimal:
    return max(required - total, ZERO)


@dataclass(frozen=True)
class Standing:
    """A teacher's year and cycle against the minimums."""

    year_total: Decimal
    year_required: Decimal
    cycle_total: Decimal
    cycle_required: Decimal

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


def standing(*, year: int, cycle: tuple[int, int], credits_by_year: Mapping[int, Decimal], minimums: Minimums,
             is_new_teacher: bool) -> Standing:
    """The year's and the cycle's totals against the minimums of the rule set that
    counts the year (counting_day), whatever rule set gave each year's credits."""
    first, last = cycle
    return Standing(
        year_total=credits_by_year.get(year) or ZERO,
        year_required=minimums.annual,
        cycle_total=sum((credits or ZERO for y, credits in credits_by_year.items() if first <= y <= last), ZERO),
        cycle_required=minimums.cycle_for(is_new_teacher),
    )
