"""Jobs survive a worker restart (issue 14 item 2): a REAL `manage.py db_worker` process on
the test database (the SQLite file or the PostgreSQL test database) runs a 200-document
batch; it is killed with SIGKILL in the middle, a second worker is started, and the batch
completes with every document exactly once, in order.

The renderings are quick stand-ins (tests/fast_print: WeasyPrint would take minutes for 200
documents on these machines); the queue, the worker, the job and its items are the real ones.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from jobs.models import Job, JobItem
from plans.models import Document
from printing import tasks as printing_tasks
from tests.factories import make_district
from tests.job_helpers import pdf_page_texts

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = 200
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def worker_env() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
           "MEDIA_ROOT": str(settings.MEDIA_ROOT), "FAST_PRINT_DELAY": "0.05",
           # A restarted worker takes over a job silent for 2 s (production: minutes).
           "JOBS_STALE_AFTER": "2", "JOBS_RECOVER_EVERY": "0.5"}
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = db["NAME"]
    else:
        auth = quote(db["USER"]) + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return env


def start_worker(log):
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"],
        cwd=ROOT, env=worker_env(), stdout=log, stderr=subprocess.STDOUT)


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_killed_worker_loses_nothing_and_repeats_nothing(tmp_path):
    if connection.vendor == "sqlite" and ":memory:" in connection.settings_dict["NAME"]:
        pytest.skip("needs a file-based SQLite test database")
    world = make_district()
    Document.objects.bulk_create([
        Document(kind=Document.Kind.PROJECT_PROPOSAL, organisation=world.training_school, year=2024,
                 title=f"项目书{n:03d}", created_by=world.training_officer, status=Document.Status.APPROVED)
        for n in range(DOCUMENTS)])
    documents = Document.objects.filter(year=2024).order_by("pk")
    ids = list(documents.values_list("pk", flat=True))
    with override_settings(TASKS=DATABASE_QUEUE):
        job = printing_tasks.batch_print_start(user=world.bureau_officer, documents=documents, fmt="pdf",
                                               name="batch")
    assert job.state == Job.State.QUEUED

    log_path = tmp_path / "worker.log"
    with open(log_path, "ab") as log:
        first = start_worker(log)
        try:
            wait_for(lambda: Job.objects.get(pk=job.pk).done >= 40, 180, "the first worker to print 40")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        killed_at = Job.objects.get(pk=job.pk)
        assert killed_at.state == Job.State.RUNNING and 40 <= killed_at.done < DOCUMENTS, (
            killed_at.state, killed_at.done, log_path.read_text())
        time.sleep(1)
        assert Job.objects.get(pk=job.pk).done == killed_at.done  # nobody works on it now

        second = start_worker(log)
        try:
            wait_for(lambda: Job.objects.get(pk=job.pk).finished, 240, "the second worker to finish")
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(10)
            except subprocess.TimeoutExpired:
                second.kill()

    job.refresh_from_db()
    assert job.state == Job.State.DONE, (job.state, job.error, log_path.read_text())
    assert (job.done, job.total, job.attempts) == (DOCUMENTS, DOCUMENTS, 2)
    assert JobItem.objects.filter(job=job).count() == DOCUMENTS
    from django.core.files.storage import default_storage

    with default_storage.open(job.result_file, "rb") as handle:
        pages = pdf_page_texts(handle.read())
    assert pages == [f"DOC-{pk}" for pk in ids]  # nothing lost, nothing twice, in order
