"""Issue #10, attendance and schedule: every decision taken once on current
data, sign-in codes that cannot be guessed, attendance only for sessions that
have happened, closing only when attendance is complete, and no 500 or leak
from a hostile parameter.

Stale copies of a row stand in for a request that read it before another
request's decision was committed (the races themselves run in
tests/test_races__attendance.py).
"""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from attendance import services
from attendance.models import Attendance, Enrolment, LeaveRequest, ProjectRun, SignInAttempt
from audit.models import Action, AuditEvent
from credits.models import CreditEntry
from schedule.models import ProjectLogEntry, ScheduledProject, SpotCheck, SpotCheckItem
from tests.attendance_helpers import confirm, make_project, make_session, make_teacher, make_teacher_with_login
from tests.factories import make_district

pytestmark = pytest.mark.django_db


def aware(date, time):
    return timezone.make_aware(datetime.datetime.combine(date, time))


def enrol(project, teacher, world, status):
    return Enrolment.objects.create(project=project, teacher=teacher, status=status, created_by=world.school_officer,
                                    decided_at=timezone.now())


def statuses(project):
    return dict(project.enrolments.values_list("teacher__name", "status"))


# --- item 6: enrolment decisions on the enrolment as it is now ---------------------------------

def test_a_second_confirm_of_the_same_enrolment_is_refused_and_keeps_its_place(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, quota=2)
    enrol(project, make_teacher(world.school, "甲"), world, "confirmed")
    nominated = enrol(project, make_teacher(world.school, "乙"), world, "nominated")
    first_tab, second_tab = Enrolment.objects.get(pk=nominated.pk), Enrolment.objects.get(pk=nominated.pk)

    services.enrolment_organiser_decide(enrolment=first_tab, user=world.training_officer, confirm=True)
    with pytest.raises(ValidationError) as error:
        services.enrolment_organiser_decide(enrolment=second_tab, user=world.training_officer, confirm=True)

    assert error.value.messages == [gettext(str(services.ERROR_ENROLMENT_DECIDED))]
    assert statuses(project) == {"甲": "confirmed", "乙": "confirmed"}  # not sent to the waiting list


def test_a_second_withdrawal_promotes_nobody_else(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, quota=2)
    leaving = enrol(project, make_teacher(world.school, "甲"), world, "confirmed")
    enrol(project, make_teacher(world.school, "乙"), world, "confirmed")
    enrol(project, make_teacher(world.other_school, "丙"), world, "waitlisted")
    enrol(project, make_teacher(world.other_school, "丁"), world, "waitlisted")
    first_tab, second_tab = Enrolment.objects.get(pk=leaving.pk), Enrolment.objects.get(pk=leaving.pk)

    promoted = services.enrolment_withdraw(enrolment=first_tab, user=world.training_officer)
    with pytest.raises(ValidationError):
        services.enrolment_withdraw(enrolment=second_tab, user=world.training_officer)

    assert promoted.teacher.name == "丙"  # the first on the waiting list
    assert statuses(project) == {"甲": "withdrawn", "乙": "confirmed", "丙": "confirmed", "丁": "waitlisted"}


def test_confirming_a_waiting_teacher_while_full_keeps_the_queue(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, quota=1)
    holder = enrol(project, make_teacher(world.school, "甲"), world, "confirmed")
    enrol(project, make_teacher(world.school, "乙"), world, "waitlisted")
    last = enrol(project, make_teacher(world.school, "丙"), world, "waitlisted")

    with pytest.raises(ValidationError) as error:
        services.enrolment_organiser_decide(enrolment=last, user=world.training_officer, confirm=True)
    assert error.value.messages == [gettext(str(services.ERROR_NO_FREE_PLACE))]
    assert services.enrolment_withdraw(enrolment=holder, user=world.training_officer).teacher.name == "乙"


def test_a_second_school_decision_is_refused(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, self_enrolment=True)
    teacher = make_teacher_with_login(world.school, "t_apply")
    applied = services.enrolment_apply(project=project, user=teacher.user)
    stale = Enrolment.objects.get(pk=applied.pk)
    services.enrolment_school_decide(enrolment=applied, user=world.school_officer, approve=False)
    with pytest.raises(ValidationError):
        services.enrolment_school_decide(enrolment=stale, user=world.school_officer, approve=True)
    assert Enrolment.objects.get(pk=applied.pk).status == "declined"


@pytest.mark.parametrize("data", [
    {"decide": "abc"}, {"decide": "confirm", "enrolment": "abc"}, {"decide": "confirm", "enrolment": "²"},
    {"withdraw": "1", "enrolment": "9" * 30},
])
def test_enrolment_buttons_with_unknown_values_are_bad_requests(world, client_for, data):
    project = make_project(world)
    enrolment = enrol(project, make_teacher(world.school, "甲"), world, "nominated")
    response = client_for(world.training_officer).post(reverse("attendance:project", args=[project.pk]),
                                                       {"enrolment": enrolment.pk, **data})
    assert response.status_code == 400
    assert Enrolment.objects.get(pk=enrolment.pk).status == "nominated"  # "abc" no longer means decline


def test_a_nomination_of_several_is_all_or_nothing(world, client_for):
    project = make_project(world)
    ProjectRun.objects.create(project=project, per_school_quota=1)
    first, second = make_teacher(world.school, "甲"), make_teacher(world.school, "乙")
    response = client_for(world.school_officer).post(reverse("attendance:project", args=[project.pk]),
                                                     {"nominate": "1", "teachers": [first.pk, second.pk]})
    assert response.status_code == 200
    assert "1" in "".join(str(m) for m in response.context["messages"])
    assert not project.enrolments.exists()


# --- item 7: one leave decision; approved leave means no sign-in ---------------------------------

@pytest.fixture
def signing(world):
    project = make_project(world)
    teacher = make_teacher_with_login(world.school, "t_sign")
    confirm(project, teacher, world)
    session = make_session(project, date=datetime.date(2024, 3, 11), start=datetime.time(9, 0))
    return session, teacher


def test_approve_and_refuse_of_one_leave_request_record_one_decision(world, signing):
    session, teacher = signing
    leave = services.leave_request(session=session, user=teacher.user, reason="孩子生病。",
                                   now=aware(session.date, datetime.time(7, 0)))
    approve_tab, refuse_tab = LeaveRequest.objects.get(pk=leave.pk), LeaveRequest.objects.get(pk=leave.pk)

    services.leave_decide(leave=approve_tab, user=world.school_officer, approve=True)
    with pytest.raises(ValidationError) as error:
        services.leave_decide(leave=refuse_tab, user=world.school_officer, approve=False)

    assert error.value.messages == [gettext(str(services.ERROR_LEAVE_DECIDED))]
    assert LeaveRequest.objects.get(pk=leave.pk).status == "approved"
    assert Attendance.objects.get(session=session, teacher=teacher).status == "leave"
    assert AuditEvent.objects.filter(action=Action.LEAVE_DECISION).count() == 1


def test_the_leave_page_refuses_a_second_decision_with_a_message(world, signing, client_for):
    session, teacher = signing
    leave = services.leave_request(session=session, user=teacher.user, reason="孩子生病。",
                                   now=aware(session.date, datetime.time(7, 0)))
    school = client_for(world.school_officer)
    assert school.post(reverse("attendance:leave"), {"leave": leave.pk, "decision": "refuse"}).status_code == 302
    response = school.post(reverse("attendance:leave"), {"leave": leave.pk, "decision": "approve"})
    assert response.status_code == 200
    assert gettext(str(services.ERROR_LEAVE_DECIDED)) in response.content.decode()
    assert LeaveRequest.objects.get(pk=leave.pk).status == "refused"
    assert not Attendance.objects.exists()


def test_a_teacher_on_approved_leave_cannot_sign_in(world, signing):
    session, teacher = signing
    leave = services.leave_request(session=session, user=teacher.user, reason="外出学习。",
                                   now=aware(session.date, datetime.time(7, 0)))
    services.leave_decide(leave=leave, user=world.school_officer, approve=True)
    now = aware(session.date, datetime.time(8, 55))

    with pytest.raises(ValidationError) as error:
        services.sign_in(session=session, user=teacher.user, code=services.sign_in_code(session, now), now=now)
    assert error.value.messages == [gettext(str(services.ERROR_ON_LEAVE))]
    with pytest.raises(ValidationError) as error:
        services.sign_in_with_code(user=teacher.user, code=services.sign_in_code(session, now), now=now)
    assert error.value.messages == [gettext(str(services.ERROR_ON_LEAVE))]
    assert Attendance.objects.get(session=session, teacher=teacher).status == "leave"


def test_leave_cannot_be_approved_once_the_teacher_signed_in(world, signing):
    session, teacher = signing
    leave = services.leave_request(session=session, user=teacher.user, reason="可能有事。",
                                   now=aware(session.date, datetime.time(7, 0)))
    now = aware(session.date, datetime.time(8, 55))
    services.sign_in(session=session, user=teacher.user, code=services.sign_in_code(session, now), now=now)
    with pytest.raises(ValidationError):
        services.leave_decide(leave=leave, user=world.school_officer, approve=True)
    assert LeaveRequest.objects.get(pk=leave.pk).status == "pending"
    assert Attendance.objects.get(session=session, teacher=teacher).status == "present"
    services.leave_decide(leave=leave, user=world.school_officer, approve=False)  # refusing still works


@pytest.mark.parametrize("data", [{"leave": "abc", "decision": "approve"}, {"leave": "²", "decision": "approve"},
                                  {"decision": "approve"}, {"leave": "LEAVE", "decision": "maybe"},
                                  {"leave": "LEAVE"}])
def test_leave_page_with_malformed_values_is_a_bad_request(world, signing, client_for, data):
    session, teacher = signing
    leave = services.leave_request(session=session, user=teacher.user, reason="事假。",
                                   now=aware(session.date, datetime.time(7, 0)))
    data = {key: leave.pk if value == "LEAVE" else value for key, value in data.items()}
    assert client_for(world.school_officer).post(reverse("attendance:leave"), data).status_code == 400
    assert LeaveRequest.objects.get(pk=leave.pk).status == "pending"


# --- item 13: guessing the code ----------------------------------------------------------------

def wrong_code(session, now):
    right = {services.sign_in_code(session, now - datetime.timedelta(seconds=s)) for s in (0, 60)}
    return next(code for code in (f"{n:06d}" for n in range(1000)) if code not in right)


def test_five_wrong_codes_close_code_sign_in_to_the_teacher(world, signing):
    session, teacher = signing
    now = aware(session.date, datetime.time(8, 50))
    for _attempt in range(services.MAX_WRONG_CODES_PER_TEACHER):
        with pytest.raises(ValidationError) as error:
            services.sign_in(session=session, user=teacher.user, code=wrong_code(session, now), now=now)
        assert error.value.messages == [gettext(str(services.ERROR_CODE_INVALID))]

    # Even the right code is refused now, with a message saying why.
    with pytest.raises(ValidationError) as error:
        services.sign_in(session=session, user=teacher.user, code=services.sign_in_code(session, now), now=now)
    assert error.value.messages == [gettext(str(services.ERROR_TOO_MANY_WRONG_CODES))]
    assert not Attendance.objects.exists()
    attempts = SignInAttempt.objects.filter(session=session, teacher=teacher)
    assert sorted(attempts.values_list("outcome", flat=True)) == ["refused"] + ["wrong_code"] * 5

    # A colleague is not affected.
    colleague = make_teacher_with_login(world.school, "t_colleague")
    confirm(session.project, colleague, world)
    services.sign_in(session=session, user=colleague.user, code=services.sign_in_code(session, now), now=now)
    assert SignInAttempt.objects.filter(teacher=colleague).get().outcome == "signed_in"
    assert services.wrong_codes_by_teacher(session) == {teacher.pk: services.MAX_WRONG_CODES_PER_TEACHER}


def test_many_wrong_codes_at_a_session_pause_sign_in_for_a_few_minutes(world, signing, monkeypatch):
    monkeypatch.setattr(services, "MAX_WRONG_CODES_PER_SESSION", 4)
    session, teacher = signing
    guessers = [make_teacher_with_login(world.school, f"t_guess{n}") for n in range(2)]
    for guesser in guessers:
        confirm(session.project, guesser, world)
    at = aware(session.date, datetime.time(8, 40))
    for guesser in guessers:
        for _attempt in range(2):
            with pytest.raises(ValidationError):
                services.sign_in(session=session, user=guesser.user, code=wrong_code(session, at), now=at)

    soon = at + datetime.timedelta(minutes=2)
    with pytest.raises(ValidationError) as error:
        services.sign_in(session=session, user=teacher.user, code=services.sign_in_code(session, soon), now=soon)
    assert error.value.messages == [
        gettext(str(services.ERROR_SESSION_COOL_OFF % {"minutes": services.SESSION_COOL_OFF_MINUTES}))]
    later = at + datetime.timedelta(minutes=services.SESSION_COOL_OFF_MINUTES + 1)
    services.sign_in(session=session, user=teacher.user, code=services.sign_in_code(session, later), now=later)
    assert Attendance.objects.get(teacher=teacher).status == "present"


def _session_open_now(world, teacher):
    project = make_project(world)
    confirm(project, teacher, world)
    now = timezone.localtime()
    start = max(now - datetime.timedelta(minutes=5), now.replace(hour=0, minute=0, second=0, microsecond=0))
    return make_session(project, date=now.date(), start=start.time().replace(second=0, microsecond=0),
                        end=datetime.time(23, 59), hours="2")


@pytest.mark.parametrize("page", ["sign_in", "sign_in_session"])
def test_the_sign_in_pages_stop_guessing(world, client_for, page):
    teacher = make_teacher_with_login(world.school, "t_phone")
    session = _session_open_now(world, teacher)
    url = reverse(f"attendance:{page}", args=[session.pk] if page == "sign_in_session" else [])
    phone = client_for(teacher.user)
    for _attempt in range(services.MAX_WRONG_CODES_PER_TEACHER):
        response = phone.post(url, {"code": wrong_code(session, timezone.now())})
        assert response.status_code == 400
        assert gettext(str(services.ERROR_CODE_INVALID)) in response.content.decode()
    response = phone.post(url, {"code": services.sign_in_code(session, timezone.now())})
    assert response.status_code == 400
    assert gettext(str(services.ERROR_TOO_MANY_WRONG_CODES)) in response.content.decode()
    assert not Attendance.objects.exists()
    assert SignInAttempt.objects.filter(outcome="wrong_code").count() == services.MAX_WRONG_CODES_PER_TEACHER
    # The organiser's roll call says why the teacher could not sign in.
    roll_call = client_for(world.training_officer).get(reverse("attendance:session", args=[session.pk]))
    assert gettext("code sign-in closed after too many wrong codes") in roll_call.content.decode()


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "12345", "1234567", "12 34 56x", "\x00" * 6, "9" * 500])
def test_a_code_that_is_not_six_digits_is_a_form_error(world, client_for, code):
    teacher = make_teacher_with_login(world.school, "t_phone")
    session = _session_open_now(world, teacher)
    for url in (reverse("attendance:sign_in"), reverse("attendance:sign_in_session", args=[session.pk])):
        response = client_for(teacher.user).post(url, {"code": code})
        assert response.status_code == 200
        assert response.context["form"].errors["code"]
    assert not SignInAttempt.objects.exists() and not Attendance.objects.exists()


def test_full_width_digits_from_a_chinese_keyboard_sign_in(world, client_for):
    teacher = make_teacher_with_login(world.school, "t_phone")
    session = _session_open_now(world, teacher)
    code = services.sign_in_code(session, timezone.now())
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in code)
    response = client_for(teacher.user).post(reverse("attendance:sign_in"), {"code": full_width})
    assert response.status_code == 200 and "signed-in" in response.content.decode()
    assert Attendance.objects.get(teacher=teacher).source == "self"


# --- item 4: attendance only for sessions that have happened; closing needs it complete -------------

def test_roll_call_before_the_sessions_day_is_refused(world, client_for):
    project = make_project(world)
    teacher = make_teacher(world.school, "甲")
    confirm(project, teacher, world)
    tomorrow = make_session(project, date=timezone.localdate() + datetime.timedelta(days=1))
    response = client_for(world.training_officer).post(reverse("attendance:session", args=[tomorrow.pk]),
                                                       {f"t-{teacher.pk}": "present"})
    assert response.status_code == 200
    assert not Attendance.objects.exists()
    expected = services.ERROR_MARK_NOT_YET % {"date": services._day(tomorrow.date)}
    assert gettext(str(expected)) in "".join(str(m) for m in response.context["messages"])
    today = make_session(project, date=timezone.localdate(), start=datetime.time(23, 0), end=datetime.time(23, 30))
    services.attendance_mark(session=today, user=world.training_officer, marks={teacher.pk: "absent"})


def test_code_sign_in_before_the_sessions_day_is_refused(signing):
    session, teacher = signing
    eve = aware(session.date - datetime.timedelta(days=1), datetime.time(8, 55))
    with pytest.raises(ValidationError) as error:
        services.sign_in(session=session, user=teacher.user, code=services.sign_in_code(session, eve), now=eve)
    assert error.value.messages == [gettext(str(services.ERROR_SIGN_IN_NOT_YET % {
        "date": services._day(session.date)}))]
    assert not Attendance.objects.exists() and not SignInAttempt.objects.exists()


def _close(client, project):
    """The project's close page (its assessment results all 合格 by default)."""
    return client.post(reverse("schedule:close", args=[project.pk]),
                       {"close": "1", "happened_on": timezone.localdate().isoformat(), "text": "结业。"})


def test_a_project_closes_only_when_every_session_is_over_and_marked(world, client_for):
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()
    project = make_project(world, year=timezone.localdate().year)
    present, unmarked = make_teacher(world.school, "甲"), make_teacher(world.school, "乙")
    confirm(project, present, world), confirm(project, unmarked, world)
    past = make_session(project, date=timezone.localdate() - datetime.timedelta(days=3))
    future = make_session(project, date=timezone.localdate() + datetime.timedelta(days=3))
    services.attendance_mark(session=past, user=world.training_officer, marks={present.pk: "present"})
    organiser = client_for(world.training_officer)

    response = _close(organiser, project)

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert gettext(str(services.ERROR_CLOSE_NOT_OVER % {
        "session": future.title, "date": services._day(future.date)})) in errors
    assert gettext(str(services.ERROR_CLOSE_UNMARKED % {
        "session": past.title, "date": services._day(past.date), "count": 1})) in errors
    project.refresh_from_db()
    assert project.status == "scheduled"
    assert not ProjectLogEntry.objects.exists() and not CreditEntry.objects.exists()

    # Once the future session is moved to the past and everyone is marked, it closes and credits.
    future.date = past.date
    future.save()
    for session in (past, future):
        services.attendance_mark(session=session, user=world.training_officer,
                                 marks={present.pk: "present", unmarked.pk: "absent"})
    response = _close(organiser, project)
    assert response.status_code == 302, response.context["form"].errors
    project.refresh_from_db()
    assert project.status == "finished"
    assert CreditEntry.objects.filter(project=project).count() == 2


def test_a_project_with_teachers_but_no_sessions_cannot_be_closed(world):
    from schedule.services import log_entry_add

    project = make_project(world)
    confirm(project, make_teacher(world.school, "甲"), world)
    with pytest.raises(ValidationError) as error:
        log_entry_add(project=project, user=world.training_officer, kind="closed",
                      happened_on=datetime.date(2024, 3, 30), text="结业。")
    assert gettext(str(services.ERROR_CLOSE_NO_SESSIONS)) in error.value.messages
    assert ScheduledProject.objects.get(pk=project.pk).status == "scheduled"


# --- item 14: malformed parameters -----------------------------------------------------------------

@pytest.mark.parametrize("key", ["t-abc", "t-", "t-²", "t-" + "9" * 30])
def test_roll_call_with_a_malformed_teacher_key_is_a_bad_request(world, client_for, key):
    project = make_project(world)
    session = make_session(project)
    response = client_for(world.training_officer).post(reverse("attendance:session", args=[session.pk]),
                                                       {key: "present"})
    assert response.status_code == 400
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("value", ["abc", "", "²", "-1", "9" * 30])
def test_leave_request_with_a_malformed_session_is_a_bad_request(world, signing, client_for, value):
    _session, teacher = signing
    response = client_for(teacher.user).post(reverse("attendance:me"), {"session": value, "reason": "病假"})
    assert response.status_code == 400
    assert not LeaveRequest.objects.exists()


@pytest.mark.parametrize("value", ["abc", "²", "0001", "99999", "2024x"])
def test_school_based_page_with_a_malformed_year_is_a_bad_request(world, client_for, value):
    response = client_for(world.school_officer).get(reverse("attendance:school_based"), {"year": value})
    assert response.status_code == 400


def test_school_based_page_defaults_to_this_year(world, client_for):
    response = client_for(world.school_officer).get(reverse("attendance:school_based"))
    assert response.status_code == 200 and response.context["year"] == timezone.localdate().year


@pytest.mark.parametrize("value", ["abc", "", "²", "9" * 30])
def test_spot_check_findings_with_a_malformed_item_is_a_bad_request(world, client_for, value):
    project = make_project(world)
    check = SpotCheck.objects.create(district=world.district, year=2024, seed=1, population=1,
                                     created_by=world.bureau_officer)
    item = SpotCheckItem.objects.create(spot_check=check, project=project)
    response = client_for(world.bureau_officer).post(reverse("schedule:spot_check", args=[check.pk]),
                                                     {"item": value, "findings": "签到表齐全。"})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.findings == ""


@pytest.mark.parametrize("value", ["²", "abc", "9" * 30])
def test_school_report_with_a_malformed_organisation_is_a_bad_request(world, client_for, value):
    response = client_for(world.training_officer).get(reverse("attendance:report_school"), {"organisation": value})
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["\x00", "王\x00", "x" * 5000])
def test_roster_search_with_control_characters_or_a_long_text(world, client_for, query):
    make_teacher(world.school, "王老师")
    response = client_for(world.school_officer).get(reverse("attendance:teachers"), {"q": query})
    assert response.status_code == 200


# --- item 16: the sign-in page names a session only to those it concerns -----------------------------

def test_the_sign_in_page_of_a_session_is_hidden_from_outsiders(world, signing, client_for):
    session, teacher = signing
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    stranger = make_teacher_with_login(world.school, "t_not_on_roster")
    url = reverse("attendance:sign_in_session", args=[session.pk])
    for outsider in (elsewhere.training_officer, elsewhere.bureau_officer, elsewhere.teacher,
                     world.school_officer, world.principal, world.expert1, stranger.user):
        response = client_for(outsider).get(url)
        assert response.status_code == 404, outsider
        assert session.title not in response.content.decode()
        assert client_for(outsider).post(url, {"code": "123456"}).status_code == 404
    for insider in (teacher.user, world.training_officer, world.bureau_officer):
        assert client_for(insider).get(url).status_code == 200, insider
    assert not SignInAttempt.objects.exists()


def test_reports_and_session_pages_stay_hidden_from_other_districts(world, signing, client_for):
    session, _teacher = signing
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    outsider = client_for(elsewhere.training_officer)
    for name in ("session", "session_edit", "session_code", "session_sheet"):
        assert outsider.get(reverse(f"attendance:{name}", args=[session.pk])).status_code == 404, name
    assert outsider.get(reverse("attendance:project", args=[session.project_id])).status_code == 404
    assert outsider.get(reverse("attendance:report_school"), {"organisation": world.school.pk}).status_code == 403

