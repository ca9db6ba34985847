"""Starting, running, cancelling and recovering jobs.

A job is run by a django-tasks task of the app that owns the work (printing.tasks,
credits.tasks, audit.tasks), which calls `run(job_id, token, handler)`. The handler gets a
`JobRun`: it declares the total, walks its items through `run.each(...)` (each item's output
saved once, keyed, so a second attempt skips what is done), and ends with `run.finish(...)`.
Between items the run stops if the owner cancelled, or if a newer attempt took the job over.

A worker killed mid-job leaves the job "running" with a heartbeat that stops moving.
`recover_stale()` (run by every `manage.py db_worker`, see jobs/management/commands) enqueues
such a job again; the new attempt goes on from the items already done.
"""
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .models import Job, JobItem
from .signals import job_finished

logger = logging.getLogger(__name__)

ERROR_UNEXPECTED = _("The job stopped because of an unexpected error. Try again; if it fails again, "
                     "tell the system administrator.")
ERROR_TOO_MANY_ATTEMPTS = _("The job was interrupted too many times and was given up. Start it again.")
MAX_ATTEMPTS = 5


class JobError(Exception):
    """A failure to tell the owner in words (the message is a gettext msgid)."""


class Stop(Exception):
    """The run stops between items: cancelled, or taken over by a newer attempt."""


def district_text(message, **params) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % params if params else str(message)


def job_start(*, owner, kind: str, title, task, params: dict | None = None, shared_lock=None,
              same: tuple[str, ...] | None = None) -> Job:
    """Create the job and enqueue its task. With the immediate backend (tests) the task has
    run when this returns.

    The same work asked for again (a double click, a reload of an export link, two tabs)
    while the owner's first job of it is still waiting or running is that job, not a
    second one doing it all again: the owner's starts are taken one at a time (their
    user row locked), so two requests at once find one job.

    Work that is one for everyone (a school's cycle close) passes `shared_lock`, a queryset
    whose rows are locked instead of the owner's, and `same`, the names of the params that
    say which work it is: a waiting or running job of the kind with those params is then
    returned whoever started it (the caller tells a user it is someone else's)."""
    from django.contrib.auth import get_user_model

    params = params or {}
    with transaction.atomic():
        active = Job.objects.filter(kind=kind, state__in=[Job.State.QUEUED, Job.State.RUNNING],
                                    cancel_requested=False).order_by("-pk")
        if shared_lock is not None:
            list(shared_lock.select_for_update().values_list("pk", flat=True))
        else:
            list(get_user_model().objects.select_for_update().filter(pk=owner.pk).values_list("pk", flat=True))
            active = active.filter(owner=owner)
        for existing in active:
            # Compared here: JSON equality differs between databases.
            if (existing.params == params if same is None
                    else all(existing.params.get(name) == params.get(name) for name in same)):
                return existing
        job = Job.objects.create(owner=owner, kind=kind, title=district_text(title)[:200], params=params,
                                 task_path=task.module_path)
    _enqueue(job, task)
    job.refresh_from_db()
    return job


def _enqueue(job: Job, task) -> None:
    token = uuid.uuid4().hex
    # The token is saved before the task may run (the immediate backend runs it in enqueue()).
    Job.objects.filter(pk=job.pk).update(run_token=token, state=Job.State.QUEUED, queued_at=timezone.now())
    result = task.enqueue(job.pk, token)
    Job.objects.filter(pk=job.pk).update(task_result_id=str(result.id)[:64])


def job_cancel(*, job: Job, user) -> Job:
    """The owner stops a job: a waiting one at once, a running one at its next item."""
    if job.owner_id != user.pk:
        raise PermissionDenied
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.finished:
            return job
        if job.state == Job.State.QUEUED:
            job.state, job.finished_at = Job.State.CANCELLED, timezone.now()
            job.save(update_fields=["state", "finished_at"])
            finished = True
        else:
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested"])
            finished = False
    if finished:
        _cleanup_parts(job)
        job_finished.send(sender=Job, job=job)
    return job


def recover_stale(*, stale_after: float | None = None) -> list[int]:
    """Enqueue again every job whose worker stopped answering (no heartbeat for `stale_after`
    seconds while running). Returns the ids of the jobs enqueued again."""
    stale_after = settings.JOBS_STALE_AFTER if stale_after is None else stale_after
    limit = timezone.now() - timedelta(seconds=stale_after)
    recovered = []
    for pk in Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=limit).values_list("pk", flat=True):
        with transaction.atomic():
            job = Job.objects.select_for_update().filter(pk=pk, state=Job.State.RUNNING,
                                                         heartbeat_at__lt=limit).first()
            if job is None:
                continue  # it moved meanwhile, or another worker took it
            old_result = job.task_result_id
            if job.attempts >= MAX_ATTEMPTS:
                job.state, job.finished_at = Job.State.FAILED, timezone.now()
                job.error = district_text(ERROR_TOO_MANY_ATTEMPTS)
                job.save(update_fields=["state", "finished_at", "error"])
                transaction.on_commit(lambda job=job: job_finished.send(sender=Job, job=job))
                continue
            # Queued again under a new token: should the old attempt wake up, it stops.
            job.state, job.run_token = Job.State.QUEUED, uuid.uuid4().hex
            job.save(update_fields=["state", "run_token"])
        _mark_lost(old_result)
        task = import_string(job.task_path)
        _enqueue(job, task)
        logger.warning("Job %s: its worker stopped answering; enqueued again", job.pk)
        recovered.append(job.pk)
    return recovered


def _mark_lost(result_id: str) -> None:
    """The database queue's row of a lost attempt stays "running" forever: mark it failed."""
    from django.apps import apps

    if not result_id or not apps.is_installed("django_tasks_db"):
        return
    from django_tasks_db.models import DBTaskResult

    try:
        DBTaskResult.objects.filter(id=result_id, status="RUNNING").update(status="FAILED",
                                                                           finished_at=timezone.now())
    except (ValueError, ValidationError):  # an id of another backend (the immediate one in tests)
        pass


def oldest_waiting_age() -> float | None:
    """Seconds the oldest waiting job (or queued task) has waited; None when none waits."""
    from django.apps import apps

    now = timezone.now()
    ages = []
    queued = Job.objects.filter(state=Job.State.QUEUED).order_by("queued_at").values_list(
        "queued_at", flat=True).first()
    if queued:
        ages.append((now - queued).total_seconds())
    if apps.is_installed("django_tasks_db"):
        from django.db.models import Case, F, When
        from django_tasks_db.models import DBTaskResult, get_date_max

        # A task delayed on purpose (an email retried in 30 minutes) waits from when it may
        # run, not from when it was queued: else it counts as stuck the moment it is due.
        ready = (DBTaskResult.objects.ready()
                 .annotate(ready_at=Case(When(run_after=get_date_max(), then=F("enqueued_at")),
                                         default=F("run_after")))
                 .order_by("ready_at").values_list("ready_at", flat=True).first())
        if ready:
            ages.append((now - ready).total_seconds())
    return max(ages) if ages else None


def prune_finished(*, keep_days: float | None = None) -> tuple[int, int]:
    """Delete the jobs that finished more than `keep_days` (JOBS_KEEP_DAYS) days ago: their
    result and part files in storage, then their rows; and the database queue's finished task
    rows of the same age. Waiting and running jobs are never touched. Returns (jobs, files)
    deleted. Safe to run on several workers at once: each job is taken under its row lock."""
    from django.apps import apps
    from django.db.models import Q

    keep_days = settings.JOBS_KEEP_DAYS if keep_days is None else keep_days
    limit = timezone.now() - timedelta(days=keep_days)
    old = Q(state__in=Job.FINISHED) & (Q(finished_at__lt=limit) | Q(finished_at__isnull=True, created_at__lt=limit))
    jobs_deleted = files_deleted = 0
    for pk in list(Job.objects.filter(old).values_list("pk", flat=True)):
        with transaction.atomic():
            job = Job.objects.select_for_update().filter(old, pk=pk).first()
            if job is None:
                continue  # another worker pruned it meanwhile
            names = [job.result_file, *JobItem.objects.filter(job=job).exclude(part_file="").values_list(
                "part_file", flat=True)]
            for name in filter(None, names):
                try:
                    if default_storage.exists(name):
                        default_storage.delete(name)
                        files_deleted += 1
                except OSError:  # kept for the next pass: the row stays until its files are gone
                    logger.warning("Job %s: could not delete %s", job.pk, name)
                    break
            else:
                job.delete()
                jobs_deleted += 1
                _remove_empty_dirs(pk)
    if apps.is_installed("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(finished_at__lt=limit).exclude(status__in=["READY", "RUNNING"]).delete()
    return jobs_deleted, files_deleted


def _remove_empty_dirs(pk: int) -> None:
    """The filesystem storage leaves a job's empty folders behind; an object store has none."""
    import os

    try:
        root = default_storage.path(f"jobs/{pk}")
    except NotImplementedError:
        return
    for folder in (os.path.join(root, "result"), os.path.join(root, "parts"), root):
        try:
            os.rmdir(folder)
        except OSError:
            pass  # missing, or not empty


# --- running -------------------------------------------------------------------------------

def part_name(job: Job, position: int, suffix: str) -> str:
    return f"jobs/{job.pk}/parts/{position:06d}{suffix}"


def _save_exact(name: str, content: bytes) -> str:
    """Write `name` in default storage, replacing what an earlier attempt left there."""
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(content))


def _cleanup_parts(job: Job) -> None:
    for item in JobItem.objects.filter(job=job).exclude(part_file=""):
        try:
            default_storage.delete(item.part_file)
        except OSError:  # pragma: no cover - a missing part is no reason to fail
            logger.warning("Job %s: could not delete %s", job.pk, item.part_file)
    JobItem.objects.filter(job=job).update(part_file="")


class JobRun:
    """What a handler sees of its job while it runs."""

    def __init__(self, job: Job, token: str):
        self.job = job
        self.token = token

    @property
    def params(self) -> dict:
        return self.job.params

    def set_total(self, total: int) -> None:
        self.job.total = total
        Job.objects.filter(pk=self.job.pk).update(total=total, done=min(self.job.done, total))

    def check(self) -> None:
        """Between items: stop if cancelled or taken over; otherwise beat the heart."""
        state = Job.objects.filter(pk=self.job.pk).values("cancel_requested", "run_token", "state").first()
        if state is None or state["run_token"] != self.token or state["state"] != Job.State.RUNNING:
            raise Stop("superseded")
        if state["cancel_requested"]:
            raise Stop("cancelled")
        Job.objects.filter(pk=self.job.pk, run_token=self.token).update(heartbeat_at=timezone.now())

    def progress(self, done: int, total: int | None = None) -> None:
        """Work without items (an export): how far it is; stops here if cancelled."""
        self.check()
        if total is not None:
            self.job.total = total
        done = min(done, self.job.total) if self.job.total else 0
        Job.objects.filter(pk=self.job.pk, run_token=self.token).update(total=self.job.total, done=done)

    def finish_response(self, response, filename: str) -> None:
        """The result is a download the synchronous page would have answered with."""
        self.finish(response.content, filename, response["Content-Type"])

    def each(self, keys):
        """Yield (position, key) of the items not done yet; the caller returns each item's
        output through `item_done(position, key, content)` before asking for the next."""
        keys = [str(key) for key in keys]
        done = set(JobItem.objects.filter(job=self.job).values_list("key", flat=True))
        self.set_total(len(keys))
        self._sync_done()
        for position, key in enumerate(keys):
            if key in done:
                continue
            self.check()
            yield position, key

    def item_done(self, position: int, key: str, content: bytes | None = None, *, suffix: str = "") -> None:
        part = _save_exact(part_name(self.job, position, suffix), content) if content is not None else ""
        with transaction.atomic():
            # A second attempt writing the same key replaces its file but never adds a row.
            JobItem.objects.update_or_create(job=self.job, key=key,
                                             defaults={"position": position, "part_file": part})
        self._sync_done()

    def _sync_done(self) -> None:
        done = JobItem.objects.filter(job=self.job).count()
        Job.objects.filter(pk=self.job.pk, run_token=self.token).update(done=done, heartbeat_at=timezone.now())
        self.job.done = done

    def parts(self):
        """(key, bytes) of every item's output, in the items' order (assembling the result)."""
        for item in JobItem.objects.filter(job=self.job).exclude(part_file="").order_by("position"):
            with default_storage.open(item.part_file, "rb") as handle:
                yield item.key, handle.read()

    def finish(self, content: bytes, filename: str, content_type: str) -> None:
        self.check()
        name = _save_exact(f"jobs/{self.job.pk}/result/{uuid.uuid4().hex}", content)
        updated = Job.objects.filter(pk=self.job.pk, run_token=self.token, state=Job.State.RUNNING).update(
            state=Job.State.DONE, result_file=name, result_name=filename[:200], result_type=content_type[:100],
            done=F("total"), finished_at=timezone.now())
        if not updated:  # taken over at the last moment: the newer attempt writes its own result
            default_storage.delete(name)
            raise Stop("superseded")


def run(job_id: int, token: str, handler) -> str:
    """Run `handler(JobRun)` for the job, once per token. Returns the job's final state."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.run_token != token or job.state != Job.State.QUEUED:
            return job.state if job else "missing"   # cancelled while waiting, or superseded
        job.state, job.attempts = Job.State.RUNNING, job.attempts + 1
        job.started_at = job.started_at or timezone.now()
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["state", "attempts", "started_at", "heartbeat_at"])
    job_run = JobRun(job, token)
    try:
        handler(job_run)
    except Stop as stop:
        if str(stop) == "cancelled":
            _end(job, token, Job.State.CANCELLED)
        return Job.objects.get(pk=job.pk).state
    except JobError as error:
        _end(job, token, Job.State.FAILED, error=district_text(error.args[0], **(error.args[1] if len(
            error.args) > 1 else {})))
    except Exception:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        _end(job, token, Job.State.FAILED, error=district_text(ERROR_UNEXPECTED))
        raise  # the task's result records the traceback
    else:
        job.refresh_from_db()
        if job.state == Job.State.DONE:
            _cleanup_parts(job)
            job_finished.send(sender=Job, job=job)
    return Job.objects.get(pk=job.pk).state


def _end(job: Job, token: str, state: str, *, error: str = "") -> None:
    updated = Job.objects.filter(pk=job.pk, run_token=token, state=Job.State.RUNNING).update(
        state=state, error=error[:500], finished_at=timezone.now())
    if updated:
        job.refresh_from_db()
        _cleanup_parts(job)
        job_finished.send(sender=Job, job=job)
