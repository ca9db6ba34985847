"""Remind people of review tasks due by the next working day or overdue.

Safe to run from cron every few minutes: each task, due date and stage
(due soon / overdue) is announced once per person. The reminders are sent by a
worker (the task notices.tasks.send_due_reminders); --now sends them here.
"""
from django.core.management.base import BaseCommand

from notices.services import due_reminders_send
from notices.tasks import send_due_reminders


class Command(BaseCommand):
    help = "Send due-soon and overdue reminders for open review tasks (no duplicates)."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="Send them in this process, not by a worker.")

    def handle(self, *args, now=False, **options):
        if now:
            sent = due_reminders_send()
        else:
            result = send_due_reminders.enqueue()
            if not result.is_finished:
                self.stdout.write(f"Reminders queued for a worker (task {result.id}).")
                return
            sent = result.return_value
        self.stdout.write(f"{sent} reminder(s) sent.")
