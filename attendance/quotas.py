"""名额: places of a city's or province's project, per district then per school.

The project's organiser (its training centre's officers) gives each district below
it a number of places (DistrictQuota); each district's bureau splits its places
among its schools (SchoolQuota); a school nominates within its places and its
district's (attendance.services, under the project's row lock). Every change is
all or nothing, under the same lock: a quota is never set below what is already
split or nominated, and the districts' places never exceed the project's headcount.
"""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import District, Organisation, User
from schedule.models import DistrictQuota, ScheduledProject, SchoolQuota
from schedule.scopes import is_organiser

from .models import Enrolment

# A nomination, confirmation or waiting-list place takes one of the school's places.
TAKEN = [Enrolment.Status.NOMINATED, Enrolment.Status.CONFIRMED, Enrolment.Status.WAITLISTED]

ERROR_NOT_REGIONAL = _("Places per district are given only on a city's or province's project.")
ERROR_NOT_ORGANISER = _("Only the project's organiser can give districts places.")
ERROR_PROJECT_CLOSED = _("This project is finished or cancelled and can no longer be changed.")
ERROR_DISTRICT_OUTSIDE = _("This district is not below the project's organiser.")
ERROR_OVER_HEADCOUNT = _("The districts' places add up to %(total)s, more than the project's %(headcount)s "
                         "planned places. Nothing was saved.")
ERROR_BELOW_SPLIT = _("%(district)s has already shared %(split)s places among its schools: its places cannot be "
                      "fewer (you entered %(places)s). Nothing was saved.")
ERROR_NOT_DISTRICT_BUREAU = _("Only the education bureau of a district with places on this project can share "
                              "them among its schools.")
ERROR_SCHOOL_OUTSIDE = _("Places can only be given to schools of your district.")
ERROR_SPLIT_OVER = _("Your schools' places add up to %(total)s, more than the %(places)s places the project "
                     "gives your district. Nothing was saved.")
ERROR_BELOW_TAKEN = _("%(school)s has already nominated %(taken)s teachers: its places cannot be fewer "
                      "(you entered %(places)s). Nothing was saved.")
ERROR_NO_PLACES = _("Your school has no places on this project.")
ERROR_QUOTA_FULL = _("Your school has %(school_left)s of its %(school_places)s places left on this project, and "
                     "your district %(district_left)s of its %(district_places)s; you chose %(chosen)s teachers. "
                     "Nobody was nominated.")


def _lock(project_id) -> ScheduledProject:
    return ScheduledProject.objects.select_for_update().select_related("organiser").get(pk=project_id)


def _check_open(project: ScheduledProject) -> None:
    if not project.is_regional:
        raise ValidationError(ERROR_NOT_REGIONAL)
    if project.status != ScheduledProject.Status.SCHEDULED:
        raise ValidationError(ERROR_PROJECT_CLOSED)


def districts_below(project: ScheduledProject):
    """The districts a regional project may give places to: those of its organiser's city or province."""
    organiser = project.organiser
    if organiser.city_id:
        return District.objects.filter(city_id=organiser.city_id)
    if organiser.province_id:
        return District.objects.filter(city__province_id=organiser.province_id)
    return District.objects.none()


def may_set_district_quotas(user: User, project: ScheduledProject) -> bool:
    return project.is_regional and is_organiser(user, project)


def may_split_quota(user: User, project: ScheduledProject) -> bool:
    return (project.is_regional and user.is_bureau_officer
            and DistrictQuota.objects.filter(project=project, district_id=user.district_id).exists())


@transaction.atomic
def district_quotas_set(*, project: ScheduledProject, user: User, places: dict[int, int]) -> list[DistrictQuota]:
    """The organiser's places per district ({district id: places}; 0 takes a district's places away)."""
    project = _lock(project.pk)
    if not may_set_district_quotas(user, project):
        raise PermissionDenied(ERROR_NOT_ORGANISER)
    _check_open(project)
    districts = districts_below(project).in_bulk(list(places))
    if len(districts) != len(places):
        raise ValidationError(ERROR_DISTRICT_OUTSIDE)
    current = {q.district_id: q for q in DistrictQuota.objects.filter(project=project)}
    wanted = {d: current[d].places for d in current} | places
    total = sum(wanted.values())
    if project.headcount is not None and total > project.headcount:
        raise ValidationError(ERROR_OVER_HEADCOUNT % {"total": total, "headcount": project.headcount})
    split = dict(SchoolQuota.objects.filter(project=project).values("school__district_id")
                 .annotate(total=Sum("places")).values_list("school__district_id", "total"))
    for district_id, number in sorted(places.items()):
        if number < split.get(district_id, 0):
            raise ValidationError(ERROR_BELOW_SPLIT % {"district": districts[district_id].name,
                                                       "split": split[district_id], "places": number})
    saved = []
    for district_id, number in places.items():
        if number == 0:
            DistrictQuota.objects.filter(project=project, district_id=district_id).delete()
        else:
            quota, _created = DistrictQuota.objects.update_or_create(
                project=project, district_id=district_id, defaults={"places": number})
            saved.append(quota)
    return saved


def _taken_by_school(project, school_ids=None) -> dict[int, int]:
    enrolments = Enrolment.objects.filter(project=project, status__in=TAKEN)
    if school_ids is not None:
        enrolments = enrolments.filter(teacher__organisation_id__in=school_ids)
    return dict(enrolments.values("teacher__organisation_id").annotate(n=Count("pk"))
                .values_list("teacher__organisation_id", "n"))


@transaction.atomic
def school_quotas_set(*, project: ScheduledProject, user: User, places: dict[int, int]) -> list[SchoolQuota]:
    """The district bureau's split of its places ({school id: places}; 0 takes a school's places away)."""
    project = _lock(project.pk)
    if not may_split_quota(user, project):
        raise PermissionDenied(ERROR_NOT_DISTRICT_BUREAU)
    _check_open(project)
    district_id = user.district_id
    schools = Organisation.objects.filter(
        district_id=district_id, kind__in=[Organisation.Kind.SCHOOL, Organisation.Kind.KINDERGARTEN],
    ).in_bulk(list(places))
    if len(schools) != len(places):
        raise ValidationError(ERROR_SCHOOL_OUTSIDE)
    district_places = DistrictQuota.objects.get(project=project, district_id=district_id).places
    current = dict(SchoolQuota.objects.filter(project=project, school__district_id=district_id)
                   .values_list("school_id", "places"))
    total = sum((current | places).values())
    if total > district_places:
        raise ValidationError(ERROR_SPLIT_OVER % {"total": total, "places": district_places})
    taken = _taken_by_school(project, list(places))
    for school_id, number in sorted(places.items()):
        if number < taken.get(school_id, 0):
            raise ValidationError(ERROR_BELOW_TAKEN % {"school": schools[school_id].name,
                                                       "taken": taken[school_id], "places": number})
    saved = []
    for school_id, number in places.items():
        if number == 0:
            SchoolQuota.objects.filter(project=project, school_id=school_id).delete()
        else:
            quota, _created = SchoolQuota.objects.update_or_create(
                project=project, school_id=school_id, defaults={"places": number})
            saved.append(quota)
    return saved


def places_left(project: ScheduledProject, school: Organisation) -> dict:
    """A school's and its district's places on a regional project, and how many are left
    (read under the project's lock when a nomination is decided)."""
    school_places = SchoolQuota.objects.filter(project=project, school=school).values_list("places", flat=True)
    district_places = DistrictQuota.objects.filter(project=project, district_id=school.district_id) \
        .values_list("places", flat=True)
    school_places, district_places = school_places.first() or 0, district_places.first() or 0
    taken = Enrolment.objects.filter(project=project, status__in=TAKEN)
    school_taken = taken.filter(teacher__organisation=school).count()
    district_taken = taken.filter(teacher__organisation__district_id=school.district_id).count()
    return {"school_places": school_places, "school_left": max(school_places - school_taken, 0),
            "district_places": district_places, "district_left": max(district_places - district_taken, 0)}


def check_places(project: ScheduledProject, school: Organisation, chosen: int = 1) -> int:
    """Refuse nominating `chosen` more teachers of this school beyond its places or its district's,
    giving both numbers; the places left otherwise. Call under the project's lock."""
    places = places_left(project, school)
    if not places["school_places"]:
        raise ValidationError(ERROR_NO_PLACES)
    left = min(places["school_left"], places["district_left"])
    if chosen > left:
        raise ValidationError(ERROR_QUOTA_FULL % {**places, "chosen": chosen})
    return left


def quota_rows(project: ScheduledProject, *, district_id=None) -> dict:
    """For the places page: each district's places (and how much it has shared), and for a
    district's bureau its schools' places and nominations (a fixed number of queries)."""
    districts = list(districts_below(project).order_by("name"))
    given = dict(DistrictQuota.objects.filter(project=project).values_list("district_id", "places"))
    split = dict(SchoolQuota.objects.filter(project=project).values("school__district_id")
                 .annotate(total=Sum("places")).values_list("school__district_id", "total"))
    rows = [{"district": d, "places": given.get(d.pk, 0), "split": split.get(d.pk, 0)} for d in districts]
    schools = []
    if district_id is not None:
        organisations = list(Organisation.objects.filter(
            district_id=district_id, kind__in=[Organisation.Kind.SCHOOL, Organisation.Kind.KINDERGARTEN],
        ).order_by("name"))
        places = dict(SchoolQuota.objects.filter(project=project, school__district_id=district_id)
                      .values_list("school_id", "places"))
        taken = _taken_by_school(project, [o.pk for o in organisations])
        schools = [{"school": o, "places": places.get(o.pk, 0), "taken": taken.get(o.pk, 0)}
                   for o in organisations]
    return {"districts": rows, "schools": schools, "district_places": given.get(district_id, 0)}
