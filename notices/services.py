"""In-app notices (the bell) with an email each, due-date reminders and 催办.

Notices are written in the district's language (settings.LANGUAGE_CODE), like
the trail: they are a record, and the email goes out in the same words.
Every notice about one thing carries a dedup key (e.g. "task-created:42");
a user gets at most one notice per key, so hooks and the reminder command may
run again without sending anything twice.
"""
import datetime
import logging
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection, send_mail
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from .models import Notice

logger = logging.getLogger(__name__)

TITLE_TASK_CREATED = _("New task: %(step)s of “%(title)s”")
TITLE_DUE_SOON = _("Due soon: %(step)s of “%(title)s” is due on %(date)s")
TITLE_OVERDUE = _("Overdue: %(step)s of “%(title)s” was due on %(date)s")
TITLE_URGE = _("%(name)s asks you to handle %(step)s of “%(title)s” soon")
TITLE_RETURNED = _("“%(title)s” was returned for revision")
TITLE_CHANGES_REQUESTED = _("“%(title)s”: the experts agreed subject to changes; revise it as asked and resubmit it")
TITLE_APPROVED = _("“%(title)s” was approved and filed as %(number)s")
TITLE_REJECTED = _("“%(title)s” was rejected")
TITLE_JOB_DONE = _("Done: %(title)s. The result is ready to download.")
TITLE_JOB_FAILED = _("Failed: %(title)s")
TITLE_HANDED_OVER = _("%(name)s handed you %(step)s of “%(title)s”")
TITLE_COPIED = _("%(name)s copied “%(title)s” to you for information")
TITLE_COPIED_NOTE = _("%(name)s copied “%(title)s” to you for information: %(note)s")

ERROR_NOT_IN_REVIEW = _("Only a document in review can be urged.")
ERROR_ALREADY_URGED = _("The reviewers of this document were already reminded today. You can remind them again tomorrow.")
ERROR_NOBODY_TO_URGE = _("There is no one to remind: the document has no open review task.")

EMAIL_FOOTER = _("This message was sent by the teacher training plan approval system.")


def inner(title) -> str:
    """A name set inside 《…》 by a notice's text: its own 《》 become 〈〉, so a
    change request's title (《…》调整申请) is never doubled (《《…》调整申请》)."""
    return str(title).replace("《", "〈").replace("》", "〉")


def district_text(message, **params) -> str:
    """A message in the district's language, whoever's request we are in."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % params if params else str(message)


def notify(*, users, kind: str, title, url: str = "", dedup_key: str | None = None,
           email: bool = True) -> list[Notice]:
    """Create a notice for each user (once per user and dedup_key) and email
    each user with an address, after the transaction commits.

    Returns the notices created (those skipped as duplicates are not).
    """
    title = district_text(title)[:300]
    recipients, seen = [], set()
    for user in users:
        if user is not None and user.is_active and user.pk not in seen:
            seen.add(user.pk)
            recipients.append(user)
    if dedup_key and recipients:
        already = set(Notice.objects.filter(dedup_key=dedup_key, user__in=recipients)
                      .values_list("user_id", flat=True))
        recipients = [u for u in recipients if u.pk not in already]
    created = []
    for user in recipients:
        try:
            with transaction.atomic():  # a savepoint: a lost race skips one user only
                notice = Notice.objects.create(user=user, kind=kind, title=title, url=url[:300],
                                               dedup_key=dedup_key or None)
        except IntegrityError:
            if not dedup_key:
                raise
            continue  # someone else sent this one meanwhile
        notice.user = user
        created.append(notice)
    if email:
        addresses = [n.user.email for n in created if n.user.email]
        if addresses:
            # After commit: nothing is mailed for a decision that was rolled back.
            transaction.on_commit(partial(email_send, addresses, title, email_body(title, url)), robust=True)
    return created


def email_body(text: str, url: str = "") -> str:
    """A notice's email: what happened, the link to the page, the footer."""
    link = f"{getattr(settings, 'NOTICES_SITE_URL', '').rstrip('/')}{url}" if url else ""
    return "\n\n".join(part for part in (text, link, district_text(EMAIL_FOOTER)) if part)


def email_send(recipients: list[str], subject: str, body: str) -> None:
    """The one way the app sends email: queued as a task (notices.tasks.send_notice_emails),
    so the page does not wait for the mail server and a refused address is tried again later.
    Call it after the commit."""
    from .tasks import send_notice_emails

    send_notice_emails.enqueue(list(recipients), subject, body)


def email_deliver(recipients: list[str], subject: str, body: str) -> list[str]:
    """Send now (run by the task): one message per address (no one sees the others'
    addresses); a failure is logged and the other addresses still get theirs.
    Returns the addresses that failed, for the task to try again."""
    failed = []
    try:
        connection = get_connection()
    except Exception:  # noqa: BLE001 - no connection: every address is tried again later
        logger.exception("Could not connect to send %r", subject)
        return list(recipients)
    for address in recipients:
        try:
            send_mail(subject, body, None, [address], connection=connection)
        except Exception:  # noqa: BLE001 - a mail server problem must not lose the other emails
            logger.exception("Could not email %r to %s", subject, address)
            failed.append(address)
    return failed


# Due-date reminders ------------------------------------------------------------

def due_reminders_send(*, today: datetime.date | None = None) -> int:
    """Remind the people on open human tasks of every flow (documents,
    declarations) due by the next working day or overdue: once per task, due
    date and stage. Returns the notices sent."""
    from viewflow.workflow.models import Task

    from workflow.calendar import add_working_days
    from workflow.kit import task_process
    from workflow.selectors import OPEN_STATUSES, task_related
    from workflow.services import task_recipients, task_url

    today = today or timezone.localdate()
    horizon = add_working_days(today, 1)
    tasks = (
        Task.objects.filter(flow_task_type="HUMAN", status__in=OPEN_STATUSES, due__due_date__lte=horizon)
        .select_related(*task_related()).order_by("due__due_date", "pk")
    )
    sent = 0
    for task in tasks:
        due_date = task.due.due_date
        overdue = due_date < today
        kind = Notice.Kind.OVERDUE if overdue else Notice.Kind.DUE_SOON
        with translation.override(settings.LANGUAGE_CODE):
            title = district_text(
                TITLE_OVERDUE if overdue else TITLE_DUE_SOON,
                step=task.flow_task.task_title, title=inner(task_process(task).subject_title),
                date=formats.date_format(due_date, "DATE_FORMAT"),
            )
        sent += len(notify(users=task_recipients(task), kind=kind, title=title, url=task_url(task),
                           dedup_key=f"{kind}:{task.pk}:{due_date.isoformat()}"))
    return sent


# 催办 ---------------------------------------------------------------------------

def _in_review_statuses():
    from plans.models import Document

    return (Document.Status.SCHOOL_REVIEW, Document.Status.INITIAL_REVIEW, Document.Status.EXPERT_REVIEW,
            Document.Status.CHANGES_CHECK, Document.Status.FILING)


def may_urge(user, document) -> bool:
    """The author (whoever may change the document), while it is in review."""
    return document.status in _in_review_statuses() and user.has_perm("plans.change_document", document)


def urge_key(document, day: datetime.date) -> str:
    return f"urge:{document.pk}:{day.isoformat()}"


@transaction.atomic  # the row lock below needs a transaction (PostgreSQL refuses one without)
def document_urge(*, document, user, today: datetime.date | None = None) -> int:
    """催办: remind whoever holds (or may claim) the document's open review
    tasks. At most once a day per document. Returns the notices sent."""
    from viewflow.workflow.models import Task

    from plans.models import Document
    from workflow.selectors import OPEN_STATUSES
    from workflow.services import task_recipients, task_url

    if not user.has_perm("plans.change_document", document):
        raise PermissionDenied
    # Row lock: of two urges at once, the second sees the first's notices.
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.status not in _in_review_statuses():
        raise ValidationError(ERROR_NOT_IN_REVIEW)
    key = urge_key(document, today or timezone.localdate())
    if Notice.objects.filter(dedup_key=key).exists():
        raise ValidationError(ERROR_ALREADY_URGED)
    tasks = Task.objects.filter(
        process__reviewprocess__document=document, flow_task_type="HUMAN", status__in=OPEN_STATUSES,
    ).select_related("owner").order_by("pk")
    sent = []
    for task in tasks:
        title = district_text(TITLE_URGE, name=user.display_name, step=task.flow_task.task_title,
                              title=inner(document.title))
        recipients = [u for u in task_recipients(task) if u.pk != user.pk]
        sent += notify(users=recipients, kind=Notice.Kind.URGE, title=title, url=task_url(task), dedup_key=key)
    if not sent:
        raise ValidationError(ERROR_NOBODY_TO_URGE)
    return len(sent)


# Read state -----------------------------------------------------------------------

def notice_mark_read(*, notice: Notice) -> None:
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])


def notices_mark_all_read(*, user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
