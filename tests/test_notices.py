"""Reminders and notices: working-day due dates, the bell, emails, 催办."""
import datetime

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import user_create
from notices import services as notice_services
from notices.context_processors import unread_notices
from notices.models import Notice
from tests.factories import make_school_plan
from tests.flow_helpers import claim_and_decide, expert_answer, open_task, submit, task_url
from workflow.calendar import add_working_days, is_working_day
from workflow.models import StepDeadline, TaskDue
from workflow.services import task_set_due_date

pytestmark = pytest.mark.django_db

NOTICES = reverse("notices:list")


@pytest.fixture
def emails(world):
    """Every district user has an email address."""
    for user in vars(world).values():
        if isinstance(user, User):
            user.email = f"{user.username}@example.cn"
            user.save(update_fields=["email"])
    return world


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block as if its transaction committed: emails go out at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _notices(user, kind=None):
    notices = Notice.objects.filter(user=user)
    return notices.filter(kind=kind) if kind else notices


def _in_review(world, client_for, document=None):
    document = document or make_school_plan(world)
    assert submit(client_for(document.created_by), document).status_code == 302
    return document


def _to_filing(world, client_for, document):
    claim_and_decide(client_for(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk], "comment": "",
    })
    assert expert_answer(client_for(world.expert1), document, world.expert1, "agree").status_code == 302
    document.refresh_from_db()
    assert document.status == "filing"


# Working days on the Chinese calendar ------------------------------------------------

def test_national_day_holiday_is_skipped():
    assert add_working_days(datetime.date(2025, 9, 30), 1) == datetime.date(2025, 10, 9)
    assert not is_working_day(datetime.date(2025, 10, 1))


def test_make_up_working_day_counts():
    # 2025-09-28 is a Sunday worked in exchange for the National Day holiday (调休).
    assert is_working_day(datetime.date(2025, 9, 28))
    assert add_working_days(datetime.date(2025, 9, 26), 1) == datetime.date(2025, 9, 28)


def test_unknown_year_falls_back_to_monday_to_friday():
    friday = datetime.date(2099, 1, 2)
    assert friday.weekday() == 4
    assert add_working_days(friday, 1) == datetime.date(2099, 1, 5)
    assert add_working_days(friday, 5) == datetime.date(2099, 1, 9)
    assert add_working_days(friday, 0) == friday


def test_task_due_date_counts_working_days(world, client_for):
    StepDeadline.objects.create(step="initial_review", days=1)
    document = _in_review(world, client_for)
    task = open_task(document, "initial_review")
    assert task.due.due_date == add_working_days(timezone.localdate(task.created), 1)

    # A task received on the last day before the National Day holiday.
    task.created = datetime.datetime(2025, 9, 30, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    TaskDue.objects.filter(task=task).delete()
    assert task_set_due_date(task=task, step="initial_review").due_date == datetime.date(2025, 10, 9)
    task.created = datetime.datetime(2025, 9, 26, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    TaskDue.objects.filter(task=task).delete()
    assert task_set_due_date(task=task, step="initial_review").due_date == datetime.date(2025, 9, 28)


# Notices when tasks are created and documents decided ----------------------------------

def test_queue_task_notifies_everyone_who_may_claim_it(emails, client_for, committed):
    world = emails
    second = user_create(username="training_officer2", password="x-pass-123", full_name="陈静",
                         role="training_officer", organisation=world.training_school, email="t2@example.cn")
    document = make_school_plan(world)
    with committed():
        _in_review(world, client_for, document)
    task = open_task(document, "initial_review")
    for user in (world.training_officer, second):
        notice = _notices(user, Notice.Kind.TASK_CREATED).get()
        assert notice.dedup_key == f"task-created:{task.pk}"
        assert notice.url == task_url(task, "index")
    for user in (world.bureau_officer, world.school_officer, world.expert1, world.other_school_officer):
        assert not _notices(user).exists()
    assert sorted(m.to[0] for m in mail.outbox) == ["t2@example.cn", "training_officer@example.cn"]
    assert all(document.title in m.subject for m in mail.outbox)


def test_assigned_expert_tasks_notify_each_expert(emails, client_for, committed):
    world = emails
    document = _in_review(world, client_for)
    mail.outbox.clear()
    with committed():
        claim_and_decide(client_for(world.training_officer), document, "initial_review", {
            "decision": "approve", "experts": [world.expert1.pk, world.expert2.pk], "comment": "",
        })
    for expert in (world.expert1, world.expert2):
        task = open_task(document, "expert_review", owner=expert)
        assert _notices(expert, Notice.Kind.TASK_CREATED).get().dedup_key == f"task-created:{task.pk}"
    assert not _notices(world.expert3).exists()
    assert sorted(m.to[0] for m in mail.outbox) == ["expert1@example.cn", "expert2@example.cn"]


def test_return_notifies_the_author_once(emails, client_for, committed):
    world = emails
    document = _in_review(world, client_for)
    mail.outbox.clear()
    with committed():
        claim_and_decide(client_for(world.training_officer), document, "initial_review",
                         {"decision": "return", "comment": "请补充经费明细。"})
    notice = _notices(world.school_officer).get()  # no second notice for the revise task
    assert notice.kind == Notice.Kind.RETURNED
    assert notice.url == reverse("plans:detail", args=[document.pk])
    assert [m.to for m in mail.outbox] == [["school_officer@example.cn"]]

    # Resubmitted: the training school hears of the new task, the author nothing more.
    revise = open_task(document, "revise")
    client_for(world.school_officer).post(task_url(revise, "execute"), {"comment": "已补充。"})
    assert _notices(world.training_officer, Notice.Kind.TASK_CREATED).count() == 2
    assert _notices(world.school_officer).count() == 1


def test_filing_and_rejection_notify_the_author(emails, client_for, committed):
    world = emails
    document = _in_review(world, client_for)
    _to_filing(world, client_for, document)
    assert _notices(world.bureau_officer, Notice.Kind.TASK_CREATED).count() == 1
    mail.outbox.clear()
    with committed():
        claim_and_decide(client_for(world.bureau_officer), document, "filing",
                         {"decision": "approve", "filing_number": "建教师备〔2024〕1号", "comment": ""})
    notice = _notices(world.school_officer, Notice.Kind.APPROVED).get()
    assert "建教师备〔2024〕1号" in notice.title
    assert [m.to for m in mail.outbox] == [["school_officer@example.cn"]]

    other = _in_review(world, client_for, make_school_plan(world, year=2025))
    claim_and_decide(client_for(world.training_officer), other, "initial_review",
                     {"decision": "reject", "comment": "不符合要求。"})
    assert _notices(world.school_officer, Notice.Kind.REJECTED).get().url == reverse("plans:detail", args=[other.pk])


def test_no_email_without_address_and_none_before_commit(world, client_for):
    document = _in_review(world, client_for)  # nobody has an email address, nothing committed
    assert _notices(world.training_officer).count() == 1
    assert mail.outbox == []
    document.refresh_from_db()
    assert document.status == "initial_review"


def test_notify_skips_existing_user_and_key(emails, committed):
    world = emails
    with committed():
        first = notice_services.notify(users=[world.teacher, world.principal], kind=Notice.Kind.URGE,
                                       title="标题", url="/", dedup_key="k:1")
        again = notice_services.notify(users=[world.teacher, world.principal, world.teacher],
                                       kind=Notice.Kind.URGE, title="标题", url="/", dedup_key="k:1")
        plain = notice_services.notify(users=[world.teacher], kind=Notice.Kind.URGE, title="标题", url="/",
                                       email=False)
    assert len(first) == 2 and again == [] and len(plain) == 1
    assert Notice.objects.filter(dedup_key="k:1").count() == 2
    assert len(mail.outbox) == 2


# Due-date reminders ---------------------------------------------------------------

def test_due_reminders_are_sent_once(emails, client_for, committed, capsys):
    world = emails
    today = timezone.localdate()
    queued = _in_review(world, client_for)                        # in the training school's queue
    claimed = _in_review(world, client_for, make_school_plan(world, year=2025))
    trainer = client_for(world.training_officer)
    trainer.post(task_url(open_task(claimed, "initial_review"), "assign"))
    later = _in_review(world, client_for, make_school_plan(world, year=2026))
    TaskDue.objects.filter(task=open_task(queued, "initial_review")).update(due_date=today)
    TaskDue.objects.filter(task=open_task(claimed, "initial_review")).update(
        due_date=today - datetime.timedelta(days=2))
    TaskDue.objects.filter(task=open_task(later, "initial_review")).update(
        due_date=add_working_days(today, 3))
    mail.outbox.clear()

    with committed():
        call_command("send_due_reminders")
    assert capsys.readouterr().out.strip() == "2 reminder(s) sent."
    due_soon = _notices(world.training_officer, Notice.Kind.DUE_SOON).get()
    overdue = _notices(world.training_officer, Notice.Kind.OVERDUE).get()
    assert queued.title in due_soon.title and claimed.title in overdue.title
    assert not Notice.objects.filter(kind__in=["due_soon", "overdue"], title__contains=later.title).exists()
    counts = (Notice.objects.count(), len(mail.outbox))
    assert counts[1] == 2

    with committed():
        call_command("send_due_reminders")  # cron, a few minutes later
    assert capsys.readouterr().out.strip() == "0 reminder(s) sent."
    assert (Notice.objects.count(), len(mail.outbox)) == counts

    # The due-soon task passes its date: one overdue reminder, once.
    TaskDue.objects.filter(task=open_task(queued, "initial_review")).update(
        due_date=today - datetime.timedelta(days=1))
    with committed():
        assert notice_services.due_reminders_send() == 1
        assert notice_services.due_reminders_send() == 0
    assert _notices(world.training_officer, Notice.Kind.OVERDUE).count() == 2
    assert len(mail.outbox) == counts[1] + 1


def test_finished_tasks_get_no_reminder(world, client_for):
    document = _in_review(world, client_for)
    task = open_task(document, "initial_review")
    claim_and_decide(client_for(world.training_officer), document, "initial_review",
                     {"decision": "return", "comment": "请修改。"})
    TaskDue.objects.filter(task=task).update(due_date=timezone.localdate() - datetime.timedelta(days=3))
    revise = open_task(document, "revise")
    TaskDue.objects.filter(task=revise).update(due_date=timezone.localdate())
    assert notice_services.due_reminders_send() == 1
    assert _notices(world.school_officer, Notice.Kind.DUE_SOON).get().url == task_url(revise, "index")
    assert not _notices(world.training_officer, Notice.Kind.OVERDUE).exists()


# The bell and the notice list -------------------------------------------------------

def test_bell_shows_unread_count_in_one_query(world, client_for, django_assert_num_queries):
    _in_review(world, client_for)
    _in_review(world, client_for, make_school_plan(world, year=2025))
    client = client_for(world.training_officer)
    page = client.get(reverse("workflow:inbox"))
    assert page.context["notice_unread_count"] == 2
    assert 'data-testid="notice-bell"' in page.content.decode()
    assert 'data-testid="notice-count">2<' in page.content.decode()

    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=world.training_officer.pk)
    with django_assert_num_queries(1):
        assert unread_notices(request) == {"notice_unread_count": 2}

    page = client_for(world.bureau_officer).get(reverse("workflow:inbox"))
    assert page.context["notice_unread_count"] == 0
    assert 'data-testid="notice-count"' not in page.content.decode()


def test_notice_list_newest_first_and_mark_read(world, client_for):
    first = _in_review(world, client_for)
    second = _in_review(world, client_for, make_school_plan(world, year=2025))
    client = client_for(world.training_officer)
    page = client.get(NOTICES)
    assert page.status_code == 200
    notices = list(page.context["page"])
    assert [n.title for n in notices] == [
        _notices(world.training_officer).get(title__contains=second.title).title,
        _notices(world.training_officer).get(title__contains=first.title).title,
    ]

    newest = notices[0]
    assert client.post(reverse("notices:read", args=[newest.pk])).status_code == 302
    newest.refresh_from_db()
    assert newest.read_at is not None
    assert client.get(NOTICES).context["notice_unread_count"] == 1

    # Opening a notice marks it read and follows its link.
    oldest = notices[1]
    response = client.get(reverse("notices:open", args=[oldest.pk]))
    assert response.status_code == 302 and response["Location"] == oldest.url
    oldest.refresh_from_db()
    assert oldest.read_at is not None

    _in_review(world, client_for, make_school_plan(world, year=2026))
    assert client.post(reverse("notices:read_all")).status_code == 302
    assert not _notices(world.training_officer).filter(read_at__isnull=True).exists()


def test_a_user_cannot_read_anothers_notices(world, client_for):
    _in_review(world, client_for)
    notice = _notices(world.training_officer).get()
    outsider = client_for(world.bureau_officer)
    page = outsider.get(NOTICES)
    assert notice.title not in page.content.decode() and list(page.context["page"]) == []
    assert outsider.get(reverse("notices:open", args=[notice.pk])).status_code == 404
    assert outsider.post(reverse("notices:read", args=[notice.pk])).status_code == 404
    outsider.post(reverse("notices:read_all"))
    notice.refresh_from_db()
    assert notice.read_at is None
    assert client_for(world.training_officer).get(NOTICES).context["notice_unread_count"] == 1


def test_notice_pages_need_login(world, client):
    assert client.get(NOTICES).status_code == 302
    assert client.post(reverse("notices:read_all")).status_code == 302


# 催办 -----------------------------------------------------------------------------

def _urge(client, document):
    return client.post(reverse("notices:urge", args=[document.pk]))


def _last_message_level(response):
    return [m.level_tag for m in get_messages(response.wsgi_request)][-1]


def test_author_urges_the_queue_once_a_day(emails, client_for, committed):
    world = emails
    document = _in_review(world, client_for)
    author = client_for(world.school_officer)
    detail = reverse("plans:detail", args=[document.pk])
    assert 'data-testid="urge"' in author.get(detail).content.decode()
    assert 'data-testid="urge"' not in client_for(world.principal).get(detail).content.decode()
    mail.outbox.clear()

    with committed():
        response = _urge(author, document)
    assert response.status_code == 302 and response["Location"] == detail
    assert _last_message_level(response) == "success"
    urge = _notices(world.training_officer, Notice.Kind.URGE).get()
    assert urge.dedup_key == f"urge:{document.pk}:{timezone.localdate().isoformat()}"
    assert urge.url == task_url(open_task(document, "initial_review"), "index")
    assert [m.to for m in mail.outbox] == [["training_officer@example.cn"]]

    with committed():
        response = _urge(author, document)
    assert response.status_code == 302
    assert _last_message_level(response) == "error"
    assert Notice.objects.filter(kind=Notice.Kind.URGE).count() == 1
    assert len(mail.outbox) == 1

    # The next day the author may urge again.
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert notice_services.document_urge(document=document, user=world.school_officer, today=tomorrow) == 1


def test_urge_reaches_the_owner_of_a_claimed_task_and_each_expert(world, client_for):
    document = _in_review(world, client_for)
    claim_and_decide(client_for(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk, world.expert2.pk], "comment": "",
    })
    assert _urge(client_for(world.school_officer), document).status_code == 302
    for expert in (world.expert1, world.expert2):
        assert _notices(expert, Notice.Kind.URGE).count() == 1
    assert not _notices(world.training_officer, Notice.Kind.URGE).exists()


def test_urge_refused_to_others_and_outside_review(world, client_for):
    document = _in_review(world, client_for)
    for outsider in (world.other_school_officer, world.teacher, world.expert1):
        assert _urge(client_for(outsider), document).status_code == 404
    assert _urge(client_for(world.principal), document).status_code == 403  # sees it, is not its author
    assert not Notice.objects.filter(kind=Notice.Kind.URGE).exists()
    assert client_for(world.school_officer).get(reverse("notices:urge", args=[document.pk])).status_code == 405

    draft = make_school_plan(world, year=2025)
    response = _urge(client_for(world.school_officer), draft)
    assert response.status_code == 302 and _last_message_level(response) == "error"
    assert not Notice.objects.filter(kind=Notice.Kind.URGE).exists()


def test_unread_count_sql_counts_as_the_orm(world):
    """notices.context_processors' written-out count: the same number as the ORM's query, for
    users with read, unread and no notices."""
    officer, other = world.training_officer, world.bureau_officer
    now = timezone.now()
    for user, read_at in ((officer, None), (officer, None), (officer, now), (other, now)):
        Notice.objects.create(user=user, kind=Notice.Kind.COPY, title="通知", read_at=read_at)
    for user in (officer, other, world.school_officer):
        request = RequestFactory().get("/")
        request.user = user
        expected = Notice.objects.filter(user=user, read_at__isnull=True).count()
        assert unread_notices(request) == {"notice_unread_count": expected}
    assert unread_notices(request)["notice_unread_count"] == 0
