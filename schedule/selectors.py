from django.db.models import Exists, OuterRef

from accounts.models import User

from .models import ScheduleChange
from .scopes import project_list_visible


def project_list_for_schedule(*, user: User, year: int, month: int | None = None, stage: str = "",
                              subject: str = "", mode: str = "", organiser_id: int | None = None):
    """The schedule's rows, each annotated with `adjusted` (已调整)."""
    projects = project_list_visible(user=user).filter(year=year)
    if month:
        projects = projects.filter(start_month__lte=month, end_month__gte=month)
    if stage:
        projects = projects.filter(stage__in=[stage, ""])
    if subject:
        projects = projects.filter(subject__in=[subject, ""])  # like the stage: empty means every subject
    if organiser_id:
        projects = projects.filter(organiser_id=organiser_id)
    projects = projects.select_related("organiser", "source").annotate(
        adjusted=Exists(ScheduleChange.objects.filter(project=OuterRef("pk"))),
    ).order_by("start_month", "end_month", "source_id", "sequence")
    if mode:
        # modes is a short JSON list; matching in Python keeps SQLite and PostgreSQL alike.
        return [p for p in projects if mode in p.modes]
    return list(projects)
