"""credits.rules without a database: tables of plain values worked by hand (seed 002).

No `db` fixture here: pytest-django refuses any query, so these also prove the
rules need none."""
import ast
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils.translation import gettext

from credits import rules
from credits.rules import Cap, Conversion, Cut, Minimums

D = Decimal
day = datetime.date


# --- what a rule module may import ------------------------------------------------------

ALLOWED_IMPORTS = {"collections.abc", "dataclasses", "datetime", "decimal", "enum", "typing",
                   "django.utils.translation"}


@pytest.mark.parametrize("module", ["credits/rules.py", "attendance/rules.py"])
def test_rule_modules_import_no_models_and_no_database(module):
    tree = ast.parse((Path(__file__).resolve().parent.parent / module).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module} imports from its own app"
            imported.add(node.module)
    assert imported <= ALLOWED_IMPORTS, imported - ALLOWED_IMPORTS


# --- figures as the ledger writes them ------------------------------------------------------

@pytest.mark.parametrize("value,shown", [
    (D(30), "30"), (D("30.00"), "30"), (D(10), "10"), (D(0), "0"), (D("-0"), "0"),
    (D("3.333"), "3.33"), (D("2.5"), "2.50"), (D("0.125"), "0.12"), (7, "7"),
])
def test_format_number(value, shown):
    assert rules.format_number(value) == shown


# --- the calendar ---------------------------------------------------------------------------

@pytest.mark.parametrize("when,year_start,year", [
    (day(2024, 1, 1), "01-01", 2024),
    (day(2024, 12, 31), "01-01", 2024),
    (day(2024, 1, 31), "02-01", 2023),    # a February credit year: January belongs to the year before
    (day(2024, 2, 1), "02-01", 2024),
    (day(2024, 2, 29), "02-01", 2024),
    (day(2025, 1, 31), "02-01", 2024),
    (day(2024, 12, 31), "02-01", 2024),
])
def test_credit_year(when, year_start, year):
    assert rules.credit_year(when, year_start) == year


def test_credit_year_starts_in_january_by_default():
    assert rules.credit_year(day(2024, 1, 1)) == 2024


@pytest.mark.parametrize("year,start,length,cycle", [
    (2021, 2011, 5, (2021, 2025)),   # first year of a cycle
    (2025, 2011, 5, (2021, 2025)),   # last year
    (2026, 2011, 5, (2026, 2030)),   # the next cycle starts afresh
    (2011, 2011, 5, (2011, 2015)),
    (2010, 2011, 5, (2006, 2010)),   # before the rules' first cycle: counted backwards
    (2024, 2024, 3, (2024, 2026)),
])
def test_cycle_of(year, start, length, cycle):
    assert rules.cycle_of(year, start, length) == cycle


def test_a_year_is_counted_by_the_rules_in_force_on_31_december():
    assert rules.counting_day(2024) == day(2024, 12, 31)


# --- conversion -----------------------------------------------------------------------------

@pytest.mark.parametrize("conversion,hours,credits", [
    (Conversion(D(1)), 24, D(24)),                          # county: 1 hour = 1 credit
    (Conversion(D(2)), 10, D(20)),                          # city: 1 hour = 2 credits
    (Conversion(D(4)), 6, D(24)),                           # national: 1 hour = 4 credits
    (Conversion(D(1), unit_hours=D(3)), 10, D("3.33")),     # Gansu school-based: 3 hours = 1 credit
    (Conversion(D(1), unit_hours=D(3)), 90, D(30)),
    (Conversion(D(1), unit_hours=D(3)), 11, D("3.67")),     # 3.666… rounds up
    (Conversion(D(1), unit_hours=D(8)), 1, D("0.13")),      # 0.125: half up, not half even
    (Conversion(D(1), unit_hours=D(10)), "15", D("1.5")),   # Chaoyang face-to-face: 10 hours = 1 credit
    (Conversion(D(1), unit_hours=D(20)), D("2.5"), D("0.13")),  # Chaoyang online: 20 hours = 1 credit
    (Conversion(D(30), flat=True), 200, D(30)),             # degree: flat, hours ignored
    (Conversion(D(72), flat=True), 0, D(72)),
    (Conversion(D(1)), 0, D(0)),
    (Conversion(D(1)), 2.2, D("2.2")),                      # a float is read as written, not as binary
])
def test_convert(conversion, hours, credits):
    assert rules.convert(hours, conversion) == credits


# --- caps -----------------------------------------------------------------------------------

def cut(kind, room, amount):
    return Cut(kind, D(room), D(amount))


@pytest.mark.parametrize("credits,caps,expected,cuts", [
    # no cap
    (D(40), [], D(40), []),
    # each cap alone
    (D(15), [Cap(rules.PER_RECORD, D(10))], D(10), [cut(rules.PER_RECORD, 10, 5)]),
    (D(15), [Cap(rules.KIND_YEAR, D(30), D(20))], D(10), [cut(rules.KIND_YEAR, 10, 5)]),
    (D(30), [Cap(rules.KIND_CYCLE, D(120), D(120))], D(0), [cut(rules.KIND_CYCLE, 0, 30)]),
    (D(30), [Cap(rules.YEAR, D(50), D(40))], D(10), [cut(rules.YEAR, 10, 20)]),
    # exactly the room left: nothing cut
    (D(10), [Cap(rules.KIND_YEAR, D(30), D(20))], D(10), []),
    (D(30), [Cap(rules.PER_RECORD, D(30))], D(30), []),
    # more already counted than the cap allows (the cap was lowered): no room, never negative
    (D(5), [Cap(rules.YEAR, D(30), D(35))], D(0), [cut(rules.YEAR, 0, 5)]),
    # nothing to cut: a record of 0 credits is never "cut by 0"
    (D(0), [Cap(rules.YEAR, D(30), D(35))], D(0), []),
    # all four in order, each seeing what the one before left
    (D(40), [Cap(rules.PER_RECORD, D(30)), Cap(rules.KIND_YEAR, D(30), D(5)),
             Cap(rules.KIND_CYCLE, D(120), D(100)), Cap(rules.YEAR, D(50), D(35))],
     D(15), [cut(rules.PER_RECORD, 30, 10), cut(rules.KIND_YEAR, 25, 5), cut(rules.KIND_CYCLE, 20, 5),
             cut(rules.YEAR, 15, 5)]),
    # a later cap with more room than the earlier one left does not cut
    (D(40), [Cap(rules.PER_RECORD, D(10)), Cap(rules.YEAR, D(30), D(15))], D(10),
     [cut(rules.PER_RECORD, 10, 30)]),
])
def test_caps_apply_in_order(credits, caps, expected, cuts):
    assert rules.apply_caps(credits, caps) == (expected, tuple(cuts))


@pytest.mark.parametrize("kind,msgid", [
    (rules.PER_RECORD, "at most %(cap)s credits per record: %(cut)s cut"),
    (rules.KIND_YEAR, "at most %(cap)s credits of this kind left this year: %(cut)s cut"),
    (rules.KIND_CYCLE, "at most %(cap)s credits of this kind left this cycle: %(cut)s cut"),
    (rules.YEAR, "at most %(cap)s credits left this year: %(cut)s cut"),
])
def test_each_cut_says_which_cap_and_how_much(kind, msgid):
    assert Cut(kind, D(10), D("3.333")).reason == gettext(msgid) % {"cap": "10", "cut": "3.33"}


def test_cap_room_is_what_is_left():
    assert Cap(rules.YEAR, D(30), D(12)).room == D(18)
    assert Cap(rules.YEAR, D(30), D(45)).room == D(0)
    assert Cap(rules.PER_RECORD, D(30)).room == D(30)


# --- a record's award ---------------------------------------------------------------------------

def test_award_without_a_rule_gives_nothing_and_says_so():
    award = rules.award(10, None, [Cap(rules.YEAR, D(30))])
    assert (award.raw, award.credits, award.cuts) == (D(0), D(0), ())
    assert award.note == gettext("These rules give no credits for this kind of training.")
    assert not award.capped


def test_award_converts_then_caps_and_explains_every_cut():
    # Hunan school-based: 1 hour = 1 credit, at most 30 a year; 25 already counted; yearly cap 50 with 45 used.
    award = rules.award(10, Conversion(D(1)), [Cap(rules.KIND_YEAR, D(30), D(25)), Cap(rules.YEAR, D(50), D(45))])
    assert (award.raw, award.credits) == (D(10), D(5))
    assert award.note == gettext("at most %(cap)s credits of this kind left this year: %(cut)s cut") % {
        "cap": "5", "cut": "5"}
    assert award.capped
    award = rules.award(10, Conversion(D(1)), [Cap(rules.KIND_YEAR, D(30), D(25)), Cap(rules.YEAR, D(50), D(47))])
    assert award.credits == D(3)
    assert award.note == "；".join([
        gettext("at most %(cap)s credits of this kind left this year: %(cut)s cut") % {"cap": "5", "cut": "5"},
        gettext("at most %(cap)s credits left this year: %(cut)s cut") % {"cap": "3", "cut": "2"}])


def test_award_within_every_cap_has_no_note():
    award = rules.award(24, Conversion(D(1)), [Cap(rules.PER_RECORD, D(30)), Cap(rules.YEAR, D(50), D(26))])
    assert (award.raw, award.credits, award.note, award.capped) == (D(24), D(24), "", False)


@pytest.mark.parametrize("bonus,caps,credits,note", [
    (rules.BonusRule(D(4)), [], D(4), ""),                                        # Gansu county: +4
    (rules.BonusRule(D(10)), [Cap(rules.YEAR, D(50), D(40))], D(10), ""),        # exactly fits
    (rules.BonusRule(D(10)), [Cap(rules.YEAR, D(50), D(48))], D(2),
     ("at most %(cap)s credits left this year: %(cut)s cut", {"cap": "2", "cut": "8"})),
    (None, [], D(0), ("These rules give no bonus at this level.", {})),
])
def test_bonus(bonus, caps, credits, note):
    award = rules.bonus_award(bonus, caps)
    assert award.credits == credits
    assert award.raw == (bonus.credits if bonus else D(0))
    assert award.note == (gettext(note[0]) % note[1] if note else "")


# --- capped ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cut,capped", [
    (None, False),         # no entry at all
    (D(0), False),         # credited all the rule gave, or a refusal (0 of 0)
    (D("0.01"), True),
    (D(30), True),
    (D(-1), False),
])
def test_is_capped(cut, capped):
    assert rules.is_capped(cut) is capped


# --- requirements ------------------------------------------------------------------------------

HUNAN = Minimums(annual=D(30), cycle=D(360), new_teacher_extra=D(150))


@pytest.mark.parametrize("total,required,missing", [
    (D(25), D(30), D(5)), (D(30), D(30), D(0)), (D(42), D(30), D(0)), (D(0), D(0), D(0)),
])
def test_missing(total, required, missing):
    assert rules.missing(total, required) == missing


@pytest.mark.parametrize("new,required", [(False, D(360)), (True, D(510))])
def test_new_teachers_need_more_in_the_cycle(new, required):
    assert HUNAN.cycle_for(new) == required
    assert Minimums(annual=D(30), cycle=D(360)).cycle_for(new) == D(360)


@pytest.mark.parametrize("by_year,new,expected", [
    # (year total, cycle total, year missing, cycle missing, short year, short cycle)
    ({}, False, (D(0), D(0), D(30), D(360), True, True)),
    ({2024: D(30)}, False, (D(30), D(30), D(0), D(330), False, True)),          # exactly the minimum
    ({2024: D("29.99")}, False, (D("29.99"), D("29.99"), D("0.01"), D("330.01"), True, True)),
    ({2021: D(100), 2022: D(100), 2023: D(100), 2025: D(60)}, False,           # nothing in the year itself
     (D(0), D(360), D(30), D(0), True, False)),
    ({2021: D(100), 2022: D(100), 2023: D(100), 2024: D(60)}, True,            # a new teacher: 510
     (D(60), D(360), D(0), D(150), False, True)),
    ({2020: D(500), 2024: D(30), 2026: D(500)}, False,                         # other cycles do not count
     (D(30), D(30), D(0), D(330), False, True)),
])
def test_standing_against_the_minimums(by_year, new, expected):
    figures = rules.standing(year=2024, cycle=(2021, 2025), credits_by_year=by_year, minimums=HUNAN,
                             is_new_teacher=new)
    assert (figures.year_total, figures.cycle_total, figures.year_missing, figures.cycle_missing,
            figures.short_year, figures.short_cycle) == expected
    assert figures.meets_cycle is not expected[5]
    assert figures.year_required == D(30)


def test_a_cycle_crossing_a_rule_set_change():
    """Hunan's rules change on 1 January 2024 (2 hours = 1 credit from then on). Each record is
    converted by the rules of its day; the year and its cycle are counted by the rules in force
    on 31 December of the year, which count the earlier years' credits as they were given."""
    old = {"conversion": Conversion(D(1)), "cycle_start": 2011, "minimums": HUNAN}
    new = {"conversion": Conversion(D(1), unit_hours=D(2)), "cycle_start": 2021,
           "minimums": Minimums(annual=D(30), cycle=D(360))}
    before = rules.award(40, old["conversion"])     # 31 December 2023
    after = rules.award(40, new["conversion"])      # 1 January 2024
    assert (before.credits, after.credits) == (D(40), D(20))
    by_year = {rules.credit_year(day(2023, 12, 31)): before.credits, rules.credit_year(day(2024, 1, 1)): after.credits}
    cycle = rules.cycle_of(2024, new["cycle_start"])
    figures = rules.standing(year=2024, cycle=cycle, credits_by_year=by_year, minimums=new["minimums"],
                             is_new_teacher=True)
    assert cycle == (2021, 2025)
    assert (figures.year_total, figures.cycle_total) == (D(20), D(60))
    assert figures.cycle_required == D(360)   # the new rules give new teachers nothing extra
    # Had the new rules started a new cycle in 2024, the 2023 credits would belong to the old one.
    cycle = rules.cycle_of(2024, 2024)
    assert rules.standing(year=2024, cycle=cycle, credits_by_year=by_year, minimums=new["minimums"],
                          is_new_teacher=False).cycle_total == D(20)


# --- issue #12: results, same content, percentage bonuses, category minimums ------------------------

def test_a_failed_assessment_is_a_refusal_not_a_cap():
    award = rules.award(10, Conversion(D(1)), [Cap(rules.YEAR, D(30))], passed=False)
    assert (award.raw, award.credits, award.cuts, award.capped) == (D(0), D(0), (), False)
    assert award.note == gettext("Those who fail the assessment get no credits.")


def test_same_content_comes_before_the_other_caps():
    # 20 by the rule, 12 already for the same content → 8; then the kind's yearly cap leaves 5.
    award = rules.award(4, Conversion(D(5)), [Cap(rules.KIND_YEAR, D(30), D(25))], same_content=D(12))
    assert award.credits == D(5)
    assert [cut.kind for cut in award.cuts] == [rules.SAME_CONTENT, rules.KIND_YEAR]
    assert [cut.amount for cut in award.cuts] == [D(12), D(3)]


@pytest.mark.parametrize("bonus,base,caps,credits", [
    (rules.BonusRule(percent=D(20)), D(18), [], D(4)),
    (rules.BonusRule(percent=D(20)), D(18), [Cap(rules.YEAR, D(50), D(48))], D(2)),   # capped like any credits
    (rules.BonusRule(credits=D(4)), D(18), [], D(4)),                                 # flat: the base does not matter
    (rules.BonusRule(percent=D(0)), D(18), [], D(0)),
])
def test_bonus_on_a_base(bonus, base, caps, credits):
    assert rules.bonus_award(bonus, caps, base=base).credits == credits


def cat(code, minimum, surplus_to="", limit=None):
    return rules.Category(code, code.upper(), D(minimum), surplus_to=surplus_to, surplus_limit=limit)


@pytest.mark.parametrize("categories,credits,expected", [
    # an offset to an unknown category, or to itself, does nothing
    ([cat("a", 10, "zzz")], {"a": D(20)}, {"a": (D(20), D(0), D(0))}),
    ([cat("a", 10, "a")], {"a": D(20)}, {"a": (D(20), D(0), D(0))}),
    # two sources towards one target: the first fills what it can, the second the rest
    ([cat("a", 10, "c"), cat("b", 10, "c"), cat("c", 10)], {"a": D(16), "b": D(20), "c": D(0)},
     {"a": (D(16), D(0), D(6)), "b": (D(20), D(0), D(4)), "c": (D(0), D(10), D(0))}),
    # a limit of 0 moves nothing
    ([cat("a", 10, "b", 0), cat("b", 10)], {"a": D(30)}, {"a": (D(30), D(0), D(0)), "b": (D(0), D(0), D(0))}),
    # what a category received is not its own surplus: no chains
    ([cat("a", 0, "b"), cat("b", 5, "c"), cat("c", 10)], {"a": D(20)},
     {"a": (D(20), D(0), D(5)), "b": (D(0), D(5), D(0)), "c": (D(0), D(0), D(0))}),
    # credits of categories the rules do not know are ignored
    ([cat("a", 10)], {"a": D(4), "other": D(100)}, {"a": (D(4), D(0), D(0))}),
])
def test_category_offsets(categories, credits, expected):
    progress = {p.code: (p.earned, p.received, p.given) for p in rules.category_progress(categories, credits)}
    assert progress == expected


def test_standing_without_categories_or_threshold():
    figures = rules.standing(year=2024, cycle=(2021, 2025), credits_by_year={2024: D(400)}, minimums=HUNAN,
                             is_new_teacher=False)
    assert figures.categories == () and figures.categories_missing == []
    assert figures.completes_cycle and figures.may_be_rated_excellent is None and not figures.below_excellent
