"""考勤统计: figures computed by hand, flags at their thresholds, xlsx, permissions, query counts.

School year 2024 runs from 1 August 2024 to 31 July 2025: semester 1 to 31 January 2025,
semester 2 from 1 February 2025 (attendance.services.semesters). District rules are the
defaults: 5 hours of school-based absence in a semester forfeits the year's credit (5 itself
included), at risk from 60% of that (3 hours), participation target 94%, exempt from 50
(women) and 55 (men) on 31 December 2024.
"""
import datetime
import io
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attendance import reports
from attendance.models import Attendance, CompletionRules, Enrolment, ProjectRun, Session, Teacher
from plans.models import Document
from schedule.models import ScheduledProject
from tests.factories import make_district
from tests.job_helpers import job_result

pytestmark = pytest.mark.django_db

YEAR = 2024
D = Decimal
_ids = itertools.count(1)
_sequences = itertools.count(1)


# --- builders -----------------------------------------------------------------------------

def make_teacher(organisation, name, *, gender="F", birth=datetime.date(1985, 5, 5), user=None, active=True):
    return Teacher.objects.create(
        organisation=organisation, name=name, gender=gender, birth_date=birth, user=user, active=active,
        id_number=f"4110{next(_ids):014d}", subject="chinese",
    )


def annual_plan(world, year=YEAR):
    document = Document.objects.filter(kind="annual_plan", organisation=world.training_school, year=year).first()
    return document or Document.objects.create(
        kind="annual_plan", status="approved", organisation=world.training_school, year=year,
        title=f"{year}年教师培训工作计划", created_by=world.training_officer)


def make_project(world, name="小学语文素养提升", *, organiser=None, min_percent=None, year=YEAR):
    project = ScheduledProject.objects.create(
        district=world.district, source=annual_plan(world, year), sequence=next(_sequences), year=year,
        name=name, organiser=organiser or world.training_school, start_month=9, end_month=12,
    )
    if min_percent is not None:
        ProjectRun.objects.create(project=project, min_attendance_percent=min_percent)
    return project


def confirm(world, project, *teachers, status=Enrolment.Status.CONFIRMED):
    for teacher in teachers:
        Enrolment.objects.create(project=project, teacher=teacher, status=status, created_by=world.training_officer)


def school_plan(world, school=None, year=YEAR):
    school = school or world.school
    document, _created = Document.objects.get_or_create(
        kind="school_plan", organisation=school, year=year,
        defaults={"status": "approved", "title": f"{school.name}{year}学年校本培训计划",
                  "created_by": world.school_officer})
    return document


def make_session(day, hours, *, project=None, plan=None, title="专题讲座"):
    organisation = project.organiser if project else plan.organisation
    return Session.objects.create(project=project, school_plan=plan, organisation=organisation, title=title,
                                  date=day, start_time=datetime.time(9), end_time=datetime.time(12),
                                  hours=D(str(hours)))


def mark(world, session, teacher, status):
    Attendance.objects.create(session=session, teacher=teacher, status=status, source="roll_call",
                              marked_by=world.school_officer)


def by_name(rows):
    return {row.teacher.name: row for row in rows}


def xlsx_rows(response):
    from openpyxl import load_workbook

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- one session ----------------------------------------------------------------------------

def test_session_report_lists_the_roster_with_unrecorded_marks(world):
    project = make_project(world)
    a, b, c = (make_teacher(world.school, n) for n in ("甲", "乙", "丙"))
    outsider = make_teacher(world.school, "丁")
    confirm(world, project, a, b, c)
    confirm(world, project, outsider, status=Enrolment.Status.WITHDRAWN)
    session = make_session(datetime.date(2024, 9, 10), 3, project=project)
    mark(world, session, a, "present")
    mark(world, session, b, "absent")
    mark(world, session, outsider, "present")  # no longer on the roster: not in the report

    report = reports.session_report(session)

    assert {row.teacher.name: row.status for row in report.rows} == {"甲": "present", "乙": "absent",
                                                                     "丙": reports.UNRECORDED}
    assert report.counts["present"] == 1 and report.counts[reports.UNRECORDED] == 1
    assert report.attended == 1 and report.expected == 3


# --- one project ----------------------------------------------------------------------------

@pytest.fixture
def project_with_marks(world):
    """Sessions of 3 + 3 + 2 + 2 = 10 hours; completion at 80%."""
    project = make_project(world, min_percent=80)
    s1, s2, s3, s4 = (make_session(datetime.date(2024, 9, day), hours, project=project)
                      for day, hours in ((10, 3), (11, 3), (12, 2), (13, 2)))
    at_threshold = make_teacher(world.school, "恰好")  # 3 + 3 + 2 = 8 h: exactly 80%
    below = make_teacher(world.other_school, "差一点")  # 3 + 2 + 2 = 7 h: 70%
    full = make_teacher(world.school, "全勤")  # 10 h, late and leaving early still count
    never = make_teacher(world.other_school, "缺席")  # absent, on leave, unmarked: 0 h
    withdrawn = make_teacher(world.school, "退出")
    confirm(world, project, at_threshold, below, full, never)
    confirm(world, project, withdrawn, status=Enrolment.Status.WITHDRAWN)
    for session in (s1, s2, s3):
        mark(world, session, at_threshold, "present")
    mark(world, s4, at_threshold, "absent")
    for session in (s1, s3, s4):
        mark(world, session, below, "present")
    mark(world, s2, below, "leave")
    mark(world, s1, full, "late")
    mark(world, s2, full, "left_early")
    mark(world, s3, full, "present")
    mark(world, s4, full, "present")
    mark(world, s1, never, "absent")
    mark(world, s2, never, "leave")
    mark(world, s1, withdrawn, "present")
    return project


def test_project_report_figures_and_completion_at_exactly_the_threshold(world, project_with_marks):
    report = reports.project_report(project_with_marks)
    rows = by_name(report.rows)

    assert set(rows) == {"恰好", "差一点", "全勤", "缺席"}
    assert report.total_hours == D(10) and len(report.sessions) == 4
    assert (rows["恰好"].sessions_attended, rows["恰好"].attended_hours, rows["恰好"].share) == (3, D(8), D(80))
    assert rows["恰好"].completed is True
    assert (rows["差一点"].attended_hours, rows["差一点"].share, rows["差一点"].completed) == (D(7), D(70), False)
    assert (rows["全勤"].sessions_attended, rows["全勤"].attended_hours, rows["全勤"].completed) == (4, D(10), True)
    assert (rows["缺席"].sessions_attended, rows["缺席"].attended_hours, rows["缺席"].completed) == (0, D(0), False)
    # 8 + 7 + 10 + 0 = 25 of 4 × 10 = 40 hours: 62.5%, below the 94% target.
    assert report.expected_hours == D(40) and report.attended_hours == D(25)
    assert report.participation == D("62.5")
    assert report.target == 94 and report.meets_target is False
    assert report.completed_count == 2


def test_project_participation_at_exactly_the_target_meets_it(world):
    project = make_project(world)  # no ProjectRun: the district default of 80%
    sessions = [make_session(datetime.date(2024, 10, day), hours, project=project)
                for day, hours in ((8, 4), (9, 3), (10, 2), (11, 1))]
    teachers = [make_teacher(world.school, f"教师{n}") for n in range(5)]
    confirm(world, project, *teachers)
    for teacher in teachers[:4]:
        for session in sessions:
            mark(world, session, teacher, "present")
    mark(world, sessions[0], teachers[4], "present")
    mark(world, sessions[1], teachers[4], "present")

    report = reports.project_report(project)

    # 4 × 10 + 7 = 47 of 50 hours: 94%, the target itself.
    assert report.attended_hours == D(47) and report.expected_hours == D(50)
    assert report.participation == D(94) and report.meets_target is True
    assert report.run.min_attendance_percent == 80
    assert by_name(report.rows)["教师4"].completed is False  # 70%


def test_project_report_flags_exempt_teachers(world):
    project = make_project(world)
    exempt = make_teacher(world.school, "五十岁", birth=datetime.date(1974, 12, 31))
    not_yet = make_teacher(world.school, "四十九岁", birth=datetime.date(1975, 1, 1))
    confirm(world, project, exempt, not_yet)
    rows = by_name(reports.project_report(project).rows)
    assert rows["五十岁"].exempt is True and rows["四十九岁"].exempt is False


# --- a school ---------------------------------------------------------------------------------

@pytest.fixture
def absences(world):
    """School-based sessions of world.school and who missed which."""
    plan = school_plan(world)
    a, b, c, d = (make_session(datetime.date(2024, 9, day), hours, plan=plan)
                  for day, hours in ((2, "2.5"), (3, "2.5"), (4, "2"), (5, "1")))
    e = make_session(datetime.date(2025, 1, 31), "2.5", plan=plan)  # last day of semester 1
    f = make_session(datetime.date(2025, 2, 1), "2.5", plan=plan)  # first day of semester 2
    last_year = make_session(datetime.date(2024, 7, 31), "5", plan=school_plan(world, year=2023))

    def absent(teacher, *sessions):
        for session in sessions:
            mark(world, session, teacher, "absent")

    school = world.school
    absent(make_teacher(school, "五学时"), a, e)  # 2.5 + 2.5 = 5.0 in semester 1
    absent(make_teacher(school, "四点五"), a, c)  # 4.5
    absent(make_teacher(school, "三学时"), c, d)  # 3.0: exactly 60% of the limit
    absent(make_teacher(school, "二点五"), b)  # 2.5: below 60%
    absent(make_teacher(school, "分两学期"), e, f)  # 2.5 in each semester
    absent(make_teacher(school, "去年"), last_year)  # another school year
    leave = make_teacher(school, "请假")
    for session in (a, e):
        mark(world, session, leave, "leave")
    absent(make_teacher(school, "女五十", birth=datetime.date(1974, 12, 31)), a, e)
    absent(make_teacher(school, "女四十九", birth=datetime.date(1975, 1, 1)), a, e)
    absent(make_teacher(school, "男五十五", gender="M", birth=datetime.date(1969, 12, 31)), a, e)
    absent(make_teacher(school, "男五十四", gender="M", birth=datetime.date(1970, 1, 1)), a, e)
    absent(make_teacher(school, "女五十四", birth=datetime.date(1970, 1, 1)), a, e)
    absent(make_teacher(school, "离职", active=False), a, e)  # not in post: not listed
    return plan


def test_school_report_forfeiture_at_risk_and_exemption(world, absences):
    report = reports.school_report(world.school, YEAR)
    rows = by_name(report.rows)

    assert "离职" not in rows
    assert rows["五学时"].absence == [D(5), D(0)]
    assert rows["五学时"].forfeited is True and rows["五学时"].at_risk is False  # 以上 includes 5
    assert rows["四点五"].absence == [D("4.5"), D(0)]
    assert rows["四点五"].forfeited is False and rows["四点五"].at_risk is True
    assert rows["三学时"].absence == [D(3), D(0)] and rows["三学时"].at_risk is True
    assert rows["二点五"].at_risk is False and rows["二点五"].forfeited is False
    assert rows["分两学期"].absence == [D("2.5"), D("2.5")]
    assert rows["分两学期"].forfeited is False and rows["分两学期"].at_risk is False
    assert rows["去年"].absence == [D(0), D(0)] and rows["去年"].forfeited is False
    assert rows["请假"].absence == [D(0), D(0)] and rows["请假"].forfeited is False
    # Exempt: women who are 50 and men who are 55 by 31 December 2024.
    assert rows["女五十"].exempt is True and rows["女五十"].forfeited is False and rows["女五十"].at_risk is False
    assert rows["女四十九"].exempt is False and rows["女四十九"].forfeited is True
    assert rows["男五十五"].exempt is True and rows["男五十五"].forfeited is False
    assert rows["男五十四"].exempt is False and rows["男五十四"].forfeited is True
    assert rows["女五十四"].exempt is True and rows["女五十四"].forfeited is False
    # 五学时, 女四十九, 男五十四 forfeit; 四点五 and 三学时 are at risk.
    assert (report.forfeited, report.at_risk, report.exempt) == (3, 2, 3)


def test_school_report_matches_the_per_teacher_service(world, absences):
    from attendance.services import school_based_absence_by_semester, school_based_credit_forfeited

    rules = CompletionRules.for_district(world.district.pk)
    for row in reports.school_report(world.school, YEAR).rows:
        assert row.absence == school_based_absence_by_semester(row.teacher, YEAR), row.teacher.name
        assert row.forfeited == school_based_credit_forfeited(row.teacher, YEAR, rules), row.teacher.name


def test_a_district_limit_is_used(world, absences):
    CompletionRules.objects.create(district=world.district, school_absence_limit_hours=D("4.5"))
    rows = by_name(reports.school_report(world.school, YEAR).rows)
    assert rows["四点五"].forfeited is True
    assert rows["二点五"].at_risk is False and rows["三学时"].at_risk is True  # from 2.7 hours


@pytest.fixture
def participation(world):
    """world.school: school-based 3 h (semester 1) and 2 h (semester 2); a 4 h project for 甲 only."""
    plan = school_plan(world)
    s1 = make_session(datetime.date(2024, 9, 20), 3, plan=plan)
    s2 = make_session(datetime.date(2025, 3, 20), 2, plan=plan)
    project = make_project(world)
    p1 = make_session(datetime.date(2024, 10, 15), 4, project=project)
    next_year = make_session(datetime.date(2025, 9, 15), 6, project=project)  # school year 2025
    a = make_teacher(world.school, "甲", user=world.teacher)
    b = make_teacher(world.school, "乙")
    confirm(world, project, a)
    mark(world, s1, a, "present")
    mark(world, s2, a, "absent")
    mark(world, p1, a, "present")
    mark(world, next_year, a, "present")
    mark(world, s1, b, "present")
    mark(world, s2, b, "late")
    return {"project": project, "a": a, "b": b, "sessions": (s1, p1, s2)}


def test_school_report_hours_and_participation(world, participation):
    report = reports.school_report(world.school, YEAR)
    rows = by_name(report.rows)

    a, b = rows["甲"], rows["乙"]
    assert (a.school_based_hours, a.project_hours, a.expected_hours) == (D(3), D(4), D(9))
    assert a.absence == [D(0), D(2)]
    assert (b.school_based_hours, b.project_hours, b.expected_hours) == (D(5), D(0), D(5))
    # (7 + 5) of (9 + 5) hours = 85.7%, below 94%.
    assert report.attended_hours == D(12) and report.expected_hours == D(14)
    assert round(report.participation, 1) == D("85.7") and report.meets_target is False


def test_teacher_report_lists_every_expected_session(world, participation):
    other_project = make_project(world, "没报名的项目")
    make_session(datetime.date(2024, 11, 1), 6, project=other_project)  # not on its roster
    other_plan = school_plan(world, school=world.other_school)
    make_session(datetime.date(2024, 11, 2), 6, plan=other_plan)  # another school's training

    report = reports.teacher_report(participation["a"], YEAR)

    assert [row.session for row in report.rows] == list(participation["sessions"])
    assert [row.status for row in report.rows] == ["present", "present", "absent"]
    assert (report.expected_hours, report.attended_hours, report.absent_hours) == (D(9), D(7), D(2))
    assert report.standing.absence == [D(0), D(2)] and report.standing.forfeited is False

    b_report = reports.teacher_report(participation["b"], YEAR)
    assert [row.status for row in b_report.rows] == ["present", "late"]

    new = make_teacher(world.school, "新来的")
    assert [row.status for row in reports.teacher_report(new, YEAR).rows] == [reports.UNRECORDED] * 2
    assert len(reports.teacher_report(participation["a"], 2025).rows) == 1  # the autumn 2025 session


def test_district_report_per_school(world, absences):
    plan = school_plan(world, school=world.other_school)
    session = make_session(datetime.date(2024, 10, 1), 5, plan=plan)
    for n in range(2):
        mark(world, session, make_teacher(world.other_school, f"初中{n}"), "present")
    make_teacher(world.other_school, "没记录")  # expected, unmarked

    report = reports.district_report(world.district, YEAR)
    schools = {summary.organisation: summary for summary in report.schools}

    assert set(schools) == {world.school, world.other_school}
    primary, junior = schools[world.school], schools[world.other_school]
    assert (primary.teachers, primary.forfeited, primary.at_risk) == (12, 3, 2)
    assert (junior.teachers, junior.forfeited, junior.at_risk) == (3, 0, 0)
    assert junior.expected_hours == D(15) and junior.attended_hours == D(10)
    assert round(junior.participation, 2) == D("66.67")
    assert (report.teachers, report.forfeited, report.at_risk) == (15, 3, 2)


# --- pages and xlsx -----------------------------------------------------------------------------

def test_school_report_page_and_xlsx(world, client_for, absences):
    client = client_for(world.school_officer)
    url = reverse("attendance:report_school") + f"?year={YEAR}"
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["report"].forfeited == 3
    assert 'data-teacher="五学时"' in page.content.decode() and 'data-flag="forfeited"' in page.content.decode()

    rows = xlsx_rows(client.get(url + "&format=xlsx"))
    header = rows[1]
    assert len(header) == 10 and all(header)
    data = {row[0]: row for row in rows[2:2 + 12]}
    assert len(data) == 12 and "离职" not in data
    assert data["五学时"][1:3] == [5, 0] and data["五学时"][3]  # forfeited
    assert data["四点五"][1] == 4.5 and not data["四点五"][3] and data["四点五"][4]  # at risk
    assert data["女五十"][5] and not data["女五十"][3]  # exempt, not forfeited


def test_project_report_page_and_xlsx(world, client_for, project_with_marks):
    client = client_for(world.training_officer)
    url = reverse("attendance:report_project", args=[project_with_marks.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["report"].participation == D("62.5")

    rows = xlsx_rows(client.get(url + "?format=xlsx"))
    data = {row[0]: row for row in rows[2:6]}
    assert set(data) == {"恰好", "差一点", "全勤", "缺席"}
    assert data["恰好"][2:6] == [3, 8, 10, 80] and data["恰好"][6]  # completed
    assert data["差一点"][5] == 70 and not data["差一点"][6]
    summary = {row[0]: row[1] for row in rows[7:] if row and row[0]}
    assert 62.5 in summary.values() and 94 in summary.values()


def test_teacher_and_district_xlsx(world, client_for, participation):
    rows = xlsx_rows(client_for(world.teacher).get(
        reverse("attendance:report_teacher", args=[participation["a"].pk]) + f"?year={YEAR}&format=xlsx"))
    assert [row[4] for row in rows[2:5]] == [3, 4, 2]
    assert rows[2][0].date() == datetime.date(2024, 9, 20)

    bureau = client_for(world.bureau_officer)
    rows = xlsx_rows(job_result(bureau, bureau.post(reverse("attendance:report_district") + f"?year={YEAR}&format=xlsx")))
    data = {row[0]: row for row in rows[2:4]}
    assert data[world.school.name][1:4] == [2, 14, 12]
    assert data[world.other_school.name][1:4] == [0, 0, 0] and data[world.other_school.name][4] is None


# --- who sees what -----------------------------------------------------------------------------------

def test_school_staff_see_only_their_own_school(world, client_for, participation):
    url = reverse("attendance:report_school")
    for user in (world.school_officer, world.principal):
        response = client_for(user).get(url + f"?year={YEAR}")
        assert response.status_code == 200
        assert {row.teacher.name for row in response.context["report"].rows} == {"甲", "乙"}

    other = client_for(world.other_school_officer)
    response = other.get(url + f"?year={YEAR}")
    assert response.status_code == 200 and response.context["report"].rows == []
    assert "甲" not in response.content.decode()
    assert other.get(url + f"?organisation={world.school.pk}").status_code == 403
    assert other.get(reverse("attendance:report_teacher", args=[participation["a"].pk])).status_code == 403
    assert other.get(reverse("attendance:report_district")).status_code == 403
    assert client_for(world.school_officer).get(
        reverse("attendance:report_project", args=[participation["project"].pk])).status_code == 403


def test_a_teacher_sees_only_their_own_report(world, client_for, participation):
    client = client_for(world.teacher)
    assert client.get(reverse("attendance:report_teacher", args=[participation["a"].pk])).status_code == 200
    assert client.get(reverse("attendance:report_teacher", args=[participation["b"].pk])).status_code == 403
    assert client.get(reverse("attendance:report_school")).status_code == 403
    assert client.get(reverse("attendance:report_district")).status_code == 403
    assert client.get(reverse("attendance:report_project", args=[participation["project"].pk])).status_code == 403
    # The school's own staff may open their teachers' reports.
    assert client_for(world.principal).get(
        reverse("attendance:report_teacher", args=[participation["b"].pk])).status_code == 200


def test_district_staff_and_organisers(world, client_for, participation):
    project = participation["project"]
    for user in (world.training_officer, world.bureau_officer):
        client = client_for(user)
        assert client.get(reverse("attendance:report_project", args=[project.pk])).status_code == 200
        assert client.get(reverse("attendance:report_district")).status_code == 200
        response = client.get(reverse("attendance:report_school") + f"?organisation={world.school.pk}&year={YEAR}")
        assert response.status_code == 200 and response.context["report"].teachers == 2
        assert client.get(reverse("attendance:report_teacher", args=[participation["a"].pk])).status_code == 200
    assert client_for(world.training_officer).get(reverse("attendance:report_school")).status_code == 302
    assert client_for(world.training_officer).get(
        reverse("attendance:report_school") + f"?organisation={world.bureau.pk}").status_code == 404
    assert client_for(world.expert1).get(reverse("attendance:report_project", args=[project.pk])).status_code == 403

    # A school organising its own project sees that project's report.
    own = make_project(world, "校内项目", organiser=world.school)
    assert client_for(world.school_officer).get(
        reverse("attendance:report_project", args=[own.pk])).status_code == 200
    assert client_for(world.other_school_officer).get(
        reverse("attendance:report_project", args=[own.pk])).status_code == 403


def test_another_district_is_refused(world, client_for, participation):
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    for user in (elsewhere.training_officer, elsewhere.bureau_officer):
        client = client_for(user)
        assert client.get(reverse("attendance:report_project", args=[participation["project"].pk])).status_code \
            == 403
        assert client.get(reverse("attendance:report_school") + f"?organisation={world.school.pk}").status_code \
            == 403
        assert client.get(reverse("attendance:report_teacher", args=[participation["a"].pk])).status_code == 403
        response = client.get(reverse("attendance:report_district") + f"?year={YEAR}")
        assert response.status_code == 200 and response.context["report"].teachers == 0


def test_anonymous_users_are_sent_to_log_in(client, participation):
    response = client.get(reverse("attendance:report_school"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- query counts -------------------------------------------------------------------------------------

def _add_teachers(world, plan, project, sessions, count, prefix):
    for n in range(count):
        teacher = make_teacher(world.school, f"{prefix}{n}")
        confirm(world, project, teacher)
        for session, status in zip(sessions, ("present", "absent", "late", "leave")):
            mark(world, session, teacher, status)


def test_school_report_queries_do_not_grow_with_teachers(world, client_for, django_assert_max_num_queries):
    plan = school_plan(world)
    project = make_project(world)
    sessions = [make_session(datetime.date(2024, 9, day), 2, plan=plan) for day in (2, 3)] + \
        [make_session(datetime.date(2024, 10, day), 3, project=project) for day in (8, 9)]
    _add_teachers(world, plan, project, sessions, 2, "基线")
    client = client_for(world.school_officer)
    url = reverse("attendance:report_school") + f"?year={YEAR}"
    client.get(url)  # warm up: session, user, content types

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    baseline = len(captured.captured_queries)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url + "&format=xlsx").status_code == 200
    xlsx_baseline = len(captured.captured_queries)

    _add_teachers(world, plan, project, sessions, 25, "新增")
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert len(response.context["report"].rows) == 27
    with django_assert_max_num_queries(xlsx_baseline):
        client.get(url + "&format=xlsx")


def test_report_selectors_run_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    plan = school_plan(world)
    project = make_project(world)
    sessions = [make_session(datetime.date(2024, 9, day), 2, plan=plan) for day in (2, 3)] + \
        [make_session(datetime.date(2024, 10, day), 3, project=project) for day in (8, 9)]
    _add_teachers(world, plan, project, sessions, 1, "一")
    teacher = Teacher.objects.get()

    def counts():
        result = {}
        for name, call in {
            "school": lambda: reports.school_report(world.school, YEAR),
            "district": lambda: reports.district_report(world.district, YEAR),
            "project": lambda: reports.project_report(project),
            "session": lambda: reports.session_report(sessions[0]),
            "teacher": lambda: reports.teacher_report(Teacher.objects.select_related("organisation").get(
                pk=teacher.pk), YEAR),
        }.items():
            with CaptureQueriesContext(connection) as captured:
                call()
            result[name] = len(captured.captured_queries)
        return result

    before = counts()
    _add_teachers(world, plan, project, sessions, 30, "多")
    assert counts() == before
    assert before["school"] <= 5 and before["district"] <= 6 and before["project"] <= 6
