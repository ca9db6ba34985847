"""Who may see which scheduled projects (accounts.permissions), registered in ScheduleConfig.ready().

schedule.view_scheduledproject: district staff the district's schedule; a
school (its staff and teachers) the projects open to its teachers: every
school or its own, every stage or its own, in its district; and a city's or
province's project once the quota gives the school places (SchoolQuota). The
district staff see such a project once it gives their district places
(DistrictQuota: the bureau splits them); a city or province officer the projects
of their own level and of every organisation below them (accounts.regions).
"""
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts import permissions, regions
from accounts.models import Organisation, User

from .models import DistrictQuota, ScheduledProject, SchoolQuota


def is_organiser(user: User, project: ScheduledProject) -> bool:
    """An author (school or training-school officer) of the organisation running it:
    runs its enrolment and sessions, closes it, asks for changes."""
    return user.writes_documents and user.organisation_id == project.organiser_id


def _sees_as_school(user: User) -> bool:
    return user.is_school_staff or (user.is_teacher and user.organisation_id is not None)


def stages_of(stage: str) -> list[str]:
    """The project stages a school of this stage takes part in: every-stage projects, its own,
    and for a nine-year school (九年一贯制) the primary and junior ones as well."""
    stages = ["", stage]
    if stage == Organisation.Stage.NINE_YEAR:
        stages += [Organisation.Stage.PRIMARY, Organisation.Stage.JUNIOR]
    return stages


def _regional_organisations(user: User) -> QuerySet[Organisation]:
    return regions.organisations_overseen(user) | regions.organisations_of_region(user)


def project_may_view(user: User, project: ScheduledProject) -> bool:
    if user.is_district_reviewer:
        if project.is_regional:
            return DistrictQuota.objects.filter(project=project, district_id=user.district_id).exists()
        return project.district_id == user.district_id
    if user.is_regional_officer:
        return _regional_organisations(user).filter(pk=project.organiser_id).exists()
    if _sees_as_school(user):
        organisation = user.organisation
        if project.is_regional:
            return project.stage in stages_of(organisation.stage) and \
                SchoolQuota.objects.filter(project=project, school=organisation).exists()
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
        # Exists on the project's own rows: one query, however many quotas.
        given = DistrictQuota.objects.filter(project=OuterRef("pk"), district_id=user.district_id)
        return projects.filter(Q(district_id=user.district_id) | Q(district__isnull=True) & Exists(given))
    if user.is_regional_officer:
        return projects.filter(organiser_id__in=_regional_organisations(user).values("pk"))
    if _sees_as_school(user):
        organisation = user.organisation
        places = SchoolQuota.objects.filter(project=OuterRef("pk"), school_id=organisation.pk)
        return projects.filter(
            Q(open_to=organisation, district_id=organisation.district_id)
            | Q(open_to__isnull=True, stage__in=stages_of(organisation.stage), district_id=organisation.district_id)
            | Q(open_to__isnull=True, stage__in=stages_of(organisation.stage), district__isnull=True) & Exists(places),
        )
    return projects.none()


def register_all() -> None:
    permissions.register("schedule.view_scheduledproject", model=ScheduledProject, may=project_may_view,
                         visible=project_list_visible)
