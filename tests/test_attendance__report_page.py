"""The school attendance report's page (issue 14 item 5): its totals over every teacher come from
light rows (no Teacher object each), and so do the page's rows; both must be
what the full report (reports.school_report, which the export uses) says."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attendance import reports
from attendance.models import Attendance, Teacher
from tests.test_attendance__reports import (YEAR, absences, make_session, make_teacher, mark,  # noqa: F401
                                            participation, school_plan)

pytestmark = pytest.mark.django_db
PER_PAGE = 25


def _totals(report):
    return (report.teachers, report.expected_hours, report.attended_hours, report.participation,
            report.forfeited, report.at_risk, report.exempt)


def _figures(row):
    return (row.teacher.pk, row.teacher.name, row.absence, row.limit, row.exempt, row.school_based_hours,
            row.project_hours, row.expected_hours, row.forfeited, row.at_risk, row.participation)


def _assert_same(organisation):
    full = reports.school_report(organisation, YEAR)
    pages = max(1, -(-len(full.rows) // PER_PAGE))
    seen = []
    for number in range(1, pages + 2):  # and one beyond the end: the last page again
        report, page = reports.school_report_page(organisation, YEAR, number, PER_PAGE)
        assert _totals(report) == _totals(full)
        start = (min(number, pages) - 1) * PER_PAGE
        assert [_figures(row) for row in page.object_list] == [_figures(row) for row in full.rows[start:start + PER_PAGE]]
        assert all(isinstance(row.teacher, tuple) for row in page.object_list)  # light records
        if number <= pages:
            seen += [row.teacher.pk for row in page.object_list]
    assert seen == [row.teacher.pk for row in full.rows]
    return full


def test_page_matches_the_full_report_on_absences(world, absences):
    full = _assert_same(world.school)
    assert full.forfeited and full.exempt


def test_page_matches_the_full_report_on_participation(world, participation):
    _assert_same(world.school)


def test_page_matches_the_full_report_over_several_pages(world, absences):
    plan = school_plan(world)
    sessions = [make_session(datetime.date(2024, 10, day), 3, plan=plan) for day in (8, 15)]
    for n in range(2 * PER_PAGE + 3):
        teacher = make_teacher(world.school, f"教师{n:03d}", gender="M" if n % 2 else "F",
                               birth=datetime.date(1960 + n % 40, 3, 1))
        for session in sessions[: n % 3]:
            mark(world, session, teacher, Attendance.Status.ABSENT if n % 4 else Attendance.Status.PRESENT)
    full = _assert_same(world.school)
    assert full.forfeited and full.at_risk and full.exempt


def test_the_page_loads_no_teacher_object(world, client_for, absences):
    for n in range(PER_PAGE + 5):
        make_teacher(world.school, f"教师{n:03d}")
    client = client_for(world.school_officer)
    url = reverse("attendance:report_school") + f"?year={YEAR}"
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    full_selects = [q["sql"] for q in ctx.captured_queries
                    if q["sql"].startswith('SELECT "attendance_teacher"."id", "attendance_teacher"."organisation_id", '
                                           '"attendance_teacher"."user_id"')]
    assert full_selects == []
    teachers = Teacher.objects.filter(organisation=world.school, active=True).count()
    assert response.context["report"].teachers == teachers > PER_PAGE
    assert len(response.context["page"].object_list) == PER_PAGE
