"""Finished jobs are pruned after JOBS_KEEP_DAYS (issue 14): `manage.py prune_jobs`, and every
db_worker at its start and every JOBS_PRUNE_EVERY seconds. The rows go, their result and part
files in storage go; waiting, running and recent jobs stay."""
import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from jobs.models import Job, JobItem
from printing import tasks as printing_tasks

pytestmark = pytest.mark.django_db
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def make_job(owner, state, *, days_ago, with_file=True, with_part=False):
    finished = timezone.now() - timedelta(days=days_ago)
    job = Job.objects.create(owner=owner, kind="batch_print", title=f"{state} {days_ago}", state=state,
                             task_path=printing_tasks.batch_print.module_path,
                             finished_at=finished if state in Job.FINISHED else None)
    Job.objects.filter(pk=job.pk).update(created_at=finished - timedelta(minutes=5))
    if with_file:
        job.result_file = default_storage.save(f"jobs/{job.pk}/result/r.pdf", ContentFile(b"%PDF result"))
        job.save(update_fields=["result_file"])
    if with_part:
        part = default_storage.save(f"jobs/{job.pk}/parts/000000.pdf", ContentFile(b"%PDF part"))
        JobItem.objects.create(job=job, key="1", position=0, part_file=part)
    job.refresh_from_db()
    return job


@pytest.fixture
def jobs_of_all_ages(world, settings):
    settings.JOBS_KEEP_DAYS = 30
    owner = world.bureau_officer
    return {
        "old_done": make_job(owner, Job.State.DONE, days_ago=31, with_part=True),
        "old_failed": make_job(owner, Job.State.FAILED, days_ago=40, with_file=False),
        "old_cancelled": make_job(owner, Job.State.CANCELLED, days_ago=90, with_file=False, with_part=True),
        "recent_done": make_job(owner, Job.State.DONE, days_ago=29),
        "old_running": make_job(owner, Job.State.RUNNING, days_ago=60, with_part=True, with_file=False),
        "old_waiting": make_job(owner, Job.State.QUEUED, days_ago=60, with_file=False),
    }


def test_prune_jobs_deletes_old_finished_jobs_and_their_files(jobs_of_all_ages):
    jobs = jobs_of_all_ages
    old_files = [jobs["old_done"].result_file, *JobItem.objects.filter(
        job__in=[jobs["old_done"], jobs["old_cancelled"]]).values_list("part_file", flat=True)]
    assert len(old_files) == 3 and all(default_storage.exists(name) for name in old_files)
    out = io.StringIO()
    call_command("prune_jobs", stdout=out)
    assert "3" in out.getvalue()
    assert set(Job.objects.values_list("title", flat=True)) == {
        jobs[k].title for k in ("recent_done", "old_running", "old_waiting")}
    assert not JobItem.objects.filter(job_id__in=[jobs["old_done"].pk, jobs["old_cancelled"].pk]).exists()
    assert not any(default_storage.exists(name) for name in old_files)
    # What stays keeps its files: the recent result, the running job's finished items.
    assert default_storage.exists(jobs["recent_done"].result_file)
    assert default_storage.exists(JobItem.objects.get(job=jobs["old_running"]).part_file)
    # Nothing left of the old jobs' folders on the filesystem storage.
    assert not default_storage.exists(f"jobs/{jobs['old_done'].pk}")


def test_keep_days_on_the_command_line_and_never_a_running_job(jobs_of_all_ages):
    call_command("prune_jobs", "--keep-days", "0", stdout=io.StringIO())
    assert set(Job.objects.values_list("state", flat=True)) == {Job.State.RUNNING, Job.State.QUEUED}
    with pytest.raises(CommandError):
        call_command("prune_jobs", "--keep-days", "-1")


def test_the_job_page_of_a_pruned_job_is_gone_not_an_error(jobs_of_all_ages, client_for, world):
    pk = jobs_of_all_ages["old_done"].pk
    call_command("prune_jobs", stdout=io.StringIO())
    client = client_for(world.bureau_officer)
    assert client.get(f"/jobs/{pk}/").status_code == 404
    assert client.get(f"/jobs/{pk}/download/").status_code == 404


def test_the_database_queue_finished_task_rows_are_pruned_too(world, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_QUEUE
    settings.JOBS_KEEP_DAYS = 30
    old, recent, waiting = (printing_tasks.batch_print.enqueue(0, "x") for _ in range(3))
    DBTaskResult.objects.filter(id=old.id).update(status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=31))
    DBTaskResult.objects.filter(id=recent.id).update(status="FAILED", finished_at=timezone.now() - timedelta(days=1))
    call_command("prune_jobs", stdout=io.StringIO())
    assert {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)} == {str(recent.id), str(waiting.id)}


def test_every_worker_prunes_at_its_start(jobs_of_all_ages, monkeypatch, settings):
    from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

    settings.TASKS = DATABASE_QUEUE
    from jobs.management.commands import db_worker

    monkeypatch.setattr(DatabaseWorkerCommand, "handle", lambda self, *args, **options: None)
    # A real worker closes its stale connections; here that would be the test's transaction.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    call_command("db_worker")
    assert not Job.objects.filter(pk=jobs_of_all_ages["old_done"].pk).exists()
    assert Job.objects.filter(pk=jobs_of_all_ages["recent_done"].pk).exists()
