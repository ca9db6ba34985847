"""Delete the jobs finished more than JOBS_KEEP_DAYS days ago (their rows and result files in
storage) and the database queue's finished task rows of that age. Every db_worker runs the
same pruning itself (JOBS_PRUNE_EVERY); this command is for cron, or for a run by hand."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jobs.services import prune_finished


class Command(BaseCommand):
    help = "Delete finished jobs older than JOBS_KEEP_DAYS days, with their result files."

    def add_arguments(self, parser):
        parser.add_argument("--keep-days", type=float, default=None,
                            help=f"keep jobs finished in the last N days (default JOBS_KEEP_DAYS, "
                                 f"now {settings.JOBS_KEEP_DAYS:g})")

    def handle(self, *args, keep_days=None, **options):
        if keep_days is not None and keep_days < 0:
            raise CommandError("--keep-days must be 0 or more")
        jobs, files = prune_finished(keep_days=keep_days)
        self.stdout.write(f"Deleted {jobs} finished jobs and {files} files.")
