"""The task inbox: queues by role, own tasks, completed ones, due dates, filters."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_district, make_proposal, make_school_plan
from tests.flow_helpers import claim_and_decide, open_task, submit, task_url
from workflow.calendar import add_working_days
from workflow.models import StepDeadline, TaskDue
from workflow.selectors import task_done, task_inbox, task_queue

pytestmark = pytest.mark.django_db
INBOX = reverse("workflow:inbox")


def test_submitted_plan_waits_in_training_school_queue_only(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    assert [t.process.reviewprocess.document for t in task_queue(user=world.training_officer)] == [document]
    for user in (world.bureau_officer, world.school_officer, world.expert1, world.principal):
        assert not task_queue(user=user).exists()
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    assert not task_queue(user=elsewhere.training_officer).exists()


def test_inbox_tabs_and_counts(world, client_for):
    first, second = make_school_plan(world), make_proposal(world)
    officer = client_for(world.school_officer)
    submit(officer, first)
    submit(officer, second)
    trainer = client_for(world.training_officer)
    page = trainer.get(INBOX + "?tab=queue").content.decode()
    assert "待认领 (2)" in page and "我的待办 (0)" in page
    assert first.title in page and second.title in page

    trainer.post(task_url(open_task(first, "initial_review"), "assign"))
    page = trainer.get(INBOX).content.decode()
    assert "我的待办 (1)" in page and "待认领 (1)" in page and first.title in page
    assert task_inbox(user=world.training_officer).count() == 1

    trainer.post(task_url(open_task(first, "initial_review"), "execute"), {"decision": "return", "comment": "请修改。"})
    page = trainer.get(INBOX + "?tab=done").content.decode()
    assert "已办 (1)" in page and first.title in page
    assert task_done(user=world.training_officer).count() == 1
    # The returned plan is now in its author's inbox.
    assert [t.flow_task.name for t in task_inbox(user=world.school_officer)] == ["revise"]


def test_due_date_uses_configured_days_and_shows_overdue(world, client_for):
    StepDeadline.objects.create(step="initial_review", days=3)
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    task = open_task(document, "initial_review")
    assert task.due.due_date == add_working_days(timezone.localdate(), 3)

    trainer = client_for(world.training_officer)
    assert "已逾期" not in trainer.get(INBOX + "?tab=queue").content.decode()
    TaskDue.objects.filter(task=task).update(due_date=timezone.localdate() - datetime.timedelta(days=1))
    assert "已逾期" in trainer.get(INBOX + "?tab=queue").content.decode()


def test_default_due_days_come_from_settings(world, client_for, settings):
    settings.REVIEW_STEP_DAYS = {**settings.REVIEW_STEP_DAYS, "initial_review": 9}
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    assert open_task(document, "initial_review").due.due_date == add_working_days(timezone.localdate(), 9)


def test_filters_by_kind_school_and_year(world, client_for):
    plan = make_school_plan(world, year=2024)
    proposal = make_proposal(world, year=2025)
    other = make_school_plan(world, school=world.other_school, author=world.other_school_officer, year=2024)
    submit(client_for(world.school_officer), plan)
    submit(client_for(world.school_officer), proposal)
    submit(client_for(world.other_school_officer), other)
    trainer = client_for(world.training_officer)

    def titles(query):
        page = trainer.get(INBOX + "?tab=queue&" + query).content.decode()
        return {d.pk for d in (plan, proposal, other) if reverse("plans:detail", args=[d.pk]) + '"' in page}

    assert titles("") == {plan.pk, proposal.pk, other.pk}
    assert titles("kind=project_proposal") == {proposal.pk}
    assert titles(f"organisation={world.other_school.pk}") == {other.pk}
    assert titles("year=2024") == {plan.pk, other.pk}
    assert titles("year=2024&kind=school_plan&organisation=%d" % world.school.pk) == {plan.pk}


def test_expert_sees_only_own_review_tasks(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    claim_and_decide(client_for(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk, world.expert2.pk], "comment": "",
    })
    assert task_inbox(user=world.expert1).count() == 1
    assert task_inbox(user=world.expert3).count() == 0
    page = client_for(world.expert1).get(INBOX).content.decode()
    assert document.title in page and "专家会审" in page


def test_inbox_query_count_is_constant(world, client_for, django_assert_max_num_queries):
    officer = client_for(world.school_officer)
    for n in range(12):
        submit(officer, make_proposal(world))
    trainer = client_for(world.training_officer)
    with CaptureQueriesContext(connection) as few:
        trainer.get(INBOX + "?tab=queue")
    baseline = len(few.captured_queries)  # read now: every request clears Django's query log
    for n in range(12):
        submit(officer, make_proposal(world))
    with django_assert_max_num_queries(baseline):
        trainer.get(INBOX + "?tab=queue")
