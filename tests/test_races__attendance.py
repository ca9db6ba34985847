"""Racing requests on enrolment, leave, sign-in and closing: exactly one winner,
clean refusals for the others, consistent rows.

Runs on both databases, like tests/test_concurrency.py: PostgreSQL relies on
the services' row locks (select_for_update), SQLite on IMMEDIATE transactions.
A refusal is the page again with a message (200, or 400 for sign-in); a win is
the redirect (or the signed-in page).
"""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance import services
from attendance.models import Attendance, Enrolment, LeaveRequest, ProjectRun, SignInAttempt
from audit.models import Action, AuditEvent
from tests.attendance_helpers import confirm, make_project, make_session, make_teacher, make_teacher_with_login
from tests.race_helpers import logged_in, race

pytestmark = pytest.mark.django_db(transaction=True)
RACERS = 4


def enrol(project, teacher, world, status, minutes_ago=0):
    return Enrolment.objects.create(project=project, teacher=teacher, status=status, created_by=world.school_officer,
                                    decided_at=timezone.now() - datetime.timedelta(minutes=minutes_ago))


def counts(project):
    return {status: project.enrolments.filter(status=status).count()
            for status in ("nominated", "confirmed", "waitlisted", "withdrawn")}


# --- enrolment -------------------------------------------------------------------------------

def test_racing_confirms_of_one_enrolment_fill_the_last_place_once(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, quota=2)
    enrol(project, make_teacher(world.school, "甲"), world, "confirmed")
    nominated = enrol(project, make_teacher(world.school, "乙"), world, "nominated")
    url = reverse("attendance:project", args=[project.pk])

    results = race([(logged_in(world.training_officer), url, {"enrolment": nominated.pk, "decide": "confirm"})
                    for _n in range(RACERS)])

    assert sorted(results) == [200] * (RACERS - 1) + [302], results
    nominated.refresh_from_db()
    assert nominated.status == "confirmed"
    assert counts(project) == {"nominated": 0, "confirmed": 2, "waitlisted": 0, "withdrawn": 0}


def test_racing_confirms_of_two_nominees_for_the_last_place(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, quota=1)
    first = enrol(project, make_teacher(world.school, "甲"), world, "nominated")
    second = enrol(project, make_teacher(world.other_school, "乙"), world, "nominated")
    url = reverse("attendance:project", args=[project.pk])

    results = race([(logged_in(world.training_officer), url, {"enrolment": e.pk, "decide": "confirm"})
                    for e in (first, second)])

    assert results == [302, 302], results  # one to the roster, one to the waiting list
    assert counts(project) == {"nominated": 0, "confirmed": 1, "waitlisted": 1, "withdrawn": 0}


def test_racing_withdrawals_promote_one_waiting_teacher(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, quota=2)
    leaving = enrol(project, make_teacher(world.school, "甲"), world, "confirmed")
    enrol(project, make_teacher(world.school, "乙"), world, "confirmed")
    first_waiting = enrol(project, make_teacher(world.other_school, "丙"), world, "waitlisted", minutes_ago=10)
    enrol(project, make_teacher(world.other_school, "丁"), world, "waitlisted", minutes_ago=5)
    url = reverse("attendance:project", args=[project.pk])

    results = race([(logged_in(world.training_officer), url, {"enrolment": leaving.pk, "withdraw": "1"})
                    for _n in range(RACERS)])

    assert sorted(results) == [200] * (RACERS - 1) + [302], results
    assert counts(project) == {"nominated": 0, "confirmed": 2, "waitlisted": 1, "withdrawn": 1}
    first_waiting.refresh_from_db()
    assert first_waiting.status == "confirmed"  # the waiting list's order is kept


def test_racing_nominations_for_the_schools_last_place(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, per_school_quota=2)
    enrol(project, make_teacher(world.school, "甲"), world, "nominated")
    candidates = [make_teacher(world.school, f"候选{n}") for n in range(RACERS)]
    url = reverse("attendance:project", args=[project.pk])

    results = race([(logged_in(world.school_officer), url, {"nominate": "1", "teachers": [teacher.pk]})
                    for teacher in candidates])

    assert sorted(results) == [200] * (RACERS - 1) + [302], results
    assert project.enrolments.filter(teacher__organisation=world.school).count() == 2


def test_racing_nominations_of_one_teacher_make_one_enrolment(world):
    project = make_project(world)
    teacher = make_teacher(world.school, "甲")
    url = reverse("attendance:project", args=[project.pk])

    results = race([(logged_in(world.school_officer), url, {"nominate": "1", "teachers": [teacher.pk]})
                    for _n in range(RACERS)])

    assert 302 in results and all(code in (200, 302) for code in results), results
    assert project.enrolments.get().status == "nominated"


# --- leave -----------------------------------------------------------------------------------

def test_racing_approve_and_refuse_of_one_leave_request(world):
    project = make_project(world)
    teacher = make_teacher_with_login(world.school, "t_leave")
    confirm(project, teacher, world)
    session = make_session(project, date=timezone.localdate() + datetime.timedelta(days=7))
    leave = services.leave_request(session=session, user=teacher.user, reason="孩子生病。")
    url = reverse("attendance:leave")

    results = race([(logged_in(world.school_officer), url, {"leave": leave.pk, "decision": decision})
                    for decision in ["approve", "refuse"] * (RACERS // 2)])

    assert sorted(results) == [200] * (RACERS - 1) + [302], results
    leave.refresh_from_db()
    marks = list(Attendance.objects.filter(session=session, teacher=teacher).values_list("status", flat=True))
    assert marks == (["leave"] if leave.status == "approved" else [])
    assert leave.status in ("approved", "refused")
    assert AuditEvent.objects.filter(action=Action.LEAVE_DECISION).count() == 1


def test_racing_leave_requests_make_one_request(world):
    project = make_project(world)
    teacher = make_teacher_with_login(world.school, "t_leave")
    confirm(project, teacher, world)
    session = make_session(project, date=timezone.localdate() + datetime.timedelta(days=7))
    url = reverse("attendance:me")

    results = race([(logged_in(teacher.user), url, {"session": session.pk, "reason": f"事假{n}"})
                    for n in range(RACERS)])

    assert results == [302] * RACERS, results  # each back on the page, with its message
    assert LeaveRequest.objects.filter(session=session, teacher=teacher).count() == 1


# --- sign-in ---------------------------------------------------------------------------------

def _session_open_now(world, teacher):
    project = make_project(world)
    confirm(project, teacher, world)
    now = timezone.localtime()
    start = max(now - datetime.timedelta(minutes=5), now.replace(hour=0, minute=0, second=0, microsecond=0))
    return make_session(project, date=now.date(), start=start.time().replace(second=0, microsecond=0),
                        end=datetime.time(23, 59), hours="2")


@pytest.mark.parametrize("page", ["sign_in", "sign_in_session"])
def test_racing_sign_ins_of_one_teacher_make_one_mark(world, page):
    teacher = make_teacher_with_login(world.school, "t_phone")
    session = _session_open_now(world, teacher)
    url = reverse(f"attendance:{page}", args=[session.pk] if page == "sign_in_session" else [])
    code = services.sign_in_code(session, timezone.now())

    results = race([(logged_in(teacher.user), url, {"code": code}) for _n in range(RACERS)])

    assert sorted(results) == [200] + [400] * (RACERS - 1), results
    assert Attendance.objects.get(session=session, teacher=teacher).source == "self"
    assert SignInAttempt.objects.filter(session=session, outcome="signed_in").count() == 1


def test_racing_wrong_codes_cannot_exceed_the_limit(world):
    teacher = make_teacher_with_login(world.school, "t_guess")
    session = _session_open_now(world, teacher)
    url = reverse("attendance:sign_in_session", args=[session.pk])
    right = {services.sign_in_code(session, timezone.now() - datetime.timedelta(seconds=s)) for s in (0, 60, 120)}
    guesses = [code for code in (f"{n:06d}" for n in range(100)) if code not in right]
    racers = services.MAX_WRONG_CODES_PER_TEACHER + 3

    results = race([(logged_in(teacher.user), url, {"code": guesses[n]}) for n in range(racers)])

    assert results == [400] * racers, results
    attempts = SignInAttempt.objects.filter(session=session, teacher=teacher)
    assert attempts.filter(outcome="wrong_code").count() == services.MAX_WRONG_CODES_PER_TEACHER
    assert attempts.filter(outcome="refused").count() == racers - services.MAX_WRONG_CODES_PER_TEACHER


# --- closing ---------------------------------------------------------------------------------

def test_racing_closes_of_a_project_credit_once(world):
    from django.core.management import call_command

    from credits.models import CreditEntry

    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()
    project = make_project(world)
    teacher = make_teacher(world.school, "甲")
    confirm(project, teacher, world)
    session = make_session(project, date=datetime.date(2024, 3, 11))
    services.attendance_mark(session=session, user=world.training_officer, marks={teacher.pk: "present"})
    url = reverse("schedule:close", args=[project.pk])
    data = {"close": "1", "happened_on": "2024-03-30", "text": "结业。"}

    results = race([(logged_in(world.training_officer), url, data) for _n in range(RACERS)])

    # One close; the others get the page again, saying it is closed.
    assert sorted(results) == [200] * (RACERS - 1) + [302], results
    project.refresh_from_db()
    assert project.status == "finished"
    assert CreditEntry.objects.filter(teacher=teacher, project=project).count() == 1
