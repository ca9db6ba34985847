"""Racing nomination decisions (issue 13): a school's withdrawal or replacement
against the organiser's confirmation is decided once, under the project's row
lock; two batch confirmations never fill more places than there are.

Runs on both databases like tests/test_races__attendance.py (PostgreSQL: row
locks; SQLite: IMMEDIATE transactions). A win is the redirect (302), a refusal
the page again with a message (200)."""
import pytest
from django.urls import reverse

from attendance.models import Enrolment, ProjectRun
from tests.attendance_helpers import make_project, make_teacher
from tests.race_helpers import logged_in, race

pytestmark = pytest.mark.django_db(transaction=True)


def enrol(project, teacher, world, status):
    return Enrolment.objects.create(project=project, teacher=teacher, status=status, created_by=world.school_officer)


def test_withdraw_against_confirm_is_decided_once(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, quota=5)
    nomination = enrol(project, make_teacher(world.school, "甲"), world, "nominated")
    url = reverse("attendance:project", args=[project.pk])
    school, organiser = logged_in(world.school_officer), logged_in(world.training_officer)

    results = race([(school, url, {"withdraw": "1", "enrolment": nomination.pk}),
                    (organiser, url, {"decide": "confirm", "enrolment": nomination.pk}),
                    (logged_in(world.school_officer), url, {"withdraw": "1", "enrolment": nomination.pk}),
                    (logged_in(world.training_officer), url, {"confirm_selected": "1", "enrolments": [nomination.pk]})])

    assert sorted(results) == [200, 200, 200, 302], results
    nomination.refresh_from_db()
    winner = results.index(302)
    assert nomination.status == ("withdrawn" if winner in (0, 2) else "confirmed")
    assert nomination.decided_by == (world.school_officer if winner in (0, 2) else world.training_officer)
    assert project.enrolments.count() == 1


def test_replace_against_confirm_is_decided_once(world):
    project = make_project(world)
    nomination = enrol(project, make_teacher(world.school, "甲"), world, "nominated")
    substitute = make_teacher(world.school, "乙")
    url = reverse("attendance:project", args=[project.pk])

    results = race([(logged_in(world.school_officer), url,
                     {"replace": "1", "enrolment": nomination.pk, "teacher": substitute.pk}),
                    (logged_in(world.training_officer), url, {"decide": "confirm", "enrolment": nomination.pk})])

    assert sorted(results) == [200, 302], results
    statuses = dict(project.enrolments.values_list("teacher__name", "status"))
    if results[0] == 302:  # replaced first: the confirmation found a withdrawn nomination
        assert statuses == {"甲": "withdrawn", "乙": "nominated"}
    else:  # confirmed first: the school may no longer replace
        assert statuses == {"甲": "confirmed"}


def test_racing_batch_confirmations_never_overfill(world):
    project = make_project(world)
    ProjectRun.objects.create(project=project, quota=2)
    nominations = [enrol(project, make_teacher(world.school, name), world, "nominated") for name in "甲乙丙丁"]
    url = reverse("attendance:project", args=[project.pk])

    results = race([(logged_in(world.training_officer), url,
                     {"confirm_selected": "1", "enrolments": [e.pk for e in pair]})
                    for pair in (nominations[:2], nominations[2:])])

    assert sorted(results) == [200, 302], results
    assert project.enrolments.filter(status="confirmed").count() == 2
    assert project.enrolments.filter(status="nominated").count() == 2
