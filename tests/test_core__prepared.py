"""core.prepared.PreparedQuery: a queryset compiled once gives, for any arguments, the rows the
ORM gives for the same queryset built with them (on SQLite and PostgreSQL: run with
DATABASE_URL), converted alike (Decimals on SQLite too); the school attendance report's queries
compiled once against their ORM formulation (attendance.reports)."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from attendance import reports
from attendance.models import Attendance, Session
from core.prepared import PreparedQuery
from tests.test_attendance__reports import (YEAR, absences, make_session, make_teacher, mark,  # noqa: F401
                                            participation, school_plan)

pytestmark = pytest.mark.django_db


def _hours(organisation, start, end):
    return (Session.objects.filter(organisation_id=organisation, date__range=(start, end))
            .order_by("date").values_list("date").annotate(hours=Sum("hours")))


def test_rows_are_the_orms_for_other_arguments_too(world):
    plan, other = school_plan(world), school_plan(world, world.other_school)
    for day, hours in ((1, "2.5"), (2, "1"), (2, "0.5"), (20, "3")):
        make_session(datetime.date(2024, 10, day), hours, plan=plan)
        make_session(datetime.date(2024, 10, day + 1), hours, plan=other)
    prepared = PreparedQuery(_hours, organisation=int, start=datetime.date, end=datetime.date)
    cases = [(world.school.pk, datetime.date(2024, 10, 1), datetime.date(2024, 10, 31)),
             (world.school.pk, datetime.date(2024, 10, 2), datetime.date(2024, 10, 2)),
             (world.other_school.pk, datetime.date(2024, 9, 1), datetime.date(2024, 10, 21)),
             (world.school.pk, datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))]
    for organisation, start, end in cases:
        rows = prepared.rows(organisation=organisation, start=start, end=end)
        assert rows == list(_hours(organisation, start, end))
        assert all(type(hours) is Decimal for _day, hours in rows)
    assert prepared.rows(organisation=world.school.pk, start=datetime.date(2024, 10, 2),
                         end=datetime.date(2024, 10, 2)) == [(datetime.date(2024, 10, 2), Decimal("1.5"))]


def test_the_sql_is_compiled_once_and_run_with_each_calls_values(world):
    prepared = PreparedQuery(_hours, organisation=int, start=datetime.date, end=datetime.date)
    for organisation in (world.school.pk, world.other_school.pk):
        with CaptureQueriesContext(connection) as ctx:
            prepared.rows(organisation=organisation, start=datetime.date(2024, 8, 1), end=datetime.date(2025, 7, 31))
        assert len(ctx.captured_queries) == 1
        assert f"= {organisation}" in ctx.captured_queries[0]["sql"].replace("%s", "")
    assert list(prepared._compiled) == ["default"]


def test_arguments_must_be_parameters_of_the_query():
    unused = PreparedQuery(lambda organisation, start: _hours(organisation, datetime.date(2024, 1, 1),
                                                               datetime.date(2024, 2, 1)),
                           organisation=int, start=datetime.date)
    with pytest.raises(ValueError, match="start"):
        unused.rows(organisation=1, start=datetime.date(2024, 1, 1))
    with pytest.raises(TypeError):
        PreparedQuery(_hours, organisation=str, start=datetime.date, end=datetime.date)
    prepared = PreparedQuery(_hours, organisation=int, start=datetime.date, end=datetime.date)
    for values in ({"organisation": 1, "start": datetime.date(2024, 1, 1)},
                   {"organisation": None, "start": datetime.date(2024, 1, 1), "end": datetime.date(2024, 1, 2)}):
        with pytest.raises(TypeError):
            prepared.rows(**values)


def test_a_constant_of_the_query_is_kept_whatever_its_value(world):
    """A constant equal to a stand-in (30001) stays a constant: the stand-ins of the second
    compilation differ."""
    plan = school_plan(world)
    make_session(datetime.date(2024, 10, 1), "2.5", plan=plan)
    prepared = PreparedQuery(lambda organisation: Session.objects.filter(organisation_id=organisation)
                             .exclude(pk=30001).values_list("hours"), organisation=int)
    assert prepared.rows(organisation=world.school.pk) == [(Decimal("2.5"),)]
    assert [name for name, _param in prepared._compiled["default"][1]] == ["organisation", None]


def _orm_figures(school, year):
    terms = reports.semesters(year)
    start, end = terms[0][0], terms[-1][1]
    teacher_pks = reports._in_post(school)
    return (list(reports._marks_query(teacher_pks, terms, start, end)),
            list(reports._school_hours_query([school], start, end)),
            list(reports._project_hours_query(teacher_pks, start, end)))


def _prepared_figures(school, year):
    (start, autumn_end), (spring_start, end) = reports.semesters(year)
    return (reports._SCHOOL_MARKS.rows(school=school, start=start, autumn_end=autumn_end,
                                       spring_start=spring_start, end=end),
            reports._SCHOOL_HOURS.rows(school=school, start=start, end=end),
            reports._SCHOOL_PROJECT_HOURS.rows(school=school, start=start, end=end))


def test_the_school_reports_prepared_queries_are_their_orm_formulation(world, absences, participation):
    other = make_teacher(world.other_school, "他校")
    mark(world, make_session(datetime.date(2024, 11, 5), 2, plan=school_plan(world, world.other_school)), other,
         Attendance.Status.ABSENT)
    for school in (world.school.pk, world.other_school.pk):
        for year in (YEAR - 1, YEAR, YEAR + 1):
            expected = _orm_figures(school, year)
            assert _prepared_figures(school, year) == expected
    marks, school_hours, project_hours = _prepared_figures(world.school.pk, YEAR)
    assert marks and school_hours and project_hours
