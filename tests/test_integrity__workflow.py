"""Integrity of the review workflow (issue #10): each decision once, by the right
person, on current data; hostile parameters never break a page.

Races live in tests/test_races__workflow.py.
"""
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.services import user_create
from plans.models import Document
from tests.factories import make_district, make_school_plan
from tests.flow_helpers import claim_and_decide, expert_answer, open_task, submit, task_url
from workflow.models import TrailEntry

pytestmark = pytest.mark.django_db
REFUSED = (403, 404)


# --- helpers -------------------------------------------------------------------------------

def _status(document):
    document.refresh_from_db()
    return document.status


def to_expert_review(world, client_for, document, experts):
    assert submit(client_for(document.created_by), document).status_code == 302
    response = claim_and_decide(client_for(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [e.pk for e in experts], "comment": "",
    })
    assert response.status_code == 302
    assert _status(document) == Document.Status.EXPERT_REVIEW


def to_revise(world, client_for, document):
    assert submit(client_for(document.created_by), document).status_code == 302
    response = claim_and_decide(client_for(world.training_officer), document, "initial_review", {
        "decision": "return", "comment": "请补充经费明细。",
    })
    assert response.status_code == 302
    assert _status(document) == Document.Status.RETURNED


def snapshot(document):
    """What a refused request must leave as it was."""
    document.refresh_from_db()
    tasks = Task.objects.filter(process__reviewprocess__document=document).order_by("pk")
    return {
        "document": (document.status, document.version, document.filing_number),
        "tasks": list(tasks.values_list("pk", "owner_id", "status", "finished")),
        "trail": list(TrailEntry.objects.filter(document=document).values_list("pk", "decision")),
    }


def strangers(world, elsewhere):
    """Everyone who must never take another person's assigned task."""
    return {
        "other_school_officer": world.other_school_officer,
        "other_district_bureau_officer": elsewhere.bureau_officer,
        "other_district_expert": elsewhere.expert1,
        "teacher": world.teacher,
        "principal": world.principal,
        "unassigned_expert": world.expert3,
        "training_officer": world.training_officer,
        "bureau_officer": world.bureau_officer,
    }


def _release_behind_the_flows_back(task):
    """A task left unowned (released before release was refused, or by an admin):
    it must still go only to the person the flow assigned it to."""
    Task.objects.filter(pk=task.pk).update(owner=None, status=STATUS.NEW)
    task.refresh_from_db()
    return task


# --- item 1: tasks the flow assigns to one person stay theirs ----------------------------------

def test_assigned_expert_cannot_release_the_task(world, client_for):
    document = make_school_plan(world)
    to_expert_review(world, client_for, document, [world.expert1, world.expert2])
    task = open_task(document, "expert_review", owner=world.expert1)
    before = snapshot(document)

    expert = client_for(world.expert1)
    assert expert.post(task_url(task, "unassign")).status_code in REFUSED
    assert snapshot(document) == before
    # ...and the task is still theirs to answer.
    assert expert_answer(expert, document, world.expert1, "agree").status_code == 302


def test_author_cannot_release_the_revise_task(world, client_for):
    document = make_school_plan(world)
    to_revise(world, client_for, document)
    task = open_task(document, "revise")
    before = snapshot(document)
    assert client_for(world.school_officer).post(task_url(task, "unassign")).status_code in REFUSED
    assert snapshot(document) == before


STRANGERS = ["other_school_officer", "other_district_bureau_officer", "other_district_expert", "teacher",
             "principal", "unassigned_expert", "training_officer", "bureau_officer"]


@pytest.mark.parametrize("who", STRANGERS)
def test_strangers_cannot_claim_or_answer_an_unowned_expert_task(world, client_for, who):
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    document = make_school_plan(world)
    to_expert_review(world, client_for, document, [world.expert1, world.expert2])
    task = _release_behind_the_flows_back(open_task(document, "expert_review", owner=world.expert1))
    before = snapshot(document)

    client = client_for(strangers(world, elsewhere)[who])
    assert client.post(task_url(task, "assign")).status_code in REFUSED
    assert client.get(task_url(task, "execute")).status_code in REFUSED
    response = client.post(task_url(task, "execute"), {"opinion": "disagree", "score": 10, "comment": "不同意"})
    assert response.status_code in REFUSED
    assert snapshot(document) == before
    assert _status(document) == Document.Status.EXPERT_REVIEW

    # The expert the flow assigned it to takes it back and answers.
    expert = client_for(world.expert1)
    assert expert.post(task_url(task, "assign")).status_code == 302
    assert expert_answer(expert, document, world.expert1, "agree").status_code == 302


@pytest.mark.parametrize("who", STRANGERS + ["school_colleague"])
def test_strangers_cannot_claim_or_resubmit_an_unowned_revise_task(world, client_for, who):
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    document = make_school_plan(world)
    to_revise(world, client_for, document)
    task = _release_behind_the_flows_back(open_task(document, "revise"))
    before = snapshot(document)

    if who == "school_colleague":
        user = user_create(username="so2", password="x-pass-123", full_name="陈静", role="school_officer",
                           organisation=world.school)
    else:
        user = strangers(world, elsewhere)[who]
    client = client_for(user)
    assert client.post(task_url(task, "assign")).status_code in REFUSED
    assert client.post(task_url(task, "execute"), {"comment": "改好了"}).status_code in REFUSED
    assert snapshot(document) == before

    author = client_for(world.school_officer)
    assert author.post(task_url(task, "assign")).status_code == 302
    assert author.post(task_url(task, "execute"), {"comment": "已补充。"}).status_code == 302
    assert _status(document) == Document.Status.INITIAL_REVIEW


def test_queue_tasks_can_still_be_released(world, client_for):
    """Release stays for tasks taken from a queue (初审, 备案): they go back to it."""
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    task = open_task(document, "initial_review")
    trainer = client_for(world.training_officer)
    assert trainer.post(task_url(task, "assign")).status_code == 302
    assert trainer.post(task_url(task, "unassign")).status_code == 302
    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner_id is None


def test_every_human_node_is_either_a_queue_or_assigned_for_good():
    """A human node with .Assign() and no .Permission() must not let anyone claim it;
    one with neither (学校审核, the school's verification) claims by a rule of its own."""
    from credits.flows import DeclarationFlow, SchoolVerifyTask
    from workflow.flows import ReviewFlow
    from workflow.nodes import AssignedTaskMixin, HumanTask, SchoolReviewTask

    kinds = {}
    for flow_class in (ReviewFlow, DeclarationFlow):
        for node in flow_class.instance.nodes():
            if getattr(node, "task_type", None) != "HUMAN":
                continue
            assert isinstance(node, HumanTask), (flow_class, node.name)
            if node._owner is not None and not node._owner_permission:
                assert isinstance(node, AssignedTaskMixin), (flow_class, node.name)
                kind = "assigned"
            elif node._owner_permission:
                kind = "queue"
            else:
                # No owner, no owner permission: viewflow would let anyone claim it.
                assert isinstance(node, (SchoolReviewTask, SchoolVerifyTask)), (flow_class, node.name)
                kind = "rule"
            kinds[f"{flow_class.__name__}.{node.name}"] = kind
    assert kinds == {
        "ReviewFlow.school_review": "rule",
        "ReviewFlow.initial_review": "queue",
        "ReviewFlow.expert_review": "assigned",
        "ReviewFlow.confirm_changes": "queue",
        "ReviewFlow.filing": "queue",
        "ReviewFlow.revise": "assigned",
        "DeclarationFlow.school_verify": "rule",
        "DeclarationFlow.training_school_register": "queue",
        "DeclarationFlow.bureau_confirm": "queue",
        "DeclarationFlow.revise": "assigned",
    }


def test_every_branch_of_the_review_flow_leads_somewhere_known():
    """The review flow's graph: each gateway's way out, as the issue describes it."""
    from workflow.flows import ReviewFlow

    def outgoing(name):
        return sorted({edge.dst.name for edge in getattr(ReviewFlow, name)._outgoing()})

    assert outgoing("start") == ["after_submission"]
    assert outgoing("after_submission") == ["initial_review", "school_review"]
    assert outgoing("after_school_review") == ["initial_review", "revise"]
    assert outgoing("after_initial_review") == ["expert_split", "filing", "rejected", "revise"]
    assert outgoing("after_expert_review") == ["filing", "revise"]
    assert outgoing("after_confirm_changes") == ["filing", "revise"]
    assert outgoing("after_revise") == ["confirm_changes", "initial_review", "school_review"]
    assert outgoing("after_filing") == ["approved", "rejected", "revise"]


# --- DeclarationFlow: the teacher's revise task -------------------------------------------------

@pytest.fixture
def declaration_returned(world, client_for):
    from credits.models import Declaration
    from tests.attendance_helpers import make_teacher_with_login

    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()
    teacher = make_teacher_with_login(world.school, "t_zhou", name="周芳芳")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(teacher.user).post(reverse("credits:declaration_create"), {
        "provider": "湖南省教育厅", "title": "省级骨干教师高级研修班", "activity": "concentrated",
        "level": "province", "start_date": "2024-07-01", "end_date": "2024-07-05", "hours": "40",
        "certificate": SimpleUploadedFile("结业证书.pdf", b"%PDF-1.4 certificate", content_type="application/pdf"),
    })
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    task = _declaration_task(declaration, "school_verify")
    officer = client_for(world.school_officer)
    assert officer.post(task_url(task, "assign")).status_code == 302
    assert officer.post(task_url(task, "execute"), {"decision": "return", "comment": "请补充。"}).status_code == 302
    return teacher, declaration


def _declaration_task(declaration, node):
    from credits.flows import DeclarationFlow

    return Task.objects.get(process__declarationprocess__declaration=declaration,
                            status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED],
                            flow_task=getattr(DeclarationFlow, node))


def test_teacher_cannot_release_the_declaration_revise_task(world, client_for, declaration_returned):
    teacher, declaration = declaration_returned
    task = _declaration_task(declaration, "revise")
    assert client_for(teacher.user).post(task_url(task, "unassign")).status_code in REFUSED
    task.refresh_from_db()
    assert task.owner_id == teacher.user_id and task.status == STATUS.ASSIGNED


# --- item 2: a task URL whose process id does not own the task is a 404 ------------------------

TASK_ACTIONS = ["index", "detail", "assign", "unassign", "reassign", "execute", "undo", "cancel", "revive"]


def _task_urls_under(task, process_pk):
    """Every URL viewflow mounts for the task's node, with another process's id."""
    from django.urls import NoReverseMatch

    urls = {}
    for action in TASK_ACTIONS:
        try:
            urls[action] = task.flow_task.reverse(action, args=[process_pk, task.pk])
        except NoReverseMatch:
            pass
    return urls


def _all_task_snapshot():
    return list(Task.objects.order_by("pk").values_list("pk", "process_id", "owner_id", "status", "finished"))


def test_task_urls_under_another_process_are_404(world, client_for):
    """Even for the task's owner and the superuser: viewflow locks the process in
    the URL, so a task reached through another process would be acted on unlocked."""
    from accounts.models import User

    superuser = User.objects.create_superuser("root", password="x-pass-123")
    document = make_school_plan(world)
    other = make_school_plan(world, school=world.other_school, author=world.other_school_officer)
    to_expert_review(world, client_for, document, [world.expert1])
    submit(client_for(world.other_school_officer), other)
    other_process = Task.objects.filter(process__reviewprocess__document=other).first().process_id
    expert_task = open_task(document, "expert_review")
    tasks = Task.objects.filter(process_id=expert_task.process_id).order_by("pk")
    assert tasks.count() >= 5  # start, initial review, split, expert review...
    before = (_all_task_snapshot(), snapshot(document), snapshot(other))

    for user in (world.expert1, world.training_officer, superuser):
        client = client_for(user)
        for task in tasks:
            for action, url in _task_urls_under(task, other_process).items():
                assert client.get(url).status_code == 404, (user, task.flow_task.name, action)
                data = {"opinion": "disagree", "score": 1, "comment": "x", "decision": "return"}
                assert client.post(url, data).status_code == 404, (user, task.flow_task.name, action)
    assert (_all_task_snapshot(), snapshot(document), snapshot(other)) == before
    # Under its own process id the task still opens.
    assert client_for(world.expert1).get(task_url(expert_task, "execute")).status_code == 200


def test_declaration_task_urls_under_another_process_are_404(world, client_for, declaration_returned):
    teacher, declaration = declaration_returned
    task = _declaration_task(declaration, "revise")
    wrong = task.process_id + 1000
    before = _all_task_snapshot()
    client = client_for(teacher.user)
    for action, url in _task_urls_under(task, wrong).items():
        assert client.get(url).status_code == 404, action
        assert client.post(url, {"comment": "x"}).status_code == 404, action
    assert _all_task_snapshot() == before
    assert client.get(task_url(task, "execute")).status_code == 200


def test_every_task_url_checks_that_its_process_owns_the_task():
    """The one guard (workflow.scoped_viewset.guard_task_urls) sits on every URL that
    names a process and a task, so a new flow or node cannot miss it."""
    from django.urls import URLResolver, get_resolver

    from workflow.scoped_viewset import is_task_url_guarded

    found = []

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif {"process_pk", "task_pk"} <= set(getattr(pattern.pattern, "converters", {})):
                found.append(pattern)

    walk(get_resolver().url_patterns)
    assert len(found) > 20
    assert [str(p.pattern) for p in found if not is_task_url_guarded(p.callback)] == []


# --- item 4: only real opinions of this round's experts count as answers -------------------------

def _copy(client, document, recipient):
    return client.post(reverse("workflow:copy", args=[document.pk]), {"recipient": recipient.pk})


def _author_may_not_edit(client_for, document):
    author = client_for(document.created_by)
    response = author.get(reverse("plans:edit", args=[document.pk]))
    assert response.status_code in (302, 403, 404)
    assert response.status_code != 302 or response["Location"] == reverse("plans:detail", args=[document.pk])
    page = author.get(reverse("plans:detail", args=[document.pk])).content.decode()
    assert reverse("plans:edit", args=[document.pk]) not in page


def test_a_copy_and_one_disagree_do_not_end_the_expert_review(world, client_for):
    document = make_school_plan(world)
    to_expert_review(world, client_for, document, [world.expert1, world.expert2])
    response = _copy(client_for(world.training_officer), document, world.other_school_officer)
    assert response.status_code == 302
    assert TrailEntry.objects.filter(document=document, decision="copy", step="expert_review").exists()

    assert expert_answer(client_for(world.expert1), document, world.expert1, "disagree", score=40).status_code == 302
    # expert2 has not answered: the review goes on, and the author may not edit.
    assert _status(document) == Document.Status.EXPERT_REVIEW
    assert open_task(document, "expert_review", owner=world.expert2)
    _author_may_not_edit(client_for, document)

    assert expert_answer(client_for(world.expert2), document, world.expert2, "agree").status_code == 302
    assert _status(document) == Document.Status.RETURNED
    assert open_task(document, "revise").owner == world.school_officer


def test_a_reclaim_is_not_an_answer(world, client_for):
    document = make_school_plan(world)
    to_expert_review(world, client_for, document, [world.expert1, world.expert2])
    task = _release_behind_the_flows_back(open_task(document, "expert_review", owner=world.expert1))
    expert1 = client_for(world.expert1)
    assert expert1.post(task_url(task, "assign")).status_code == 302  # a claim entry at the expert step
    assert expert_answer(client_for(world.expert2), document, world.expert2, "agree").status_code == 302
    assert _status(document) == Document.Status.EXPERT_REVIEW
    assert expert_answer(expert1, document, world.expert1, "agree").status_code == 302
    assert _status(document) == Document.Status.FILING


def test_last_rounds_disagree_does_not_count_in_the_next_round(world, client_for):
    document = make_school_plan(world)
    to_expert_review(world, client_for, document, [world.expert1])
    expert_answer(client_for(world.expert1), document, world.expert1, "disagree", score=30)
    assert _status(document) == Document.Status.RETURNED
    author = client_for(world.school_officer)
    assert author.post(task_url(open_task(document, "revise"), "execute"), {"comment": "已修改。"}).status_code == 302
    assert claim_and_decide(client_for(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk, world.expert2.pk], "comment": ""}).status_code == 302
    expert_answer(client_for(world.expert1), document, world.expert1, "agree")
    assert _status(document) == Document.Status.EXPERT_REVIEW
    expert_answer(client_for(world.expert2), document, world.expert2, "agree")
    assert _status(document) == Document.Status.FILING
    assert open_task(document, "filing")


# --- item 12: filing numbers are normalised before they are compared and stored -----------------

@pytest.mark.parametrize("raw,expected", [
    ("建教师备〔2024〕1号", "建教师备〔2024〕1号"),
    ("  建教师备〔2024〕1号\u200b ", "建教师备〔2024〕1号"),
    ("\ufeff建教师备〔2024〕\u200c1\u200d号", "建教师备〔2024〕1号"),
    ("建教师备〔２０２４〕１号", "建教师备〔2024〕1号"),  # full-width digits
    ("4101\u00ad02", "410102"),  # soft hyphen
    ("\u3000abc\u3000", "abc"),  # ideographic spaces around
    ("", ""),
    (None, ""),
])
def test_normalise_identifier(raw, expected):
    from core.text import normalise_identifier

    assert normalise_identifier(raw) == expected


def to_filing(world, client_for, document):
    to_expert_review(world, client_for, document, [world.expert1])
    assert expert_answer(client_for(world.expert1), document, world.expert1, "agree").status_code == 302
    assert _status(document) == Document.Status.FILING


@pytest.mark.parametrize("look_alike", [
    "建教师备〔2024〕7号\u200b", "\u200b建教师备〔2024〕7号", "建教师备〔2024〕\ufeff7号", " 建教师备〔２０２４〕７号 ",
])
def test_look_alike_filing_number_is_refused(world, client_for, look_alike):
    from workflow.services import ERROR_FILING_NUMBER_TAKEN

    first = make_school_plan(world)
    second = make_school_plan(world, school=world.other_school, author=world.other_school_officer)
    for document in (first, second):
        to_filing(world, client_for, document)
    bureau = client_for(world.bureau_officer)
    claim_and_decide(bureau, first, "filing", {"decision": "approve", "filing_number": "建教师备〔2024〕7号"})
    assert _status(first) == Document.Status.APPROVED
    task = open_task(second, "filing")
    assert bureau.post(task_url(task, "assign")).status_code == 302
    before = snapshot(second)

    response = bureau.post(task_url(task, "execute"),
                           {"decision": "approve", "filing_number": look_alike})
    assert response.status_code == 200
    assert response.context["form"].errors["filing_number"] == [str(ERROR_FILING_NUMBER_TAKEN)]
    assert _status(second) == Document.Status.FILING
    after = snapshot(second)
    assert after["trail"] == before["trail"] and after["document"] == before["document"]


def test_filing_number_is_stored_normalised(world, client_for):
    document = make_school_plan(world)
    to_filing(world, client_for, document)
    response = claim_and_decide(client_for(world.bureau_officer), document, "filing",
                                {"decision": "approve", "filing_number": "\u200b建教师备〔２０２４〕３号 "})
    assert response.status_code == 302
    assert _status(document) == Document.Status.APPROVED
    assert document.filing_number == "建教师备〔2024〕3号"


def test_invisible_only_filing_number_is_required(world, client_for):
    from workflow.services import ERROR_FILING_NUMBER_REQUIRED

    document = make_school_plan(world)
    to_filing(world, client_for, document)
    response = claim_and_decide(client_for(world.bureau_officer), document, "filing",
                                {"decision": "approve", "filing_number": "\u200b\ufeff "})
    assert response.status_code == 200
    assert response.context["form"].errors["filing_number"] == [str(ERROR_FILING_NUMBER_REQUIRED)]
    assert _status(document) == Document.Status.FILING


# --- item 14: malformed inbox parameters are a 400 or a message, never a 500 --------------------

INBOX = "/inbox/"
BAD_VALUES = ["abc", "", "1.5", "-1", "99999999999999999999999", "1\x00", "x" * 500]


@pytest.fixture
def inbox_world(world, client_for):
    """A document in initial review with its task claimed by the training officer."""
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    task = open_task(document, "initial_review")
    assert client_for(world.training_officer).post(task_url(task, "assign")).status_code == 302
    return document, task


def _no_change(document):
    return snapshot(document), list(TrailEntry.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("action,field", [
    ("batch_approve", "tasks"), ("batch_approve", "experts"), ("hand_over", "task"), ("hand_over", "to"),
    ("delete_filter", "filter"), ("save_filter", "name"), ("save_filter", "query"),
])
def test_malformed_inbox_post_is_refused_cleanly(world, client_for, inbox_world, action, field):
    from workflow.models import SavedFilter

    document, task = inbox_world
    colleague = user_create(username="trainer2", password="x-pass-123", full_name="同事", role="training_officer",
                            organisation=world.training_school)
    SavedFilter.objects.create(user=world.training_officer, name="本年", query="year=2024")
    good = {"tasks": [task.pk], "experts": [world.expert1.pk], "task": task.pk, "to": colleague.pk,
            "filter": SavedFilter.objects.get().pk, "name": "本年", "query": "year=2024"}
    before = _no_change(document)
    client = Client(raise_request_exception=False)
    client.force_login(world.training_officer)
    for bad in BAD_VALUES + ["\x00", "名\x00称", "\u200b"]:
        response = client.post(INBOX, {"action": action, **good, field: bad})
        assert response.status_code in (302, 400), (bad, response.status_code)
        assert _no_change(document) == before, bad
        if action == "save_filter":  # a name or query it can store is saved, nothing else
            assert all("\x00" not in f.name + f.query for f in SavedFilter.objects.all()), bad
        else:
            assert SavedFilter.objects.count() == 1, bad


@pytest.mark.parametrize("field", ["organisation", "year", "page", "tab", "kind"])
def test_malformed_inbox_filters_never_break_the_page(world, client_for, inbox_world, field):
    client = Client(raise_request_exception=False)
    client.force_login(world.training_officer)
    for bad in BAD_VALUES:
        response = client.get(INBOX, {field: bad})
        assert response.status_code in (200, 400), (field, bad, response.status_code)


def test_malformed_copy_recipient_is_refused_cleanly(world, client_for, inbox_world):
    from workflow.models import DocumentCopy

    document, _task = inbox_world
    client = Client(raise_request_exception=False)
    client.force_login(world.training_officer)
    before = _no_change(document)
    for bad in BAD_VALUES:
        response = client.post(reverse("workflow:copy", args=[document.pk]), {"recipient": bad})
        assert response.status_code in (302, 400, 404), bad
        assert _no_change(document) == before
        assert not DocumentCopy.objects.exists()
    for note in ("\x00", "抄送\x00", "x" * 5000):
        response = client.post(reverse("workflow:copy", args=[document.pk]),
                               {"recipient": world.other_school_officer.pk, "note": note})
        assert response.status_code in (302, 400), note
        assert all("\x00" not in c.note for c in DocumentCopy.objects.all())


def test_malformed_parameter_answers_the_chinese_400_page(world, client_for, inbox_world):
    from django.utils.translation import gettext

    client = Client(raise_request_exception=False)
    client.force_login(world.training_officer)
    response = client.post(INBOX, {"action": "hand_over", "task": "abc", "to": "abc"})
    assert response.status_code == 400
    assert gettext("Bad request") in response.content.decode()


# --- item 16: only the district's reviewers copy; "back" stays on this site ----------------------

@pytest.mark.parametrize("sender", ["expert1", "principal", "school_officer", "other_district_bureau_officer"])
def test_only_the_districts_reviewers_may_copy(world, client_for, sender):
    from workflow.models import DocumentCopy

    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    document = make_school_plan(world)
    to_expert_review(world, client_for, document, [world.expert1])
    user = elsewhere.bureau_officer if sender.startswith("other_district") else getattr(world, sender)
    before = snapshot(document)
    client = client_for(user)
    response = client.post(reverse("workflow:copy", args=[document.pk]),
                           {"recipient": world.other_school_officer.pk})
    assert response.status_code in (403, 404)
    assert not DocumentCopy.objects.exists()
    assert snapshot(document) == before
    assert client_for(world.other_school_officer).get(reverse("plans:detail", args=[document.pk])).status_code == 404
    # ...and the document page offers them no copy form.
    page = client.get(reverse("plans:detail", args=[document.pk]))
    assert reverse("workflow:copy", args=[document.pk]) not in page.content.decode()


@pytest.mark.parametrize("sender", ["training_officer", "bureau_officer"])
def test_the_districts_reviewers_copy(world, client_for, sender):
    from workflow.models import DocumentCopy

    document = make_school_plan(world)
    to_expert_review(world, client_for, document, [world.expert1])
    client = client_for(getattr(world, sender))
    assert reverse("workflow:copy", args=[document.pk]) in client.get(
        reverse("plans:detail", args=[document.pk])).content.decode()
    response = client.post(reverse("workflow:copy", args=[document.pk]), {"recipient": world.other_school_officer.pk})
    assert response.status_code == 302
    assert DocumentCopy.objects.filter(document=document, recipient=world.other_school_officer).exists()
    assert client_for(world.other_school_officer).get(reverse("plans:detail", args=[document.pk])).status_code == 200


@pytest.mark.parametrize("back", ["https://evil.example/steal", "//evil.example/", "http://evil.example",
                                  "javascript:alert(1)", "https:///evil.example", "\\\\evil.example"])
def test_inbox_redirects_only_to_this_site(world, client_for, back):
    response = client_for(world.training_officer).post(INBOX, {"action": "save_filter", "name": "本年",
                                                               "query": "year=2024", "back": back})
    assert response.status_code == 302
    assert response["Location"] == reverse("workflow:inbox")


def test_inbox_redirects_back_to_its_own_filters(world, client_for):
    response = client_for(world.training_officer).post(INBOX, {"action": "save_filter", "name": "本年",
                                                               "query": "year=2024", "back": "?tab=queue&year=2024"})
    assert response.status_code == 302
    assert response["Location"] == reverse("workflow:inbox") + "?tab=queue&year=2024"


def test_viewflow_bulk_release_and_claim_keep_assigned_tasks(world, client_for):
    """viewflow's own bulk actions (queue/assign/, inbox/unassign/) ask the same node rules."""
    document = make_school_plan(world)
    to_expert_review(world, client_for, document, [world.expert1, world.expert2])
    task = open_task(document, "expert_review", owner=world.expert1)
    before = snapshot(document)
    response = client_for(world.expert1).post(reverse("review:tasks_unassign"), {"pk": [task.pk], "_confirm": "1"})
    assert response.status_code in REFUSED
    assert snapshot(document) == before

    task = _release_behind_the_flows_back(task)
    before = snapshot(document)
    for user in (world.expert3, world.training_officer, world.other_school_officer):
        response = client_for(user).post(reverse("review:tasks_assign"), {"pk": [task.pk], "_confirm": "1"})
        assert response.status_code in REFUSED, user
        assert snapshot(document) == before


def test_unowned_declaration_revise_task_goes_only_to_its_teacher(world, client_for, declaration_returned):
    teacher, declaration = declaration_returned
    task = _release_behind_the_flows_back(_declaration_task(declaration, "revise"))
    for user in (world.school_officer, world.principal, world.training_officer, world.teacher):
        assert client_for(user).post(task_url(task, "assign")).status_code in REFUSED, user
        task.refresh_from_db()
        assert task.owner_id is None and task.status == STATUS.NEW
    assert client_for(teacher.user).post(task_url(task, "assign")).status_code == 302
    task.refresh_from_db()
    assert task.owner_id == teacher.user_id
