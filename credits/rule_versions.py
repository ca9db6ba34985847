"""A district's own versions of its credit rules, made by its bureau in the app.

Shared rule sets (RuleSet.district empty) are the superuser's: every district counting by the
family uses them. A bureau changes its district's rules by saving a new version of its own: a
copy of a version it counts by (the one in force, unless it picks another), with a new
valid_from and its conversions, caps, bonuses and category minimums as edited. Before it is
saved, a preview recounts the current credit year of a sample of the district's teachers under
the rules in force and under the new version (credits.recount, no writes).

A version applies from its valid_from (services.rule_set_for); it must start after every
version the district counts by, so versions never interleave. Ledger lines keep the version
that made them (CreditEntry.rule_set): a new version changes only what is credited from then
on, and each year's minimums follow the version in force on its counting day.
"""
import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import District, Organisation, User
from attendance.models import Teacher

from . import recount
from . import rules as credit_rules
from .models import Bonus, CategoryRequirement, ConversionRule, CreditEntry, RuleSet, Unit
from .services import rule_family, rule_set_for, rule_sets_of

SAMPLE_SIZE = 20
SCHOOL_KINDS = [Organisation.Kind.SCHOOL, Organisation.Kind.KINDERGARTEN]

ERROR_NOT_LATER = gettext_lazy("A new version must start after the latest version your district counts by "
                               "(“%(name)s”, in force from %(date)s).")
ERROR_NO_RULES = gettext_lazy("Your district counts by no credit rules yet: ask the system administrator to load "
                              "them.")


def may_edit_rules(user: User) -> bool:
    """A bureau officer, for their own district."""
    return user.is_authenticated and user.is_bureau_officer


def district_of(user: User) -> District:
    if not may_edit_rules(user):
        raise PermissionDenied
    return user.organisation.district


def versions(district) -> list[RuleSet]:
    """Every version the district counts by, newest first, shared and its own."""
    return list(rule_sets_of(district).select_related("district").order_by(
        "-valid_from", "district_id"))


def latest_version(district) -> RuleSet | None:
    return rule_sets_of(district).order_by("-valid_from", "district_id").first()


def in_force(district, day: datetime.date | None = None) -> RuleSet | None:
    try:
        return rule_set_for(district, day or timezone.localdate())
    except ValidationError:
        return None


# --- a version as the recount sees it -----------------------------------------------------

def book_of(rule_set: RuleSet, conversions, bonuses) -> recount.RuleBook:
    """A rule set (saved or not) and its rows as plain values."""
    return recount.RuleBook(
        conversions={(c.activity, c.level): recount.ConversionSpec(
            conversion=credit_rules.Conversion(credits=Decimal(c.credits), unit_hours=Decimal(c.hours), flat=c.flat),
            unit=c.unit, once_per_content=c.once_per_content, cap_per_item=c.cap_per_item,
            cap_per_year=c.cap_per_year, cap_per_cycle=c.cap_per_cycle) for c in conversions},
        bonuses={b.level: b.rule() for b in bonuses if b.kind == Bonus.Kind.EXCELLENT_TRAINEE},
        annual_cap=rule_set.annual_cap, annual_minimum=rule_set.annual_minimum or Decimal(0),
        cycle_start_year=rule_set.cycle_start_year, cycle_years=rule_set.cycle_years,
    )


def saved_book(rule_set: RuleSet) -> recount.RuleBook:
    return book_of(rule_set, rule_set.conversions.all(), rule_set.bonuses.all())


# --- the preview ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreviewRow:
    teacher: Teacher
    ledger: Decimal        # the year's credits as the ledger has them
    old: Decimal           # recounted under the rules in force
    new: Decimal           # recounted under the new version
    old_minimum: Decimal
    new_minimum: Decimal

    @property
    def difference(self) -> Decimal:
        return self.new - self.old

    @property
    def changed(self) -> bool:
        return self.difference != 0

    @property
    def short_old(self) -> bool:
        return self.old < self.old_minimum

    @property
    def short_new(self) -> bool:
        return self.new < self.new_minimum


@dataclass
class Preview:
    year: int
    current: RuleSet
    rows: list[PreviewRow]
    teachers_with_credits: int     # the population the sample was drawn from

    @property
    def changed(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.changed]


def sample(items: list, size: int = SAMPLE_SIZE) -> list:
    """Up to `size` items spread evenly over the list (the first, the last and between), so
    that a sample of teachers ordered by school reaches every school it can."""
    if len(items) <= size:
        return list(items)
    if size == 1:
        return [items[0]]
    step = (len(items) - 1) / (size - 1)
    return [items[round(n * step)] for n in range(size)]


def _lines(entries, old_conversions) -> list[recount.Line]:
    """A teacher's ledger lines of a year as the recount takes them."""
    lines = []
    for entry in entries:
        old = old_conversions.get((entry.rule_set_id, entry.activity, entry.level)) or \
            old_conversions.get((entry.rule_set_id, entry.activity, "any"))
        if entry.source == CreditEntry.Source.EXEMPTION:
            kind = recount.EXEMPTION
        elif entry.source == CreditEntry.Source.BONUS:
            kind = recount.BONUS
        elif entry.source == CreditEntry.Source.PROVINCIAL:
            kind = recount.PROVINCIAL  # the province's figure, not ours to recount
        elif entry.raw_credits == 0 and (old is not None or entry.source == CreditEntry.Source.PROJECT):
            # Refused for the teacher's own reasons (assessment, attendance, forfeited year), not
            # for want of a rule: so it stays.
            kind = recount.REFUSED
        else:
            kind = recount.RECORD
        subject_credits = None
        if old is not None and old.unit == Unit.SUBJECT_CREDIT and not old.flat and old.credits:
            subject_credits = entry.raw_credits * old.hours / old.credits
        lines.append(recount.Line(kind=kind, activity=entry.activity, level=entry.level, hours=entry.hours,
                                  credits=entry.credits, subject_credits=subject_credits, content=entry.content))
    return lines


def preview(district, new_set: RuleSet, new_conversions, new_bonuses, *, today=None, current=None,
            everyone=False, progress=None) -> Preview | None:
    """The current credit year of up to 20 of the district's teachers with credits in it,
    recounted under the rules in force (or `current`) and under the new version. Reads only.
    everyone: every such teacher, not a sample (the recount job after a save, credits.tasks);
    progress(done, total) is then called every 100 teachers."""
    current = current or in_force(district, today)
    if current is None:
        return None
    year = current.credit_year(today or timezone.localdate())
    old_book, new_book = saved_book(current), book_of(new_set, new_conversions, new_bonuses)
    population = list(Teacher.objects.filter(
        organisation__district=district, organisation__kind__in=SCHOOL_KINDS, active=True,
        credit_entries__credit_year=year).annotate(lines=Count("credit_entries")).select_related(
        "organisation").order_by("organisation__name", "name", "pk"))
    chosen = list(population) if everyone else sample(population)
    ids = [teacher.pk for teacher in chosen]
    entries = defaultdict(list)
    for entry in CreditEntry.objects.filter(teacher_id__in=ids, credit_year=year).order_by("pk"):
        entries[entry.teacher_id].append(entry)
    old_conversions = {(c.rule_set_id, c.activity, c.level): c for c in ConversionRule.objects.filter(
        rule_set_id__in={e.rule_set_id for lines in entries.values() for e in lines})}
    first = min(old_book.cycle_of(year)[0], new_book.cycle_of(year)[0])
    earlier = defaultdict(lambda: defaultdict(dict))  # teacher → credit year → activity → credits
    if first < year:
        for row in (CreditEntry.objects.filter(teacher_id__in=ids, credit_year__range=(first, year - 1))
                    .exclude(source=CreditEntry.Source.BONUS).order_by()
                    .values("teacher_id", "credit_year", "activity").annotate(total=Sum("credits"))):
            earlier[row["teacher_id"]][row["credit_year"]][row["activity"]] = row["total"]
    rows = []
    for number, teacher in enumerate(chosen):
        if progress is not None and number % 100 == 0:
            progress(number, len(chosen))
        lines = _lines(entries[teacher.pk], old_conversions)
        counted = {}
        for name, book in (("old", old_book), ("new", new_book)):
            cycle_first = book.cycle_of(year)[0]
            used = defaultdict(lambda: Decimal(0))
            for credit_year, by_activity in earlier[teacher.pk].items():
                if credit_year >= cycle_first:
                    for activity, total in by_activity.items():
                        used[activity] += total
            counted[name] = sum(recount.recount_year(lines, book, used), Decimal(0))
        rows.append(PreviewRow(teacher=teacher, ledger=sum((e.credits for e in entries[teacher.pk]), Decimal(0)),
                               old=counted["old"], new=counted["new"], old_minimum=old_book.annual_minimum,
                               new_minimum=new_book.annual_minimum))
    return Preview(year=year, current=current, rows=rows, teachers_with_credits=len(population))


# --- saving -------------------------------------------------------------------------------------

def fingerprint(source: RuleSet, data: dict) -> str:
    """What the preview was computed from: the version copied and every value of the new one."""
    text = json.dumps({"source": source.pk, "data": data}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@transaction.atomic
def version_save(*, user: User, rule_set: RuleSet, conversions: list[ConversionRule], bonuses: list[Bonus],
                 categories: list[CategoryRequirement]) -> RuleSet:
    """Save the district's new version with its rows: all of them or nothing."""
    district = district_of(user)
    District.objects.select_for_update().filter(pk=district.pk).exists()  # one new version at a time
    latest = latest_version(district)
    rule_set.pk, rule_set.district, rule_set.family = None, district, rule_family(district)
    if latest is not None and rule_set.valid_from is not None and rule_set.valid_from <= latest.valid_from:
        raise ValidationError({"valid_from": ERROR_NOT_LATER % {
            "name": latest.name, "date": date_format(latest.valid_from, "DATE_FORMAT")}})
    rule_set.full_clean()
    rule_set.save()
    for order, rows in enumerate((conversions, bonuses, categories)):
        for position, row in enumerate(rows):
            row.pk, row.rule_set = None, rule_set
            if isinstance(row, CategoryRequirement):
                row.order = position
            if isinstance(row, Bonus):
                row.kind = Bonus.Kind.EXCELLENT_TRAINEE
            row.full_clean()
            row.save()
    return rule_set


def copy_rows(rule_set: RuleSet) -> tuple[list[dict], list[dict], list[dict]]:
    """A version's conversions, bonuses and category minimums as form initial values."""
    conversions = [{field: getattr(c, field) for field in CONVERSION_FIELDS}
                   for c in rule_set.conversions.order_by("activity", "level", "pk")]
    bonuses = [{field: getattr(b, field) for field in BONUS_FIELDS}
               for b in rule_set.bonuses.filter(kind=Bonus.Kind.EXCELLENT_TRAINEE).order_by("pk")]
    categories = [{field: getattr(c, field) for field in CATEGORY_FIELDS} for c in rule_set.categories.all()]
    return conversions, bonuses, categories


RULE_SET_FIELDS = ["name", "valid_from", "year_start", "cycle_start_year", "cycle_years", "annual_minimum",
                   "cycle_minimum", "annual_cap", "new_teacher_extra", "new_teacher_years",
                   "leave_exemption_per_semester", "leave_exemption_per_month", "excellent_rating_minimum",
                   "hours_per_day", "text"]
CONVERSION_FIELDS = ["activity", "level", "hours", "unit", "credits", "flat", "once_per_content", "category",
                     "cap_per_item", "cap_per_year", "cap_per_cycle", "text"]
BONUS_FIELDS = ["level", "credits", "percent", "text"]
CATEGORY_FIELDS = ["code", "name", "minimum", "surplus_to", "surplus_limit", "text"]


def copy_header(rule_set: RuleSet, district) -> dict:
    """The version's own values as form initial values, under a name that says whose it is."""
    initial = {field: getattr(rule_set, field) for field in RULE_SET_FIELDS}
    if rule_set.district_id is None:
        name = _("%(name)s (%(district)s)") % {"name": rule_set.name, "district": district.name}
        initial["name"] = name[:RuleSet._meta.get_field("name").max_length]
    initial["valid_from"] = None
    return initial
