"""A hostile user's review of the work merged for issues #13 and #14 (helper h26).

Each test guards one defect found by attacking the new surfaces: other users'
URLs, forged parameters, pages where an expert could read the other opinions of
the current round.
"""
import json

import pytest
from django.urls import reverse
from django.utils.translation import gettext
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from tests.factories import make_school_plan
from tests.flow_helpers import claim_and_decide, expert_answer, submit, task_url
from workflow.models import Decision

pytestmark = pytest.mark.django_db

HIDDEN = "钱丽的意见：目标不够具体。"


def _to_experts(world, client_for, document, experts):
    assert submit(client_for(document.created_by), document).status_code == 302
    assert claim_and_decide(client_for(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [e.pk for e in experts], "comment": ""}).status_code == 302


def test_an_expert_reads_no_other_opinion_of_the_round_on_any_page(world, client_for):
    """viewflow's process and task pages showed the process's last decision (处理结果),
    i.e. another expert's opinion of the current round, to an expert who had not answered."""
    document = make_school_plan(world)
    _to_experts(world, client_for, document, [world.expert1, world.expert2])
    assert expert_answer(client_for(world.expert2), document, world.expert2, "disagree", score=41,
                         comment=HIDDEN).status_code == 302
    done = Task.objects.get(process__reviewprocess__document=document, owner=world.expert2,
                            flow_task_type="HUMAN", status=STATUS.DONE)
    viewflow_pages = [reverse("review:process_detail", kwargs={"process_pk": done.process_id}),
                      task_url(done, "detail")]
    urls = viewflow_pages + [
        reverse("process_board:detail", args=[done.process_id]),
        reverse("process_board:index") + "?state=all",
        reverse("workflow:inbox") + "?tab=all",
        reverse("notices:list"),
        reverse("plans:list"),
        reverse("review:process_list"), reverse("review:task_list"), reverse("review:archive"),
        reverse("review:queue"), reverse("review:inbox"),
    ]
    opinion = str(Decision.DISAGREE.label)
    client = client_for(world.expert1)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert HIDDEN not in page, url
        assert opinion not in page, url
    # The reviewers still read the process's decision there.
    page = client_for(world.training_officer).get(viewflow_pages[0]).content.decode()
    assert opinion in page


# --- the row editor: rows whose years change places in one save --------------------------------

def _two_blocks(world, client_for):
    from plans.models import SchoolPlanYear
    from tests.test_plans__rows import edit_token, management

    document = make_school_plan(world, year=2025)
    first = document.school_plan.years.get()
    second = SchoolPlanYear.objects.create(plan=document.school_plan, start_year=2026, content="第二学年",
                                           forms="讲座", hours=60)
    client = client_for(world.school_officer)
    data = {"doc-title": document.title, "doc-year": "2025", "doc-edit_token": edit_token(client, document),
            "detail-significance": "意义。", "detail-hours_per_teacher": "50",
            **management("years", 2, initial=2, max_num=5)}
    for index, block in enumerate([first, second]):
        data.update({f"years-{index}-id": str(block.pk), f"years-{index}-plan": str(document.pk),
                     f"years-{index}-start_year": str(block.start_year), f"years-{index}-content": block.content,
                     f"years-{index}-forms": block.forms, f"years-{index}-hours": "60"})
    return document, client, data


def test_two_year_blocks_swap_their_years_in_one_save(world, client_for):
    """Was an IntegrityError (500): the first block met the second's old year at the unique index."""
    document, client, data = _two_blocks(world, client_for)
    data["years-0-start_year"], data["years-1-start_year"] = "2026", "2025"
    response = client.post(reverse("plans:edit", args=[document.pk]), data)
    assert response.status_code == 302
    assert list(document.school_plan.years.order_by("start_year").values_list("start_year", "content")) == [
        (2025, "第二学年"), (2026, "师德师风、现代教育理论")]


def test_a_year_block_takes_the_year_of_a_block_removed_in_the_same_save(world, client_for):
    document, client, data = _two_blocks(world, client_for)
    data["years-0-start_year"] = "2026"
    data["years-1-DELETE"] = "on"
    response = client.post(reverse("plans:edit", args=[document.pk]), data)
    assert response.status_code == 302
    assert list(document.school_plan.years.values_list("start_year", "content")) == [
        (2026, "师德师风、现代教育理论")]


def test_two_year_blocks_given_one_year_are_refused_and_nothing_changes(world, client_for):
    document, client, data = _two_blocks(world, client_for)
    before = list(document.school_plan.years.order_by("pk").values_list("pk", "start_year", "content"))
    data["years-0-start_year"] = "2026"
    data["years-0-content"] = "改过的内容"
    response = client.post(reverse("plans:edit", args=[document.pk]), data)
    assert response.status_code == 200
    assert response.context["editor"].rows.non_form_errors() or any(response.context["editor"].rows.errors)
    assert list(document.school_plan.years.order_by("pk").values_list("pk", "start_year", "content")) == before


# --- jobs: the same work asked for twice -------------------------------------------------------

def _approved_proposals(world, count=3):
    from plans.models import Document
    from tests.factories import make_proposal

    documents = [make_proposal(world, year=2024) for _ in range(count)]
    Document.objects.filter(pk__in=[d.pk for d in documents]).update(status=Document.Status.APPROVED)
    return documents


def test_a_batch_asked_for_again_while_the_first_waits_is_the_same_job(world, client_for):
    """A double click on 批量打印 (or a reload, two tabs) queued the whole batch twice."""
    from django.test import override_settings
    from django_tasks_db.models import DBTaskResult

    from jobs.models import Job
    from tests.test_jobs import DATABASE_QUEUE

    _approved_proposals(world)
    client = client_for(world.bureau_officer)
    with override_settings(TASKS=DATABASE_QUEUE):
        first = client.post(reverse("printing:batch"), {"year": 2024, "format": "pdf"})
        second = client.post(reverse("printing:batch"), {"year": 2024, "format": "pdf"})
        other_format = client.post(reverse("printing:batch"), {"year": 2024, "format": "zip"})
    job = Job.objects.order_by("pk").first()
    assert first["Location"] == second["Location"] == reverse("jobs:detail", args=[job.pk])
    assert other_format["Location"] != first["Location"]  # other work: a job of its own
    assert Job.objects.count() == 2 and DBTaskResult.objects.count() == 2
    # Once the first has finished (here: cancelled), asking again starts a new job.
    client.post(reverse("jobs:cancel", args=[job.pk]))
    with override_settings(TASKS=DATABASE_QUEUE):
        third = client.post(reverse("printing:batch"), {"year": 2024, "format": "pdf"})
    assert third["Location"] != first["Location"] and Job.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_identical_batches_at_once_make_one_job():
    from django.test import override_settings

    from jobs.models import Job
    from tests.factories import make_district
    from tests.race_helpers import logged_in, race
    from tests.test_jobs import DATABASE_QUEUE

    world = make_district()
    _approved_proposals(world)
    data = {"year": 2024, "format": "pdf"}
    with override_settings(TASKS=DATABASE_QUEUE):
        results = race([(logged_in(world.bureau_officer), reverse("printing:batch"), data) for _ in range(2)])
    assert results == [302, 302]
    assert Job.objects.count() == 1


# --- /healthz: a delayed task waits from when it may run -----------------------------------------

def test_healthz_counts_a_delayed_retry_from_when_it_may_run_not_when_it_was_queued(client, world, settings,
                                                                                   monkeypatch):
    """An email retried after 30 minutes counted as waiting 30 minutes the moment it became due:
    every web server answered 503 and a load balancer would take them all out."""
    import datetime

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from notices import services as notice_services
    from notices.tasks import send_notice_emails
    from tests.test_jobs import DATABASE_QUEUE

    def down(subject, body, sender, to, connection=None):
        raise OSError("server down")

    monkeypatch.setattr(notice_services, "send_mail", down)
    settings.TASKS = DATABASE_QUEUE
    settings.JOBS_HEALTH_MAX_WAIT = 600
    send_notice_emails.call(["a@example.cn"], "标题", "")
    now = timezone.now()
    # Queued 30 minutes ago to run 30 minutes later: due for one second.
    DBTaskResult.objects.update(enqueued_at=now - datetime.timedelta(seconds=1801),
                                run_after=now - datetime.timedelta(seconds=1))
    assert json.loads(client.get("/healthz").content)["checks"]["queue"] == "ok"
    # Due for longer than the limit: the queue is stuck (said, not a reason to stop serving).
    DBTaskResult.objects.update(run_after=now - datetime.timedelta(seconds=700))
    assert json.loads(client.get("/healthz").content)["checks"]["queue"] == "late"


# --- search: words -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["plans:list", "workflow:inbox"])
def test_a_search_of_many_words_is_refused_and_a_repeated_word_is_one(world, client_for, name):
    """Fifty one-letter words (within the 100 characters) made one query of some 1,350 LIKEs."""
    from plans.selectors import MAX_SEARCH_WORDS

    client = client_for(world.training_officer)
    many = " ".join("字" + chr(ord("a") + i) for i in range(MAX_SEARCH_WORDS + 1))
    response = client.get(reverse(name), {"q": many})
    assert response.status_code == 400
    assert gettext("Search for at most %(max)s words at once.") % {"max": MAX_SEARCH_WORDS} in \
        response.content.decode()
    assert client.get(reverse(name), {"q": " ".join(["培训"] * 30)}).status_code == 200
    assert client.get(reverse(name), {"q": " ".join("字" + chr(ord("a") + i)
                                                   for i in range(MAX_SEARCH_WORDS))}).status_code == 200
