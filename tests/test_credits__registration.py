"""Registering self-declared outside training (seed 002), through the real pages:
teacher submits → school verifies → training school registers → bureau confirms."""
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from accounts.services import user_create
from credits import declarations as services
from credits.flows import DeclarationFlow
from credits.models import CreditEntry, Declaration, DeclarationDecision, DeclarationProcess
from tests.attendance_helpers import make_teacher_with_login
from tests.factories import make_district

pytestmark = pytest.mark.django_db
REFUSED = (403, 404)
OPEN = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]
REVIEWERS = {
    "school_verify": "school_officer",
    "training_school_register": "training_officer",
    "bureau_confirm": "bureau_officer",
}
STEPS = list(REVIEWERS)
STATUS_AFTER_APPROVAL = {
    "school_verify": Declaration.Status.TRAINING_SCHOOL,
    "training_school_register": Declaration.Status.BUREAU,
    "bureau_confirm": Declaration.Status.CONFIRMED,
}
DEFAULTS = {
    "provider": "湖南省教育厅", "title": "省级骨干教师高级研修班", "activity": "concentrated",
    "level": "province", "start_date": "2024-07-01", "end_date": "2024-07-05", "hours": "40",
}


# --- helpers -----------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def rules(world):
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()


@pytest.fixture
def teacher(world):
    return make_teacher_with_login(world.school, "t_zhou", name="周芳芳")


def pdf(name="结业证书.pdf", size=None):
    content = b"%PDF-1.4 certificate"
    if size is not None:
        content = content + b"0" * (size - len(content))
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png(name="证书.png"):
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"0" * 20, content_type="image/png")


def declare(client, certificate="default", **overrides):
    payload = {**DEFAULTS, **overrides}
    if certificate == "default":
        certificate = pdf()
    if certificate is not None:
        payload["certificate"] = certificate
    return client.post(reverse("credits:declaration_create"), payload)


def declared(world, client_for, teacher, **overrides) -> Declaration:
    response = declare(client_for(teacher.user), **overrides)
    assert response.status_code == 302, _errors(response)
    return Declaration.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])


def _errors(response):
    form = response.context["form"] if response.context else None
    return dict(form.errors) if form is not None else response.status_code


def open_task(declaration, node):
    return Task.objects.filter(
        process__declarationprocess__declaration=declaration, status__in=OPEN,
        flow_task=getattr(DeclarationFlow, node),
    ).get()


def task_url(task, action):
    return task.flow_task.reverse(action, args=[task.process_id, task.pk])


def decide(client, declaration, node, decision="approve", comment=""):
    task = open_task(declaration, node)
    response = client.post(task_url(task, "assign"))
    assert response.status_code == 302, response.status_code
    return client.post(task_url(task, "execute"), {"decision": decision, "comment": comment})


def approve_until(world, client_for, declaration, node):
    """Approve every step before node."""
    for step in STEPS[: STEPS.index(node)]:
        response = decide(client_for(getattr(world, REVIEWERS[step])), declaration, step)
        assert response.status_code == 302, _errors(response)


def status_of(declaration):
    declaration.refresh_from_db()
    return declaration.status


def assert_nothing_saved():
    assert Declaration.objects.count() == 0
    assert DeclarationProcess.objects.count() == 0
    assert DeclarationDecision.objects.count() == 0
    certificates = Path(settings.MEDIA_ROOT) / "certificates"
    assert not certificates.exists() or not any(p.is_file() for p in certificates.rglob("*"))


# --- every branch --------------------------------------------------------------------------

def test_approved_at_every_step_credits_the_ledger(world, client_for, teacher):
    declaration = declared(world, client_for, teacher, excellent_trainee="on")
    assert declaration.status == Declaration.Status.SCHOOL
    assert declaration.certificate.name.startswith(f"certificates/{teacher.pk}/")
    for step in STEPS:
        assert CreditEntry.objects.count() == 0
        response = decide(client_for(getattr(world, REVIEWERS[step])), declaration, step, comment="属实")
        assert response.status_code == 302, _errors(response)
        assert status_of(declaration) == STATUS_AFTER_APPROVAL[step]

    entry = CreditEntry.objects.get(declaration=declaration, source=CreditEntry.Source.DECLARATION)
    assert entry.teacher == teacher and entry.credits == Decimal("40") and entry.hours == Decimal("40")
    assert entry.occurred_on == datetime.date(2024, 7, 5)
    assert "每1学时计1个学分" in entry.rule_text   # 湖南 实施办法五、1, quoted as written (issue #12)
    # The declared excellent-trainee title reached ledger_add (Hunan gives no bonus: a zero line says so).
    assert CreditEntry.objects.filter(declaration=declaration, source=CreditEntry.Source.BONUS).exists()
    process = DeclarationProcess.objects.get(declaration=declaration)
    assert process.status == PROCESS.DONE
    trail = list(declaration.decisions.values_list("step", "decision", "actor__username"))
    assert trail == [
        ("submit", "submit", "t_zhou"),
        ("school_verify", "approve", "school_officer"),
        ("training_school_register", "approve", "training_officer"),
        ("bureau_confirm", "approve", "bureau_officer"),
    ]
    # The teacher sees the credits on the declaration's page.
    page = client_for(teacher.user).get(reverse("credits:declaration_detail", args=[declaration.pk]))
    assert page.status_code == 200 and "每1学时计1个学分" in page.content.decode()


@pytest.mark.parametrize("node", STEPS)
def test_returned_at_any_step_the_teacher_revises_and_resubmits(world, client_for, teacher, node):
    declaration = declared(world, client_for, teacher)
    approve_until(world, client_for, declaration, node)
    reviewer = client_for(getattr(world, REVIEWERS[node]))
    response = decide(reviewer, declaration, node, "return", "学时与证书不符，请更正。")
    assert response.status_code == 302, _errors(response)
    assert status_of(declaration) == Declaration.Status.RETURNED
    revise = open_task(declaration, "revise")
    assert revise.owner == teacher.user and revise.status == STATUS.ASSIGNED

    # The teacher sees the task from the declaration's page, corrects the hours and a new certificate.
    teacher_client = client_for(teacher.user)
    page = teacher_client.get(reverse("credits:declaration_detail", args=[declaration.pk])).content.decode()
    assert task_url(revise, "execute") in page
    form_page = teacher_client.get(task_url(revise, "execute"))
    assert form_page.status_code == 200 and "学时与证书不符" in form_page.content.decode()
    response = teacher_client.post(task_url(revise, "execute"), {
        **DEFAULTS, "hours": "36", "certificate": png(), "comment": "已按证书更正学时。"})
    assert response.status_code == 302, _errors(response)
    assert status_of(declaration) == Declaration.Status.SCHOOL
    assert declaration.hours == Decimal("36") and declaration.certificate.name.endswith(".png")
    open_task(declaration, "school_verify")  # back to the school

    for step in STEPS:
        assert decide(client_for(getattr(world, REVIEWERS[step])), declaration, step).status_code == 302
    assert status_of(declaration) == Declaration.Status.CONFIRMED
    assert CreditEntry.objects.get(declaration=declaration, source="declaration").credits == Decimal("36")
    steps = list(declaration.decisions.values_list("step", "decision"))
    assert (node, "return") in steps and ("revise", "resubmit") in steps
    assert DeclarationProcess.objects.filter(declaration=declaration).count() == 1


def test_resubmission_is_checked_like_a_submission(world, client_for, teacher):
    declaration = declared(world, client_for, teacher)
    decide(client_for(world.school_officer), declaration, "school_verify", "return", "请更正。")
    revise = open_task(declaration, "revise")
    response = client_for(teacher.user).post(task_url(revise, "execute"), {**DEFAULTS, "hours": "-3"})
    assert response.status_code == 200
    assert response.context["form"].errors["hours"] == [str(services.ERROR_HOURS_POSITIVE)]
    assert status_of(declaration) == Declaration.Status.RETURNED
    assert declaration.hours == Decimal("40")
    assert open_task(declaration, "revise").pk == revise.pk


@pytest.mark.parametrize("node", STEPS)
def test_rejected_at_any_step_ends_without_credits(world, client_for, teacher, node):
    declaration = declared(world, client_for, teacher)
    approve_until(world, client_for, declaration, node)
    response = decide(client_for(getattr(world, REVIEWERS[node])), declaration, node, "reject", "非经批准的培训。")
    assert response.status_code == 302, _errors(response)
    assert status_of(declaration) == Declaration.Status.REJECTED
    assert DeclarationProcess.objects.get(declaration=declaration).status == PROCESS.DONE
    assert not Task.objects.filter(process__declarationprocess__declaration=declaration, status__in=OPEN).exists()
    assert CreditEntry.objects.count() == 0
    # A rejected declaration is no duplicate: the teacher may declare it again, properly.
    assert declare(client_for(teacher.user)).status_code == 302


@pytest.mark.parametrize("decision", ["return", "reject"])
def test_return_or_reject_needs_a_comment(world, client_for, teacher, decision):
    declaration = declared(world, client_for, teacher)
    response = decide(client_for(world.school_officer), declaration, "school_verify", decision, "  ")
    assert response.status_code == 200
    assert response.context["form"].errors["comment"] == [str(services.ERROR_COMMENT_REQUIRED)]
    assert status_of(declaration) == Declaration.Status.SCHOOL
    assert list(declaration.decisions.values_list("decision", flat=True)) == ["submit"]


def test_confirmation_refused_when_overlapping_training_was_credited_meanwhile(world, client_for, teacher):
    first = declared(world, client_for, teacher)
    second = declared(world, client_for, teacher, title="另一项培训", start_date="2024-07-04", end_date="2024-07-06",
                      hours="20")
    for declaration in (first, second):
        approve_until(world, client_for, declaration, "bureau_confirm")
    assert decide(client_for(world.bureau_officer), first, "bureau_confirm").status_code == 302
    response = decide(client_for(world.bureau_officer), second, "bureau_confirm")
    assert response.status_code == 200
    assert str(services.ERROR_OVERLAP) in response.context["form"].non_field_errors()
    assert status_of(second) == Declaration.Status.BUREAU
    assert not CreditEntry.objects.filter(declaration=second).exists()


# --- batch verification by the school, from the one task inbox ----------------------------------

INBOX = reverse("workflow:inbox")


def batch_approve(client, declarations, **data):
    tasks = [_open_or_done_task(d, "school_verify").pk for d in declarations]
    return client.post(INBOX, {"action": "batch_approve", "tasks": tasks, **data}, follow=True)


def _open_or_done_task(declaration, node):
    return Task.objects.filter(process__declarationprocess__declaration=declaration,
                               flow_task=getattr(DeclarationFlow, node)).latest("pk")


def _messages(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def colleague(world):
    return make_teacher_with_login(world.school, "t_li", name="李明")


@pytest.fixture
def stranger(world):
    return make_teacher_with_login(world.other_school, "t_wang", name="王强")


def test_school_officer_verifies_several_at_once(world, client_for, teacher, colleague, stranger):
    mine = [declared(world, client_for, teacher), declared(world, client_for, colleague)]
    foreign = declared(world, client_for, stranger)
    officer = client_for(world.school_officer)

    # The former queue page leads to the inbox's declarations waiting to be claimed.
    page = officer.get(reverse("credits:declaration_queue"), follow=True)
    assert page.redirect_chain[-1][0] == INBOX + "?tab=queue&kind=declaration"
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="batch-approve"' in body
    assert all(f'name="tasks" value="{open_task(d, "school_verify").pk}"' in body for d in mine)
    assert f'name="tasks" value="{open_task(foreign, "school_verify").pk}"' not in body

    response = batch_approve(officer, mine, comment="经核实，情况属实。")
    assert response.status_code == 200 and _messages(response)
    for declaration in mine:
        assert status_of(declaration) == Declaration.Status.TRAINING_SCHOOL
        open_task(declaration, "training_school_register")
        assert declaration.decisions.get(step="school_verify").comment == "经核实，情况属实。"
    assert status_of(foreign) == Declaration.Status.SCHOOL
    # Now in the training school's queue.
    queue = client_for(world.training_officer).get(reverse("credits:declaration_queue"), follow=True)
    assert all(d.title in queue.content.decode() for d in mine)


def test_batch_with_another_schools_declaration_approves_none(world, client_for, teacher, stranger):
    from workflow.inbox_actions import ERROR_NOT_IN_QUEUE, tasks_batch_approve

    own = declared(world, client_for, teacher)
    foreign = declared(world, client_for, stranger)
    response = batch_approve(client_for(world.school_officer), [own, foreign])
    assert _messages(response) == [str(ERROR_NOT_IN_QUEUE)]
    assert status_of(own) == Declaration.Status.SCHOOL and status_of(foreign) == Declaration.Status.SCHOOL
    assert DeclarationDecision.objects.exclude(decision="submit").count() == 0
    # The other school's officer cannot verify ours either.
    response = batch_approve(client_for(world.other_school_officer), [own])
    assert _messages(response) == [str(ERROR_NOT_IN_QUEUE)]
    with pytest.raises(ValidationError):
        tasks_batch_approve(user=world.other_school_officer, task_ids=[open_task(own, "school_verify").pk])
    assert status_of(own) == Declaration.Status.SCHOOL
    assert Task.objects.get(pk=open_task(own, "school_verify").pk).owner is None


def test_batch_with_one_no_longer_waiting_approves_none(world, client_for, teacher, colleague):
    from workflow.inbox_actions import ERROR_NOT_IN_QUEUE, tasks_batch_approve

    first = declared(world, client_for, teacher)
    second = declared(world, client_for, colleague)
    decide(client_for(world.school_officer), first, "school_verify", "return", "请补充证书。")
    ids = [_open_or_done_task(d, "school_verify").pk for d in (first, second)]
    with pytest.raises(ValidationError) as refused:
        tasks_batch_approve(user=world.school_officer, task_ids=ids)
    assert refused.value.messages == [str(ERROR_NOT_IN_QUEUE)]
    response = batch_approve(client_for(world.school_officer), [first, second])
    assert _messages(response) == [str(ERROR_NOT_IN_QUEUE)]
    assert status_of(first) == Declaration.Status.RETURNED and status_of(second) == Declaration.Status.SCHOOL
    with pytest.raises(ValidationError):
        tasks_batch_approve(user=world.school_officer, task_ids=[])


def test_only_school_officers_batch_verify(world, client_for, teacher):
    from workflow.inbox_actions import ERROR_NOT_IN_QUEUE

    declaration = declared(world, client_for, teacher)
    for user in (world.principal, world.training_officer, world.bureau_officer, teacher.user):
        response = batch_approve(client_for(user), [declaration])
        assert _messages(response) == [str(ERROR_NOT_IN_QUEUE)], user
    assert status_of(declaration) == Declaration.Status.SCHOOL
    assert list(declaration.decisions.values_list("decision", flat=True)) == ["submit"]


# --- what a declaration must be ---------------------------------------------------------------

def test_duplicate_declaration_refused(world, client_for, teacher):
    declared(world, client_for, teacher)
    response = declare(client_for(teacher.user), provider=" 湖南省教育厅 ")
    assert response.status_code == 200
    assert str(services.ERROR_DUPLICATE) in response.context["form"].non_field_errors()
    assert Declaration.objects.count() == 1 and DeclarationProcess.objects.count() == 1
    # Another teacher may declare the same training.
    other = make_teacher_with_login(world.school, "t_li", name="李明")
    assert declare(client_for(other.user)).status_code == 302


def test_dates_overlapping_credited_training_refused(world, client_for, teacher):
    first = declared(world, client_for, teacher)
    for step in STEPS:
        decide(client_for(getattr(world, REVIEWERS[step])), first, step)
    assert status_of(first) == Declaration.Status.CONFIRMED
    client = client_for(teacher.user)
    for start, end in (("2024-07-05", "2024-07-06"), ("2024-06-28", "2024-07-01"), ("2024-07-02", "2024-07-03")):
        response = declare(client, title="暑期网络研修", activity="online", start_date=start, end_date=end, hours="8")
        assert response.status_code == 200, (start, end)
        assert str(services.ERROR_OVERLAP) in response.context["form"].non_field_errors()
    assert Declaration.objects.count() == 1
    assert declare(client, title="暑期网络研修", start_date="2024-07-06", end_date="2024-07-07",
                   hours="8").status_code == 302


@pytest.mark.parametrize("upload,message", [
    (lambda: SimpleUploadedFile("证书.exe", b"MZ\x90\x00", content_type="application/octet-stream"),
     services.ERROR_CERTIFICATE_TYPE),
    (lambda: SimpleUploadedFile("证书.docx", b"PK\x03\x04", content_type="application/msword"),
     services.ERROR_CERTIFICATE_TYPE),
    (lambda: SimpleUploadedFile("证书.pdf", b"MZ\x90\x00 not a pdf"), services.ERROR_CERTIFICATE_CONTENT),
    (lambda: SimpleUploadedFile("证书.jpg", b"\x89PNG\r\n\x1a\n"), services.ERROR_CERTIFICATE_CONTENT),
    (lambda: pdf(size=services.CERTIFICATE_MAX_BYTES + 1), services.ERROR_CERTIFICATE_SIZE),
    (lambda: None, services.ERROR_CERTIFICATE_REQUIRED),
])
def test_bad_certificate_refused(world, client_for, teacher, upload, message):
    response = declare(client_for(teacher.user), certificate=upload())
    assert response.status_code == 200
    expected = str(message) % {"size": services.CERTIFICATE_MAX_MB} if "%(size)s" in str(message) else str(message)
    assert response.context["form"].errors["certificate"] == [expected]
    assert_nothing_saved()


def test_certificate_of_exactly_5_mb_and_images_accepted(world, client_for, teacher):
    client = client_for(teacher.user)
    assert declare(client, certificate=pdf(size=services.CERTIFICATE_MAX_BYTES)).status_code == 302
    jpg = SimpleUploadedFile("证书.JPG", b"\xff\xd8\xff\xe0" + b"0" * 20, content_type="image/jpeg")
    assert declare(client, certificate=jpg, title="第二项", start_date="2024-08-01", end_date="2024-08-01",
                   hours="6").status_code == 302
    assert declare(client, certificate=png(), title="第三项", start_date="2024-08-02", end_date="2024-08-02",
                   hours="6").status_code == 302


@pytest.mark.parametrize("hours,start,end,field,message", [
    ("-4", "2024-07-01", "2024-07-05", "hours", services.ERROR_HOURS_POSITIVE),
    ("0", "2024-07-01", "2024-07-05", "hours", services.ERROR_HOURS_POSITIVE),
    ("31", "2024-07-01", "2024-07-03", "hours", services.ERROR_HOURS_TOO_MANY),  # 3 days: at most 30
    ("10.5", "2024-07-01", "2024-07-01", "hours", services.ERROR_HOURS_TOO_MANY),
    ("8", "2024-07-05", "2024-07-01", "end_date", services.ERROR_DATES_ORDER),
])
def test_impossible_hours_and_dates_refused(world, client_for, teacher, hours, start, end, field, message):
    response = declare(client_for(teacher.user), hours=hours, start_date=start, end_date=end)
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    if message is services.ERROR_HOURS_TOO_MANY:
        days = (datetime.date.fromisoformat(end) - datetime.date.fromisoformat(start)).days + 1
        assert errors == [str(message) % {"per_day": 10, "max": Decimal(10 * days)}]
    else:
        assert errors == [str(message)]
    assert_nothing_saved()


def test_hours_exactly_ten_a_day_accepted(world, client_for, teacher):
    assert declare(client_for(teacher.user), hours="30", start_date="2024-07-01",
                   end_date="2024-07-03").status_code == 302


def test_service_refuses_everything_at_once_and_saves_nothing(world, teacher):
    with pytest.raises(ValidationError) as refused:
        services.declaration_submit(teacher.user, {**DEFAULTS, "hours": "-1", "activity": "leave"},
                                    SimpleUploadedFile("a.txt", b"hello"))
    errors = refused.value.message_dict
    assert set(errors) == {"hours", "activity", "certificate"}
    assert errors["certificate"] == [str(services.ERROR_CERTIFICATE_TYPE)]
    assert_nothing_saved()


def test_only_teachers_declare(world, client_for):
    for user in (world.school_officer, world.training_officer, world.teacher):  # world.teacher: no roster record
        assert client_for(user).get(reverse("credits:declaration_create")).status_code == 403
        assert declare(client_for(user)).status_code == 403
        with pytest.raises(PermissionDenied):
            services.declaration_submit(user, DEFAULTS, pdf())
    assert_nothing_saved()


def test_form_page_renders(world, client_for, teacher):
    page = client_for(teacher.user).get(reverse("credits:declaration_create"))
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()


# --- who sees what ------------------------------------------------------------------------------

def _declaration_urls(declaration):
    return {
        "detail": reverse("credits:declaration_detail", args=[declaration.pk]),
        "certificate": reverse("credits:declaration_certificate", args=[declaration.pk]),
    }


def _task_urls(task):
    return {action: task_url(task, action) for action in ("index", "detail", "execute", "assign", "unassign")}


def _process_urls(process_pk):
    return {
        "process_detail": reverse("declaration:process_detail", args=[process_pk]),
        "process_chart": reverse("declaration:process_chart", args=[process_pk]),
        "process_cancel": reverse("declaration:process_cancel", args=[process_pk]),
    }


@pytest.fixture
def in_review(world, client_for, teacher):
    """One declaration waiting at each point: the school, the training school, the teacher (returned)."""
    at_school = declared(world, client_for, teacher, title="在学校审核的培训")
    at_training_school = declared(world, client_for, teacher, title="在进修学校登记的培训",
                                  start_date="2024-08-01", end_date="2024-08-02", hours="12")
    decide(client_for(world.school_officer), at_training_school, "school_verify")
    returned = declared(world, client_for, teacher, title="退回修改的培训", start_date="2024-09-01",
                        end_date="2024-09-01", hours="6")
    decide(client_for(world.school_officer), returned, "school_verify", "return", "请补充。")
    return {
        at_school: open_task(at_school, "school_verify"),
        at_training_school: open_task(at_training_school, "training_school_register"),
        returned: open_task(returned, "revise"),
    }


@pytest.mark.parametrize("outsider", ["other_school_officer", "colleague", "stranger", "expert",
                                      "other_district_training_officer", "other_district_bureau_officer"])
def test_outsiders_are_refused_on_every_url(world, client_for, in_review, outsider, colleague, stranger):
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd") if "district" in outsider else None
    user = {
        "other_school_officer": world.other_school_officer,
        "colleague": colleague.user,
        "stranger": stranger.user,
        "expert": world.expert1,
        "other_district_training_officer": elsewhere and elsewhere.training_officer,
        "other_district_bureau_officer": elsewhere and elsewhere.bureau_officer,
    }[outsider]
    client = client_for(user)
    for declaration, task in in_review.items():
        urls = {**_declaration_urls(declaration), **_task_urls(task), **_process_urls(task.process_id)}
        for name, url in urls.items():
            assert client.get(url).status_code in REFUSED, (name, url)
            response = client.post(url, {**DEFAULTS, "decision": "approve", "comment": "x", "certificate": pdf()})
            assert response.status_code in REFUSED, (name, url)
        for listing in (reverse("credits:declaration_list"), reverse("declaration:process_list"),
                        reverse("declaration:task_list"), reverse("declaration:inbox"),
                        reverse("declaration:queue"), reverse("declaration:archive"), reverse("declaration:index")):
            response = client.get(listing)
            assert response.status_code in (200, 403), listing
            assert declaration.title not in response.content.decode(), listing
        for tab in ("mine", "queue", "done"):
            inbox = client.get(INBOX + f"?tab={tab}")
            assert inbox.status_code == 200 and declaration.title not in inbox.content.decode(), tab
        queue = client.get(reverse("credits:declaration_queue"), follow=True)
        assert queue.status_code == 200 and declaration.title not in queue.content.decode()
    statuses = sorted(Declaration.objects.values_list("status", flat=True))
    assert statuses == ["returned", "school", "training_school"]
    assert DeclarationDecision.objects.exclude(decision="submit").count() == 2


def test_teacher_sees_own_declarations_and_certificate(world, client_for, teacher, in_review):
    client = client_for(teacher.user)
    listing = client.get(reverse("credits:declaration_list")).content.decode()
    assert all(d.title in listing for d in in_review)
    declaration = next(iter(in_review))
    response = client.get(reverse("credits:declaration_certificate", args=[declaration.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    process_pk = next(iter(in_review.values())).process_id
    assert client.get(reverse("declaration:process_detail", args=[process_pk])).status_code == 200
    # ...but no reviewer's task.
    task = in_review[declaration]
    assert client.post(task_url(task, "assign")).status_code in REFUSED
    # Nothing to claim in the inbox's queue; the returned one is in their own tasks.
    queue = client.get(reverse("credits:declaration_queue"), follow=True).content.decode()
    assert not any(d.title in queue for d in in_review)
    returned = next(d for d, t in in_review.items() if t.flow_task.name == "revise")
    assert returned.title in client.get(INBOX + "?tab=mine").content.decode()


def test_school_staff_and_district_see_declarations_in_their_scope(world, client_for, teacher, in_review):
    at_school, at_training_school, returned = list(in_review)
    # The principal reads the school's declarations but does not verify them.
    principal = client_for(world.principal)
    assert principal.get(reverse("credits:declaration_detail", args=[at_school.pk])).status_code == 200
    assert principal.post(task_url(in_review[at_school], "assign")).status_code in REFUSED
    # The training school sees the district's, and claims only its own step.
    trainer = client_for(world.training_officer)
    assert trainer.get(reverse("credits:declaration_detail", args=[at_school.pk])).status_code == 200
    assert trainer.post(task_url(in_review[at_school], "assign")).status_code in REFUSED
    queue = trainer.get(reverse("declaration:queue")).content.decode()
    assert at_training_school.title in queue and at_school.title not in queue
    # The school's officer: its verification in both queues, not the training school's step.
    officer = client_for(world.school_officer)
    for url in (reverse("declaration:queue"), reverse("credits:declaration_queue")):
        body = officer.get(url, follow=True).content.decode()
        assert at_school.title in body and at_training_school.title not in body, url
    assert officer.post(task_url(in_review[at_training_school], "assign")).status_code in REFUSED
    # Only the teacher revises.
    assert officer.get(task_url(in_review[returned], "execute")).status_code in REFUSED
    assert Task.objects.get(pk=in_review[returned].pk).owner == teacher.user


def test_claim_and_release(world, client_for, teacher):
    declaration = declared(world, client_for, teacher)
    task = open_task(declaration, "school_verify")
    officer = client_for(world.school_officer)
    assert officer.get(task_url(task, "assign")).status_code == 200
    assert officer.post(task_url(task, "assign")).status_code == 302
    assert officer.get(task_url(task, "execute")).status_code == 200
    second_officer = user_create(username="so2", password="x-pass-123", full_name="陈静", role="school_officer",
                                 organisation=world.school)
    assert client_for(second_officer).get(task_url(task, "execute")).status_code in REFUSED
    assert client_for(second_officer).post(task_url(task, "unassign")).status_code in REFUSED
    assert officer.get(task_url(task, "detail")).status_code == 200
    assert officer.get(task_url(task, "unassign")).status_code == 200
    assert officer.post(task_url(task, "unassign")).status_code == 302
    assert Task.objects.get(pk=task.pk).status == STATUS.NEW
    assert decide(client_for(second_officer), declaration, "school_verify").status_code == 302
    assert status_of(declaration) == Declaration.Status.TRAINING_SCHOOL


def test_anonymous_is_sent_to_login(client, world, client_for, teacher):
    declaration = declared(world, client_for, teacher)
    for url in (reverse("credits:declaration_list"), reverse("credits:declaration_queue"),
                *_declaration_urls(declaration).values()):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_the_shared_inbox_still_opens_with_declaration_tasks(world, client_for, teacher, in_review):
    """The review inbox (workflow.views.inbox) lists every human task of the shared Task table."""
    for user, tab in ((teacher.user, "mine"), (world.training_officer, "queue"), (world.school_officer, "mine")):
        assert client_for(user).get(reverse("workflow:inbox") + f"?tab={tab}").status_code == 200, user


# --- issue #12: what a declaration means under the teacher's rules ---------------------------------

def test_hunan_teaching_must_name_where_it_was_taught(world, client_for, teacher):
    """湖南 实施办法五、4 counts teaching by 本县外校 / 外县学校或县级培训 / … not by county or province."""
    response = declare(client_for(teacher.user), activity="teaching", level="province", hours="4")
    assert response.status_code == 200
    [error] = response.context["form"].errors["level"]
    assert error.startswith(str(services.ERROR_LEVEL).split("%")[0])
    assert_nothing_saved()
    declaration = declared(world, client_for, teacher, activity="teaching", level="xcity", hours="4",
                           title="新课标解读")
    for step in STEPS:
        assert decide(client_for(getattr(world, REVIEWERS[step])), declaration, step).status_code == 302
    entry = CreditEntry.objects.get(declaration=declaration)
    assert (entry.credits, entry.content) == (Decimal(20), "新课标解读")   # 外市州或省级 1学时计5学分


def test_hunan_degree_study_needs_subject_credits(world, client_for, teacher):
    """湖南 实施办法五、2: 每1学科学分计5个培训学分."""
    form = client_for(teacher.user).get(reverse("credits:declaration_create")).context["form"]
    assert "subject_credits" in form.fields and "category" not in form.fields   # Hunan has no categories
    response = declare(client_for(teacher.user), activity="degree", level="county", hours="40",
                       start_date="2024-03-01", end_date="2024-07-05")
    assert response.status_code == 200 and "subject_credits" in response.context["form"].errors
    assert_nothing_saved()
    declaration = declared(world, client_for, teacher, activity="degree", level="county", hours="40",
                           start_date="2024-03-01", end_date="2024-07-05", subject_credits="6")
    for step in STEPS:
        assert decide(client_for(getattr(world, REVIEWERS[step])), declaration, step).status_code == 302
    assert CreditEntry.objects.get(declaration=declaration).credits == Decimal(30)


def test_gansu_teacher_picks_a_category(world, client_for, teacher):
    """甘肃 第四条: 信息技术应用能力培训 counts towards its own cycle minimum."""
    world.district.credit_rule_family = "gansu"
    world.district.save()
    form = client_for(teacher.user).get(reverse("credits:declaration_create")).context["form"]
    assert dict(form.fields["category"].widget.choices)["it"] == "信息技术应用能力培训"
    assert "subject_credits" not in form.fields
    response = declare(client_for(teacher.user), category="nonsense")
    assert response.status_code == 200 and "category" in response.context["form"].errors
    declaration = declared(world, client_for, teacher, category="it", level="city", hours="10",
                           start_date="2014-07-01", end_date="2014-07-05")
    for step in STEPS:
        assert decide(client_for(getattr(world, REVIEWERS[step])), declaration, step).status_code == 302
    entry = CreditEntry.objects.get(declaration=declaration)
    assert (entry.category, entry.credits) == ("it", Decimal(20))          # 第七条: 市级 1学时计2学分
