"""The chain above the districts (issue #15): who a city or province officer oversees, read-only."""
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts import regions
from accounts.models import Organisation
from tests.factories import make_district, make_region, make_school_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    region = make_region()
    jianan = make_district()                                             # 许昌市
    jinshui = make_district("金水区", "金教师备", suffix="_js", city="郑州市")
    return region, jianan, jinshui


def test_city_officer_oversees_only_the_districts_of_their_city(chain):
    region, jianan, jinshui = chain
    assert list(regions.districts_overseen(region.city_officer)) == [jianan.district]
    assert regions.oversees_district(region.city_officer, jianan.district.pk)
    assert not regions.oversees_district(region.city_officer, jinshui.district.pk)
    assert list(regions.districts_overseen(region.other_city_officer)) == [jinshui.district]
    assert set(regions.districts_overseen(region.province_officer)) == {jianan.district, jinshui.district}
    assert regions.oversees_city(region.province_officer, region.other_city.pk)
    assert not regions.oversees_city(region.city_officer, region.other_city.pk)


def test_district_staff_oversee_nothing_above_them(chain):
    _region, jianan, _jinshui = chain
    for user in (jianan.bureau_officer, jianan.training_officer, jianan.school_officer, jianan.teacher):
        assert not user.is_regional_officer
        assert not regions.districts_overseen(user).exists()
        assert not regions.oversees_district(user, jianan.district.pk)


def test_regional_officers_are_no_district_reviewers(chain):
    region, _jianan, _jinshui = chain
    for user in (region.city_officer, region.province_officer):
        assert user.is_regional_officer
        assert not user.is_district_reviewer and not user.is_bureau_officer and not user.is_author
        assert user.district_id is None


def test_city_officer_reads_their_districts_documents_and_no_other_citys(client, chain):
    region, jianan, jinshui = chain
    ours, theirs = make_school_plan(jianan), make_school_plan(jinshui)
    client.force_login(region.city_officer)
    assert client.get(reverse("plans:detail", args=[ours.pk])).status_code == 200
    assert client.get(reverse("plans:detail", args=[theirs.pk])).status_code in (403, 404)
    listed = client.get(reverse("plans:list")).content.decode()
    assert ours.title in listed and theirs.title not in listed
    # Reading is all: no editing, no submitting.
    assert not region.city_officer.has_perm("plans.change_document", ours)
    assert client.get(reverse("plans:edit", args=[ours.pk])).status_code in (403, 404)
    client.force_login(region.province_officer)
    assert client.get(reverse("plans:detail", args=[theirs.pk])).status_code == 200


def test_an_organisation_sits_in_exactly_one_place(chain):
    region, jianan, _jinshui = chain
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(name="两处", kind="bureau", district=jianan.district, city=region.city)
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(name="无处", kind="bureau")
    with pytest.raises(IntegrityError), transaction.atomic():   # schools belong to districts
        Organisation.objects.create(name="市直学校", kind="school", city=region.city)


def test_a_projects_credits_count_at_its_organisers_level(chain):
    """A city project's credits are city credits (Shaanxi: recognised by the city after the
    province, not by the county), a province project's provincial ones."""
    from credits.models import Level
    from credits.services import project_level

    region, jianan, _jinshui = chain
    assert project_level(jianan.school) == Level.SCHOOL
    assert project_level(jianan.training_school) == Level.COUNTY
    assert project_level(region.city_centre) == Level.CITY
    assert project_level(region.province_centre) == Level.PROVINCE
