"""Every branch of the shared review flow, through the real pages."""
import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS

from plans.models import Document, DocumentVersion
from tests.factories import make_annual_plan, make_proposal, make_school_plan
from tests.flow_helpers import claim_and_decide, expert_answer, open_task, open_tasks, submit, task_url
from workflow.models import ReviewProcess, TrailEntry

pytestmark = pytest.mark.django_db


def _status(document):
    document.refresh_from_db()
    return document.status


def _to_expert_review(world, client_for, document, experts):
    assert submit(client_for(document.created_by), document).status_code == 302
    reviewer = world.training_officer if document.organisation.is_school else world.bureau_officer
    response = claim_and_decide(client_for(reviewer), document, "initial_review", {
        "decision": "approve", "experts": [e.pk for e in experts], "comment": "同意提交专家会审。",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _status(document) == Document.Status.EXPERT_REVIEW


def test_school_plan_full_path_with_return_and_resubmit(world, client_for):
    document = make_school_plan(world)
    officer = client_for(world.school_officer)
    assert submit(officer, document).status_code == 302
    assert _status(document) == Document.Status.INITIAL_REVIEW
    assert document.version == 1

    # 初审: return for revision with a comment.
    trainer = client_for(world.training_officer)
    response = claim_and_decide(trainer, document, "initial_review", {"decision": "return", "comment": "请补充经费明细。"})
    assert response.status_code == 302
    assert _status(document) == Document.Status.RETURNED
    revise = open_task(document, "revise")
    assert revise.owner == world.school_officer

    # The author edits and resubmits: version 2, reviews start again.
    response = officer.post(task_url(revise, "execute"), {"comment": "已补充经费明细。"})
    assert response.status_code == 302
    assert _status(document) == Document.Status.INITIAL_REVIEW
    assert document.version == 2
    assert DocumentVersion.objects.filter(document=document).count() == 2

    response = claim_and_decide(trainer, document, "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk, world.expert2.pk], "comment": "",
    })
    assert response.status_code == 302
    assert _status(document) == Document.Status.EXPERT_REVIEW
    assert open_tasks(document, "expert_review").count() == 2

    assert expert_answer(client_for(world.expert1), document, world.expert1, "agree").status_code == 302
    assert _status(document) == Document.Status.EXPERT_REVIEW  # waits for the second expert
    assert expert_answer(client_for(world.expert2), document, world.expert2, "agree").status_code == 302
    assert _status(document) == Document.Status.FILING

    bureau = client_for(world.bureau_officer)
    filing = open_task(document, "filing")
    page = bureau.post(task_url(filing, "assign"))
    assert page.status_code == 302
    form_page = bureau.get(task_url(filing, "execute"))
    # The suggested number carries the year of filing (today), not the plan's.
    assert f"建教师备〔{timezone.localdate().year}〕1号" in form_page.content.decode()
    response = bureau.post(task_url(filing, "execute"), {"decision": "approve", "filing_number": "建教师备〔2024〕1号", "comment": ""})
    assert response.status_code == 302
    assert _status(document) == Document.Status.APPROVED
    assert document.filing_number == "建教师备〔2024〕1号"
    assert ReviewProcess.objects.get(document=document).status == PROCESS.DONE

    decisions = list(TrailEntry.objects.filter(document=document).values_list("version", "step", "decision", "actor__username"))
    assert decisions == [
        (1, "submit", "submit", "school_officer"),
        (1, "initial_review", "claim", "training_officer"),
        (1, "initial_review", "return", "training_officer"),
        (2, "revise", "resubmit", "school_officer"),
        (2, "initial_review", "claim", "training_officer"),
        (2, "initial_review", "approve", "training_officer"),
        (2, "expert_review", "agree", "expert1"),
        (2, "expert_review", "agree", "expert2"),
        (2, "filing", "claim", "bureau_officer"),
        (2, "filing", "approve", "bureau_officer"),
    ]
    page = officer.get(reverse("plans:detail", args=[document.pk])).content.decode()
    for text in ("请补充经费明细。", "已补充经费明细。", "赵明", "钱丽", "建教师备〔2024〕1号", "已审批备案"):
        assert text in page


def test_any_disagree_returns_to_author_with_all_opinions(world, client_for):
    document = make_school_plan(world)
    _to_expert_review(world, client_for, document, [world.expert1, world.expert2])
    expert_answer(client_for(world.expert1), document, world.expert1, "agree", comment="同意。")
    expert_answer(client_for(world.expert2), document, world.expert2, "disagree", score=40, comment="目标不够具体。")
    assert _status(document) == Document.Status.RETURNED
    assert open_task(document, "revise").owner == world.school_officer
    page = client_for(world.school_officer).get(reverse("plans:detail", args=[document.pk])).content.decode()
    assert "同意。" in page and "目标不够具体。" in page and "不同意" in page


def test_initial_review_reject_ends_the_process(world, client_for):
    document = make_proposal(world)
    submit(client_for(world.school_officer), document)
    claim_and_decide(client_for(world.training_officer), document, "initial_review", {"decision": "reject", "comment": "不符合年度计划。"})
    assert _status(document) == Document.Status.REJECTED
    assert ReviewProcess.objects.get(document=document).status == PROCESS.DONE
    assert not Task.objects.filter(process__reviewprocess__document=document, finished__isnull=True).exists()


@pytest.mark.parametrize("decision,status", [("return", "returned"), ("reject", "rejected")])
def test_filing_can_return_or_reject(world, client_for, decision, status):
    document = make_school_plan(world)
    _to_expert_review(world, client_for, document, [world.expert1])
    expert_answer(client_for(world.expert1), document, world.expert1, "agree")
    response = claim_and_decide(client_for(world.bureau_officer), document, "filing", {"decision": decision, "comment": "经费预算不合理。"})
    assert response.status_code == 302
    assert _status(document) == status
    assert document.filing_number is None


def test_annual_plan_goes_to_the_bureau_for_initial_review(world, client_for):
    document = make_annual_plan(world)
    submit(client_for(world.training_officer), document)
    task = open_task(document, "initial_review")
    # The training school cannot review its own plan; the bureau can.
    assert client_for(world.training_officer).post(task_url(task, "assign")).status_code == 403
    _decide = claim_and_decide(client_for(world.bureau_officer), document, "initial_review", {
        "decision": "approve", "experts": [world.expert3.pk], "comment": "",
    })
    assert _decide.status_code == 302
    assert _status(document) == Document.Status.EXPERT_REVIEW


def test_return_and_reject_need_a_comment(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    response = claim_and_decide(client_for(world.training_officer), document, "initial_review", {"decision": "return", "comment": ""})
    assert response.status_code == 200
    assert "请填写退回或不予通过的理由" in response.content.decode()
    assert _status(document) == Document.Status.INITIAL_REVIEW
    assert open_task(document, "initial_review").owner == world.training_officer


def test_approval_needs_experts(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    response = claim_and_decide(client_for(world.training_officer), document, "initial_review", {"decision": "approve", "comment": ""})
    assert response.status_code == 200
    assert "请至少选择一位评审专家" in response.content.decode()
    assert _status(document) == Document.Status.INITIAL_REVIEW


def test_filing_number_must_be_unique(world, client_for):
    first = make_school_plan(world)
    second = make_school_plan(world, school=world.other_school, author=world.other_school_officer)
    for document in (first, second):
        _to_expert_review(world, client_for, document, [world.expert1])
        expert_answer(client_for(world.expert1), document, world.expert1, "agree")
    bureau = client_for(world.bureau_officer)
    claim_and_decide(bureau, first, "filing", {"decision": "approve", "filing_number": "建教师备〔2024〕7号"})
    response = claim_and_decide(bureau, second, "filing", {"decision": "approve", "filing_number": "建教师备〔2024〕7号"})
    assert response.status_code == 200
    assert "该备案号已被其他文档使用" in response.content.decode()
    assert _status(second) == Document.Status.FILING


def test_acting_twice_on_a_task_is_refused(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    trainer = client_for(world.training_officer)
    task = open_task(document, "initial_review")
    trainer.post(task_url(task, "assign"))
    data = {"decision": "return", "comment": "请修改。"}
    assert trainer.post(task_url(task, "execute"), data).status_code == 302
    assert trainer.post(task_url(task, "execute"), data).status_code == 403
    assert TrailEntry.objects.filter(document=document, decision="return").count() == 1


def test_claimed_task_cannot_be_taken_by_a_colleague(world, client_for):
    from accounts.services import user_create

    colleague = user_create(username="trainer2", password="x-pass-123", full_name="陈晨",
                            role="training_officer", organisation=world.training_school)
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    task = open_task(document, "initial_review")
    assert client_for(world.training_officer).post(task_url(task, "assign")).status_code == 302
    other = client_for(colleague)
    assert other.post(task_url(task, "assign")).status_code == 403
    assert other.post(task_url(task, "execute"), {"decision": "approve"}).status_code == 403
    task.refresh_from_db()
    assert task.owner == world.training_officer


def test_release_puts_task_back_in_queue(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    trainer = client_for(world.training_officer)
    task = open_task(document, "initial_review")
    trainer.post(task_url(task, "assign"))
    assert trainer.post(task_url(task, "unassign")).status_code == 302
    task.refresh_from_db()
    assert task.owner is None and task.status == "NEW"
    assert list(TrailEntry.objects.filter(document=document).values_list("decision", flat=True)) == ["submit", "claim", "release"]


def test_refusals_are_explained_in_chinese(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    task = open_task(document, "initial_review")
    client_for(world.training_officer).post(task_url(task, "assign"))
    response = client_for(world.bureau_officer).post(task_url(task, "execute"), {"decision": "approve"})
    assert response.status_code == 403
    assert "已被他人认领" in response.content.decode()
    response = client_for(world.other_school_officer).get(reverse("plans:detail", args=[document.pk]))
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_every_submitted_version_can_be_read(world, client_for):
    document = make_school_plan(world)
    officer = client_for(world.school_officer)
    submit(officer, document)
    claim_and_decide(client_for(world.training_officer), document, "initial_review", {"decision": "return", "comment": "请修改。"})
    document.school_plan.years.update(content="修改后的培训内容")
    officer.post(task_url(open_task(document, "revise"), "execute"), {"comment": "已修改。"})
    first = officer.get(reverse("plans:version", args=[document.pk, 1])).content.decode()
    second = officer.get(reverse("plans:version", args=[document.pk, 2])).content.decode()
    assert "师德师风、现代教育理论" in first and "修改后的培训内容" not in first
    assert "修改后的培训内容" in second
    assert client_for(world.other_school_officer).get(reverse("plans:version", args=[document.pk, 1])).status_code == 404


def test_claim_and_release_pages_name_the_document(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    task = open_task(document, "initial_review")
    trainer = client_for(world.training_officer)
    page = trainer.get(task_url(task, "assign")).content.decode()
    assert document.title in page and "初审" in page and 'href="/inbox/"' in page
    trainer.post(task_url(task, "assign"))
    page = trainer.get(task_url(task, "unassign")).content.decode()
    assert document.title in page and "退回队列" in page
