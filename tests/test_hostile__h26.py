"""A hostile user's review of the work merged for issues #13 and #14 (helper h26).

Each test guards one defect found by attacking the new surfaces: other users'
URLs, forged parameters, pages where an expert could read the other opinions of
the current round.
"""
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
