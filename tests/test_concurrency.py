"""Racing reviewers: exactly one wins, the others are refused cleanly.

Runs on both databases: PostgreSQL relies on the flow's row lock
(select_for_update), SQLite on IMMEDIATE transactions.
"""
import pytest

from accounts.services import user_create
from tests.factories import make_district, make_school_plan
from tests.flow_helpers import open_task, task_url
from tests.race_helpers import logged_in as _logged_in
from tests.race_helpers import race
from workflow.models import TrailEntry

pytestmark = pytest.mark.django_db(transaction=True)
RACERS = 4


def test_racing_claims_one_wins():
    world = make_district()
    officers = [world.training_officer] + [
        user_create(username=f"trainer{n}", password="x-pass-123", full_name=f"培训员{n}",
                    role="training_officer", organisation=world.training_school)
        for n in range(1, RACERS)
    ]
    document = make_school_plan(world)
    _logged_in(world.school_officer).post(f"/documents/{document.pk}/submit/")
    task = open_task(document, "initial_review")
    url = task_url(task, "assign")

    results = race([(_logged_in(officer), url, {}) for officer in officers])

    assert sorted(results) == [302] + [403] * (RACERS - 1), results
    task.refresh_from_db()
    assert task.owner in officers
    assert TrailEntry.objects.filter(document=document, decision="claim").count() == 1


def test_racing_decisions_on_one_task_one_wins():
    world = make_district()
    document = make_school_plan(world)
    _logged_in(world.school_officer).post(f"/documents/{document.pk}/submit/")
    task = open_task(document, "initial_review")
    reviewer = _logged_in(world.training_officer)
    assert reviewer.post(task_url(task, "assign")).status_code == 302
    url = task_url(task, "execute")

    # The same reviewer double-submitting from several tabs.
    results = race([(_logged_in(world.training_officer), url, {"decision": "return", "comment": f"意见{n}"})
                    for n in range(RACERS)])

    assert sorted(results) == [302] + [403] * (RACERS - 1), results
    assert TrailEntry.objects.filter(document=document, decision="return").count() == 1
    assert open_task(document, "revise").owner == world.school_officer
