"""Recounting a teacher's credit year under another version of the rules: pure, like rules.py.

Used by the rule editor's preview (credits.rule_versions.preview): the ledger lines of a year,
as plain values, are counted again by a rule book (conversions, caps, bonuses) in the order
the ledger wrote them, with credits.rules doing every conversion and cap. Nothing here reads
or writes the database.

What is recounted, line by line (the ledger's own order):

* a record (project, school-based, declaration): its hours (or subject credits) converted by
  the book's rule for its activity and level, then capped per record, per year and per cycle
  of its kind, the same content once a year at the highest, and the yearly cap overall;
* a bonus (excellent trainee): the book's bonus at its level, flat or a percentage of the
  record before it, under the yearly cap;
* refusals stay refusals (failed assessment, attendance too low, forfeited school-based year):
  they are about the teacher, not the rules;
* exemptions (approved leave) are kept as the ledger has them: the ledger does not keep the
  months or semesters they were counted from.
"""
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from . import rules

ZERO = Decimal(0)
ANY = "any"
SUBJECT_CREDIT = "subject_credit"

RECORD = "record"
BONUS = "bonus"
EXEMPTION = "exemption"
REFUSED = "refused"
PROVINCIAL = "provincial"  # a record the provincial platform recognised: its credits stand


@dataclass(frozen=True)
class ConversionSpec:
    """One conversion rule of a book: how it converts, what it counts, its caps."""

    conversion: rules.Conversion
    unit: str = "hour"
    once_per_content: bool = False
    cap_per_item: Decimal | None = None
    cap_per_year: Decimal | None = None
    cap_per_cycle: Decimal | None = None


@dataclass(frozen=True)
class RuleBook:
    """A version of the rules as the recount needs it."""

    conversions: Mapping[tuple[str, str], ConversionSpec]   # (activity, level) → rule; level "any" matches all
    bonuses: Mapping[str, rules.BonusRule] = field(default_factory=dict)   # level → excellent-trainee bonus
    annual_cap: Decimal | None = None
    annual_minimum: Decimal = ZERO
    cycle_start_year: int = 2011
    cycle_years: int = 5

    def conversion(self, activity: str, level: str) -> ConversionSpec | None:
        return self.conversions.get((activity, level)) or self.conversions.get((activity, ANY))

    def bonus(self, level: str) -> rules.BonusRule | None:
        return self.bonuses.get(level) or self.bonuses.get(ANY)

    def cycle_of(self, year: int) -> tuple[int, int]:
        return rules.cycle_of(year, self.cycle_start_year, self.cycle_years)


@dataclass(frozen=True)
class Line:
    """One ledger line of the year, as plain values."""

    kind: str                       # RECORD, BONUS, EXEMPTION, REFUSED or PROVINCIAL
    activity: str
    level: str
    hours: Decimal = ZERO
    credits: Decimal = ZERO         # as the ledger has it (what exemptions keep)
    subject_credits: Decimal | None = None   # degree study counted by subject credits, where known
    content: str = ""               # the content key, where the same content counts once a year


def recount_year(lines: Sequence[Line], book: RuleBook,
                 earlier_in_cycle: Mapping[str, Decimal] | None = None) -> list[Decimal]:
    """Each line's credits under `book`, in the order given. earlier_in_cycle: credits of each
    activity (bonuses aside) in the cycle's earlier years, which its cycle caps have used."""
    earlier_in_cycle = earlier_in_cycle or {}
    kind_year = defaultdict(lambda: ZERO)     # activity → credits this year (bonuses aside)
    same_content = defaultdict(lambda: ZERO)  # (activity, content) → credits this year
    year_used = ZERO                          # everything this year but exemptions
    last_record = ZERO
    counted = []
    for line in lines:
        if line.kind == EXEMPTION:
            credits = Decimal(line.credits)
            kind_year[line.activity] += credits
        elif line.kind == REFUSED:
            credits = ZERO
        elif line.kind == PROVINCIAL:
            credits = Decimal(line.credits)
            kind_year[line.activity] += credits
            year_used += credits
        elif line.kind == BONUS:
            caps = _year_cap(book, year_used)
            credits = rules.bonus_award(book.bonus(line.level), caps, base=last_record).credits
            year_used += credits
        else:
            credits = _record(line, book, kind_year, earlier_in_cycle, same_content, year_used)
            kind_year[line.activity] += credits
            year_used += credits
            last_record = credits
        counted.append(credits)
    return counted


def _year_cap(book: RuleBook, used: Decimal) -> list[rules.Cap]:
    return [] if book.annual_cap is None else [rules.Cap(rules.YEAR, book.annual_cap, used)]


def _record(line, book, kind_year, earlier_in_cycle, same_content, year_used) -> Decimal:
    spec = book.conversion(line.activity, line.level)
    if spec is None:
        return ZERO  # these rules give nothing for it
    quantity = line.hours
    if spec.unit == SUBJECT_CREDIT and not spec.conversion.flat:
        if line.subject_credits is None:
            return Decimal(line.credits)  # the ledger did not keep them: as it stands
        quantity = line.subject_credits
    caps = []
    if spec.cap_per_item is not None:
        caps.append(rules.Cap(rules.PER_RECORD, spec.cap_per_item))
    if spec.cap_per_year is not None:
        caps.append(rules.Cap(rules.KIND_YEAR, spec.cap_per_year, kind_year[line.activity]))
    if spec.cap_per_cycle is not None:
        used = Decimal(earlier_in_cycle.get(line.activity) or 0) + kind_year[line.activity]
        caps.append(rules.Cap(rules.KIND_CYCLE, spec.cap_per_cycle, used))
    content_key = (line.activity, line.content) if spec.once_per_content and line.content else None
    award = rules.award(quantity, spec.conversion, caps + _year_cap(book, year_used),
                        same_content=same_content[content_key] if content_key else None)
    if content_key:
        same_content[content_key] += award.credits
    return award.credits
