"""Background work of notices: the emails of notices (with retries) and the due-date
reminders. In-app notices themselves are written at once (notices.services.notify)."""
import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from . import services

logger = logging.getLogger(__name__)


@task()
def send_notice_emails(addresses: list[str], subject: str, body: str, attempt: int = 1) -> int:
    """Email each address; the addresses refused are tried again after a growing
    delay, EMAIL_ATTEMPTS times in all. Returns the number sent in this attempt."""
    failed = services.email_deliver(addresses, subject, body)
    if failed:
        if attempt < settings.EMAIL_ATTEMPTS:
            retry = send_notice_emails
            if retry.get_backend().supports_defer:
                delays = settings.EMAIL_RETRY_DELAYS
                delay = delays[min(attempt - 1, len(delays) - 1)]
                retry = retry.using(run_after=timezone.now() + timedelta(seconds=delay))
            retry.enqueue(failed, subject, body, attempt + 1)
        else:
            logger.error("Gave up emailing %r to %s after %s attempts", subject, failed, attempt)
    return len(addresses) - len(failed)


@task()
def send_due_reminders() -> int:
    """Due-soon and overdue reminders for open review tasks (no duplicates): the notices sent."""
    return services.due_reminders_send()
