"""The review kit (workflow.kit): declarations are review tasks like every other.

Declared training (credits.flows.DeclarationFlow) is in the one task inbox with
due dates, notices, reminders, hand-over (转办) and batch approval, through the
same node, decide service, task page and selectors as documents; a stranger sees
none of it."""
import datetime

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.services import user_create
from credits.flows import DeclarationFlow
from credits.models import CreditEntry, Declaration, DeclarationDecision, DeclarationProcess
from notices.models import Notice
from notices.services import due_reminders_send
from tests.attendance_helpers import make_teacher_with_login
from tests.factories import make_school_plan
from tests.flow_helpers import submit
from workflow import inbox_actions, kit
from workflow.calendar import add_working_days
from workflow.models import ReviewProcess, StepDeadline, TaskDue, TrailEntry
from workflow.selectors import task_done, task_inbox, task_queue

pytestmark = pytest.mark.django_db
INBOX = reverse("workflow:inbox")
OPEN = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]
STEPS = [("school_verify", "school_officer"), ("training_school_register", "training_officer"),
         ("bureau_confirm", "bureau_officer")]
DEFAULTS = {
    "provider": "湖南省教育厅", "title": "省级骨干教师高级研修班", "activity": "concentrated",
    "level": "province", "start_date": "2024-07-01", "end_date": "2024-07-05", "hours": "40",
}


@pytest.fixture(autouse=True)
def rules(world):
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()


@pytest.fixture
def teacher(world):
    return make_teacher_with_login(world.school, "t_zhou", name="周芳芳")


@pytest.fixture
def second_teacher(world):
    return make_teacher_with_login(world.school, "t_li", name="李明")


@pytest.fixture
def colleague(world):
    """A second training officer of the same school: may take its verification too."""
    return user_create(username="so2", password="x-pass-123", full_name="陈静", role="school_officer",
                       organisation=world.school)


def declare(client_for, teacher, **overrides) -> Declaration:
    certificate = SimpleUploadedFile("结业证书.pdf", b"%PDF-1.4 certificate", content_type="application/pdf")
    response = client_for(teacher.user).post(reverse("credits:declaration_create"),
                                             {**DEFAULTS, **overrides, "certificate": certificate})
    assert response.status_code == 302, response.context and response.context["form"].errors
    return Declaration.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])


def open_task(declaration, node):
    return Task.objects.filter(process__declarationprocess__declaration=declaration, status__in=OPEN,
                               flow_task=getattr(DeclarationFlow, node)).get()


def task_url(task, action):
    return task.flow_task.reverse(action, args=[task.process_id, task.pk])


def page(client, query="") -> str:
    response = client.get(INBOX + query)
    assert response.status_code == 200
    return response.content.decode()


def tab_label(msgid, count):
    return f"{gettext(msgid)} ({count})"


def status_of(declaration):
    declaration.refresh_from_db()
    return declaration.status


# --- mine / queue / done, with due dates ------------------------------------------------------

def test_declaration_steps_pass_through_each_reviewers_inbox(world, client_for, teacher):
    StepDeadline.objects.create(step="training_school_register", days=2)  # a declaration step's own deadline
    declaration = declare(client_for, teacher)
    for node, role in STEPS:
        reviewer = getattr(world, role)
        client = client_for(reviewer)
        task = open_task(declaration, node)
        days = 2 if node == "training_school_register" else settings.REVIEW_STEP_DAYS.get(node, 7)
        assert task.due.due_date == add_working_days(timezone.localdate(task.created), days)

        # Waiting to be claimed, with its due date, among the reviewer's kinds of task.
        assert list(task_queue(user=reviewer)) == [task] and not task_inbox(user=reviewer).exists()
        body = page(client, "?tab=queue")
        assert declaration.title in body and tab_label("Waiting to be claimed", 1) in body
        assert formats.date_format(task.due.due_date, "SHORT_DATE_FORMAT") in body
        assert task_url(task, "assign") in body
        assert declaration.title in page(client, "?tab=queue&kind=declaration")
        assert declaration.title not in page(client, "?tab=queue&kind=school_plan")

        # Claimed: the message says where it went, and it is there.
        response = client.post(task_url(task, "assign"), follow=True)
        assert gettext("Task claimed: it is now in your inbox.") in [str(m) for m in response.context["messages"]]
        assert list(task_inbox(user=reviewer)) == [task] and not task_queue(user=reviewer).exists()
        body = page(client)
        assert tab_label("My tasks", 1) in body and task_url(task, "execute") in body

        # Decided on the kit's one task page: back to the inbox, then in the done tab.
        form = client.get(task_url(task, "execute"))
        assert form.status_code == 200 and "workflow/task_form.html" in [t.name for t in form.templates]
        assert declaration.provider in form.content.decode()  # the declaration's own partial
        response = client.post(task_url(task, "execute"), {"decision": "approve", "comment": "属实"})
        assert response.status_code == 302 and response["Location"] == INBOX
        assert list(task_done(user=reviewer)) == [Task.objects.get(pk=task.pk)]
        body = page(client, "?tab=done")
        assert declaration.title in body and tab_label("Completed", 1) in body

    assert status_of(declaration) == Declaration.Status.CONFIRMED
    assert CreditEntry.objects.filter(declaration=declaration, source="declaration").exists()
    # Claims are no decisions: the declaration's trail keeps decisions only.
    assert list(declaration.decisions.values_list("step", "decision")) == [
        ("submit", "submit"), ("school_verify", "approve"), ("training_school_register", "approve"),
        ("bureau_confirm", "approve")]
    assert DeclarationDecision.objects.exclude(task=None).count() == 3  # each decision names its task


def test_the_teacher_revises_from_the_inbox(world, client_for, teacher):
    declaration = declare(client_for, teacher)
    client = client_for(world.school_officer)
    task = open_task(declaration, "school_verify")
    client.post(task_url(task, "assign"))
    client.post(task_url(task, "execute"), {"decision": "return", "comment": "请补充证书。"})
    revise = open_task(declaration, "revise")
    assert revise.owner == teacher.user and revise.due is not None
    body = page(client_for(teacher.user))
    assert declaration.title in body and task_url(revise, "execute") in body
    assert task_url(revise, "unassign") not in body  # the flow gave it to the teacher: no release


# --- notices and reminders ---------------------------------------------------------------------

def test_a_new_declaration_task_notifies_everyone_who_may_claim_it(world, client_for, teacher, colleague):
    declaration = declare(client_for, teacher)
    task = open_task(declaration, "school_verify")
    for officer in (world.school_officer, colleague):
        notice = Notice.objects.get(user=officer, kind=Notice.Kind.TASK_CREATED)
        assert notice.dedup_key == f"task-created:{task.pk}" and notice.url == task_url(task, "index")
        assert declaration.title in notice.title
    for outsider in (world.other_school_officer, world.principal, world.training_officer, teacher.user):
        assert not Notice.objects.filter(user=outsider).exists()

    # Approved by the school: the training school hears of its step.
    client = client_for(world.school_officer)
    client.post(task_url(task, "assign"))
    client.post(task_url(task, "execute"), {"decision": "approve"})
    registration = open_task(declaration, "training_school_register")
    assert Notice.objects.get(user=world.training_officer, kind=Notice.Kind.TASK_CREATED).url == task_url(
        registration, "index")
    assert not Notice.objects.filter(user=world.bureau_officer).exists()
    # Returned: the teacher hears of the return (with its comment), linked to the revise task
    # assigned to them; once, not again as a new task (notices.events, issue #13).
    trainer = client_for(world.training_officer)
    trainer.post(task_url(registration, "assign"))
    trainer.post(task_url(registration, "execute"), {"decision": "return", "comment": "请补充证书。"})
    revise = open_task(declaration, "revise")
    returned = Notice.objects.get(user=teacher.user, kind=Notice.Kind.RETURNED)
    assert returned.url == task_url(revise, "index") and "请补充证书。" in returned.title
    assert not Notice.objects.filter(user=teacher.user, kind=Notice.Kind.TASK_CREATED).exists()


def test_an_overdue_declaration_task_is_reminded_once(world, client_for, teacher, colleague, capsys):
    declaration = declare(client_for, teacher)
    task = open_task(declaration, "school_verify")
    TaskDue.objects.filter(task=task).update(due_date=timezone.localdate() - datetime.timedelta(days=1))
    call_command("send_due_reminders")
    assert capsys.readouterr().out.strip() == "2 reminder(s) sent."
    for officer in (world.school_officer, colleague):
        reminder = Notice.objects.get(user=officer, kind=Notice.Kind.OVERDUE)
        assert declaration.title in reminder.title and reminder.url == task_url(task, "index")
    assert not Notice.objects.filter(user=world.other_school_officer).exists()
    assert due_reminders_send() == 0

    # Claimed: from now on only its holder is reminded (and overdue shows in the inbox).
    client_for(colleague).post(task_url(task, "assign"))
    TaskDue.objects.filter(task=task).update(due_date=timezone.localdate() - datetime.timedelta(days=2))
    assert due_reminders_send() == 1
    assert Notice.objects.filter(user=colleague, kind=Notice.Kind.OVERDUE).count() == 2
    assert gettext("Overdue") in page(client_for(colleague))


# --- hand-over -----------------------------------------------------------------------------------

def test_hand_over_a_declaration_task_to_a_colleague(world, client_for, teacher, colleague):
    declaration = declare(client_for, teacher)
    task = open_task(declaration, "school_verify")
    officer = client_for(world.school_officer)
    officer.post(task_url(task, "assign"))
    assert colleague.display_name in page(officer)  # offered in the hand-over list

    # Only to someone who may take the step.
    for stranger in (world.other_school_officer, world.principal, world.training_officer, teacher.user):
        officer.post(INBOX, {"action": "hand_over", "task": task.pk, "to": stranger.pk})
        task.refresh_from_db()
        assert task.owner == world.school_officer
    response = officer.post(INBOX, {"action": "hand_over", "task": task.pk, "to": colleague.pk}, follow=True)
    assert gettext("Task handed over to %(name)s.") % {"name": colleague.display_name} in [
        str(m) for m in response.context["messages"]]
    task.refresh_from_db()
    assert task.owner == colleague
    entry = declaration.decisions.get(decision="reassign")
    assert entry.actor == world.school_officer and entry.step == "school_verify" and entry.task_id == task.pk

    # The new holder decides; the old one no longer can.
    assert officer.post(task_url(task, "execute"), {"decision": "approve"}).status_code == 403
    assert client_for(colleague).post(task_url(task, "execute"), {"decision": "approve"}).status_code == 302
    assert status_of(declaration) == Declaration.Status.TRAINING_SCHOOL


def test_the_teachers_revise_task_is_not_handed_over(world, client_for, teacher, second_teacher):
    declaration = declare(client_for, teacher)
    client = client_for(world.school_officer)
    task = open_task(declaration, "school_verify")
    client.post(task_url(task, "assign"))
    client.post(task_url(task, "execute"), {"decision": "return", "comment": "请补充。"})
    revise = open_task(declaration, "revise")
    client_for(teacher.user).post(INBOX, {"action": "hand_over", "task": revise.pk, "to": second_teacher.user.pk})
    assert Task.objects.get(pk=revise.pk).owner == teacher.user


# --- batch approval --------------------------------------------------------------------------------

def test_batch_approval_of_two_declarations_from_the_inbox(world, client_for, teacher, second_teacher):
    declarations = [declare(client_for, teacher), declare(client_for, second_teacher)]
    for node, role in STEPS:
        client = client_for(getattr(world, role))
        tasks = [open_task(d, node) for d in declarations]
        body = page(client, "?tab=queue&kind=declaration")
        assert all(f'name="tasks" value="{task.pk}"' in body for task in tasks)
        response = client.post(INBOX, {"action": "batch_approve", "tasks": [t.pk for t in tasks],
                                       "comment": "经核实，情况属实。", "back": "?tab=queue&kind=declaration"})
        assert response.status_code == 302 and response["Location"] == INBOX + "?tab=queue&kind=declaration"
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            gettext("%(count)s tasks approved.") % {"count": 2}]
        for declaration in declarations:
            entry = declaration.decisions.get(step=node)
            assert (entry.decision, entry.comment, entry.actor) == ("approve", "经核实，情况属实。", getattr(world, role))
    assert {status_of(d) for d in declarations} == {Declaration.Status.CONFIRMED}
    assert CreditEntry.objects.filter(declaration__in=declarations, source="declaration").count() == 2


def test_batch_approval_is_all_or_nothing_across_flows(world, client_for, teacher, second_teacher):
    """One step only: a declaration step and a document step together are refused, as is a
    declaration another reviewer holds."""
    declarations = [declare(client_for, teacher), declare(client_for, second_teacher)]
    client = client_for(world.school_officer)
    client.post(task_url(open_task(declarations[0], "school_verify"), "assign"))
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    document_task = Task.objects.get(process__reviewprocess__document=document, status=STATUS.NEW)
    declaration_task = open_task(declarations[0], "school_verify")
    for user, ids, error in (
        (world.training_officer, [document_task.pk, declaration_task.pk], inbox_actions.ERROR_MIXED_STEPS),
        (world.school_officer, [declaration_task.pk, open_task(declarations[1], "school_verify").pk, 0],
         inbox_actions.ERROR_NOT_IN_QUEUE),
    ):
        with pytest.raises(ValidationError) as refused:
            inbox_actions.tasks_batch_approve(user=user, task_ids=ids)
        assert refused.value.messages == [str(error)]
    # A colleague holds the first: approving both is refused, and nothing moved.
    colleague = user_create(username="so2", password="x-pass-123", full_name="陈静", role="school_officer",
                            organisation=world.school)
    with pytest.raises(ValidationError):
        inbox_actions.tasks_batch_approve(user=colleague, task_ids=[
            declaration_task.pk, open_task(declarations[1], "school_verify").pk])
    assert {status_of(d) for d in declarations} == {Declaration.Status.SCHOOL}
    assert not DeclarationDecision.objects.exclude(decision="submit").exists()
    assert open_task(declarations[1], "school_verify").owner is None


# --- a stranger ----------------------------------------------------------------------------------------

def test_another_schools_officer_sees_none_of_it(world, client_for, teacher, colleague):
    declaration = declare(client_for, teacher)
    task = open_task(declaration, "school_verify")
    stranger = world.other_school_officer
    client = client_for(stranger)
    for tab in ("mine", "queue", "done"):
        body = page(client, f"?tab={tab}&kind=declaration")
        assert declaration.title not in body, tab
    body = page(client)
    assert all(tab_label(label, 0) in body for label in ("My tasks", "Waiting to be claimed", "Completed"))
    assert not task_queue(user=stranger).exists()
    # Not by the claim page, not by batch, not by hand-over.
    assert client.post(task_url(task, "assign")).status_code in (403, 404)
    client.post(INBOX, {"action": "batch_approve", "tasks": [task.pk]})
    client_for(world.school_officer).post(task_url(task, "assign"))
    client_for(world.school_officer).post(INBOX, {"action": "hand_over", "task": task.pk, "to": stranger.pk})
    task.refresh_from_db()
    assert task.owner == world.school_officer and status_of(declaration) == Declaration.Status.SCHOOL
    # Nor is told of it, even when it is overdue.
    TaskDue.objects.filter(task=task).update(due_date=timezone.localdate() - datetime.timedelta(days=1))
    due_reminders_send()
    assert not Notice.objects.filter(user=stranger).exists()


# --- the kit's shared parts ---------------------------------------------------------------------------

def test_both_flows_build_on_the_kit(world, client_for, teacher):
    assert issubclass(ReviewProcess, kit.ReviewProcessBase) and issubclass(DeclarationProcess, kit.ReviewProcessBase)
    assert issubclass(TrailEntry, kit.TrailEntryBase) and issubclass(DeclarationDecision, kit.TrailEntryBase)
    from credits.models import RecognitionProcess

    assert set(kit.process_models()) == {ReviewProcess, DeclarationProcess, RecognitionProcess}
    # One trail writer for every subject.
    declaration = declare(client_for, teacher)
    document = make_school_plan(world)
    assert isinstance(kit.trail_record(subject=declaration, step="school_verify", decision="approve",
                                       actor=world.school_officer), DeclarationDecision)
    entry = kit.trail_record(subject=document, step="initial_review", decision="claim", actor=world.training_officer)
    assert isinstance(entry, TrailEntry) and entry.version == document.version
    # One human-task node class for every human step, each with its due-date hook.
    from workflow.flows import ReviewFlow
    from workflow.nodes import HumanTask

    human = {node.name for flow in (ReviewFlow, DeclarationFlow) for node in flow.instance.nodes()
             if getattr(node, "task_type", "") == "HUMAN"}
    assert human == {"school_review", "initial_review", "expert_review", "confirm_changes", "filing", "revise",
                     "school_verify", "training_school_register", "bureau_confirm"}
    assert all(isinstance(node, HumanTask) for flow in (ReviewFlow, DeclarationFlow)
               for node in flow.instance.nodes() if getattr(node, "task_type", "") == "HUMAN")
    assert {name for name, _label in kit.step_choices()} >= human


def test_inbox_with_declarations_takes_a_constant_number_of_queries(world, client_for, teacher, colleague,
                                                                     django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    officer = client_for(world.school_officer)
    numbers = iter(range(100))

    def claimed(count):
        for _ in range(count):
            declaration = declare(client_for, teacher, title=f"网络研修第{next(numbers)}期")
            officer.post(task_url(open_task(declaration, "school_verify"), "assign"))

    claimed(3)
    with CaptureQueriesContext(connection) as few:
        body = page(officer)
    baseline = len(few.captured_queries)
    assert tab_label("My tasks", 3) in body and colleague.display_name in body  # hand-over offered on each row
    claimed(4)
    with django_assert_max_num_queries(baseline):
        assert tab_label("My tasks", 7) in page(officer)
