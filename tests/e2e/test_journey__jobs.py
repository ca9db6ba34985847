"""A district officer starts a batch print in the browser, watches the job's progress bar
move to done without reloading (static/js/jobs.js polling the JSON status), and downloads the
merged PDF. The job runs on the database queue, in a worker thread of this process (the
django-tasks-db worker loop itself), with WeasyPrint's real renderings."""
import io
import re
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from playwright.sync_api import expect
from pypdf import PdfReader

from jobs.models import Job
from plans.models import Document
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district, make_proposal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path("test-artifacts")
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class WorkerThread:
    """django-tasks-db's worker loop in a thread, stopped at the end of the test."""

    def __init__(self):
        from django_tasks_db.management.commands.db_worker import Worker

        self.worker = Worker(queue_names=["default"], interval=0.2, batch=False, backend_name="default",
                             startup_delay=False, max_tasks=None, worker_id="e2e-worker", excluded_queue_names=[])
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            self.worker.run()
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.worker.running = False
        self.thread.join(30)


def test_batch_print_job_progress_and_download(page):
    ARTIFACTS.mkdir(exist_ok=True)
    world = make_district()
    documents = [make_proposal(world, year=2024) for _ in range(3)]
    Document.objects.filter(pk__in=[d.pk for d in documents]).update(status=Document.Status.APPROVED)

    with override_settings(TASKS=DATABASE_QUEUE):
        login(page, "bureau_officer", PASSWORD)
        page.goto("/print/batch/")
        page.fill("[name=year]", "2024")
        page.check("[name=format][value=pdf]")
        page.click("[data-testid=batch-print]")
        expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
        state = page.locator("[data-testid=job-state]")
        expect(state).to_have_attribute("data-state", "queued")  # no worker yet: it waits
        expect(page.locator("[data-testid=job-download]")).to_be_hidden()
        page.screenshot(path=str(ARTIFACTS / "jobs-waiting.png"), full_page=True)
        url = page.url

        with WorkerThread():
            expect(state).to_have_attribute("data-state", "done", timeout=180_000)
        # The page moved by itself (no reload): same URL, bar full, count 3 / 3.
        assert page.url == url
        expect(page.locator("[data-testid=job-progress]")).to_have_attribute("value", "100")
        expect(page.locator("[data-testid=job-count]")).to_have_text("3 / 3")
        page.screenshot(path=str(ARTIFACTS / "jobs-done.png"), full_page=True)

        with page.expect_download() as download_info:
            page.click("[data-testid=job-download]")
        download = download_info.value
        path = ARTIFACTS / "jobs-batch.pdf"
        download.save_as(str(path))
    assert download.suggested_filename.endswith(".pdf")
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = "".join(page.extract_text() for page in reader.pages)
    assert all(document.title in text for document in documents)
    job = Job.objects.get()
    assert (job.state, job.done, job.total, job.owner) == (Job.State.DONE, 3, 3, world.bureau_officer)

    # The bell tells the officer; My jobs lists it.
    page.goto("/jobs/")
    expect(page.locator("[data-testid=job-row]")).to_have_count(1)
    expect(page.locator("[data-testid=notice-count]")).to_have_text("1")


def test_export_buttons_post_their_page_filters_and_land_on_the_job(page):
    """The exports that start a job are buttons of POST forms (a GET starts nothing): the
    district credit page's Excel button (outside its form, by form="export-job") and the audit
    trail's CSV button (formaction) keep the page's filters and open the job's page."""
    from django.core.management import call_command
    from django.urls import reverse

    ARTIFACTS.mkdir(exist_ok=True)
    call_command("loaddata", "credit_rules", verbosity=0)
    world = make_district()
    world.district.credit_rule_family = "hunan"
    world.district.save()
    login(page, "bureau_officer", PASSWORD)

    page.goto(reverse("credits:district_credits") + "?year=2023")
    page.screenshot(path=str(ARTIFACTS / "jobs-export-button.png"), full_page=True)
    page.click("[data-testid=export-xlsx]")
    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    expect(page.locator("[data-testid=job-state]")).to_have_attribute("data-state", "done")
    job = Job.objects.get()
    assert (job.kind, job.params["year"]) == ("district_credits_export", 2023)

    page.goto(reverse("audit:list") + "?date_from=2024-03-01")
    page.screenshot(path=str(ARTIFACTS / "jobs-export-audit.png"), full_page=True)
    page.click("[data-testid=export-csv]")
    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    job = Job.objects.get(kind="audit_export")
    assert job.params["format"] == "csv" and "2024-03-01" in str(job.params["filters"])
    page.screenshot(path=str(ARTIFACTS / "jobs-export-done.png"), full_page=True)
