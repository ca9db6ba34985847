"""Background jobs (issue 14 items 1, 2 and 7): the job page and its JSON, cancel, the result
only for its owner, errors in words, the owner's notice, a second attempt after a lost worker
that neither loses nor repeats an item, and /healthz. The tasks run inside enqueue() here
(the immediate backend); tests/test_jobs__worker.py runs a real worker process."""
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from jobs import services as jobs
from jobs.models import Job, JobItem
from notices.models import Notice
from plans.models import Document
from printing import services as printing_services
from printing import tasks as printing_tasks
from tests.factories import make_district, make_proposal
from tests.job_helpers import fast_document_pdf, job_result, pdf_page_texts, started_job

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def fast_print(monkeypatch):
    """Renders counted, and quick (WeasyPrint takes seconds a document on these machines)."""
    rendered = []

    def render(document):
        rendered.append(document.pk)
        return fast_document_pdf(document)

    monkeypatch.setattr(printing_services, "document_pdf", render)
    return rendered


@pytest.fixture
def approved(world):
    documents = [make_proposal(world, year=2024) for _ in range(3)]
    Document.objects.filter(pk__in=[d.pk for d in documents]).update(status=Document.Status.APPROVED)
    return documents


def start(world, client_for, fmt="pdf"):
    client = client_for(world.bureau_officer)
    return client, client.post(reverse("printing:batch"), {"year": 2024, "format": fmt})


def test_batch_print_job_page_progress_and_result(world, client_for, approved, fast_print):
    client, response = start(world, client_for)
    job = started_job(response)
    assert (job.owner, job.kind, job.state, job.done, job.total) == (
        world.bureau_officer, "batch_print", Job.State.DONE, 3, 3)
    assert job.task_result_id and job.attempts == 1
    page = client.get(reverse("jobs:detail", args=[job.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="job-progress"' in html and 'value="100"' in html
    assert "<script>" not in html  # the polling is static/js/jobs.js (CSP: no inline script)
    status = json.loads(client.get(reverse("jobs:status", args=[job.pk])).content)
    assert status == {"state": "done", "state_label": pgettext("job state", "Done"), "done": 3, "total": 3, "percent": 100,
                      "finished": True, "error": "", "download_url": reverse("jobs:download", args=[job.pk])}
    result = job_result(client, response)
    assert result["Content-Type"] == "application/pdf"
    assert pdf_page_texts(result.content) == [f"DOC-{d.pk}" for d in sorted(approved, key=lambda d: d.pk)]
    # The parts are gone once the result is assembled; the items stay as the record.
    assert not JobItem.objects.filter(job=job).exclude(part_file="").exists()
    listing = client.get(reverse("jobs:list")).content.decode()
    assert job.title in listing


def test_the_owner_is_told_when_the_job_finishes(world, client_for, approved, fast_print):
    _client, response = start(world, client_for)
    job = started_job(response)
    notice = Notice.objects.get(user=world.bureau_officer, kind=Notice.Kind.JOB_DONE)
    assert notice.url == reverse("jobs:detail", args=[job.pk]) and job.title in notice.title


def test_only_the_owner_sees_the_job_and_its_result(world, client_for, approved, fast_print):
    _client, response = start(world, client_for)
    job = started_job(response)
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    for user in (world.training_officer, world.school_officer, elsewhere.bureau_officer, world.teacher):
        other = client_for(user)
        for name in ("detail", "status", "download"):
            assert other.get(reverse(f"jobs:{name}", args=[job.pk])).status_code == 404, (user, name)
        assert other.post(reverse("jobs:cancel", args=[job.pk])).status_code == 404
        assert job.title not in other.get(reverse("jobs:list")).content.decode()
    anonymous = client_for(world.bureau_officer)
    anonymous.logout()
    response = anonymous.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_job_that_cannot_do_its_work_fails_with_a_chinese_message(world, client_for, approved, fast_print):
    job = printing_tasks.batch_print_start(user=world.bureau_officer, documents=Document.objects.filter(
        pk__in=[d.pk for d in approved]), fmt="pdf", name="x")
    assert job.state == Job.State.DONE
    Document.objects.update(status=Document.Status.DRAFT)  # no longer approved when printed again
    job = printing_tasks.batch_print_start(user=world.bureau_officer, documents=Document.objects.filter(
        pk__in=[d.pk for d in approved]), fmt="zip", name="x")
    assert job.state == Job.State.FAILED
    assert job.error == gettext(printing_tasks.ERROR_NOTHING_LEFT) and not job.result_file
    client = client_for(world.bureau_officer)
    assert job.error in client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404
    assert Notice.objects.filter(user=world.bureau_officer, kind=Notice.Kind.JOB_FAILED).count() == 1


def test_an_unexpected_error_is_told_in_words_not_a_traceback(world, client_for, approved, monkeypatch):
    def broken(document):
        raise RuntimeError("font cache exploded")

    monkeypatch.setattr(printing_services, "document_pdf", broken)
    _client, response = start(world, client_for)
    job = started_job(response)
    assert job.state == Job.State.FAILED and job.error == gettext(jobs.ERROR_UNEXPECTED)
    assert "exploded" not in job.error


def test_cancel_stops_a_running_job_between_items(world, client_for, approved, monkeypatch):
    rendered = []

    def render(document):
        rendered.append(document.pk)
        if len(rendered) == 2:  # the owner presses Cancel while the second document prints
            job = Job.objects.get()
            client_for(world.bureau_officer).post(reverse("jobs:cancel", args=[job.pk]))
        return fast_document_pdf(document)

    monkeypatch.setattr(printing_services, "document_pdf", render)
    _client, response = start(world, client_for)
    job = started_job(response)
    assert job.state == Job.State.CANCELLED and job.cancel_requested
    assert len(rendered) == 2 and job.done == 2 and not job.result_file
    assert not JobItem.objects.filter(job=job).exclude(part_file="").exists()
    assert not Notice.objects.filter(kind__in=[Notice.Kind.JOB_DONE, Notice.Kind.JOB_FAILED]).exists()


def test_cancel_of_a_waiting_job_is_at_once_and_the_worker_then_skips_it(world, client_for, approved, fast_print):
    with override_settings(TASKS=DATABASE_QUEUE):
        _client, response = start(world, client_for)
    job = started_job(response)
    assert job.state == Job.State.QUEUED
    client_for(world.bureau_officer).post(reverse("jobs:cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED
    assert printing_tasks.batch_print.call(job.pk, job.run_token) == Job.State.CANCELLED
    assert fast_print == []


def test_a_job_whose_worker_died_is_run_again_from_where_it_stopped(world, client_for, approved, monkeypatch):
    """In process: the first attempt dies after one document (as a killed worker would: no
    except clause runs), recover_stale enqueues the job again, the second attempt prints the
    two others only, and the result holds each document once, in order."""
    rendered = []

    def dying(document):
        if len(rendered) == 1:
            raise SystemExit("killed")
        rendered.append(document.pk)
        return fast_document_pdf(document)

    monkeypatch.setattr(printing_services, "document_pdf", dying)
    client, response = start(world, client_for)
    job = started_job(response)
    assert (job.state, job.done, job.total) == (Job.State.RUNNING, 1, 3)
    assert jobs.recover_stale() == []  # its heartbeat is fresh: maybe only slow

    def quick(document):
        rendered.append(document.pk)
        return fast_document_pdf(document)

    monkeypatch.setattr(printing_services, "document_pdf", quick)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    first_token = job.run_token
    assert jobs.recover_stale() == [job.pk]
    job.refresh_from_db()
    assert (job.state, job.done, job.attempts) == (Job.State.DONE, 3, 2)
    ids = sorted(d.pk for d in approved)
    assert rendered == ids  # each document printed once
    assert JobItem.objects.filter(job=job).count() == 3
    assert pdf_page_texts(job_result(client, response).content) == [f"DOC-{pk}" for pk in ids]
    # The first attempt, should it wake up, stops without touching anything.
    assert printing_tasks.batch_print.call(job.pk, first_token) == Job.State.DONE
    assert rendered == ids


def test_a_job_lost_too_often_is_given_up_with_a_message(world, client_for, approved, fast_print):
    job = Job.objects.create(owner=world.bureau_officer, kind="batch_print", title="t", task_path=
                             printing_tasks.batch_print.module_path, state=Job.State.RUNNING,
                             attempts=jobs.MAX_ATTEMPTS, heartbeat_at=timezone.now() - timedelta(hours=1))
    assert jobs.recover_stale() == []
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.error == gettext(jobs.ERROR_TOO_MANY_ATTEMPTS)


# --- email of notices, as a task with retries --------------------------------------------------

def test_notice_email_refused_once_is_sent_on_a_second_attempt(world, monkeypatch, settings):
    from notices import services as notice_services

    calls = []
    real = notice_services.send_mail

    def flaky(subject, body, sender, to, connection=None):
        calls.append(to[0])
        if to == ["a@example.cn"] and calls.count("a@example.cn") == 1:
            raise OSError("server busy")
        return real(subject, body, sender, to, connection=connection)

    monkeypatch.setattr(notice_services, "send_mail", flaky)
    mail.outbox.clear()
    from notices.tasks import send_notice_emails

    assert send_notice_emails.call(["a@example.cn", "b@example.cn"], "标题", "/x/") == 1
    assert calls == ["a@example.cn", "b@example.cn", "a@example.cn"]
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.cn", "b@example.cn"]


def test_notice_email_gives_up_after_its_attempts(world, monkeypatch, settings):
    from notices import services as notice_services
    from notices.tasks import send_notice_emails

    calls = []

    def down(subject, body, sender, to, connection=None):
        calls.append(to[0])
        raise OSError("server down")

    monkeypatch.setattr(notice_services, "send_mail", down)
    send_notice_emails.call(["a@example.cn"], "标题", "")
    assert len(calls) == settings.EMAIL_ATTEMPTS


def test_notice_email_retry_waits_on_the_database_queue(world, monkeypatch, settings):
    from django_tasks_db.models import DBTaskResult

    from notices import services as notice_services
    from notices.tasks import send_notice_emails

    def down(subject, body, sender, to, connection=None):
        raise OSError("server down")

    monkeypatch.setattr(notice_services, "send_mail", down)
    settings.TASKS = DATABASE_QUEUE
    send_notice_emails.call(["a@example.cn"], "标题", "")
    retry = DBTaskResult.objects.get()
    assert retry.args_kwargs["args"] == [["a@example.cn"], "标题", "", 2]
    assert retry.run_after > timezone.now() + timedelta(seconds=settings.EMAIL_RETRY_DELAYS[0] - 5)


def test_notice_emails_leave_the_request_for_a_worker(world, settings, django_capture_on_commit_callbacks):
    """notify() writes the notice at once and, after commit, queues its email for a worker."""
    from django_tasks_db.models import DBTaskResult

    from notices.services import notify

    settings.TASKS = DATABASE_QUEUE
    world.teacher.email = "t@example.cn"
    world.teacher.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[world.teacher], kind=Notice.Kind.URGE, title="催办")
        assert not DBTaskResult.objects.exists()  # nothing before the commit
    assert Notice.objects.filter(user=world.teacher).count() == 1
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "notices.tasks.send_notice_emails"
    assert queued.args_kwargs["args"][0] == ["t@example.cn"] and mail.outbox == []


def test_due_reminders_command_queues_them_for_a_worker(world, settings):
    from io import StringIO

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_QUEUE
    out = StringIO()
    call_command("send_due_reminders", stdout=out)
    assert DBTaskResult.objects.get().task_path == "notices.tasks.send_due_reminders"
    assert "queued" in out.getvalue()
    out = StringIO()
    call_command("send_due_reminders", "--now", stdout=out)
    assert "reminder(s) sent" in out.getvalue()


# --- /healthz -------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def fresh_storage_probe(monkeypatch):
    from jobs import health

    monkeypatch.setattr(health, "_storage_ok_at", 0.0)


def test_healthz_ok_without_login_and_without_data(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "checks": {"database": "ok", "storage": "ok",
                                                                        "queue": "ok"}}
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_fails_when_storage_fails(client, db, monkeypatch):
    from django.core.files.storage import default_storage

    def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(default_storage, "save", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["checks"] == {"database": "ok", "storage": "fail", "queue": "ok"}


def test_healthz_fails_when_the_database_fails(client, db, monkeypatch):
    from jobs import health

    def down():
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", down)
    response = client.get("/healthz")
    assert response.status_code == 503 and json.loads(response.content)["status"] == "fail"


def test_healthz_says_degraded_when_a_job_waits_too_long_but_keeps_serving(client, world, settings):
    """A late queue is the workers' trouble: the web server stays in the balancer (200) and
    the answer says so for monitoring."""
    settings.JOBS_HEALTH_MAX_WAIT = 60
    job = Job.objects.create(owner=world.bureau_officer, kind="batch_print", title="t", task_path="x",
                             queued_at=timezone.now() - timedelta(seconds=30))
    assert json.loads(client.get("/healthz").content)["status"] == "ok"
    Job.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(seconds=120))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "degraded", "checks": {"database": "ok", "storage": "ok",
                                                                              "queue": "late"}}
    assert "batch_print" not in response.content.decode()


def test_healthz_writes_to_the_storage_once_in_a_while_not_per_probe(client, db, monkeypatch):
    from django.core.files.storage import default_storage

    writes = []
    real = default_storage.save
    monkeypatch.setattr(default_storage, "save", lambda *a, **k: writes.append(1) or real(*a, **k))
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
    assert len(writes) == 1


# --- races -----------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_workers_recovering_one_stale_job_enqueue_it_once(settings):
    """Every worker looks for stale jobs: of four looking at once, one takes the job over
    (one new task in the queue, one new token), on both databases."""
    from django_tasks_db.models import DBTaskResult

    from tests.race_helpers import race_calls

    settings.TASKS = DATABASE_QUEUE
    world = make_district()
    job = Job.objects.create(owner=world.bureau_officer, kind="batch_print", title="t",
                             task_path=printing_tasks.batch_print.module_path, state=Job.State.RUNNING,
                             attempts=1, run_token="old", heartbeat_at=timezone.now() - timedelta(hours=1))
    results = race_calls([jobs.recover_stale] * 4)
    assert sorted(map(repr, results)) == sorted([repr([job.pk])] + [repr([])] * 3), results
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and job.run_token != "old"
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["args"] == [job.pk, job.run_token]


@pytest.mark.django_db(transaction=True)
def test_cancel_racing_the_start_of_a_job_leaves_one_consistent_state(settings):
    """The owner cancels while a worker starts the job: either it never runs (cancelled while
    waiting) or it runs and stops at its first item; never both, never neither."""
    from tests.race_helpers import race_calls

    settings.TASKS = DATABASE_QUEUE
    world = make_district()
    for _ in range(2):
        make_proposal(world, year=2024)
    Document.objects.update(status=Document.Status.APPROVED)
    job = printing_tasks.batch_print_start(user=world.bureau_officer, documents=Document.objects.order_by("pk"),
                                           fmt="pdf", name="x")
    original = printing_services.document_pdf
    printing_services.document_pdf = fast_document_pdf
    try:
        results = race_calls([lambda: printing_tasks.batch_print.call(job.pk, job.run_token),
                              lambda: jobs.job_cancel(job=job, user=world.bureau_officer)])
    finally:
        printing_services.document_pdf = original
    assert not any(isinstance(result, Exception) for result in results), results
    job.refresh_from_db()
    assert job.state in (Job.State.CANCELLED, Job.State.DONE), job.state
    if job.state == Job.State.CANCELLED:
        assert not job.result_file and job.done < 2
