"""The inbox tabs' counts and the menu badge (issue 14 item 5): counted in one query, and each
equal to the tab's own list (workflow.selectors.INBOX_TABS)."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_proposal, make_school_plan
from tests.flow_helpers import claim_and_decide, submit
from workflow.selectors import INBOX_TABS, task_counts

pytestmark = pytest.mark.django_db
INBOX = reverse("workflow:inbox")
USERS = ["training_officer", "bureau_officer", "school_officer", "principal", "expert1", "expert2", "teacher",
         "other_school_officer"]


def _tasks_queries(ctx):
    return [q["sql"] for q in ctx.captured_queries if 'FROM "viewflow_task"' in q["sql"]]


@pytest.fixture
def busy(world, client_for):
    """Tasks in every tab of several users: queued, claimed, done."""
    school = client_for(world.school_officer)
    documents = [make_school_plan(world), make_proposal(world), make_proposal(world)]
    for document in documents:
        submit(school, document)
    claim_and_decide(client_for(world.training_officer), documents[0], "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk, world.expert2.pk], "comment": "",
    })
    return documents


@pytest.mark.parametrize("who", USERS)
def test_each_count_is_its_tabs_list(world, busy, who):
    user = getattr(world, who)
    expected = {tab: selector(user=user).count() for tab, selector in INBOX_TABS.items()}
    user.__dict__.pop("_task_counts", None)
    assert task_counts(user=user) == expected
    if who == "training_officer":
        assert expected["queue"] and expected["done"]
    if who == "expert1":
        assert expected["mine"]


def test_inbox_counts_its_three_tabs_in_one_query(world, client_for, busy):
    client = client_for(world.training_officer)
    client.get(INBOX + "?tab=queue")
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(INBOX + "?tab=queue").content.decode()
    counts = [sql for sql in _tasks_queries(ctx) if "COUNT(" in sql]
    # The tabs' counts (with the menu's), which the unfiltered page's paginator takes too.
    assert len(counts) == 1, counts
    user = world.training_officer
    mine, queue = (selector(user=user).count() for selector in (INBOX_TABS["mine"], INBOX_TABS["queue"]))
    badge = re.search(r'data-testid="inbox-count">(\d+)<', page)
    assert badge and int(badge.group(1)) == mine + queue


def test_the_menu_badge_costs_one_query_on_other_pages(world, client_for, busy):
    client = client_for(world.training_officer)  # tasks of their own and in the queue
    client.get(reverse("plans:list"))
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("plans:list")).content.decode()
    counts = [sql for sql in _tasks_queries(ctx) if "COUNT(" in sql]
    assert len(counts) == 1, counts
    user = world.training_officer
    open_ = sum(INBOX_TABS[tab](user=user).count() for tab in ("mine", "queue"))
    assert open_ and int(re.search(r'data-testid="inbox-count">(\d+)<', page).group(1)) == open_


def test_the_queue_reads_the_users_and_their_groups_grants_in_one_query(world, busy):
    """workflow.selectors._organisation_perms: guardian's get_perms asks twice (the user's grants,
    then their groups'); one UNION answers both, and a grant through a group still counts."""
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm, get_perms, remove_perm

    from workflow.selectors import _organisation_perms

    user = world.training_officer
    organisation = user.organisation
    codenames = get_perms(user, organisation)
    assert codenames  # the officer's own grants on their organisation
    with CaptureQueriesContext(connection) as ctx:
        perms = _organisation_perms(user)
    assert sorted(perms) == sorted(f"accounts.{codename}" for codename in codenames)
    assert len([q for q in ctx.captured_queries if "auth_permission" in q["sql"]]) == 1, ctx.captured_queries
    # The same grant held through a group instead: the queue is the same.
    queue = INBOX_TABS["queue"](user=user).count()
    group = Group.objects.create(name="h38-officers")
    user.groups.add(group)
    codename = codenames[0]
    assign_perm(codename, group, organisation)
    remove_perm(codename, user, organisation)
    del user._organisation_perms
    assert f"accounts.{codename}" in _organisation_perms(user)
    assert INBOX_TABS["queue"](user=user).count() == queue
