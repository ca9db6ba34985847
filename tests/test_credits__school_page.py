"""The school credit page builds full rows for its page of 25 only (issue 14 item 5): its totals
over every teacher in post and its rows must be those of the full computation
(credits.selectors.school_credits, which the export and the cycle close use)."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attendance.models import Teacher
from credits import selectors
from tests.attendance_helpers import make_teacher
from tests.test_credits__views import YEAR, add, hunan, rules, shaanxi, url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
PER_PAGE = 25


def _teachers(world, count):
    """Teachers short or not, capped or not, new or not, below the 优秀 threshold or not."""
    for n in range(count):
        teacher = make_teacher(world.school, name=f"教师{n:03d}", is_new_teacher=n % 3 == 0)
        if n % 2:
            add(teacher, "concentrated", 10 + 4 * n, datetime.date(2024, 3, 1))
        if n % 5 == 0:
            add(teacher, "school_based", 40, datetime.date(2023, 3, 1), level="school")  # capped at 30
        if n % 7 == 0:
            add(teacher, "online", 200, datetime.date(2022, 3, 1))


def _full_totals(report):
    return {"teachers": report.teachers, "meeting_year": report.meeting_year,
            "meeting_cycle": report.meeting_cycle, "completion_rate": report.completion_rate,
            "short_year": len(report.short_year), "short_cycle": len(report.short_cycle),
            "capped": len(report.capped), "below_excellent": len(report.below_excellent),
            "short_category": len(report.short_category), "has_categories": report.has_categories}


def _page_totals(totals):
    return {name: getattr(totals, name) for name in (
        "teachers", "meeting_year", "meeting_cycle", "completion_rate", "short_year", "short_cycle", "capped",
        "below_excellent", "short_category", "has_categories")}


def _figures(row):
    """A row's figures, and what the page shows of its teacher (a light record on the page)."""
    teacher = row.teacher
    return {**vars(row), "teacher": (teacher.pk, teacher.name, teacher.is_new_teacher)}


def _assert_same(organisation, year):
    full = selectors.school_credits(organisation, year)
    pages, seen = 1 + (len(full.rows) - 1) // PER_PAGE if full.rows else 1, []
    for number in range(1, pages + 2):  # and one beyond the end: the last page again
        totals, page = selectors.school_credit_page(organisation, year, number, PER_PAGE)
        assert _page_totals(totals) == _full_totals(full)
        assert totals.cycle == full.cycle
        start = (min(number, pages) - 1) * PER_PAGE
        assert [_figures(row) for row in page.object_list] == [
            _figures(row) for row in full.rows[start:start + PER_PAGE]]
        if number <= pages:
            seen += [row.teacher.pk for row in page.object_list]
    assert seen == [row.teacher.pk for row in full.rows]
    return full


def test_totals_and_rows_of_each_page_are_the_full_computations(hunan):
    world = hunan
    _teachers(world, 2 * PER_PAGE + 7)
    full = _assert_same(world.school, YEAR)
    # The data covers every flag, so the comparison above means something.
    assert full.short_year and len(full.short_year) < full.teachers
    assert full.capped and full.below_excellent and full.meeting_cycle


def test_category_minimums_are_counted_over_every_teacher(shaanxi):
    world = shaanxi["world"]
    full = _assert_same(world.school, 2016)
    assert full.has_categories and len(full.short_category) == 1


def test_a_school_without_teachers(hunan):
    totals, page = selectors.school_credit_page(hunan.school, YEAR, 1, PER_PAGE)
    assert totals.teachers == 0 and totals.completion_rate is None and list(page.object_list) == []


def test_the_page_builds_no_teacher_object(hunan, client_for):
    """The page's 25 teachers are read as light records; the others are counted by the database."""
    world = hunan
    _teachers(world, 2 * PER_PAGE + 7)
    client = client_for(world.school_officer)
    client.get(url("school_credits", year=YEAR))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url("school_credits", year=YEAR))
    full_teacher_selects = [q["sql"] for q in ctx.captured_queries
                            if q["sql"].startswith('SELECT "attendance_teacher"."id", "attendance_teacher"."organisation_id"')]
    page_selects = [q["sql"] for q in ctx.captured_queries
                    if q["sql"].startswith('SELECT "attendance_teacher"."id" AS "pk", "attendance_teacher"."name"')]
    assert full_teacher_selects == []
    assert len(page_selects) == 1 and page_selects[0].endswith(f" LIMIT {PER_PAGE}")
    assert f'data-testid="teacher-count">{2 * PER_PAGE + 7}<' in response.content.decode()


def test_the_schools_prepared_sums_are_their_orm_formulation(hunan):
    """selectors._SCHOOL_SUMS (compiled once) against the ORM's _per_teacher_sums, for other
    schools, years and cycles (run on PostgreSQL too: DATABASE_URL)."""
    world = hunan
    _teachers(world, 12)
    make_teacher(world.other_school, name="他校教师")
    for school in (world.school, world.other_school):
        in_post = Teacher.objects.filter(organisation=school, active=True)
        for year, (first, last) in ((YEAR, (2021, 2025)), (2023, (2021, 2025)), (2022, (2022, 2022)),
                                    (2030, (2026, 2030))):
            rows = selectors._SCHOOL_SUMS.rows(school=school.pk, year=year, first=first, last=last)
            assert rows == list(selectors._per_teacher_sums(in_post, year, first, last))
            assert len(rows) == in_post.count()
    rows = selectors._SCHOOL_SUMS.rows(school=world.school.pk, year=YEAR, first=2020, last=2025)
    assert any(year_total for _new, year_total, *_rest in rows) and any(cut for *_figures, cut, _pending in rows)


def test_categories_of_compiled_once_is_the_orms(shaanxi):
    """services.categories_of (compiled once) against the rule sets' own category minimums."""
    from credits import services
    from credits.models import RuleSet

    rule_sets = list(RuleSet.objects.all())
    assert any(rule_set.categories.exists() for rule_set in rule_sets)
    for rule_set in rule_sets:
        assert services.categories_of(rule_set) == [requirement.rule() for requirement in rule_set.categories.all()]
