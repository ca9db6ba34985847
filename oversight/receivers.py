"""What makes the summary rows stale, heard from the apps below (connected in OversightConfig.ready()).

Every change is noted in one batch per transaction; when the transaction commits, the batch
asks for one refresh per district and year (tasks.figures_request, which keeps one pending
request each). Attendance marks (post_save: a roll call saves one row per teacher) ask for the
current credit year of the session's district. Nothing is counted inside the writer's transaction, and a rolled-back change
asks for nothing (Django drops the batch with the transaction's other on-commit callbacks)."""
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_save

from accounts.models import Organisation


logger = logging.getLogger(__name__)


class _Batch:
    """The districts and years touched by one transaction."""

    def __init__(self):
        self.organisations: set[tuple[int, int | None]] = set()  # (organisation id, year or None)
        self.districts: set[tuple[int, int | None]] = set()      # (district id, year or None)
        self.sessions: set[int] = set()                          # attendance marked at these sessions

    def __call__(self):
        from credits.selectors import current_credit_year

        from .tasks import figures_request

        wanted = set(self.districts)
        organisation_ids = {pk for pk, _year in self.organisations}
        if organisation_ids:
            district_of = dict(Organisation.objects.filter(pk__in=organisation_ids, district__isnull=False)
                               .values_list("pk", "district_id"))
            wanted |= {(district_of[pk], year) for pk, year in self.organisations if pk in district_of}
        if self.sessions:
            from attendance.models import Session

            # Marked attendance counts towards participation: the session's district, this year.
            wanted |= {(district_id, None) for district_id in Session.objects.filter(
                pk__in=self.sessions, organisation__district__isnull=False,
            ).values_list("organisation__district_id", flat=True).distinct()}
        current, resolved = {}, set()
        for district_id, year in wanted:
            if year is None:  # a roster change or a mark: the district's current credit year
                if district_id not in current:
                    from accounts.models import District

                    try:
                        current[district_id] = current_credit_year(District.objects.get(pk=district_id))
                    except ValidationError:  # no credit rules yet: nothing to count
                        current[district_id] = None
                year = current[district_id]
                if year is None:
                    continue
            resolved.add((district_id, year))
        for district_id, year in sorted(resolved):
            figures_request(district_id, year)


def _batch() -> tuple[_Batch, bool]:
    """This transaction's batch (made and registered on first use); True if it must run now
    (no transaction: on_commit would have run it before anything was noted)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return _Batch(), True
    for _savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _Batch):
            return callback, False
    batch = _Batch()
    # robust: the writer's change is committed; a failing request for a recount is logged,
    # never the writer's error (the nightly run counts it anyway).
    transaction.on_commit(batch, robust=True)
    return batch, False


def note(*, organisation_id=None, district_id=None, years=(None,), session_id=None) -> None:
    batch, now = _batch()
    if session_id is not None:
        batch.sessions.add(session_id)
    for year in years:
        if organisation_id is not None:
            batch.organisations.add((organisation_id, year))
        if district_id is not None:
            batch.districts.add((district_id, year))
    if now:
        try:
            batch()
        except Exception:  # as on_commit(robust=True) does: the change itself stands
            logger.exception("Could not ask for a recount of the roll-up figures")


# --- the receivers ------------------------------------------------------------------------

def credits_recorded(sender, teacher, entries, **kwargs):
    note(organisation_id=teacher.organisation_id, years={entry.credit_year for entry in entries} or {None})


def project_event(sender, project, **kwargs):
    note(district_id=project.district_id, years=[project.year])


def document_filed(sender, document, **kwargs):
    note(organisation_id=document.organisation_id, years=[document.year])


def spot_check_saved(sender, instance, **kwargs):
    note(district_id=instance.district_id, years=[instance.year])


def attendance_saved(sender, instance, **kwargs):
    note(session_id=instance.session_id, years=())


def people_changed(sender, action, obj, **kwargs):
    if action.startswith("teacher.") and getattr(obj, "organisation_id", None):
        note(organisation_id=obj.organisation_id)


def connect() -> None:
    from accounts import signals as account_signals
    from attendance.models import Attendance
    from credits import signals as credit_signals
    from schedule import signals as schedule_signals
    from schedule.models import ScheduledProject, SpotCheck
    from workflow import signals as workflow_signals

    credit_signals.credits_recorded.connect(credits_recorded, dispatch_uid="oversight.credits_recorded")
    for signal in (schedule_signals.project_finished, schedule_signals.project_cancelled,
                   schedule_signals.project_changed):
        signal.connect(project_event, sender=ScheduledProject, dispatch_uid=f"oversight.project.{id(signal)}")
    workflow_signals.document_filed.connect(document_filed, dispatch_uid="oversight.document_filed")
    post_save.connect(spot_check_saved, sender=SpotCheck, dispatch_uid="oversight.spot_check_saved")
    account_signals.people_changed.connect(people_changed, dispatch_uid="oversight.people_changed")
    post_save.connect(attendance_saved, sender=Attendance, dispatch_uid="oversight.attendance_saved")
