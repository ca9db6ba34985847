"""django-tasks-db's worker, plus the recovery of jobs whose worker died.

The database queue marks a task "running" when a worker claims it and never looks at it
again: a worker killed mid-task (SIGKILL, a lost machine) leaves it so. Every worker started
with this command (it overrides django_tasks_db's, jobs being earlier in INSTALLED_APPS)
therefore looks, at start and every JOBS_RECOVER_EVERY seconds, for jobs whose heartbeat
stopped for JOBS_STALE_AFTER seconds and enqueues them again (jobs.services.recover_stale):
the new attempt skips the items already done. It also prunes the jobs finished more than
JOBS_KEEP_DAYS ago, at start and every JOBS_PRUNE_EVERY seconds (jobs.services.prune_finished,
also `manage.py prune_jobs`).
"""
import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from jobs.services import prune_finished, recover_stale

logger = logging.getLogger("jobs")


def _recover_once() -> None:
    try:
        recovered = recover_stale()
        if recovered:
            logger.warning("Enqueued again the jobs of a lost worker: %s", recovered)
    except Exception:  # noqa: BLE001 - the worker keeps working; the next pass tries again
        logger.exception("Recovering stale jobs failed")
    finally:
        close_old_connections()


def _prune_once() -> None:
    try:
        jobs, files = prune_finished()
        if jobs:
            logger.info("Pruned %s finished jobs (%s files)", jobs, files)
    except Exception:  # noqa: BLE001 - the worker keeps working; the next pass tries again
        logger.exception("Pruning finished jobs failed")
    finally:
        close_old_connections()


def _recover_forever(stop: threading.Event) -> None:
    next_prune = time.monotonic() + settings.JOBS_PRUNE_EVERY
    while not stop.wait(settings.JOBS_RECOVER_EVERY):
        _recover_once()
        if time.monotonic() >= next_prune:
            _prune_once()
            next_prune = time.monotonic() + settings.JOBS_PRUNE_EVERY
    connection.close()


class Command(DatabaseWorkerCommand):
    help = DatabaseWorkerCommand.help + " (and recover the jobs of lost workers)"

    def handle(self, *args, **options):
        _recover_once()
        _prune_once()
        stop = threading.Event()
        thread = threading.Thread(target=_recover_forever, args=(stop,), name="jobs-recovery", daemon=True)
        thread.start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
