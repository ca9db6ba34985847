"""viewflow's task list of the review flow, scoped (workflow/scoped_viewset.py, issue 14 item 5):
exactly the tasks of the documents the user may see, its step filter from the flow's nodes, and a
constant number of queries."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_district, make_proposal, make_school_plan
from tests.flow_helpers import claim_and_decide, submit
from workflow.flows import ReviewFlow
from workflow.selectors import task_list_visible

pytestmark = pytest.mark.django_db
TASK_LIST = "review:task_list"


def _listed(client, query=""):
    response = client.get(reverse(TASK_LIST) + query)
    assert response.status_code == 200
    return response


def _listed_ids(client, query=""):
    response = _listed(client, query)
    page = response.context["page_obj"]
    ids = {task.pk for task in page.object_list}
    for number in page.paginator.page_range[1:]:
        ids |= {task.pk for task in _listed(client, f"?page={number}" + query.replace("?", "&")).context["page_obj"]}
    return ids, page.paginator.count


@pytest.fixture
def documents(world, client_for):
    """Plans and proposals of two schools in review, and one of another district."""
    school, trainer = client_for(world.school_officer), client_for(world.training_officer)
    mine = [make_school_plan(world), make_proposal(world), make_proposal(world)]
    for document in mine:
        submit(school, document)
    claim_and_decide(trainer, mine[0], "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk], "comment": "",
    })
    other = make_school_plan(world, school=world.other_school, author=world.other_school_officer)
    submit(client_for(world.other_school_officer), other)
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    far = make_school_plan(elsewhere)
    submit(client_for(elsewhere.school_officer), far)
    return {"mine": mine, "other": other, "far": far, "elsewhere": elsewhere}


@pytest.mark.parametrize("who", ["training_officer", "school_officer", "other_school_officer", "expert1",
                                 "expert2", "bureau_officer"])
def test_task_list_shows_exactly_the_visible_tasks(world, client_for, documents, who):
    user = getattr(world, who)
    ids, count = _listed_ids(client_for(user))
    expected = set(task_list_visible(user=user).filter(process__flow_class=ReviewFlow).values_list("pk", flat=True))
    assert ids == expected and count == len(expected), who
    far_tasks = set(task_list_visible(user=documents["elsewhere"].training_officer).values_list("pk", flat=True))
    assert far_tasks and not ids & far_tasks


def test_task_list_filters_stay_within_the_scope(world, client_for, documents):
    """A step or status filter narrows the scoped list; it never widens it to other districts."""
    client = client_for(world.school_officer)
    expected = task_list_visible(user=world.school_officer).filter(process__flow_class=ReviewFlow)
    ref = "workflow/flows.ReviewFlow.initial_review"
    ids, count = _listed_ids(client, f"?flow_task={ref}")
    # viewflow's filter: without a status, only unfinished tasks (its NullDateRangeFilter).
    wanted = set(expected.filter(flow_task=ReviewFlow.initial_review, finished__isnull=True)
                 .values_list("pk", flat=True))
    assert wanted and ids == wanted and count == len(wanted)
    ids, _ = _listed_ids(client, "?status=NEW")
    assert ids == set(expected.filter(status="NEW").values_list("pk", flat=True))


def test_step_filter_offers_the_flows_nodes_without_reading_every_task(world, client_for, documents):
    """viewflow read the step choices with a SELECT DISTINCT over every task of the flow in the
    installation (all districts): they come from the flow's nodes instead."""
    client = client_for(world.training_officer)
    with CaptureQueriesContext(connection) as ctx:
        response = _listed(client)
    assert not [q for q in ctx.captured_queries if "DISTINCT" in q["sql"].upper()]
    choices = dict(response.context["view"].filterset.filters["flow_task"].field.choices)
    assert "workflow/flows.ReviewFlow.initial_review" in choices
    assert "workflow/flows.ReviewFlow.expert_review" in choices


def test_task_list_count_reads_the_tasks_through_their_process_alone(world, client_for, documents):
    """The page's COUNT is one semi-join on the task's process id (no second process join)."""
    client = client_for(world.training_officer)
    with CaptureQueriesContext(connection) as ctx:
        _listed(client)
    counts = [q["sql"] for q in ctx.captured_queries
              if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "viewflow_task" WHERE')]
    assert len(counts) == 1, [q["sql"][:200] for q in ctx.captured_queries]
    assert '"viewflow_task"."process_id" IN (SELECT' in counts[0]


def test_task_list_query_count_is_constant(world, client_for, django_assert_max_num_queries):
    school = client_for(world.school_officer)
    for _ in range(3):
        submit(school, make_proposal(world))
    trainer = client_for(world.training_officer)
    _listed(trainer)
    with CaptureQueriesContext(connection) as few:
        _listed(trainer)
    baseline = len(few.captured_queries)
    for _ in range(30):  # more than a page of 25
        submit(school, make_proposal(world))
    with django_assert_max_num_queries(baseline):
        _listed(trainer)
