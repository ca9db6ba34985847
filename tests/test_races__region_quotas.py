"""Racing nominations and quota changes on a city project (issue #15): under the project's row
lock, the schools' nominations never exceed the school's places nor the district's, and the
organiser's places never exceed the headcount. PostgreSQL: row locks; SQLite: IMMEDIATE
transactions. A win is the redirect (302), a refusal the page again with a message (200)."""
import pytest
from django.urls import reverse

from accounts.services import user_create
from attendance.models import Enrolment
from plans.models import Document
from schedule.models import DistrictQuota, ScheduledProject, SchoolQuota
from tests.attendance_helpers import make_teacher
from tests.factories import PASSWORD, make_district, make_region
from tests.race_helpers import logged_in, race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def city():
    region = make_region()
    jianan, weidu = make_district(), make_district("魏都区", "魏教师备", suffix="_wd")
    centre_officer = user_create(username="city_centre", password=PASSWORD, full_name="范思源",
                                 role="city_officer", organisation=region.city_centre)
    source = Document.objects.create(kind=Document.Kind.PROJECT_PROPOSAL, organisation=region.city_centre,
                                     year=2024, title="许昌市骨干教师培训", created_by=centre_officer,
                                     status=Document.Status.APPROVED)
    project = ScheduledProject.objects.create(
        district=None, source=source, sequence=1, year=2024, name="许昌市骨干教师培训", organiser=region.city_centre,
        headcount=10, modes=["concentrated"], start_month=3, end_month=3)
    return region, jianan, weidu, centre_officer, project


def test_racing_nominations_never_exceed_the_schools_places(city):
    _region, jianan, _weidu, _officer, project = city
    DistrictQuota.objects.create(project=project, district=jianan.district, places=5)
    SchoolQuota.objects.create(project=project, school=jianan.school, places=2)
    teachers = [make_teacher(jianan.school, name) for name in "甲乙丙丁"]
    url = reverse("attendance:project", args=[project.pk])

    results = race([(logged_in(jianan.school_officer), url, {"nominate": "1", "teachers": [t.pk]})
                    for t in teachers])

    assert sorted(results) == [200, 200, 302, 302], results
    assert Enrolment.objects.filter(project=project, status="nominated").count() == 2


def test_racing_schools_never_exceed_the_districts_places(city):
    """Two schools whose places (set outside the page) add up to more than the district's."""
    _region, jianan, _weidu, _officer, project = city
    DistrictQuota.objects.create(project=project, district=jianan.district, places=2)
    SchoolQuota.objects.create(project=project, school=jianan.school, places=2)
    SchoolQuota.objects.create(project=project, school=jianan.other_school, places=2)
    url = reverse("attendance:project", args=[project.pk])
    requests = []
    for school, officer in ((jianan.school, jianan.school_officer), (jianan.other_school, jianan.other_school_officer)):
        for name in "甲乙":
            requests.append((logged_in(officer), url, {"nominate": "1", "teachers": [make_teacher(school, name).pk]}))

    results = race(requests)

    assert sorted(results) == [200, 200, 302, 302], results
    assert Enrolment.objects.filter(project=project, status="nominated").count() == 2


def test_racing_split_and_nomination_never_leave_nominations_above_the_places(city):
    _region, jianan, _weidu, _officer, project = city
    DistrictQuota.objects.create(project=project, district=jianan.district, places=3)
    SchoolQuota.objects.create(project=project, school=jianan.school, places=2)
    make_teacher(jianan.school, "甲")
    first = make_teacher(jianan.school, "乙")
    Enrolment.objects.create(project=project, teacher=make_teacher(jianan.school, "丙"), status="nominated",
                             created_by=jianan.school_officer)
    places_url = reverse("attendance:quotas", args=[project.pk])
    project_url = reverse("attendance:project", args=[project.pk])

    results = race([(logged_in(jianan.bureau_officer), places_url, {"schools": "1", f"school_{jianan.school.pk}": 1}),
                    (logged_in(jianan.school_officer), project_url, {"nominate": "1", "teachers": [first.pk]})])

    assert sorted(results) == [200, 302], results
    places = SchoolQuota.objects.get(school=jianan.school).places
    nominated = Enrolment.objects.filter(project=project, status="nominated").count()
    assert nominated <= places
    assert (places, nominated) in ((1, 1), (2, 2))


def test_racing_district_places_never_exceed_the_headcount(city):
    _region, jianan, weidu, officer, project = city
    url = reverse("attendance:quotas", args=[project.pk])

    results = race([(logged_in(officer), url, {"districts": "1", f"district_{jianan.district.pk}": 6}),
                    (logged_in(officer), url, {"districts": "1", f"district_{weidu.district.pk}": 6})])

    assert sorted(results) == [200, 302], results
    assert sum(DistrictQuota.objects.filter(project=project).values_list("places", flat=True)) == 6
