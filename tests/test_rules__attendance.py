"""attendance.rules without a database: tables of plain values (seeds 003 and 001).

No `db` fixture here: pytest-django refuses any query, so these also prove the
rules need none. (What the rule modules may import: tests/test_rules__credits.py.)"""
import datetime
from decimal import Decimal

import pytest

from attendance import rules

D = Decimal
day = datetime.date


# --- the school year ---------------------------------------------------------------------------

def test_semesters_of_a_school_year():
    assert rules.semesters(2024) == [(day(2024, 8, 1), day(2025, 1, 31)), (day(2025, 2, 1), day(2025, 7, 31))]


@pytest.mark.parametrize("when,year", [
    (day(2024, 8, 1), 2024), (day(2024, 7, 31), 2023), (day(2025, 1, 31), 2024), (day(2025, 2, 1), 2024),
    (day(2025, 7, 31), 2024), (day(2024, 12, 31), 2024),
])
def test_school_year_of(when, year):
    assert rules.school_year_of(when) == year
    first, last = rules.semesters(year)[0][0], rules.semesters(year)[-1][1]
    assert first <= when <= last


# --- exemption by age ---------------------------------------------------------------------------

@pytest.mark.parametrize("birth,when,age", [
    (day(1974, 12, 31), day(2024, 12, 31), 50),   # the birthday itself
    (day(1974, 12, 31), day(2024, 12, 30), 49),   # the day before
    (day(1975, 1, 1), day(2024, 12, 31), 49),
    (day(1976, 2, 29), day(2026, 2, 28), 49),     # born on 29 February: older only from 1 March
    (day(1976, 2, 29), day(2026, 3, 1), 50),
    (day(1976, 2, 29), day(2028, 2, 29), 52),
])
def test_age_on(birth, when, age):
    assert rules.age_on(birth, when) == age


@pytest.mark.parametrize("female,birth,exempt", [
    (True, day(1974, 12, 31), True),    # exactly 50 on 31 December 2024
    (True, day(1975, 1, 1), False),     # 50 only in 2025
    (True, day(1974, 1, 1), True),
    (False, day(1969, 12, 31), True),   # exactly 55 on 31 December 2024
    (False, day(1970, 1, 1), False),
    (False, day(1974, 6, 1), False),    # a man of 50 is still assessed
    (True, day(1976, 2, 29), False),    # 48 in 2024
])
def test_exemption_by_age_on_31_december(female, birth, exempt):
    assert rules.is_exempt(female=female, birth_date=birth, year=2024) is exempt
    assert rules.is_exempt(female=female, birth_date=birth, year=2024, women_from=50, men_from=55) is exempt


@pytest.mark.parametrize("female,women_from,men_from,exempt", [
    (True, 55, 55, False),    # a district that exempts women from 55
    (True, 48, 60, True),
    (False, 50, 55, False),   # 54 in 2024
    (False, 50, 54, True),
])
def test_exemption_ages_are_the_districts(female, women_from, men_from, exempt):
    birth = day(1970, 3, 1)   # 54 on 31 December 2024
    assert rules.is_exempt(female=female, birth_date=birth, year=2024, women_from=women_from,
                           men_from=men_from) is exempt



@pytest.mark.parametrize("year,women_from,men_from", [(2024, 50, 55), (2025, 48, 60), (2020, 55, 55)])
def test_exemption_cut_offs_are_is_exempt_for_every_birth_date(year, women_from, men_from):
    """The school report counts exemptions by birth-date cut-offs (issue 14): the same as
    is_exempt for each day of ten years around them, leap days included, both sexes."""
    born_by = rules.exempt_if_born_by(year=year, women_from=women_from, men_from=men_from)
    first = day(year - max(women_from, men_from) - 5, 1, 1)
    for offset in range((day(year - min(women_from, men_from) + 5, 12, 31) - first).days + 1):
        birth = first + datetime.timedelta(days=offset)
        for female in (True, False):
            assert (birth <= born_by[female]) is rules.is_exempt(
                female=female, birth_date=birth, year=year, women_from=women_from, men_from=men_from)

# --- school-based forfeiture ---------------------------------------------------------------------

@pytest.mark.parametrize("absence,limit,exempt,forfeited,at_risk", [
    ([D(0), D(0)], 5, False, False, False),
    (["4.5", 0], 5, False, False, True),          # just under the limit: at risk
    (["5.0", 0], 5, False, True, False),          # exactly 5 h: 以上 includes 5
    ([0, D(5)], 5, False, True, False),           # in the spring semester too
    ([D(6), D(0)], 5, False, True, False),
    ([D(3), D(3)], 5, False, False, True),        # 6 h in the year, but never 5 in one semester; 3 = 60 %: at risk
    ([D("2.9"), D("2.9")], 5, False, False, False),
    ([D(8), D(8)], 5, True, False, False),        # exempt: never forfeited nor at risk
    ([D(3)], 5, True, False, False),
    ([D(4)], D(4), False, True, False),           # the district's own limit
    ([None, None], 5, False, False, False),       # nothing counted
    ([], 5, False, False, False),
])
def test_school_based_forfeiture(absence, limit, exempt, forfeited, at_risk):
    result = rules.school_based_forfeiture(absence, limit, exempt)
    assert (result.forfeited, result.at_risk) == (forfeited, at_risk)


def test_forfeiture_keeps_the_figures_it_judged():
    result = rules.school_based_forfeiture([D("2.5"), D(5)], 5)
    assert result.absence == (D("2.5"), D(5)) and result.worst == D(5) and result.limit == D(5)
    assert not result.exempt


@pytest.mark.parametrize("limit,start", [(5, D(3)), (D("4.5"), D("2.7")), (10, D(6))])
def test_at_risk_from_a_share_of_the_limit(limit, start):
    assert rules.at_risk_from(limit) == start


# --- project completion ----------------------------------------------------------------------------

@pytest.mark.parametrize("attended,total,needed,share,completed", [
    (D(9), D(12), 75, D(75), True),      # exactly the threshold
    (D(6), D(12), 75, D(50), False),
    (D(8), D(10), 80, D(80), True),
    (D("7.9"), D(10), 80, D(79), False),
    (D(12), D(12), 100, D(100), True),
    (None, D(12), 80, D(0), False),      # never attended
    (D(0), D(0), 80, D(0), False),       # a project without sessions completes nobody
    (None, None, 1, D(0), False),
])
def test_project_completion(attended, total, needed, share, completed):
    result = rules.project_completion(attended_hours=attended, total_hours=total, needed_percent=needed)
    assert (result.share, result.completed) == (share, completed)
    assert result.needed_percent == needed


def test_completion_share_is_not_rounded():
    result = rules.project_completion(attended_hours=D(2), total_hours=D(3), needed_percent=67)
    assert D("66.66") < result.share < D("66.67") and not result.completed


# --- make-up (补学) counts towards completion ---------------------------------------------------

@pytest.mark.parametrize("attended,made_up,total,needed,counted,share,completed", [
    (D(9), None, D(15), 80, D(9), D(60), False),          # a 6-hour leave not made up: not completed
    (D(9), D(6), D(15), 80, D(15), D(100), True),         # the same leave made up
    (D(9), D(3), D(15), 80, D(12), D(80), True),          # made up to exactly the threshold
    (D(9), D("2.5"), D(15), 80, D("11.5"), D("76.66666666666666666666666667"), False),  # just short
    (None, D(12), D(12), 100, D(12), D(100), True),       # every session made up
    (D(12), D(6), D(12), 80, D(12), D(100), True),        # never more than the project's hours
    (D(0), D(3), D(0), 80, D(0), D(0), False),            # no sessions: nothing to complete
    (D(6), D(0), D(12), 50, D(6), D(50), True),           # nothing made up: attendance alone
])
def test_project_completion_counts_made_up_hours(attended, made_up, total, needed, counted, share, completed):
    result = rules.project_completion(attended_hours=attended, made_up_hours=made_up, total_hours=total,
                                      needed_percent=needed)
    assert (result.counted_hours, result.share, result.completed) == (counted, share, completed)
    assert result.attended_hours == D(attended or 0) and result.made_up_hours == D(made_up or 0)


def test_completion_without_make_up_is_unchanged():
    assert rules.project_completion(attended_hours=D(9), total_hours=D(12), needed_percent=75) == \
        rules.project_completion(attended_hours=D(9), total_hours=D(12), needed_percent=75, made_up_hours=0)


@pytest.mark.parametrize("absence,forfeited", [
    ((D(0), D(0)), False),   # a teacher on approved leave for 10 hours: leave is not absence
    ((D(4), D(0)), False),   # 4 hours absent (and any hours of leave): below the limit
    ((D(5), D(0)), True),    # only hours marked absent reach the limit
])
def test_forfeiture_counts_only_absence(absence, forfeited):
    """The rule is given hours absent (缺席) only; callers never pass leave (请假) hours."""
    assert rules.school_based_forfeiture(absence, 5).forfeited == forfeited
