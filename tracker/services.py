"""催交: the bureau reminds late schools to submit; each reminder is recorded
(who, when, to whom) and goes out as a notice and an email to the school's
training officers. A school is reminded at most once in 24 hours per tracker."""
import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from notices.models import Notice
from notices.services import district_text, notify

from .models import SubmissionReminder, TrackedKind
from .selectors import district_schools, tracker_rows

REMINDER_INTERVAL = datetime.timedelta(hours=24)

TITLE_REMINDER = _("%(bureau)s asks you to submit %(school)s's %(kind)s for %(year)s as soon as possible.")
ERROR_NOT_LATE = _("%(school)s has already submitted its %(kind)s for %(year)s: there is nothing to remind it of.")
ERROR_RECENT = _("%(school)s was already reminded at %(time)s. A school can be reminded once in 24 hours; "
                 "try again after %(next)s.")
ERROR_NO_OFFICER = _("%(school)s has no active training officer account to remind.")
ERROR_NONE_LATE = _("No school is late: nobody was reminded.")


def may_view_tracker(user) -> bool:
    """District staff: the bureau and (read-only) the training school, which reviews schools' documents."""
    return user.is_authenticated and user.is_district_reviewer


def may_remind(user) -> bool:
    return user.is_authenticated and user.is_bureau_officer


@dataclass
class ReminderOutcome:
    sent: list = field(default_factory=list)        # SubmissionReminder rows written
    recent: list = field(default_factory=list)      # schools reminded in the last 24 hours (skipped)
    no_officer: list = field(default_factory=list)  # schools without a training officer account (skipped)


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _notice_url(kind: str, year: int) -> str:
    return f"{reverse('plans:list')}?kind={kind}&year={year}"


@transaction.atomic  # the row locks below need a transaction (PostgreSQL refuses one without)
def reminders_send(*, user, kind: str, year: int, school=None, now=None) -> ReminderOutcome:
    """Remind one school (``school``) or every late school of the user's district.

    One school: a refusal (not late, reminded in the last 24 hours, nobody to remind)
    raises ValidationError with the reason. All late schools: those that cannot be
    reminded now are skipped and listed in the outcome; none at all is a refusal.
    """
    if not may_remind(user):
        raise PermissionDenied
    if kind not in TrackedKind.values:
        raise ValidationError(_("This value is not one of the choices offered."))
    now = now or timezone.now()
    schools = district_schools(user.district_id)
    if school is not None:
        if school.district_id != user.district_id or not school.is_school:
            raise PermissionDenied
        schools = schools.filter(pk=school.pk)
    # Lock the schools (in id order, as every locker does): of two reminders at once,
    # the second waits, then sees the first one's row.
    locked = list(schools.select_for_update().order_by("pk").values_list("pk", flat=True))
    rows = [row for row in tracker_rows(district_id=user.district_id, kind=kind, year=year, school_ids=locked)
            if row.late]
    last_sent = {}
    for reminder in SubmissionReminder.objects.filter(
            school_id__in=[row.school.pk for row in rows], kind=kind, sent_at__gt=now - REMINDER_INTERVAL):
        last_sent[reminder.school_id] = max(reminder.sent_at, last_sent.get(reminder.school_id, reminder.sent_at))
    kind_label = TrackedKind(kind).label
    outcome = ReminderOutcome()
    for row in rows:
        if row.school.pk in last_sent:
            outcome.recent.append((row.school, last_sent[row.school.pk]))
        elif not row.officers:
            outcome.no_officer.append(row.school)
        else:
            reminder = SubmissionReminder.objects.create(school=row.school, kind=kind, year=year, sent_by=user,
                                                         sent_at=now)
            reminder.recipients.set(row.officers)
            title = district_text(TITLE_REMINDER, bureau=user.organisation.name, school=row.school.name,
                                  kind=district_text(kind_label), year=year)
            notify(users=row.officers, kind=Notice.Kind.SUBMISSION_REMINDER, title=title,
                   url=_notice_url(kind, year), dedup_key=f"submission-reminder:{reminder.pk}")
            outcome.sent.append(reminder)
    if school is not None and not outcome.sent:
        params = {"school": school.name, "kind": kind_label, "year": year}
        if outcome.recent:
            last = outcome.recent[0][1]
            raise ValidationError(ERROR_RECENT % {**params, "time": _when(last),
                                                  "next": _when(last + REMINDER_INTERVAL)}, code="recent")
        if outcome.no_officer:
            raise ValidationError(ERROR_NO_OFFICER % params, code="no_officer")
        raise ValidationError(ERROR_NOT_LATE % params, code="not_late")
    if school is None and not (outcome.sent or outcome.recent or outcome.no_officer):
        raise ValidationError(ERROR_NONE_LATE, code="none_late")
    return outcome
