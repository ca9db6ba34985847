"""Hand-over, copies for information, batch approval and saved filters."""
import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_create
from plans.models import Document
from tests.factories import make_district, make_proposal, make_school_plan
from tests.flow_helpers import claim_and_decide, expert_answer, open_task, submit, task_url
from workflow.models import DocumentCopy, SavedFilter, TrailEntry

pytestmark = pytest.mark.django_db
INBOX = reverse("workflow:inbox")


@pytest.fixture
def colleague(world):
    return user_create(username="trainer2", password="x-pass-123", full_name="陈晨",
                       role="training_officer", organisation=world.training_school)


def test_hand_over_to_an_eligible_colleague(world, client_for, colleague):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    task = open_task(document, "initial_review")
    trainer = client_for(world.training_officer)
    trainer.post(task_url(task, "assign"))
    page = trainer.get(INBOX).content.decode()
    assert "陈晨" in page  # offered in the hand-over list
    trainer.post(INBOX, {"action": "hand_over", "task": task.pk, "to": colleague.pk})
    task.refresh_from_db()
    assert task.owner == colleague
    assert TrailEntry.objects.filter(document=document, decision="reassign", actor=world.training_officer).exists()
    # The new holder decides; the old one no longer can.
    assert trainer.post(task_url(task, "execute"), {"decision": "return", "comment": "x"}).status_code == 403
    response = client_for(colleague).post(task_url(task, "execute"), {"decision": "return", "comment": "请修改。"})
    assert response.status_code == 302


def test_hand_over_only_to_someone_who_may_take_the_step(world, client_for, colleague):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    task = open_task(document, "initial_review")
    client_for(world.training_officer).post(task_url(task, "assign"))
    for stranger in (world.bureau_officer, world.school_officer, world.expert1):
        client_for(world.training_officer).post(INBOX, {"action": "hand_over", "task": task.pk, "to": stranger.pk})
        task.refresh_from_db()
        assert task.owner == world.training_officer
    # Nor can a colleague who does not hold it give it away.
    client_for(colleague).post(INBOX, {"action": "hand_over", "task": task.pk, "to": colleague.pk})
    task.refresh_from_db()
    assert task.owner == world.training_officer


def test_batch_approve_filing_gives_each_a_number(world, client_for):
    documents = [make_school_plan(world), make_school_plan(world, school=world.other_school,
                                                           author=world.other_school_officer)]
    for document in documents:
        submit(client_for(document.created_by), document)
        claim_and_decide(client_for(world.training_officer), document, "initial_review",
                         {"decision": "approve", "experts": [world.expert1.pk]})
        expert_answer(client_for(world.expert1), document, world.expert1, "agree")
    tasks = [open_task(d, "filing").pk for d in documents]
    client_for(world.bureau_officer).post(INBOX, {"action": "batch_approve", "tasks": tasks})
    numbers = sorted(Document.objects.filter(pk__in=[d.pk for d in documents]).values_list("filing_number", flat=True))
    year = timezone.localdate().year  # the year of filing
    assert numbers == [f"建教师备〔{year}〕1号", f"建教师备〔{year}〕2号"]
    assert set(Document.objects.filter(pk__in=[d.pk for d in documents]).values_list("status", flat=True)) == {"approved"}


def test_batch_approve_initial_review_with_experts(world, client_for):
    documents = [make_proposal(world), make_proposal(world)]
    for document in documents:
        submit(client_for(world.school_officer), document)
    tasks = [open_task(d, "initial_review").pk for d in documents]
    client_for(world.training_officer).post(INBOX, {"action": "batch_approve", "tasks": tasks,
                                                    "experts": [world.expert2.pk]})
    for document in documents:
        document.refresh_from_db()
        assert document.status == "expert_review"
        assert open_task(document, "expert_review").owner == world.expert2


def test_batch_approve_is_all_or_nothing(world, client_for):
    mine, foreign = make_proposal(world), make_proposal(world)
    for document in (mine, foreign):
        submit(client_for(world.school_officer), document)
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    other = make_proposal(elsewhere)
    submit(client_for(elsewhere.school_officer), other)
    tasks = [open_task(mine, "initial_review").pk, open_task(other, "initial_review").pk]
    response = client_for(world.training_officer).post(
        INBOX, {"action": "batch_approve", "tasks": tasks, "experts": [world.expert1.pk]}, follow=True)
    from workflow.inbox_actions import ERROR_NOT_IN_QUEUE

    assert str(ERROR_NOT_IN_QUEUE) in response.content.decode()
    mine.refresh_from_db(), other.refresh_from_db()
    assert mine.status == other.status == "initial_review"
    # Mixed steps are refused too.
    claim_and_decide(client_for(world.training_officer), foreign, "initial_review",
                     {"decision": "approve", "experts": [world.expert1.pk]})
    expert_answer(client_for(world.expert1), foreign, world.expert1, "agree")
    client_for(world.bureau_officer).post(INBOX, {"action": "batch_approve", "tasks": [
        open_task(foreign, "filing").pk, open_task(mine, "initial_review").pk]})
    foreign.refresh_from_db()
    assert foreign.status == "filing"


def test_copy_for_information_lets_the_recipient_read_only(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    detail = reverse("plans:detail", args=[document.pk])
    assert client_for(world.other_school_officer).get(detail).status_code == 404
    client_for(world.training_officer).post(reverse("workflow:copy", args=[document.pk]),
                                            {"recipient": world.other_school_officer.pk, "note": "供参考"})
    assert DocumentCopy.objects.filter(document=document, recipient=world.other_school_officer).exists()
    reader = client_for(world.other_school_officer)
    assert reader.get(detail).status_code == 200
    assert reader.get(reverse("plans:edit", args=[document.pk])).status_code in (302, 403)
    assert TrailEntry.objects.filter(document=document, decision="copy").count() == 1
    # Not twice, and not to someone outside the district.
    client_for(world.training_officer).post(reverse("workflow:copy", args=[document.pk]),
                                            {"recipient": world.other_school_officer.pk})
    assert DocumentCopy.objects.count() == 1
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    client_for(world.training_officer).post(reverse("workflow:copy", args=[document.pk]),
                                            {"recipient": elsewhere.bureau_officer.pk})
    assert client_for(elsewhere.bureau_officer).get(detail).status_code == 404


def test_saved_filters_are_per_user(world, client_for):
    trainer = client_for(world.training_officer)
    trainer.post(INBOX, {"action": "save_filter", "name": "2024校本", "query": "tab=queue&kind=school_plan&year=2024"})
    saved = SavedFilter.objects.get()
    assert (saved.user, saved.query) == (world.training_officer, "tab=queue&kind=school_plan&year=2024")
    assert "2024校本" in trainer.get(INBOX).content.decode()
    assert "2024校本" not in client_for(world.bureau_officer).get(INBOX).content.decode()
    client_for(world.bureau_officer).post(INBOX, {"action": "delete_filter", "filter": saved.pk})
    assert SavedFilter.objects.exists()
    trainer.post(INBOX, {"action": "delete_filter", "filter": saved.pk})
    assert not SavedFilter.objects.exists()
