"""Who may see which scheduled projects (accounts.permissions), registered in ScheduleConfig.ready().

schedule.view_scheduledproject: district staff the district's schedule; a
school (its staff and teachers) the projects open to its teachers: every
school or its own, every stage or its own, in its district.
"""
from django.db.models import Q, QuerySet

from accounts import permissions
from accounts.models import Organisation, User

from .models import ScheduledProject


def is_organiser(user: User, project: ScheduledProject) -> bool:
    """An author (school or training-school officer) of the organisation running it:
    runs its enrolment and sessions, closes it, asks for changes."""
    return user.is_author and user.organisation_id == project.organiser_id


def _sees_as_school(user: User) -> bool:
    return user.is_school_staff or (user.is_teacher and user.organisation_id is not None)


def stages_of(stage: str) -> list[str]:
    """The project stages a school of this stage takes part in: every-stage projects, its own,
    and for a nine-year school (九年一贯制) the primary and junior ones as well."""
    stages = ["", stage]
    if stage == Organisation.Stage.NINE_YEAR:
        stages += [Organisation.Stage.PRIMARY, Organisation.Stage.JUNIOR]
    return stages


def project_may_view(user: User, project: ScheduledProject) -> bool:
    if user.is_district_reviewer:
        return project.district_id == user.district_id
    if _sees_as_school(user):
        organisation = user.organisation
        if project.district_id != organisation.district_id:
            return False
        # A school's own project is its own whatever 学段 its proposal names.
        return project.open_to_id == organisation.pk or (
            project.open_to_id is None and project.stage in stages_of(organisation.stage))
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
            Q(open_to=organisation) | Q(open_to__isnull=True, stage__in=stages_of(organisation.stage)),
            district_id=organisation.district_id,
        )
    return projects.none()


def register_all() -> None:
    permissions.register("schedule.view_scheduledproject", model=ScheduledProject, may=project_may_view,
                         visible=project_list_visible)
