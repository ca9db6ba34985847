"""django-tasks-db's worker, plus the recovery of jobs whose worker died.

The database queue marks a task "running" when a worker claims it and never looks at it
again: a worker killed mid-task (SIGKILL, a lost machine) leaves it so. Every worker started
with this command (it overrides django_tasks_db's, jobs being earlier in INSTALLED_APPS)
therefore looks, at start and every JOBS_RECOVER_EVERY seconds, for jobs whose heartbeat
stopped for JOBS_STALE_AFTER seconds and enqueues them again (jobs.services.recover_stale):
the new attempt skips the items already done.
"""
import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from jobs.services import recover_stale

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


def _recover_forever(stop: threading.Event) -> None:
    while not stop.wait(settings.JOBS_RECOVER_EVERY):
        _recover_once()
    connection.close()


class Command(DatabaseWorkerCommand):
    help = DatabaseWorkerCommand.help + " (and recover the jobs of lost workers)"

    def handle(self, *args, **options):
        _recover_once()
        stop = threading.Event()
        thread = threading.Thread(target=_recover_forever, args=(stop,), name="jobs-recovery", daemon=True)
        thread.start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
