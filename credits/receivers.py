"""Credits follow the schedule (schedule.signals), connected in CreditsConfig.ready()."""
from schedule.models import ScheduledProject

from . import services


def connect():
    from schedule import signals

    signals.project_finished.connect(project_finished, sender=ScheduledProject,
                                     dispatch_uid="credits.project_finished")


def project_finished(sender, project, **kwargs) -> None:
    services.credit_finished_project(project)  # attendance becomes credits (or says why not)
