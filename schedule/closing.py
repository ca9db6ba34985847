"""Closing a project from its close page: the organiser records every attendee's assessment
result (合格 / 不合格 / 优秀学员) and the credits follow (schedule.services.log_entry_add);
its page is credits.close_views."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .models import ProjectLogEntry, ScheduledProject
from .scopes import is_organiser
from .services import ERROR_NOT_ORGANISER_CLOSE, log_entry_add

ERROR_ALREADY_CLOSED = _("This project is already closed: its assessment results and credits are recorded.")


@transaction.atomic
def project_close(*, project: ScheduledProject, user: User, happened_on, text: str,
                  results: dict) -> ProjectLogEntry:
    """Close once: a second close (another tab, a double click) waits for the first's lock
    and is refused, so there is one set of results and one credit run."""
    if not is_organiser(user, project):
        raise PermissionDenied(ERROR_NOT_ORGANISER_CLOSE)
    project = ScheduledProject.objects.select_for_update().get(pk=project.pk)
    if project.status != ScheduledProject.Status.SCHEDULED:
        raise ValidationError(ERROR_ALREADY_CLOSED)
    return log_entry_add(project=project, user=user, kind=ProjectLogEntry.Kind.CLOSED, happened_on=happened_on,
                         text=text, results=results)
