"""Enrolment, sessions, roll call, self sign-in with rotating codes, leave and the
completion rules of seeds 001 and 003."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from attendance import services
from attendance.models import Attendance, CompletionRules, Enrolment, LeaveRequest, ProjectRun, Session
from plans.models import Document
from tests.attendance_helpers import (
    confirm, make_project, make_session, make_teacher, make_teacher_with_login,
)

pytestmark = pytest.mark.django_db


def aware(date, time):
    return timezone.make_aware(datetime.datetime.combine(date, time))


# --- enrolment -----------------------------------------------------------------

def test_nominate_confirm_and_waiting_list(world, client_for):
    project = make_project(world)
    ProjectRun.objects.create(project=project, quota=1, per_school_quota=2)
    first, second = make_teacher(world.school, "甲"), make_teacher(world.school, "乙")
    school = client_for(world.school_officer)
    response = school.post(reverse("attendance:project", args=[project.pk]),
                           {"nominate": "1", "teachers": [first.pk, second.pk]})
    assert response.status_code == 302
    assert set(project.enrolments.values_list("status", flat=True)) == {"nominated"}
    for enrolment in project.enrolments.order_by("teacher__name"):
        services.enrolment_organiser_decide(enrolment=enrolment, user=world.training_officer, confirm=True)
    statuses = dict(project.enrolments.values_list("teacher__name", "status"))
    assert sorted(statuses.values()) == ["confirmed", "waitlisted"]
    confirmed = project.enrolments.get(status="confirmed")
    promoted = services.enrolment_withdraw(enrolment=confirmed, user=world.training_officer)
    assert promoted.status == "confirmed" and promoted.teacher != confirmed.teacher


def test_per_school_quota_is_enforced(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, per_school_quota=1)
    services.enrolment_nominate(project=project, teacher=make_teacher(world.school, "甲"), user=world.school_officer)
    with pytest.raises(ValidationError) as error:
        services.enrolment_nominate(project=project, teacher=make_teacher(world.school, "乙"), user=world.school_officer)
    assert "1" in error.value.messages[0]
    assert project.enrolments.count() == 1


def test_school_cannot_nominate_another_schools_teacher(world):
    project = make_project(world)
    other = make_teacher(world.other_school, "丙")
    with pytest.raises(PermissionDenied):
        services.enrolment_nominate(project=project, teacher=other, user=world.school_officer)
    school_only = make_project(world, name="校内项目", open_to=world.other_school)
    with pytest.raises(ValidationError):
        services.enrolment_nominate(project=school_only, teacher=make_teacher(world.school), user=world.school_officer)


def test_self_enrolment_needs_school_approval(world, client_for):
    project = make_project(world)
    teacher = make_teacher_with_login(world.school, "t_self")
    with pytest.raises(ValidationError):
        services.enrolment_apply(project=project, user=teacher.user)  # not open for applications
    ProjectRun.objects.create(project=project, self_enrolment=True)
    client_for(teacher.user).post(reverse("attendance:project", args=[project.pk]), {"apply": "1"})
    enrolment = Enrolment.objects.get(teacher=teacher)
    assert enrolment.status == "applied"
    with pytest.raises(PermissionDenied):
        services.enrolment_organiser_decide(enrolment=enrolment, user=world.training_officer, confirm=True)
    services.enrolment_school_decide(enrolment=enrolment, user=world.school_officer, approve=True)
    services.enrolment_organiser_decide(enrolment=enrolment, user=world.training_officer, confirm=True)
    enrolment.refresh_from_db()
    assert enrolment.status == "confirmed"


# --- sessions and roll call -------------------------------------------------------

def test_sessions_generated_from_schedule(world):
    project = make_project(world, hours=14, month=3)
    sessions = services.sessions_generate(project=project, user=world.training_officer)
    assert [s.hours for s in sessions] == [Decimal(6), Decimal(6), Decimal(2)]
    assert all(s.date.month == 3 and s.date.weekday() < 5 for s in sessions)
    with pytest.raises(PermissionDenied):
        services.sessions_generate(project=project, user=world.school_officer)


def test_roll_call_marks_the_whole_roster(world, client_for):
    project = make_project(world)
    a, b = make_teacher(world.school, "甲"), make_teacher(world.school, "乙")
    outsider = make_teacher(world.school, "丁")
    confirm(project, a, world), confirm(project, b, world)
    session = make_session(project)
    organiser = client_for(world.training_officer)
    response = organiser.post(reverse("attendance:session", args=[session.pk]),
                              {f"t-{a.pk}": "present", f"t-{b.pk}": "left_early"})
    assert response.status_code == 302
    assert dict(session.attendance.values_list("teacher__name", "status")) == {"甲": "present", "乙": "left_early"}
    # Someone not on the roster: refused, nothing changed.
    organiser.post(reverse("attendance:session", args=[session.pk]),
                   {f"t-{a.pk}": "absent", f"t-{outsider.pk}": "present"})
    assert dict(session.attendance.values_list("teacher__name", "status")) == {"甲": "present", "乙": "left_early"}


def test_schools_do_not_see_other_sessions(world, client_for):
    session = make_session(make_project(world))
    for user in (world.school_officer, world.teacher, world.expert1):
        assert client_for(user).get(reverse("attendance:session", args=[session.pk])).status_code == 404
    assert client_for(world.school_officer).post(reverse("attendance:session", args=[session.pk]), {}).status_code == 404


# --- self sign-in ---------------------------------------------------------------------

@pytest.fixture
def signing(world):
    project = make_project(world)
    teacher = make_teacher_with_login(world.school, "t_sign")
    confirm(project, teacher, world)
    session = make_session(project, date=datetime.date(2024, 3, 11), start=datetime.time(9, 0))
    return session, teacher


def test_sign_in_with_current_code(signing):
    session, teacher = signing
    now = aware(session.date, datetime.time(8, 50))
    attendance = services.sign_in(session=session, user=teacher.user, code=services.sign_in_code(session, now), now=now)
    assert attendance.status == "present" and attendance.source == "self"
    later = aware(session.date, datetime.time(9, 20))
    with pytest.raises(ValidationError) as error:
        services.sign_in(session=session, user=teacher.user, code=services.sign_in_code(session, later), now=later)
    assert error.value.messages == [str(services.ERROR_ALREADY_SIGNED_IN)]


def test_late_sign_in_is_marked_late(signing):
    session, teacher = signing
    now = aware(session.date, datetime.time(9, 15))
    attendance = services.sign_in(session=session, user=teacher.user, code=services.sign_in_code(session, now), now=now)
    assert attendance.status == "late"


@pytest.mark.parametrize("when", [datetime.time(8, 20), datetime.time(9, 31), datetime.time(15, 0)])
def test_sign_in_outside_the_window_is_refused(signing, when):
    session, teacher = signing
    now = aware(session.date, when)
    with pytest.raises(ValidationError):
        services.sign_in(session=session, user=teacher.user, code=services.sign_in_code(session, now), now=now)
    assert not Attendance.objects.exists()


def test_yesterdays_or_forged_code_is_refused(signing):
    session, teacher = signing
    now = aware(session.date, datetime.time(8, 55))
    photographed = services.sign_in_code(session, now - datetime.timedelta(days=1))
    stale = services.sign_in_code(session, now - datetime.timedelta(minutes=5))
    for code in {photographed, stale, "000000", "123456"} - {services.sign_in_code(session, now)}:
        with pytest.raises(ValidationError) as error:
            services.sign_in(session=session, user=teacher.user, code=code, now=now)
        assert error.value.messages == [str(services.ERROR_CODE_INVALID)]
    assert not Attendance.objects.exists()


def test_code_rotates_every_minute_and_differs_per_session(world, signing):
    session, _teacher = signing
    other = make_session(session.project, date=session.date)
    now = aware(session.date, datetime.time(8, 55))
    assert services.sign_in_code(session, now) != services.sign_in_code(session, now + datetime.timedelta(minutes=1))
    assert services.sign_in_code(session, now) != services.sign_in_code(other, now)


def test_teacher_not_on_roster_cannot_sign_in(world, signing):
    session, _teacher = signing
    stranger = make_teacher_with_login(world.school, "t_stranger")
    now = aware(session.date, datetime.time(8, 55))
    with pytest.raises(ValidationError) as error:
        services.sign_in(session=session, user=stranger.user, code=services.sign_in_code(session, now), now=now)
    assert error.value.messages == [str(services.ERROR_NOT_ON_ROSTER)]


# --- leave ------------------------------------------------------------------------------

def test_leave_for_future_session_approved_counts_as_leave(world, signing):
    session, teacher = signing
    before = aware(session.date, datetime.time(7, 0))
    leave = services.leave_request(session=session, user=teacher.user, reason="孩子生病。", now=before)
    with pytest.raises(PermissionDenied):
        services.leave_decide(leave=leave, user=world.other_school_officer, approve=True)
    services.leave_decide(leave=leave, user=world.school_officer, approve=True)
    assert Attendance.objects.get(session=session, teacher=teacher).status == "leave"
    with pytest.raises(ValidationError):
        services.leave_request(session=session, user=teacher.user, reason="再请一次。", now=before)


def test_leave_for_past_session_is_refused(signing):
    session, teacher = signing
    after = aware(session.date, datetime.time(9, 1))
    with pytest.raises(ValidationError) as error:
        services.leave_request(session=session, user=teacher.user, reason="忘记了。", now=after)
    assert error.value.messages == [str(services.ERROR_LEAVE_PAST)]
    assert not LeaveRequest.objects.exists()


# --- completion rules -----------------------------------------------------------------------

@pytest.mark.parametrize("gender,birth,exempt", [
    ("F", datetime.date(1974, 12, 31), True),   # 50 on 31 Dec 2024
    ("F", datetime.date(1975, 1, 1), False),    # 50 only in 2025
    ("M", datetime.date(1969, 12, 31), True),   # 55 on 31 Dec 2024
    ("M", datetime.date(1974, 6, 1), False),    # a man of 50 is still assessed
])
def test_exemption_by_age_on_31_december(world, gender, birth, exempt):
    teacher = make_teacher(world.school, gender=gender, birth=birth)
    assert services.is_exempt(teacher, 2024, CompletionRules.for_district(world.district.pk)) is exempt


def _school_plan(world, year=2024):
    return Document.objects.create(kind="school_plan", organisation=world.school, year=year, title="校本计划",
                                   created_by=world.school_officer, status="approved")


@pytest.mark.parametrize("absent_hours,forfeited", [("4.5", False), ("5.0", True), ("6", True)])
def test_five_hours_absent_in_a_semester_forfeits_the_year(world, absent_hours, forfeited):
    plan = _school_plan(world)
    teacher = make_teacher(world.school)
    session = make_session(school_plan=plan, organisation=world.school, date=datetime.date(2024, 10, 9),
                           hours=absent_hours)
    Attendance.objects.create(session=session, teacher=teacher, status="absent", source="roll_call",
                              marked_by=world.school_officer)
    rules = CompletionRules.for_district(world.district.pk)
    assert services.school_based_credit_forfeited(teacher, 2024, rules) is forfeited


def test_absences_in_different_semesters_do_not_add_up(world):
    plan = _school_plan(world)
    teacher = make_teacher(world.school)
    for date in (datetime.date(2024, 11, 5), datetime.date(2025, 3, 5)):
        session = make_session(school_plan=plan, organisation=world.school, date=date, hours="3")
        Attendance.objects.create(session=session, teacher=teacher, status="absent", source="roll_call",
                                  marked_by=world.school_officer)
    assert services.school_based_absence_by_semester(teacher, 2024) == [Decimal(3), Decimal(3)]
    assert not services.school_based_credit_forfeited(teacher, 2024, CompletionRules.for_district(world.district.pk))


def test_exempt_teacher_never_forfeits(world):
    plan = _school_plan(world)
    teacher = make_teacher(world.school, gender="F", birth=datetime.date(1970, 1, 1))
    session = make_session(school_plan=plan, organisation=world.school, date=datetime.date(2024, 10, 9), hours="8")
    Attendance.objects.create(session=session, teacher=teacher, status="absent", source="roll_call",
                              marked_by=world.school_officer)
    assert not services.school_based_credit_forfeited(teacher, 2024, CompletionRules.for_district(world.district.pk))


def test_project_completion_needs_the_organisers_share(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, min_attendance_percent=75)
    teacher = make_teacher(world.school)
    confirm(project, teacher, world)
    sessions = [make_session(project, date=datetime.date(2024, 3, d), hours="3") for d in (11, 12, 13, 14)]
    for session, status in zip(sessions, ["present", "late", "left_early", "absent"]):
        Attendance.objects.create(session=session, teacher=teacher, status=status, source="roll_call",
                                  marked_by=world.training_officer)
    result = services.project_attendance(project, teacher)
    assert (result["attended_hours"], result["total_hours"], result["share"]) == (Decimal(9), Decimal(12), Decimal(75))
    assert result["completed"]
    Attendance.objects.filter(session=sessions[2]).update(status="absent")
    assert not services.project_attendance(project, teacher)["completed"]


def test_school_based_sessions_need_an_approved_plan(world, client_for):
    client = client_for(world.school_officer)
    data = {"session-title": "师德讲座", "session-date": "2024-10-09", "session-start_time": "14:00",
            "session-end_time": "16:00", "session-hours": "2", "session-place": "会议室"}
    assert client.post(reverse("attendance:school_based") + "?year=2024", data).status_code == 403
    _school_plan(world)
    response = client.post(reverse("attendance:school_based") + "?year=2024", data)
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.is_school_based and session.organisation == world.school
    assert client_for(world.other_school_officer).get(reverse("attendance:session", args=[session.pk])).status_code == 404


def test_session_form_rejects_end_before_start(world, client_for):
    project = make_project(world)
    response = client_for(world.training_officer).post(reverse("attendance:project", args=[project.pk]), {
        "session": "1", "session-title": "讲座", "session-date": "2024-03-11", "session-start_time": "10:00",
        "session-end_time": "09:00", "session-hours": "1", "session-place": "",
    })
    assert response.status_code == 200 and not Session.objects.exists()


def test_sign_in_sheet_pdf(world, client_for):
    from io import BytesIO

    from pypdf import PdfReader

    project = make_project(world)
    confirm(project, make_teacher(world.school, "签到甲"), world)
    session = make_session(project)
    response = client_for(world.training_officer).get(reverse("attendance:session_sheet", args=[session.pk]))
    text = PdfReader(BytesIO(response.content)).pages[0].extract_text()
    assert "签到甲" in text


def test_organiser_edits_a_drafted_session(world, client_for):
    project = make_project(world, hours=6)
    session = services.sessions_generate(project=project, user=world.training_officer)[0]
    url = reverse("attendance:session_edit", args=[session.pk])
    data = {"session-title": "专题讲座（调整）", "session-date": "2024-03-20", "session-start_time": "14:00",
            "session-end_time": "17:00", "session-hours": "3", "session-place": "区电教中心"}
    assert client_for(world.school_officer).post(url, data).status_code == 404
    assert client_for(world.training_officer).post(url, data).status_code == 302
    session.refresh_from_db()
    assert (session.date, session.hours, session.place) == (datetime.date(2024, 3, 20), Decimal(3), "区电教中心")
    bad = {**data, "session-end_time": "13:00"}
    assert client_for(world.training_officer).post(url, bad).status_code == 200
    session.refresh_from_db()
    assert session.start_time == datetime.time(14, 0) and session.end_time == datetime.time(17, 0)
