"""Who may see which scheduled projects (accounts.permissions), registered in ScheduleConfig.ready().

schedule.view_scheduledproject: district staff the district's schedule; a
school (its staff and teachers) the projects open to its teachers: every
school or its own, every stage or its own, in its district.
"""
from django.db.models import Q, QuerySet

from accounts import permissions
from accounts.models import User

from .models import ScheduledProject


def is_organiser(user: User, project: ScheduledProject) -> bool:
    """An author (school or training-school officer) of the organisation running it:
    runs its enrolment and sessions, closes it, asks for changes."""
    return user.is_author and user.organisation_id == project.organiser_id


def _sees_as_school(user: User) -> bool:
    return user.is_school_staff or (user.is_teacher and user.organisation_id is not None)


def project_may_view(user: User, project: ScheduledProject) -> bool:
    if user.is_district_reviewer:
        return project.district_id == user.district_id
    if _sees_as_school(user):
        organisation = user.organisation
        return (project.district_id == organisation.district_id
                and project.open_to_id in (None, organisation.pk)
                and project.stage in ("", organisation.stage))
    return False


def project_list_visible(*, user: User) -> QuerySet[ScheduledProject]:
    """District staff see the district's schedule; a school sees the projects
    open to its teachers (every stage or its own, district-wide or its own)."""
    projects = ScheduledProject.objects.all()
    if user.is_superuser:
        return projects
    if user.is_district_reviewer:
        return projects.filter(district_id=user.district_id)
    if _sees_as_school(user):
        organisation = user.organisation
        return projects.filter(
            Q(open_to__isnull=True) | Q(open_to=organisation),
            Q(stage="") | Q(stage=organisation.stage),
            district_id=organisation.district_id,
        )
    return projects.none()


def register_all() -> None:
    permissions.register("schedule.view_scheduledproject", model=ScheduledProject, may=project_may_view,
                         visible=project_list_visible)
