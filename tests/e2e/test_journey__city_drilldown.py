"""The city officer's roll-ups in a real browser (issue #15): 许昌市's officer of the demo
(shi_xuchang) logs in, lands on the city's roll-up, sorts its districts by participation,
drills down into 建安区 and on to one of its schools."""
import re

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext
from playwright.sync_api import expect

from accounts.models import City, District, Organisation
from demo import scenario
from oversight.models import SchoolYearFigures
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ARTIFACTS = "test-artifacts/city_drilldown"


def test_city_officer_drills_down_from_the_city_to_a_school(page):
    call_command("load_demo", verbosity=0)
    xuchang = City.objects.get(name="许昌市")
    jianan, weidu = District.objects.get(name="建安区"), District.objects.get(name="魏都区")
    school = Organisation.objects.get(name="建安区实验小学")
    # The demo counted last year too: the seed 004 plan's projects and its spot check.
    last_year = SchoolYearFigures.objects.filter(district=jianan, year=timezone.localdate().year - 1)
    figures = last_year.aggregate(planned=Sum("projects_planned"), held=Sum("projects_held"),
                                  checked=Sum("spot_checked"))
    assert figures["planned"] >= 14 and figures["held"] and figures["checked"], figures

    login(page, "shi_xuchang", scenario.password())
    expect(page).to_have_url(re.compile(rf"/rollups/cities/{xuchang.pk}/"))
    expect(page.locator("[data-testid=nav-rollups]")).to_have_class(re.compile("active"))
    expect(page.locator("h1")).to_contain_text("许昌市")
    expect(page.locator("[data-testid=as-of]")).to_contain_text(gettext("Figures as of %(time)s.").split("%")[0])
    rows = page.locator("[data-testid=rollup-rows] tbody tr")
    expect(rows).to_have_count(2)
    # 魏都区: 7 of its 8 teachers trained this year, below the 94 % target (marked).
    weidu_participation = page.locator(f"tr[data-row='{weidu.pk}'] td[data-col=participation]")
    expect(weidu_participation).to_contain_text("87.5 %")
    expect(weidu_participation.locator("[data-below]")).to_have_count(1)
    expect(page.locator("[data-testid=totals]")).to_be_visible()
    page.screenshot(path=f"{ARTIFACTS}/1-city.png", full_page=True)

    # Sorted by participation: lowest first, then (second click) highest first.
    page.click("[data-testid=sort-participation]")
    expect(page).to_have_url(re.compile(r"sort=participation"))
    first_ascending = rows.first.get_attribute("data-name")
    page.click("[data-testid=sort-participation]")
    expect(page).to_have_url(re.compile(r"sort=-participation"))
    expect(rows.first).not_to_have_attribute("data-name", first_ascending)
    page.screenshot(path=f"{ARTIFACTS}/2-city-sorted.png", full_page=True)

    page.click(f"[data-testid=drill-{jianan.pk}]")
    expect(page).to_have_url(re.compile(rf"/rollups/districts/{jianan.pk}/"))
    crumbs = page.locator("[data-testid=crumbs]")
    expect(crumbs).to_contain_text("河南省")
    expect(crumbs.locator("a", has_text="许昌市")).to_have_count(1)
    expect(page.locator(f"tr[data-row='{school.pk}']")).to_be_visible()
    expect(page.locator("[data-testid=refresh]")).to_be_visible()  # a city officer may ask for a recount
    page.screenshot(path=f"{ARTIFACTS}/3-district.png", full_page=True)

    page.click(f"[data-testid=drill-{school.pk}]")
    expect(page).to_have_url(re.compile(rf"/rollups/schools/{school.pk}/"))
    expect(page.locator("h1")).to_contain_text("建安区实验小学")
    expect(page.locator("[data-testid=school-teachers] tbody tr").first).to_be_visible()
    expect(page.locator("[data-testid=school-teachers]")).to_contain_text("王丽娜")
    page.screenshot(path=f"{ARTIFACTS}/4-school.png", full_page=True)

    # Back up the chain through the breadcrumb.
    page.locator("[data-testid=crumbs] a", has_text="许昌市").click()
    expect(page).to_have_url(re.compile(rf"/rollups/cities/{xuchang.pk}/"))
