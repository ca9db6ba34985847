"""Attendance's part in the schedule's events (schedule.signals), connected in AttendanceConfig.ready()."""
from schedule.models import ScheduledProject

from . import services


def connect():
    from schedule import signals

    signals.project_closing.connect(project_closing, sender=ScheduledProject,
                                    dispatch_uid="attendance.project_closing")


def project_closing(sender, project, **kwargs) -> list[str]:
    """A project closes only when its sessions are over and marked: closing credits its teachers."""
    return services.project_close_blockers(project)
