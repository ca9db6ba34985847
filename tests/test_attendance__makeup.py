"""Leave and make-up (补学), issue #12.

Approved leave is recorded as 请假 (never 缺席) and never forfeits school-based
credit, but its hours are not attended: without a make-up the teacher does not
complete the project. The organiser accepts a make-up (an assignment or a
recorded lesson, with a note) of a missed session; its hours then count towards
the completion share, in the services, the reports, the pages and the credits
that closing the project writes.

Hand-worked figures: a 12-hour project of four 3-hour sessions, 80% needed
(9.6 hours). A teacher on approved leave for one session attends 9 hours: 75%,
not completed. With the make-up: 9 + 3 = 12 hours, 100%, completed; credits are
for the 9 hours attended (Hunan: 1 hour = 1 credit).
"""
import datetime
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.services import user_create
from attendance import reports, services
from attendance.models import Attendance, Enrolment, MakeUp
from audit.models import Action, AuditEvent
from credits.models import CreditEntry
from schedule.models import ScheduledProject
from schedule.services import log_entry_add
from tests.attendance_helpers import confirm, make_project, make_session, make_teacher, make_teacher_with_login
from tests.factories import make_district

D = Decimal
BEFORE = timezone.make_aware(datetime.datetime(2024, 3, 1, 9))  # when the teacher asks for leave
NOTE = "提交该讲专题作业《课堂观察量表设计》一份，经项目负责人批阅合格。"


def gettext_errors(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def course(world):
    """Four 3-hour sessions in March 2024; 王老师 has approved leave for the second,
    陈老师 was absent from the third, 刘老师 attended everything."""
    project = make_project(world, hours=12)
    sessions = [make_session(project, date=datetime.date(2024, 3, day)) for day in (11, 12, 13, 14)]
    on_leave = make_teacher_with_login(world.school, "leave_teacher", name="王老师")
    absent = make_teacher(world.school, name="陈老师")
    present = make_teacher(world.other_school, name="刘老师")
    for teacher in (on_leave, absent, present):
        confirm(project, teacher, world)
    leave = services.leave_request(session=sessions[1], user=on_leave.user, reason="参加市级教研活动", now=BEFORE)
    services.leave_decide(leave=leave, user=world.school_officer, approve=True)
    for n, session in enumerate(sessions):
        marks = {present.pk: "present", absent.pk: "absent" if n == 2 else "present"}
        if n != 1:
            marks[on_leave.pk] = "present"
        services.attendance_mark(session=session, user=world.training_officer, marks=marks)
    return {"project": project, "sessions": sessions, "on_leave": on_leave, "absent": absent, "present": present}


def accept(course, world, teacher_key="on_leave", session_index=1, **extra):
    fields = {"kind": MakeUp.Kind.ASSIGNMENT, "note": NOTE, **extra}
    return services.make_up_accept(project=course["project"], session=course["sessions"][session_index],
                                   teacher=course[teacher_key], user=world.training_officer, **fields)


def make_up_url(course):
    return reverse("attendance:make_ups", args=[course["project"].pk])


def post_data(course, teacher_key="on_leave", session_index=1, **extra):
    return {"teacher": course[teacher_key].pk, "session": course["sessions"][session_index].pk,
            "kind": "assignment", "note": NOTE, **extra}


# --- leave is 请假, and costs completion until made up ----------------------------------------------

def test_approved_leave_is_recorded_as_leave_and_the_teacher_does_not_complete(world, course):
    mark = Attendance.objects.get(session=course["sessions"][1], teacher=course["on_leave"])
    assert (mark.status, mark.source) == (Attendance.Status.LEAVE, Attendance.Source.LEAVE)
    figures = services.project_attendance(course["project"], course["on_leave"])
    assert (figures["attended_hours"], figures["made_up_hours"], figures["share"], figures["completed"]) == \
        (D(9), D(0), D(75), False)


def test_a_make_up_counts_towards_completion(world, course):
    make_up = accept(course, world)
    assert (make_up.accepted_by, make_up.kind, make_up.note) == (world.training_officer, "assignment", NOTE)
    assert make_up.accepted_at is not None
    figures = services.project_attendance(course["project"], course["on_leave"])
    assert (figures["attended_hours"], figures["made_up_hours"], figures["counted_hours"]) == (D(9), D(3), D(12))
    assert (figures["share"], figures["completed"]) == (D(100), True)
    # The attendance mark stays 请假.
    assert Attendance.objects.get(session=course["sessions"][1], teacher=course["on_leave"]).status == "leave"


def test_an_absence_can_be_made_up_too(world, course):
    accept(course, world, teacher_key="absent", session_index=2, kind=MakeUp.Kind.RECORDED_LESSON)
    assert services.project_attendance(course["project"], course["absent"])["completed"]


def test_the_project_report_uses_the_same_rule(world, course):
    before = {row.teacher.name: row for row in reports.project_report(course["project"]).rows}
    assert (before["王老师"].share, before["王老师"].completed) == (D(75), False)
    accept(course, world)
    after = {row.teacher.name: row for row in reports.project_report(course["project"]).rows}
    row = after["王老师"]
    assert (row.attended_hours, row.made_up_hours, row.sessions_made_up, row.share, row.completed) == \
        (D(9), D(3), 1, D(100), True)
    assert after["陈老师"].made_up_hours == 0 and not after["陈老师"].completed
    # Participation (参训率) stays attendance alone: 9 + 9 + 12 of 36 hours.
    report = reports.project_report(course["project"])
    assert report.attended_hours == D(30) and report.completed_count == 2
    # The services and the report agree, teacher by teacher.
    for teacher_row in report.rows:
        figures = services.project_attendance(course["project"], teacher_row.teacher)
        assert (figures["share"], figures["completed"], figures["made_up_hours"]) == \
            (teacher_row.share, teacher_row.completed, teacher_row.made_up_hours)


def test_a_made_up_session_later_marked_as_attended_counts_once(world, course):
    accept(course, world, teacher_key="absent", session_index=2)
    services.attendance_mark(session=course["sessions"][2], user=world.training_officer,
                             marks={course["absent"].pk: "late"})
    figures = services.project_attendance(course["project"], course["absent"])
    assert (figures["attended_hours"], figures["made_up_hours"], figures["share"]) == (D(12), D(0), D(100))
    row = next(r for r in reports.project_report(course["project"]).rows if r.teacher == course["absent"])
    assert (row.made_up_hours, row.share) == (D(0), D(100))


def test_closing_the_project_credits_the_made_up_teacher(world, course):
    """Closing writes the credits by the same rule: 王老师 made up her leave and is credited
    for her 9 attended hours; 陈老师 did not, and gets a zero entry saying why."""
    call_command("loaddata", "credit_rules", verbosity=0)
    accept(course, world)
    log_entry_add(project=course["project"], user=world.training_officer, kind="closed",
                  happened_on=datetime.date(2024, 3, 14), text="结业。")
    course["project"].refresh_from_db()
    assert course["project"].status == ScheduledProject.Status.FINISHED
    entries = {e.teacher.name: e for e in CreditEntry.objects.filter(project=course["project"], source="project")}
    assert (entries["王老师"].hours, entries["王老师"].credits) == (D(9), D(9))
    assert (entries["刘老师"].hours, entries["刘老师"].credits) == (D(12), D(12))
    assert entries["陈老师"].credits == 0 and "75" in entries["陈老师"].note


def test_without_the_make_up_the_teacher_on_leave_gets_no_credit(world, course):
    call_command("loaddata", "credit_rules", verbosity=0)
    log_entry_add(project=course["project"], user=world.training_officer, kind="closed",
                  happened_on=datetime.date(2024, 3, 14), text="结业。")
    entry = CreditEntry.objects.get(project=course["project"], teacher=course["on_leave"], source="project")
    assert entry.credits == 0 and entry.note


# --- the organiser's page ------------------------------------------------------------------------

def test_the_organiser_lists_missed_sessions_and_accepts_a_make_up(world, course, client_for):
    client = client_for(world.training_officer)
    page = client.get(make_up_url(course))
    assert page.status_code == 200
    rows = {row.teacher.name: row for row in page.context["rows"]}
    assert set(rows) == {"王老师", "陈老师"}  # 刘老师 missed nothing
    assert [(m.session, m.status, m.can_make_up) for m in rows["王老师"].missed] == \
        [(course["sessions"][1], "leave", True)]
    assert page.content.decode().count('data-testid="make-up-form"') == 2

    response = client.post(make_up_url(course), post_data(course))
    assert response.status_code == 302
    make_up = MakeUp.objects.get()
    assert (make_up.teacher, make_up.session, make_up.accepted_by) == (
        course["on_leave"], course["sessions"][1], world.training_officer)
    page = client.get(make_up_url(course))
    assert 'data-testid="made-up"' in page.content.decode() and NOTE in page.content.decode()
    assert page.content.decode().count('data-testid="make-up-form"') == 1
    event = AuditEvent.objects.get(action=Action.MAKE_UP_ACCEPT)
    assert event.actor == world.training_officer and event.district_id == world.district.pk
    assert "王老师" in event.summary and NOTE in event.summary

    report = client.get(reverse("attendance:report_project", args=[course["project"].pk]))
    row = next(r for r in report.context["report"].rows if r.teacher == course["on_leave"])
    assert row.completed and row.made_up_hours == 3
    xlsx = client.get(reverse("attendance:report_project", args=[course["project"].pk]) + "?format=xlsx")
    from openpyxl import load_workbook
    import io

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[cell.value for cell in r] for r in sheet.iter_rows()]
    assert gettext("Hours made up") in values[1]
    made_up_column = values[1].index(gettext("Hours made up"))
    assert next(r for r in values if r[0] == "王老师")[made_up_column] == 3


def test_a_session_not_over_yet_cannot_be_made_up(world, client_for):
    """Leave is marked ahead of the session: the page says to wait, the service refuses."""
    project = make_project(world, year=timezone.localdate().year + 1)
    teacher = make_teacher_with_login(world.school, "future_teacher", name="赵老师")
    confirm(project, teacher, world)
    day = timezone.localdate() + datetime.timedelta(days=30)
    session = make_session(project, date=day)
    leave = services.leave_request(session=session, user=teacher.user, reason="病假")
    services.leave_decide(leave=leave, user=world.school_officer, approve=True)
    client = client_for(world.training_officer)
    page = client.get(reverse("attendance:make_ups", args=[project.pk]))
    assert 'data-testid="make-up-form"' not in page.content.decode()
    assert gettext("The session is not over yet.") in page.content.decode()
    response = client.post(reverse("attendance:make_ups", args=[project.pk]),
                           {"teacher": teacher.pk, "session": session.pk, "kind": "assignment", "note": NOTE})
    assert response.status_code == 200
    expected = _message(services.ERROR_MAKE_UP_NOT_YET, session=session.title, date=services._day(session.date))
    assert gettext_errors(response) == [expected]
    assert not MakeUp.objects.exists()


# --- refusals: a clear Chinese message, nothing saved ----------------------------------------------

def _message(template, **params):
    """A service's message as the page shows it (str() of the lazy msgid: zh-hans here)."""
    return str(template) % params if params else str(template)


@pytest.mark.parametrize("case", ["attended", "duplicate", "other_project", "school_based", "unmarked",
                                  "not_on_roster", "closed", "bad_kind", "empty_note", "long_note"])
def test_refused_make_ups_say_why_and_save_nothing(world, course, client_for, case):
    client = client_for(world.training_officer)
    data = post_data(course)
    session = course["sessions"][1]
    if case == "attended":
        data = post_data(course, teacher_key="present", session_index=0)
        expected = _message(services.ERROR_MAKE_UP_ATTENDED, name="刘老师", session=course["sessions"][0].title)
    elif case == "duplicate":
        accept(course, world)
        expected = _message(services.ERROR_MAKE_UP_TWICE, name="王老师", session=session.title)
    elif case == "other_project":
        other = make_project(world, name="另一个项目")
        confirm(other, course["on_leave"], world)
        data["session"] = make_session(other, date=datetime.date(2024, 3, 12)).pk
        expected = _message(services.ERROR_MAKE_UP_OTHER_PROJECT)
    elif case == "school_based":
        from tests.factories import make_school_plan

        plan = make_school_plan(world)
        data["session"] = make_session(school_plan=plan, organisation=world.school).pk
        expected = _message(services.ERROR_MAKE_UP_OTHER_PROJECT)
    elif case == "unmarked":
        late_joiner = make_teacher(world.school, name="孙老师")
        confirm(course["project"], late_joiner, world)
        data["teacher"] = late_joiner.pk
        expected = _message(services.ERROR_MAKE_UP_UNMARKED, name="孙老师", session=session.title)
    elif case == "not_on_roster":
        Enrolment.objects.filter(teacher=course["on_leave"]).update(status=Enrolment.Status.WITHDRAWN)
        expected = _message(services.ERROR_MAKE_UP_NOT_ON_ROSTER, name="王老师")
    elif case == "closed":
        ScheduledProject.objects.filter(pk=course["project"].pk).update(status=ScheduledProject.Status.FINISHED)
        expected = _message(services.ERROR_MAKE_UP_PROJECT_CLOSED)
    elif case == "bad_kind":
        data["kind"] = "bribe"
        expected = _message(services.ERROR_MAKE_UP_KIND)
    elif case == "empty_note":
        data["note"] = "   "
        expected = _message(services.ERROR_MAKE_UP_NOTE)
    else:
        data["note"] = "长" * 1001
        expected = None  # Django's own max_length message
    before = list(MakeUp.objects.values_list("pk", flat=True))

    response = client.post(make_up_url(course), data)

    assert response.status_code == 200
    messages = gettext_errors(response)
    assert messages, response.content.decode()[:500]
    if expected is not None:
        assert expected in messages[0]
    else:
        assert "1000" in messages[0]
    assert list(MakeUp.objects.values_list("pk", flat=True)) == before
    assert MakeUp.objects.filter(teacher=course["on_leave"]).count() == (1 if case == "duplicate" else 0)


@pytest.mark.parametrize("field,value,status", [
    ("teacher", "abc", 400), ("session", "1e9", 400), ("teacher", "", 400), ("session", "-3", 400),
    ("teacher", "99999999", 404), ("session", "99999999", 404),
])
def test_malformed_or_unknown_ids_are_refused(world, course, client_for, field, value, status):
    response = client_for(world.training_officer).post(make_up_url(course), {**post_data(course), field: value})
    assert response.status_code == status
    assert not MakeUp.objects.exists()


def test_a_teacher_never_enrolled_is_not_found(world, course, client_for):
    """An id of another school's teacher neither saves nor names anyone."""
    stranger = make_teacher(world.other_school, name="外校老师")
    response = client_for(world.training_officer).post(make_up_url(course),
                                                       {**post_data(course), "teacher": stranger.pk})
    assert response.status_code == 404 and "外校老师" not in response.content.decode()
    assert not MakeUp.objects.exists()


# --- who may ---------------------------------------------------------------------------------------

def other_district_staff():
    other = make_district(name="长葛市", prefix="长教师备", suffix="_cg")
    return other


@pytest.mark.parametrize("who", ["school_officer", "other_school_officer", "teacher", "principal",
                                 "other_bureau", "other_training"])
def test_only_the_organiser_and_district_staff_see_the_page_and_only_the_organiser_records(world, course,
                                                                                          client_for, who):
    if who in ("other_bureau", "other_training"):
        other = other_district_staff()
        user = other.bureau_officer if who == "other_bureau" else other.training_officer
    elif who == "teacher":
        user = course["on_leave"].user
    else:
        user = getattr(world, who)
    client = client_for(user)
    assert client.get(make_up_url(course)).status_code == 403
    assert client.post(make_up_url(course), post_data(course)).status_code == 403
    assert not MakeUp.objects.exists()


def test_the_bureau_reads_the_page_but_cannot_accept(world, course, client_for):
    client = client_for(world.bureau_officer)
    page = client.get(make_up_url(course))
    assert page.status_code == 200 and 'data-testid="make-up-form"' not in page.content.decode()
    assert client.post(make_up_url(course), post_data(course)).status_code == 403
    assert not MakeUp.objects.exists()


@pytest.mark.parametrize("who", ["school_officer", "bureau_officer", "teacher"])
def test_the_service_refuses_anyone_but_the_organiser(world, course, who):
    from django.core.exceptions import PermissionDenied

    user = course["on_leave"].user if who == "teacher" else getattr(world, who)
    with pytest.raises(PermissionDenied):
        services.make_up_accept(project=course["project"], session=course["sessions"][1], teacher=course["on_leave"],
                                user=user, kind="assignment", note=NOTE)
    assert not MakeUp.objects.exists()


# --- the teacher's page --------------------------------------------------------------------------

def test_my_training_shows_the_leave_the_make_up_and_where_the_teacher_stands(world, course, client_for,
                                                                              monkeypatch):
    # The page lists sessions of the last 60 days: look from March 2024.
    monkeypatch.setattr(timezone, "localdate", lambda *a: datetime.date(2024, 3, 20))
    client = client_for(course["on_leave"].user)
    page = client.get(reverse("attendance:me"))
    assert page.status_code == 200 and 'data-testid="made-up"' not in page.content.decode()
    accept(course, world)
    page = client.get(reverse("attendance:me"))
    html = page.content.decode()
    assert 'data-testid="made-up"' in html and str(MakeUp.Kind.ASSIGNMENT.label) in html
    (enrolment, standing), = page.context["enrolments"]
    assert (standing["made_up_hours"], standing["share"], standing["completed"]) == (D(3), D(100), True)


# --- approved leave never forfeits school-based credit ------------------------------------------------

def test_approved_leave_never_forfeits_school_based_credit(world):
    """Seed 003: 累计缺席5个学时以上 forfeits the year's school-based credit. Six hours of
    approved leave in one semester are not absence: nothing forfeited, not even at risk;
    five hours absent are."""
    from attendance.models import CompletionRules
    from credits.services import credit_school_based_year
    from tests.factories import make_school_plan

    call_command("loaddata", "credit_rules", verbosity=0)
    plan = make_school_plan(world, year=2024)
    plan.status = "approved"
    plan.save(update_fields=["status"])
    sessions = [services.session_add(user=world.school_officer, school_plan=plan, title=f"校本研修{n}",
                                     date=datetime.date(2024, 10, n), start_time=datetime.time(14, 30),
                                     end_time=datetime.time(17, 0), hours=D("2.5"))
                for n in range(8, 12)]  # 4 × 2.5 hours in the autumn semester
    on_leave = make_teacher_with_login(world.school, "school_leave", name="请假老师")
    absent = make_teacher(world.school, name="缺席老师")
    for session in sessions[:3]:  # 7.5 hours of approved leave
        leave = services.leave_request(session=session, user=on_leave.user, reason="产检",
                                       now=timezone.make_aware(datetime.datetime(2024, 10, 1, 9)))
        services.leave_decide(leave=leave, user=world.school_officer, approve=True)
    for n, session in enumerate(sessions):
        marks = {absent.pk: "absent" if n < 2 else "present"}  # 5 hours absent
        if n == 3:
            marks[on_leave.pk] = "present"
        services.attendance_mark(session=session, user=world.school_officer, marks=marks)
    assert Attendance.objects.filter(teacher=on_leave, status="leave").count() == 3
    assert not Attendance.objects.filter(teacher=on_leave, status="absent").exists()

    rules = CompletionRules.for_district(world.district.pk)
    assert services.school_based_absence_by_semester(on_leave, 2024) == [D(0), D(0)]
    assert not services.school_based_credit_forfeited(on_leave, 2024, rules)
    assert services.school_based_credit_forfeited(absent, 2024, rules)
    rows = {row.teacher.name: row for row in reports.school_report(world.school, 2024).rows}
    assert (rows["请假老师"].forfeited, rows["请假老师"].at_risk, rows["请假老师"].max_absence) == (False, False, 0)
    assert rows["缺席老师"].forfeited

    credit_school_based_year(organisation=world.school, year=2024)
    entries = {e.teacher.name: e for e in CreditEntry.objects.filter(source="school_based")}
    # Hunan: school-based 1 hour = 1 credit; the attended 2.5 hours count, the leave is not forfeiture.
    assert entries["请假老师"].credits == D("2.5") and not entries["请假老师"].note
    assert entries["缺席老师"].credits == 0 and entries["缺席老师"].note


# --- racing acceptances: one make-up ---------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_racing_acceptances_record_one_make_up():
    world = make_district()
    project = make_project(world, hours=6)
    sessions = [make_session(project, date=datetime.date(2024, 3, day)) for day in (11, 12)]
    teacher = make_teacher(world.school, name="王老师")
    confirm(project, teacher, world)
    services.attendance_mark(session=sessions[0], user=world.training_officer, marks={teacher.pk: "leave"})
    services.attendance_mark(session=sessions[1], user=world.training_officer, marks={teacher.pk: "present"})
    organisers = [world.training_officer] + [
        user_create(username=f"trainer{n}", password="x-pass-123", full_name=f"培训员{n}", role="training_officer",
                    organisation=world.training_school) for n in range(1, 4)]
    url = reverse("attendance:make_ups", args=[project.pk])
    barrier = threading.Barrier(len(organisers))
    results = [None] * len(organisers)

    def run(index, user):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        try:
            barrier.wait()
            results[index] = client.post(url, {"teacher": teacher.pk, "session": sessions[0].pk,
                                               "kind": "recorded_lesson", "note": f"观看录播课（{index}）"}).status_code
        except Exception as error:
            results[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, user)) for i, user in enumerate(organisers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [200, 200, 200, 302], results
    assert MakeUp.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.MAKE_UP_ACCEPT).count() == 1
    assert services.project_attendance(project, teacher)["share"] == D(100)
