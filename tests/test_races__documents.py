"""Racing requests on one document (items 5 and 15 of issue #10).

Real threads and real transactions, on both databases: PostgreSQL relies on the
document row lock (select_for_update), SQLite on IMMEDIATE transactions. Every
round must end with no 500 and with rows that agree with each other.
"""
import threading

import pytest
from django.contrib.messages import constants, get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse

from plans.models import Document, DocumentVersion
from tests.factories import make_district, make_school_plan
from tests.flow_helpers import open_tasks
from tests.test_forms__bad_input import school_plan_data
from tests.test_integrity__documents import edit_data

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 4


def race(requests):
    """POST each (client, url, data) at the same moment; return (status, message levels) or the error."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(index, client, url, data):
        try:
            barrier.wait()
            response = client.post(url, data)
            results[index] = (response.status_code, response.get("Location"),
                              [m.level for m in get_messages(response.wsgi_request)])
        except Exception as error:  # a 500 or a lock error is a failure, not a refusal
            results[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _logged_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _assert_submitted_once(document):
    document.refresh_from_db()
    assert document.status == Document.Status.INITIAL_REVIEW
    assert document.version == 1
    assert list(DocumentVersion.objects.filter(document=document).values_list("number", flat=True)) == [1]
    # The frozen version is what the row holds: no edit slipped in after the freeze.
    frozen = document.versions.get().content
    assert frozen["title"] == document.title
    assert frozen["detail"]["group_leader"] == document.school_plan.group_leader
    assert document.review_processes.count() == 1
    assert open_tasks(document, "initial_review").count() == 1
    assert document.trail.filter(decision="submit").count() == 1


def test_submit_and_edit_together_leave_consistent_rows():
    world = make_district()
    for round_ in range(ROUNDS):
        document = make_school_plan(world, year=2030 + round_)
        editor = _logged_in(world.school_officer)
        data = edit_data(editor, document, **{"doc-title": f"改过的标题{round_}",
                                              "detail-group_leader": f"改过的组长{round_}"})
        submit_url = reverse("plans:submit", args=[document.pk])
        edit_url = reverse("plans:edit", args=[document.pk])

        results = race([(_logged_in(world.school_officer), submit_url, {}), (editor, edit_url, data)])

        assert all(isinstance(r, tuple) and r[0] in (200, 302) for r in results), results
        submitted, edited = results
        assert constants.SUCCESS in submitted[2], results
        _assert_submitted_once(document)
        if document.title == f"改过的标题{round_}":  # the edit came first and was saved whole
            assert edited[0] == 302 and constants.SUCCESS in edited[2]
            assert document.school_plan.group_leader == f"改过的组长{round_}"
        else:  # the submission came first: the edit saved nothing and said so
            assert document.school_plan.group_leader != f"改过的组长{round_}"
            assert constants.SUCCESS not in edited[2], results

        # Submitting again is a clear refusal, not a 500.
        again = _logged_in(world.school_officer).post(submit_url)
        assert again.status_code == 302
        assert [m.level for m in get_messages(again.wsgi_request)] == [constants.ERROR]
        _assert_submitted_once(document)


def test_racing_submissions_submit_once():
    world = make_district()
    for round_ in range(ROUNDS):
        document = make_school_plan(world, year=2030 + round_)
        url = reverse("plans:submit", args=[document.pk])

        results = race([(_logged_in(world.school_officer), url, {}) for _ in range(4)])

        assert all(isinstance(r, tuple) and r[0] == 302 for r in results), results
        levels = sorted(level for r in results for level in r[2])
        assert levels == [constants.SUCCESS] + [constants.ERROR] * 3, results
        _assert_submitted_once(document)


def test_racing_edits_from_one_form_save_once():
    """The same edit form sent twice (double click): one save, the other refused, nothing mixed."""
    world = make_district()
    for round_ in range(ROUNDS):
        document = make_school_plan(world, year=2030 + round_)
        data = edit_data(_logged_in(world.school_officer), document)
        variants = [{**data, "doc-title": f"标题{n}", "detail-group_leader": f"组长{n}"} for n in range(2)]
        url = reverse("plans:edit", args=[document.pk])

        results = race([(_logged_in(world.school_officer), url, v) for v in variants])

        assert sorted(r[0] for r in results if isinstance(r, tuple)) == [200, 302], results
        document.refresh_from_db()
        winner = document.title[-1]
        assert document.school_plan.group_leader == f"组长{winner}"


def test_new_school_plan_sent_twice_at_once():
    world = make_district()
    url = reverse("plans:create", args=["school_plan"])
    for round_ in range(ROUNDS):
        year = str(2030 + round_)
        data = school_plan_data(**{"doc-year": year, "years-0-start_year": year})

        results = race([(_logged_in(world.school_officer), url, data) for _ in range(3)])

        # Each lands on the saved plan, or (if the first had committed before it
        # validated) gets the form back with the "already has a plan" error.
        assert all(isinstance(r, tuple) and r[0] in (200, 302) for r in results), results
        document = Document.objects.get(kind=Document.Kind.SCHOOL_PLAN, organisation=world.school, year=year)
        detail = reverse("plans:detail", args=[document.pk])
        assert {r[1] for r in results if r[0] == 302} == {detail}, results
        assert [r[2] for r in results if r[0] == 302].count([constants.SUCCESS]) == 1, results
        assert document.school_plan.years.count() == 1
