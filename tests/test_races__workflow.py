"""Racing requests on the review workflow's state changes (issue #10): exactly one
winner, clean refusals for the others (403/404 or a form error, never a 500),
consistent rows.

Meant for PostgreSQL (row locks, real concurrency); they run on SQLite too, where
IMMEDIATE transactions serialise the racers.
"""
import pytest
from django.utils.html import escape
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.services import user_create
from plans.models import Document
from tests.factories import make_district, make_school_plan
from tests.flow_helpers import claim_and_decide, expert_answer, open_task, open_tasks, submit, task_url
from tests.race_helpers import logged_in, race, race_responses
from workflow.models import ReviewRoute, TrailEntry

pytestmark = pytest.mark.django_db(transaction=True)
RACERS = 4


def _status(document):
    document.refresh_from_db()
    return document.status


def _submitted(world, **kwargs):
    document = make_school_plan(world, **kwargs)
    author = kwargs.get("author", world.school_officer)
    assert submit(logged_in(author), document).status_code == 302
    return document


def _to_filing(world, document, expert):
    reviewer = logged_in(world.training_officer)
    assert claim_and_decide(reviewer, document, "initial_review", {
        "decision": "approve", "experts": [expert.pk], "comment": ""}).status_code == 302
    assert expert_answer(logged_in(expert), document, expert, "agree").status_code == 302
    assert _status(document) == Document.Status.FILING


def _colleague(organisation, role, n):
    return user_create(username=f"{role}{n}", password="x-pass-123", full_name=f"同事{n}", role=role,
                       organisation=organisation)


def test_one_task_under_four_process_ids_is_decided_once():
    """Item 2: the same 初审 task POSTed under four process ids at once."""
    world = make_district()
    ReviewRoute.objects.create(district=world.district, kind=Document.Kind.SCHOOL_PLAN, expert_review=False)
    documents = [_submitted(world, year=2024 + n) for n in range(RACERS)]
    task = open_task(documents[0], "initial_review")
    reviewer = logged_in(world.training_officer)
    assert reviewer.post(task_url(task, "assign")).status_code == 302
    process_ids = [open_task(d, "initial_review").process_id for d in documents]
    urls = [task.flow_task.reverse("execute", args=[pk, task.pk]) for pk in process_ids]

    results = race([(logged_in(world.training_officer), url, {"decision": "approve", "comment": "同意"})
                    for url in urls])

    assert sorted(results) == [302] + [404] * (RACERS - 1), results
    assert TrailEntry.objects.filter(decision="approve").count() == 1
    assert open_tasks(documents[0], "filing").count() == 1
    assert _status(documents[0]) == Document.Status.FILING
    assert Document.objects.filter(filing_number__isnull=False).count() == 0
    for other in documents[1:]:
        assert _status(other) == Document.Status.INITIAL_REVIEW
        assert open_task(other, "initial_review").status == STATUS.NEW


def test_racing_claims_of_a_filing_task_one_wins():
    world = make_district()
    officers = [world.bureau_officer] + [_colleague(world.bureau, "bureau_officer", n) for n in range(1, RACERS)]
    document = _submitted(world)
    _to_filing(world, document, world.expert1)
    task = open_task(document, "filing")

    results = race([(logged_in(officer), task_url(task, "assign"), {}) for officer in officers])

    assert sorted(results) == [302] + [403] * (RACERS - 1), results
    task.refresh_from_db()
    assert task.owner in officers and task.status == STATUS.ASSIGNED
    assert TrailEntry.objects.filter(document=document, step="filing", decision="claim").count() == 1


def test_approve_and_return_from_two_tabs_one_wins():
    """The same reviewer approves in one tab and returns in another, at once."""
    world = make_district()
    document = _submitted(world)
    task = open_task(document, "initial_review")
    assert logged_in(world.training_officer).post(task_url(task, "assign")).status_code == 302
    url = task_url(task, "execute")

    results = race([
        (logged_in(world.training_officer), url, {"decision": "approve", "experts": [world.expert1.pk]}),
        (logged_in(world.training_officer), url, {"decision": "return", "comment": "请补充。"}),
    ])

    assert sorted(results) == [302, 403], results
    decisions = list(TrailEntry.objects.filter(document=document, step="initial_review")
                     .exclude(decision="claim").values_list("decision", flat=True))
    assert len(decisions) == 1
    if decisions == ["approve"]:
        assert _status(document) == Document.Status.EXPERT_REVIEW
        assert open_tasks(document, "expert_review").count() == 1
        assert not open_tasks(document, "revise").exists()
    else:
        assert decisions == ["return"]
        assert _status(document) == Document.Status.RETURNED
        assert open_tasks(document, "revise").count() == 1
        assert not open_tasks(document, "expert_review").exists()


def test_racing_filings_for_the_same_number_one_wins():
    """Item 12: two documents (two process locks) filed under one number at once."""
    from workflow.services import ERROR_FILING_NUMBER_TAKEN

    world = make_district()
    second_officer = _colleague(world.bureau, "bureau_officer", 2)
    documents = [
        _submitted(world),
        _submitted(world, school=world.other_school, author=world.other_school_officer),
    ]
    requests = []
    for document, officer in zip(documents, (world.bureau_officer, second_officer)):
        _to_filing(world, document, world.expert1)
        task = open_task(document, "filing")
        client = logged_in(officer)
        assert client.post(task_url(task, "assign")).status_code == 302
        requests.append((client, task_url(task, "execute"),
                         {"decision": "approve", "filing_number": "建教师备〔2024〕9号"}))

    results = race_responses(requests)

    codes = sorted(r[0] if isinstance(r, tuple) else r for r in results)
    assert codes == [200, 302], results
    refused = next(r[1] for r in results if r[0] == 200)
    assert escape(str(ERROR_FILING_NUMBER_TAKEN)) in refused.content.decode()
    statuses = sorted(_status(d) for d in documents)
    assert statuses == [Document.Status.APPROVED, Document.Status.FILING]
    filed = Document.objects.get(status=Document.Status.APPROVED)
    assert filed.filing_number == "建教师备〔2024〕9号"
    loser = Document.objects.get(status=Document.Status.FILING)
    assert loser.filing_number is None and loser.filed_at is None
    assert open_task(loser, "filing").owner is not None  # still with its officer, to try another number
    assert TrailEntry.objects.filter(step="filing", decision="approve").count() == 1


def test_hand_over_and_execute_at_once_one_wins():
    world = make_district()
    colleague = _colleague(world.training_school, "training_officer", 2)
    document = _submitted(world)
    task = open_task(document, "initial_review")
    owner = logged_in(world.training_officer)
    assert owner.post(task_url(task, "assign")).status_code == 302

    results = race([
        (logged_in(world.training_officer), "/inbox/", {"action": "hand_over", "task": task.pk, "to": colleague.pk}),
        (logged_in(world.training_officer), task_url(task, "execute"), {"decision": "return", "comment": "请补充。"}),
    ])

    hand_over, execute = results
    assert sorted(results) == [302, 403], results
    task.refresh_from_db()
    decisions = list(TrailEntry.objects.filter(document=document, step="initial_review")
                     .exclude(decision="claim").values_list("decision", flat=True))
    if execute == 302:
        assert decisions == ["return"]
        assert task.status == STATUS.DONE and task.owner == world.training_officer
        assert _status(document) == Document.Status.RETURNED
    else:
        assert decisions == ["reassign"]
        assert task.status == STATUS.ASSIGNED and task.owner == colleague
        assert _status(document) == Document.Status.INITIAL_REVIEW


def test_two_experts_answering_at_once_close_the_round_once():
    world = make_district()
    document = _submitted(world)
    assert claim_and_decide(logged_in(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk, world.expert2.pk], "comment": ""}).status_code == 302
    tasks = [open_task(document, "expert_review", owner=e) for e in (world.expert1, world.expert2)]

    results = race([
        (logged_in(world.expert1), task_url(tasks[0], "execute"), {"opinion": "disagree", "score": 40, "comment": "不同意"}),
        (logged_in(world.expert2), task_url(tasks[1], "execute"), {"opinion": "agree", "score": 90, "comment": "同意"}),
    ])

    assert results == [302, 302], results
    assert _status(document) == Document.Status.RETURNED
    assert open_tasks(document, "revise").count() == 1
    assert not open_tasks(document, "filing").exists()
    assert not Task.objects.filter(process__reviewprocess__document=document, flow_task_type="HUMAN",
                                   flow_task__endswith="expert_review", status__in=[STATUS.NEW, STATUS.ASSIGNED]
                                   ).exists()


def _to_confirm_changes(world):
    """修改后同意 in the round, the author's revision waiting for the initial reviewer."""
    document = _submitted(world)
    assert claim_and_decide(logged_in(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk], "comment": ""}).status_code == 302
    assert expert_answer(logged_in(world.expert1), document, world.expert1, "agree_with_changes").status_code == 302
    author = logged_in(world.school_officer)
    assert author.post(task_url(open_task(document, "revise"), "execute"), {"comment": "已修改。"}).status_code == 302
    assert _status(document) == Document.Status.CHANGES_CHECK
    return document


def test_two_confirmations_of_the_changes_at_once_decide_once():
    """The initial reviewer confirms in one tab and refuses in another, at once."""
    world = make_district()
    document = _to_confirm_changes(world)
    task = open_task(document, "confirm_changes")
    assert logged_in(world.training_officer).post(task_url(task, "assign")).status_code == 302
    url = task_url(task, "execute")

    results = race([
        (logged_in(world.training_officer), url, {"decision": "approve", "comment": "已按意见修改。"}),
        (logged_in(world.training_officer), url, {"decision": "return", "comment": "仍未修改。"}),
    ])

    assert sorted(results) == [302, 403], results
    decisions = list(TrailEntry.objects.filter(document=document, step="confirm_changes")
                     .exclude(decision="claim").values_list("decision", flat=True))
    assert len(decisions) == 1
    if decisions == ["approve"]:
        assert _status(document) == Document.Status.FILING
        assert open_tasks(document, "filing").count() == 1
        assert not open_tasks(document, "revise").exists()
    else:
        assert _status(document) == Document.Status.RETURNED
        assert open_tasks(document, "revise").count() == 1
        assert not open_tasks(document, "filing").exists()
    assert not open_tasks(document, "confirm_changes").exists()
    assert not open_tasks(document, "expert_review").exists()


def test_racing_confirmations_by_two_reviewers_one_wins():
    """Two training officers claim and confirm the same changes at once."""
    world = make_district()
    colleague = _colleague(world.training_school, "training_officer", 2)
    document = _to_confirm_changes(world)
    task = open_task(document, "confirm_changes")

    results = race([(logged_in(officer), task_url(task, "assign"), {})
                    for officer in (world.training_officer, colleague)])
    assert sorted(results) == [302, 403], results
    task.refresh_from_db()
    winner = task.owner
    loser = colleague if winner == world.training_officer else world.training_officer

    results = race([(logged_in(user), task_url(task, "execute"), {"decision": "approve", "comment": ""})
                    for user in (winner, loser)])
    assert results == [302, 403], results
    assert TrailEntry.objects.filter(document=document, step="confirm_changes", decision="approve").count() == 1
    assert _status(document) == Document.Status.FILING
    assert open_tasks(document, "filing").count() == 1
