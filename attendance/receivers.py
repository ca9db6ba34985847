"""Attendance's part in the schedule's events (schedule.signals), connected in AttendanceConfig.ready()."""
from schedule.models import ScheduledProject

from . import services
from .assessment import results_record


def connect():
    from schedule import signals

    signals.project_closing.connect(project_closing, sender=ScheduledProject,
                                    dispatch_uid="attendance.project_closing")


def project_closing(sender, project, user, results, **kwargs) -> list[str]:
    """A project closes only when its sessions are over and marked (closing credits its
    teachers); then the organiser's assessment results are recorded, which the credits follow."""
    blockers = services.project_close_blockers(project)
    if not blockers:
        results_record(project=project, user=user, results=results)
    return blockers
