"""The province benchmark's generator (bench/scale_data.py, province mode; issue 15).

The spread of districts over Hunan's cities is pure arithmetic (any database); the
generated province itself is written with PostgreSQL's COPY, so that test runs on
PostgreSQL only: the rows satisfy the schema's constraints, the officers oversee what
the chain says, and the roll-ups count something in every column the benchmark times.
"""
import pytest
from django.db import connection
from django.urls import reverse

from bench.scale_data import HUNAN, HUNAN_DISTRICTS, city_shares, province_sizes

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL")


def test_city_shares_add_up_and_follow_the_real_counts():
    real = [len(names.split()) for _, names in HUNAN]
    assert len(HUNAN) == 14 and HUNAN_DISTRICTS == sum(real) == 123
    assert city_shares(HUNAN_DISTRICTS) == real
    for districts in range(1, HUNAN_DISTRICTS + 1):
        shares = city_shares(districts)
        assert sum(shares) == districts
        assert all(0 <= share <= count for share, count in zip(shares, real))


def test_province_sizes_at_scale_one_and_below():
    assert province_sizes(1) == {"cities": 14, "districts": 123, "schools": 12_300, "teachers": 307_500,
                                 "documents": 153_750, "marks": 3_075_000}
    small = province_sizes(0.1)
    assert small["districts"] == 12 and small["teachers"] == 12 * 2_500 and small["schools"] == 1_200
    assert province_sizes(0.001)["districts"] == 1  # never empty


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_generated_province_is_overseen_and_rolled_up():
    from django.test import Client

    from accounts.models import City, District, Organisation, Province, User
    from accounts.regions import districts_overseen, organisations_of_region
    from bench.scale_data import Generator
    from oversight.models import SchoolYearFigures
    from oversight.services import figures_refresh

    targets = Generator(0.02, province=True, log=lambda *a: None).run()

    province = Province.objects.get()
    assert province.name == "湖南省"
    assert City.objects.count() == 2 and District.objects.filter(city__isnull=True).count() == 0
    city = City.objects.get(pk=targets["city_id"])
    sheng = User.objects.get(username=targets["province_officer"])
    shi = User.objects.get(username=targets["city_officer"])
    assert sheng.is_province_officer and shi.is_city_officer and shi.organisation.city == city
    assert set(districts_overseen(sheng)) == set(District.objects.all())
    assert set(districts_overseen(shi)) == set(District.objects.filter(city=city))
    assert {o.kind for o in organisations_of_region(shi)} == {"bureau", "training_centre"}
    assert Organisation.objects.filter(district__isnull=True, city__isnull=True, province__isnull=True).count() == 0

    district = District.objects.get(pk=targets["district_id"])
    rows = figures_refresh(year=targets["year"], district=district)
    assert len([r for r in rows if r.plans_due]) == 100  # every school of the district
    total = {name: sum(getattr(r, name) for r in rows) for name in ("teachers", "participants", "registered",
                                                                     "projects_held", "spot_checked")}
    assert all(total.values()), total
    assert SchoolYearFigures.objects.filter(district=district).count() == len(rows)

    for user, path in ((sheng, reverse("oversight:province")), (shi, reverse("oversight:city", args=[city.pk])),
                       (shi, reverse("oversight:district", args=[district.pk]))):
        client = Client()
        client.force_login(user)
        response = client.get(path, {"year": targets["year"]})
        assert response.status_code == 200, path
