"""Issue #13, "oversight the bureau expects": the principal's sign-off (学校审核),
expert independence, and 修改后同意 confirmed by the initial reviewer.

Every branch through the real pages; refused requests leave the database as it was.
The race on the confirmation is in tests/test_races__workflow.py.
"""
import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from accounts.services import user_create
from plans.models import Document
from tests.factories import make_annual_plan, make_district, make_proposal, make_school_plan
from tests.flow_helpers import claim_and_decide, expert_answer, open_task, open_tasks, submit, task_url
from workflow.models import ReviewProcess, ReviewRoute, TrailEntry

pytestmark = pytest.mark.django_db
REFUSED = (403, 404)


def _status(document):
    document.refresh_from_db()
    return document.status


def snapshot(document):
    """What a refused request must leave as it was."""
    document.refresh_from_db()
    tasks = Task.objects.filter(process__reviewprocess__document=document).order_by("pk")
    return {
        "document": (document.status, document.version, document.filing_number),
        "process": list(ReviewProcess.objects.filter(document=document).values_list("decision", "changes_requested")),
        "tasks": list(tasks.values_list("pk", "owner_id", "status", "finished")),
        "trail": list(TrailEntry.objects.filter(document=document).values_list("pk", "decision")),
    }


def _steps(document):
    return list(TrailEntry.objects.filter(document=document).exclude(decision__in=["claim", "release"])
                .values_list("version", "step", "decision", "actor__username"))


def sign_off_on(world, kind=Document.Kind.SCHOOL_PLAN, expert_review=True):
    return ReviewRoute.objects.create(district=world.district, kind=kind, expert_review=expert_review,
                                      school_review=True)


def _principal_elsewhere(world):
    return user_create(username="principal_b", password="x-pass-123", full_name="吴校长", role="principal",
                       organisation=world.other_school)


# --- item 1: the principal's sign-off (学校审核) ---------------------------------------------------

def test_without_the_route_a_school_plan_goes_straight_to_initial_review(world, client_for):
    document = make_school_plan(world)
    assert submit(client_for(world.school_officer), document).status_code == 302
    assert _status(document) == Document.Status.INITIAL_REVIEW
    assert not open_tasks(document, "school_review").exists()
    assert open_tasks(document, "initial_review").count() == 1


def test_principal_signs_off_then_initial_review(world, client_for):
    sign_off_on(world)
    document = make_school_plan(world)
    response = client_for(world.school_officer).post(reverse("plans:submit", args=[document.pk]), follow=True)
    assert gettext("Submitted to the principal for sign-off.") in response.content.decode()
    assert _status(document) == Document.Status.SCHOOL_REVIEW
    assert not open_tasks(document, "initial_review").exists()
    task = open_task(document, "school_review")
    assert task.owner_id is None  # in the principals' queue

    principal = client_for(world.principal)
    queue = principal.get(reverse("workflow:inbox") + "?tab=queue").content.decode()
    assert document.title in queue
    page = principal.get(task_url(task, "assign"))
    assert page.status_code == 200
    assert principal.post(task_url(task, "assign")).status_code == 302
    assert principal.get(task_url(task, "execute")).status_code == 200
    response = principal.post(task_url(task, "execute"), {"decision": "approve", "comment": "同意上报。"})
    assert response.status_code == 302

    assert _status(document) == Document.Status.INITIAL_REVIEW
    assert open_tasks(document, "initial_review").count() == 1
    entry = TrailEntry.objects.get(document=document, step="school_review", decision="approve")
    assert (entry.actor, entry.comment, entry.version) == (world.principal, "同意上报。", 1)
    assert entry.created_at is not None
    page = client_for(world.school_officer).get(reverse("plans:detail", args=[document.pk])).content.decode()
    assert "同意上报。" in page and world.principal.display_name in page


def test_principal_returns_to_the_author_then_signs_off_the_revision(world, client_for):
    sign_off_on(world)
    document = make_school_plan(world)
    author = client_for(world.school_officer)
    submit(author, document)
    principal = client_for(world.principal)

    # A return needs a reason.
    response = claim_and_decide(principal, document, "school_review", {"decision": "return", "comment": ""})
    assert response.status_code == 200
    assert escape(gettext("Please give a comment explaining the return or rejection.")) in response.content.decode()
    assert _status(document) == Document.Status.SCHOOL_REVIEW

    task = open_task(document, "school_review")
    response = principal.post(task_url(task, "execute"), {"decision": "return", "comment": "请补充考核办法。"})
    assert response.status_code == 302
    assert _status(document) == Document.Status.RETURNED
    revise = open_task(document, "revise")
    assert revise.owner == world.school_officer

    # The revision goes to the principal again, not to the training school.
    assert author.post(task_url(revise, "execute"), {"comment": "已补充。"}).status_code == 302
    assert _status(document) == Document.Status.SCHOOL_REVIEW
    assert document.version == 2
    assert not open_tasks(document, "initial_review").exists()
    assert claim_and_decide(principal, document, "school_review",
                            {"decision": "approve", "comment": "同意。"}).status_code == 302
    assert _status(document) == Document.Status.INITIAL_REVIEW
    assert _steps(document) == [
        (1, "submit", "submit", "school_officer"),
        (1, "school_review", "return", "principal"),
        (2, "revise", "resubmit", "school_officer"),
        (2, "school_review", "approve", "principal"),
    ]


@pytest.mark.parametrize("who", ["principal_elsewhere", "school_officer", "training_officer", "bureau_officer",
                                 "expert1", "teacher", "other_school_officer"])
def test_only_the_schools_own_principal_may_take_the_sign_off(world, client_for, who):
    sign_off_on(world)
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    task = open_task(document, "school_review")
    before = snapshot(document)

    user = _principal_elsewhere(world) if who == "principal_elsewhere" else getattr(world, who)
    client = client_for(user)
    assert client.post(task_url(task, "assign")).status_code in REFUSED
    assert client.get(task_url(task, "execute")).status_code in REFUSED
    assert client.post(task_url(task, "execute"), {"decision": "approve", "comment": ""}).status_code in REFUSED
    assert snapshot(document) == before
    if who == "principal_elsewhere":
        queue = client.get(reverse("workflow:inbox") + "?tab=queue").content.decode()
        assert document.title not in queue


def test_another_principal_cannot_decide_a_claimed_sign_off(world, client_for):
    sign_off_on(world)
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    task = open_task(document, "school_review")
    assert client_for(world.principal).post(task_url(task, "assign")).status_code == 302
    before = snapshot(document)
    other = client_for(_principal_elsewhere(world))
    assert other.post(task_url(task, "execute"), {"decision": "approve", "comment": ""}).status_code in REFUSED
    assert other.post(task_url(task, "unassign")).status_code in REFUSED
    assert snapshot(document) == before


def test_a_second_principal_of_the_school_may_take_it(world, client_for):
    sign_off_on(world)
    deputy = user_create(username="principal2", password="x-pass-123", full_name="副校长", role="principal",
                         organisation=world.school)
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    assert claim_and_decide(client_for(deputy), document, "school_review",
                            {"decision": "approve", "comment": ""}).status_code == 302
    assert _status(document) == Document.Status.INITIAL_REVIEW


def test_sign_off_covers_a_schools_proposal_but_not_the_training_schools(world, client_for):
    sign_off_on(world, kind=Document.Kind.PROJECT_PROPOSAL)
    school_proposal = make_proposal(world)
    submit(client_for(world.school_officer), school_proposal)
    assert _status(school_proposal) == Document.Status.SCHOOL_REVIEW

    district_proposal = make_proposal(world, organisation=world.training_school, author=world.training_officer)
    submit(client_for(world.training_officer), district_proposal)
    assert _status(district_proposal) == Document.Status.INITIAL_REVIEW
    assert not open_tasks(district_proposal, "school_review").exists()


def test_sign_off_never_applies_to_the_annual_plan(world, client_for):
    sign_off_on(world, kind=Document.Kind.ANNUAL_PLAN)
    document = make_annual_plan(world)
    submit(client_for(world.training_officer), document)
    assert _status(document) == Document.Status.INITIAL_REVIEW


def test_the_route_is_per_kind(world, client_for):
    sign_off_on(world, kind=Document.Kind.PROJECT_PROPOSAL)
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    assert _status(document) == Document.Status.INITIAL_REVIEW


def test_bureau_switches_the_sign_off_on_in_the_review_route_admin(world, client_for):
    bureau = client_for(world.bureau_officer)
    url = reverse("admin:workflow_reviewroute_add")
    assert "school_review" in bureau.get(url).content.decode()
    response = bureau.post(url, {"district": world.district.pk, "kind": "school_plan", "expert_review": "on",
                                 "school_review": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    route = ReviewRoute.objects.get(district=world.district, kind="school_plan")
    assert route.school_review and route.expert_review
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    assert _status(document) == Document.Status.SCHOOL_REVIEW


# --- item 2: expert independence ------------------------------------------------------------------

def _to_experts(world, client_for, document, experts):
    assert submit(client_for(document.created_by), document).status_code == 302
    assert claim_and_decide(client_for(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [e.pk for e in experts], "comment": ""}).status_code == 302


HIDDEN = "钱丽的意见：目标不够具体。"


def _pages(world, client_for, document, user):
    """Every place an expert's opinion renders, as user sees it."""
    client = client_for(user)
    pages = {
        "document": client.get(reverse("plans:detail", args=[document.pk])),
        "print_preview": client.get(reverse("printing:preview", args=[document.pk])),
    }
    task = open_tasks(document, "expert_review").filter(owner=user).first()
    if task is not None:
        pages["task"] = client.get(task_url(task, "execute"))
    for name, response in pages.items():
        assert response.status_code == 200, (name, response.status_code)
    return {name: response.content.decode() for name, response in pages.items()}


def test_an_expert_sees_no_other_opinion_of_this_round_before_giving_their_own(world, client_for):
    document = make_school_plan(world)
    _to_experts(world, client_for, document, [world.expert1, world.expert2])
    assert expert_answer(client_for(world.expert2), document, world.expert2, "disagree", score=41,
                         comment=HIDDEN).status_code == 302

    pages = _pages(world, client_for, document, world.expert1)
    assert set(pages) == {"document", "print_preview", "task"}
    for name, page in pages.items():
        assert HIDDEN not in page, name
        assert ">41<" not in page, name
    for name in ("document", "task"):
        assert 'data-testid="opinions-hidden"' in pages[name], name

    # Once expert1 has answered, the round is open to them.
    assert expert_answer(client_for(world.expert1), document, world.expert1, "agree").status_code == 302
    pages = _pages(world, client_for, document, world.expert1)
    for name, page in pages.items():
        assert HIDDEN in page, name
        assert 'data-testid="opinions-hidden"' not in page, name


def test_an_expert_sees_their_own_opinion_and_earlier_rounds(world, client_for):
    document = make_school_plan(world)
    _to_experts(world, client_for, document, [world.expert2])
    expert_answer(client_for(world.expert2), document, world.expert2, "disagree", score=41, comment=HIDDEN)
    assert _status(document) == Document.Status.RETURNED
    author = client_for(world.school_officer)
    author.post(task_url(open_task(document, "revise"), "execute"), {"comment": "已修改。"})
    assert claim_and_decide(client_for(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk, world.expert2.pk], "comment": ""}).status_code == 302
    expert_answer(client_for(world.expert2), document, world.expert2, "agree", comment="第二轮：同意。")

    pages = _pages(world, client_for, document, world.expert1)
    for name, page in pages.items():
        assert HIDDEN in page, name  # round 1 (version 1)
        assert "第二轮：同意。" not in page, name  # this round, not yet
    pages = _pages(world, client_for, document, world.expert2)
    for name, page in pages.items():
        assert "第二轮：同意。" in page and HIDDEN in page, name


@pytest.mark.parametrize("who", ["training_officer", "bureau_officer", "school_officer", "principal"])
def test_reviewers_and_the_school_see_every_opinion(world, client_for, who):
    document = make_school_plan(world)
    _to_experts(world, client_for, document, [world.expert1, world.expert2])
    expert_answer(client_for(world.expert2), document, world.expert2, "disagree", score=41, comment=HIDDEN)
    client = client_for(getattr(world, who))
    for url in (reverse("plans:detail", args=[document.pk]), reverse("printing:preview", args=[document.pk])):
        page = client.get(url).content.decode()
        assert HIDDEN in page, url
        assert 'data-testid="opinions-hidden"' not in page


def test_the_experts_pdf_holds_back_the_other_opinions(world, client_for):
    import io

    from pypdf import PdfReader

    document = make_school_plan(world)
    _to_experts(world, client_for, document, [world.expert1, world.expert2])
    expert_answer(client_for(world.expert2), document, world.expert2, "disagree", score=41, comment="目标不够具体")

    def pdf_text(user):
        response = client_for(user).get(reverse("printing:pdf", args=[document.pk]))
        assert response.status_code == 200
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)

    assert "目标不够具体" not in pdf_text(world.expert1)
    assert "目标不够具体" in pdf_text(world.training_officer)


# --- item 3: 修改后同意 ----------------------------------------------------------------------------

def _round_with_changes(world, client_for, document, comment="请细化考核办法。"):
    _to_experts(world, client_for, document, [world.expert1, world.expert2])
    assert expert_answer(client_for(world.expert1), document, world.expert1, "agree").status_code == 302
    assert expert_answer(client_for(world.expert2), document, world.expert2, "agree_with_changes",
                         score=80, comment=comment).status_code == 302


def test_round_outcome_rule(world, client_for):
    """All agree → filing; any disagree → author, then a new review; otherwise any
    agree-with-changes → author, then the initial reviewer's confirmation."""
    from workflow.models import Decision

    cases = [
        (["agree", "agree"], Decision.AGREE, Document.Status.FILING, False),
        (["agree", "agree_with_changes"], Decision.AGREE_WITH_CHANGES, Document.Status.RETURNED, True),
        (["agree_with_changes", "agree_with_changes"], Decision.AGREE_WITH_CHANGES, Document.Status.RETURNED, True),
        (["agree_with_changes", "disagree"], Decision.DISAGREE, Document.Status.RETURNED, False),
        (["agree", "disagree"], Decision.DISAGREE, Document.Status.RETURNED, False),
    ]
    for year, (opinions, outcome, status, changes) in enumerate(cases, 2020):
        document = make_school_plan(world, year=year)
        _to_experts(world, client_for, document, [world.expert1, world.expert2])
        for expert, opinion in zip((world.expert1, world.expert2), opinions):
            assert expert_answer(client_for(expert), document, expert, opinion).status_code == 302
        process = ReviewProcess.objects.get(document=document)
        assert process.expert_round_outcome() == outcome, opinions
        assert (_status(document), process.changes_requested) == (status, changes), opinions
        assert open_tasks(document, "filing" if status == Document.Status.FILING else "revise").count() == 1


def test_agree_with_changes_revise_confirm_filed_without_another_expert_round(world, client_for):
    document = make_school_plan(world)
    _round_with_changes(world, client_for, document)
    assert _status(document) == Document.Status.RETURNED
    revise = open_task(document, "revise")
    assert revise.owner == world.school_officer

    # The revise page shows what the experts asked for.
    author = client_for(world.school_officer)
    page = author.get(task_url(revise, "execute")).content.decode()
    assert 'data-testid="requested-changes"' in page and "请细化考核办法。" in page
    assert author.post(task_url(revise, "execute"), {"comment": "已细化考核办法。"}).status_code == 302
    assert _status(document) == Document.Status.CHANGES_CHECK
    assert document.version == 2
    assert not open_tasks(document, "initial_review").exists()
    assert not open_tasks(document, "expert_review").exists()

    # The initial reviewer confirms the changes; the experts are not asked again.
    task = open_task(document, "confirm_changes")
    trainer = client_for(world.training_officer)
    assert trainer.post(task_url(task, "assign")).status_code == 302
    page = trainer.get(task_url(task, "execute")).content.decode()
    assert "请细化考核办法。" in page
    assert trainer.post(task_url(task, "execute"), {"decision": "approve", "comment": "已按意见修改。"}).status_code == 302
    assert _status(document) == Document.Status.FILING
    assert not ReviewProcess.objects.get(document=document).changes_requested
    assert open_tasks(document, "filing").count() == 1

    assert claim_and_decide(client_for(world.bureau_officer), document, "filing", {
        "decision": "approve", "filing_number": "建教师备〔2024〕3号", "comment": ""}).status_code == 302
    assert _status(document) == Document.Status.APPROVED
    assert ReviewProcess.objects.get(document=document).status == PROCESS.DONE
    assert _steps(document) == [
        (1, "submit", "submit", "school_officer"),
        (1, "initial_review", "approve", "training_officer"),
        (1, "expert_review", "agree", "expert1"),
        (1, "expert_review", "agree_with_changes", "expert2"),
        (2, "revise", "resubmit", "school_officer"),
        (2, "confirm_changes", "approve", "training_officer"),
        (2, "filing", "approve", "bureau_officer"),
    ]
    assert TrailEntry.objects.filter(document=document, step="expert_review").count() == 2


def test_changes_not_confirmed_go_back_to_the_author_then_to_confirmation_again(world, client_for):
    document = make_school_plan(world)
    _round_with_changes(world, client_for, document)
    author = client_for(world.school_officer)
    author.post(task_url(open_task(document, "revise"), "execute"), {"comment": "改了一部分。"})
    trainer = client_for(world.training_officer)

    # Not confirmed needs a reason.
    response = claim_and_decide(trainer, document, "confirm_changes", {"decision": "return", "comment": ""})
    assert response.status_code == 200
    assert _status(document) == Document.Status.CHANGES_CHECK
    task = open_task(document, "confirm_changes")
    assert trainer.post(task_url(task, "execute"), {"decision": "return",
                                                    "comment": "考核办法仍未细化。"}).status_code == 302
    assert _status(document) == Document.Status.RETURNED
    revise = open_task(document, "revise")
    assert revise.owner == world.school_officer
    page = author.get(task_url(revise, "execute")).content.decode()
    assert "请细化考核办法。" in page and "考核办法仍未细化。" in page

    assert author.post(task_url(revise, "execute"), {"comment": "已全部修改。"}).status_code == 302
    assert _status(document) == Document.Status.CHANGES_CHECK
    assert document.version == 3
    assert claim_and_decide(trainer, document, "confirm_changes",
                            {"decision": "approve", "comment": ""}).status_code == 302
    assert _status(document) == Document.Status.FILING
    assert not open_tasks(document, "expert_review").exists()


def test_a_filing_return_after_confirmed_changes_goes_through_the_reviews_again(world, client_for):
    document = make_school_plan(world)
    _round_with_changes(world, client_for, document)
    author = client_for(world.school_officer)
    author.post(task_url(open_task(document, "revise"), "execute"), {"comment": "已修改。"})
    claim_and_decide(client_for(world.training_officer), document, "confirm_changes", {"decision": "approve"})
    assert claim_and_decide(client_for(world.bureau_officer), document, "filing",
                            {"decision": "return", "comment": "经费不合理。"}).status_code == 302
    author.post(task_url(open_task(document, "revise"), "execute"), {"comment": "已修改经费。"})
    assert _status(document) == Document.Status.INITIAL_REVIEW
    assert open_tasks(document, "initial_review").count() == 1


def test_disagree_then_resubmit_goes_to_initial_review_not_confirmation(world, client_for):
    document = make_school_plan(world)
    _to_experts(world, client_for, document, [world.expert1, world.expert2])
    expert_answer(client_for(world.expert1), document, world.expert1, "agree_with_changes")
    expert_answer(client_for(world.expert2), document, world.expert2, "disagree", score=30)
    author = client_for(world.school_officer)
    page = author.get(task_url(open_task(document, "revise"), "execute")).content.decode()
    assert 'data-testid="requested-changes"' not in page
    author.post(task_url(open_task(document, "revise"), "execute"), {"comment": "已修改。"})
    assert _status(document) == Document.Status.INITIAL_REVIEW
    assert not open_tasks(document, "confirm_changes").exists()


@pytest.mark.parametrize("who", ["school_officer", "principal", "expert1", "expert2", "other_school_officer",
                                 "other_district_bureau", "teacher"])
def test_wrong_people_cannot_confirm_the_changes(world, client_for, who):
    document = make_school_plan(world)
    _round_with_changes(world, client_for, document)
    client_for(world.school_officer).post(task_url(open_task(document, "revise"), "execute"), {"comment": "改好了"})
    task = open_task(document, "confirm_changes")
    before = snapshot(document)

    if who == "other_district_bureau":
        user = make_district(name="魏都区", prefix="魏教师备", suffix="_wd").bureau_officer
    else:
        user = getattr(world, who)
    client = client_for(user)
    assert client.post(task_url(task, "assign")).status_code in REFUSED
    assert client.post(task_url(task, "execute"), {"decision": "approve", "comment": ""}).status_code in REFUSED
    assert snapshot(document) == before

    # ...nor once the training school has claimed it.
    assert client_for(world.training_officer).post(task_url(task, "assign")).status_code == 302
    before = snapshot(document)
    assert client.post(task_url(task, "execute"), {"decision": "approve", "comment": ""}).status_code in REFUSED
    assert snapshot(document) == before


def test_the_author_cannot_confirm_their_own_changes_even_holding_the_task(world, client_for):
    """The author is never among the initial reviewers; should the task reach them
    anyway (an admin's edit), the service refuses."""
    from django.core.exceptions import PermissionDenied

    from workflow import services

    document = make_school_plan(world)
    _round_with_changes(world, client_for, document)
    client_for(world.school_officer).post(task_url(open_task(document, "revise"), "execute"), {"comment": "改好了"})
    task = open_task(document, "confirm_changes")
    Task.objects.filter(pk=task.pk).update(owner=world.school_officer, status=STATUS.ASSIGNED)
    task.refresh_from_db()
    before = snapshot(document)
    with pytest.raises(PermissionDenied):
        services.task_perform(task=task, user=world.school_officer, decide=services.confirm_changes_decide,
                              decision="approve", comment="")
    assert snapshot(document) == before


def test_no_reject_on_sign_off_or_confirmation(world, client_for):
    sign_off_on(world)
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    response = claim_and_decide(client_for(world.principal), document, "school_review",
                                {"decision": "reject", "comment": "不行。"})
    assert response.status_code == 200
    assert _status(document) == Document.Status.SCHOOL_REVIEW


# --- who hears of the new steps (notices) -----------------------------------------------------------

def test_the_schools_principal_hears_of_the_sign_off_and_the_training_school_of_the_changes(
        world, client_for, django_capture_on_commit_callbacks):
    from notices.models import Notice

    sign_off_on(world)
    elsewhere = _principal_elsewhere(world)
    document = make_school_plan(world)
    with django_capture_on_commit_callbacks(execute=True):
        submit(client_for(world.school_officer), document)
    task = open_task(document, "school_review")
    assert Notice.objects.filter(user=world.principal, kind=Notice.Kind.TASK_CREATED,
                                 dedup_key=f"task-created:{task.pk}").exists()
    assert not Notice.objects.filter(user=elsewhere).exists()

    ReviewRoute.objects.filter(district=world.district).update(school_review=False)
    claim_and_decide(client_for(world.principal), document, "school_review", {"decision": "approve"})
    _approve_to_experts = claim_and_decide(client_for(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk], "comment": ""})
    assert _approve_to_experts.status_code == 302
    expert_answer(client_for(world.expert1), document, world.expert1, "agree_with_changes", comment="请修改。")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.school_officer).post(task_url(open_task(document, "revise"), "execute"), {"comment": "改好了"})
    task = open_task(document, "confirm_changes")
    assert Notice.objects.filter(user=world.training_officer, dedup_key=f"task-created:{task.pk}").exists()
    assert not Notice.objects.filter(user=world.principal, dedup_key=f"task-created:{task.pk}").exists()
