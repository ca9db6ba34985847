from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from plans.rules import DISTRICT_ROLES

from .models import ScheduleChange, ScheduledProject

SCHOOL_ROLES = {User.Role.SCHOOL_OFFICER, User.Role.PRINCIPAL, User.Role.TEACHER}


def project_list_visible(*, user: User) -> QuerySet[ScheduledProject]:
    """District staff see the district's schedule; a school sees the projects
    open to its teachers (every stage or its own, district-wide or its own)."""
    projects = ScheduledProject.objects.all()
    if user.is_superuser:
        return projects
    if not user.organisation_id:
        return projects.none()
    organisation = user.organisation
    if user.role in DISTRICT_ROLES:
        return projects.filter(district_id=organisation.district_id)
    if user.role in SCHOOL_ROLES:
        return projects.filter(
            Q(open_to__isnull=True) | Q(open_to=organisation),
            Q(stage="") | Q(stage=organisation.stage),
            district_id=organisation.district_id,
        )
    return projects.none()


def project_list_for_schedule(*, user: User, year: int, month: int | None = None, stage: str = "",
                              subject: str = "", mode: str = "", organiser_id: int | None = None):
    """The schedule's rows, each annotated with `adjusted` (已调整)."""
    projects = project_list_visible(user=user).filter(year=year)
    if month:
        projects = projects.filter(start_month__lte=month, end_month__gte=month)
    if stage:
        projects = projects.filter(stage__in=[stage, ""])
    if subject:
        projects = projects.filter(subject=subject)
    if organiser_id:
        projects = projects.filter(organiser_id=organiser_id)
    projects = projects.select_related("organiser", "source").annotate(
        adjusted=Exists(ScheduleChange.objects.filter(project=OuterRef("pk"))),
    ).order_by("start_month", "end_month", "source_id", "sequence")
    if mode:
        # modes is a short JSON list; matching in Python keeps SQLite and PostgreSQL alike.
        return [p for p in projects if mode in p.modes]
    return list(projects)
