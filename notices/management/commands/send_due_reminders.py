"""Remind people of review tasks due by the next working day or overdue.

Safe to run from cron every few minutes: each task, due date and stage
(due soon / overdue) is announced once per person.
"""
from django.core.management.base import BaseCommand

from notices.services import due_reminders_send


class Command(BaseCommand):
    help = "Send due-soon and overdue reminders for open review tasks (no duplicates)."

    def handle(self, *args, **options):
        sent = due_reminders_send()
        self.stdout.write(f"{sent} reminder(s) sent.")
