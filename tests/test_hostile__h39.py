"""Hostile review of issue #15's merged parts (helper h39): the chain above the districts
(accounts.regions, plans.scopes), the roll-ups (oversight) and the bulletins (bulletins), attacked
by strangers along the chain, by tampered URLs and parameters, racing tabs and odd data."""
import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import District, Organisation
from accounts.regions import region_create
from accounts.services import user_create
from bulletins import services as bulletin_services
from bulletins.models import Issued
from credits import services as credit_services
from credits.models import CreditEntry
from oversight import services as oversight_services
from tests.attendance_helpers import make_teacher
from tests.factories import PASSWORD, make_district, make_region
from tests.race_helpers import logged_in

pytestmark = pytest.mark.django_db
YEAR = 2024
CYCLE = (2021, 2025)


def add(teacher, hours, day):
    return credit_services.ledger_add(teacher=teacher, activity="concentrated", level="county", hours=hours,
                                      occurred_on=day, description="测试培训",
                                      source=CreditEntry.Source.DECLARATION)


@pytest.fixture
def chain(db):
    call_command("loaddata", "credit_rules", verbosity=0)
    region = make_region()
    jianan = make_district()
    weidu = make_district("魏都区", "魏教师备", suffix="_wd")
    jinshui = make_district("金水区", "金教师备", suffix="_js", city="郑州市")
    for world in (jianan, weidu, jinshui):
        world.district.credit_rule_family = "hunan"
        world.district.save()
    for world in (jianan, weidu, jinshui):
        teacher = make_teacher(world.school, name="甲")
        add(teacher, 40, datetime.date(YEAR, 4, 1))
        oversight_services.figures_refresh(year=YEAR, district=world.district)
    # Another province with its own officer, and a city with no districts.
    hunan, changsha = region_create(province="湖南省", city="长沙市")
    hunan_centre = Organisation.objects.create(name="湖南省中小学教师继续教育指导中心", kind="training_centre",
                                               province=hunan)
    changsha_bureau = Organisation.objects.create(name="长沙市教育局", kind="bureau", city=changsha)
    other_province_officer = user_create(username="hunan_officer", password=PASSWORD, full_name="湖南官",
                                         role="province_officer", organisation=hunan_centre)
    empty_city_officer = user_create(username="changsha_officer", password=PASSWORD, full_name="长沙官",
                                     role="city_officer", organisation=changsha_bureau)
    return {"region": region, "jianan": jianan, "weidu": weidu, "jinshui": jinshui,
            "other_province_officer": other_province_officer, "empty_city_officer": empty_city_officer,
            "changsha": changsha, "hunan": hunan}


# --- "refresh now" for a year that cannot be counted ------------------------------------------

@pytest.mark.parametrize("officer", ["bureau", "city", "province"])
def test_refresh_now_refuses_a_year_that_has_not_begun(chain, officer):
    """?year= of the refresh POST: a year after the current one wrote a district's figures rows
    for it (every school, up to 2100: rows of years that have not begun) and said "being
    recounted". Refused with a Chinese 400; nothing written, nothing asked."""
    from oversight.models import FiguresRefresh, SchoolYearFigures
    from oversight.services import ERROR_RECOUNT_NOT_BEGUN

    user = {"bureau": chain["jianan"].bureau_officer, "city": chain["region"].city_officer,
            "province": chain["region"].province_officer}[officer]
    district = chain["jianan"].district
    rows = SchoolYearFigures.objects.count()
    for year in (datetime.date.today().year + 1, 2099):
        response = logged_in(user).post(reverse("oversight:refresh", args=[district.pk]), {"year": str(year)})
        assert response.status_code == 400
        assert str(ERROR_RECOUNT_NOT_BEGUN) in response.content.decode()
    assert SchoolYearFigures.objects.count() == rows
    assert not SchoolYearFigures.objects.filter(year__gt=datetime.date.today().year).exists()
    assert not FiguresRefresh.objects.exists()


def test_refresh_now_of_a_year_without_credit_rules_says_so(chain):
    """A year the district has no credit rules for (2000, before the rules' start): the recount
    could count nothing (the task failed in the worker) yet the page said "being recounted"."""
    from django.contrib.messages import get_messages

    from oversight.models import FiguresRefresh

    client = logged_in(chain["jianan"].bureau_officer)
    response = client.post(reverse("oversight:refresh", args=[chain["jianan"].district.pk]), {"year": "2000"})
    assert response.status_code == 400
    assert not FiguresRefresh.objects.exists()
    # the current year still works
    response = client.post(reverse("oversight:refresh", args=[chain["jianan"].district.pk]), {"year": str(YEAR)})
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]


# --- racing tabs -----------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_racing_issue_and_withdraw_leave_at_most_one_standing_bulletin(chain):
    """One tab withdraws the standing bulletin while others issue the same year again (two
    bureau officers of the district): the withdrawal wins, at most one issue follows it, every
    number is distinct, and never two standing bulletins of the year."""
    from tests.race_helpers import race

    jianan = chain["jianan"]
    colleague = user_create(username="bureau_officer_2", password=PASSWORD, full_name="王二", role="bureau_officer",
                            organisation=jianan.bureau)
    first = bulletin_services.bulletin_issue(user=jianan.bureau_officer, year=YEAR)
    results = race([
        (logged_in(jianan.bureau_officer), reverse("bulletins:withdraw", args=[first.pk]), {"reason": "数据有误"}),
        (logged_in(colleague), reverse("bulletins:bulletin_new"), {"year": YEAR}),
        (logged_in(jianan.bureau_officer), reverse("bulletins:bulletin_new"), {"year": YEAR}),
    ])
    assert results[0] == 302, results
    assert sorted(results[1:]) in ([200, 200], [200, 302]), results
    standing = Issued.objects.filter(district=jianan.district, first_year=YEAR, withdrawn_at__isnull=True)
    assert standing.count() == (1 if 302 in results[1:] else 0)
    numbers = list(Issued.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))


@pytest.mark.django_db(transaction=True)
def test_racing_commendations_by_the_city_bureau_and_centre_make_one(chain):
    """Two city officers of different organisations of the city (bureau, training centre)."""
    from tests.race_helpers import race

    region = chain["region"]
    centre_officer = user_create(username="city_centre_officer", password=PASSWORD, full_name="中心官",
                                 role="city_officer", organisation=region.city_centre)
    url = reverse("bulletins:commendation_new")
    results = race([(logged_in(user), url, {"cycle": CYCLE[0]}) for user in (region.city_officer, centre_officer)])
    assert sorted(results) == [200, 302], results
    assert Issued.objects.filter(kind=Issued.Kind.COMMENDATION).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_refresh_now_from_the_bureau_and_the_officers_above(chain):
    """Three tabs press "refresh now" on the same district and year: no error, one row per school."""
    from oversight.models import SchoolYearFigures
    from tests.race_helpers import race

    jianan, region = chain["jianan"], chain["region"]
    url = reverse("oversight:refresh", args=[jianan.district.pk])
    users = (jianan.bureau_officer, region.city_officer, region.province_officer)
    results = race([(logged_in(user), url, {"year": YEAR}) for user in users])
    assert results == [302, 302, 302], results
    rows = SchoolYearFigures.objects.filter(district=jianan.district, year=YEAR)
    assert rows.count() == len(set(rows.values_list("organisation_id", flat=True))) >= 2


# --- plans.view_document along the chain ---------------------------------------------------------

def test_document_scope_stops_at_each_officers_level_and_region(chain):
    """A city officer reads the documents below and of their own city's organisations, never the
    province's own, another city's or a stand-alone district's; a province officer of another
    province reads none of them; nobody above edits what is below."""
    from accounts import permissions
    from tests.factories import make_proposal

    region, jianan, jinshui = chain["region"], chain["jianan"], chain["jinshui"]
    lone = make_district("独立区", "独教师备", suffix="_lone")
    District.objects.filter(pk=lone.district.pk).update(city=None)
    docs = {name: make_proposal(jianan, organisation=org, author=jianan.school_officer) for name, org in {
        "jianan_school": jianan.school, "city_centre": region.city_centre, "province_centre": region.province_centre,
        "other_city_bureau": region.other_city_bureau, "jinshui_school": jinshui.school, "lone_school": lone.school,
    }.items()}
    expected = {
        region.city_officer: {"jianan_school", "city_centre"},
        region.other_city_officer: {"jinshui_school", "other_city_bureau"},
        region.province_officer: {"jianan_school", "city_centre", "province_centre", "other_city_bureau",
                                  "jinshui_school"},
        chain["other_province_officer"]: set(),
        chain["empty_city_officer"]: set(),
    }
    for user, names in expected.items():
        seen = set(permissions.visible(user, "plans.view_document").values_list("pk", flat=True))
        assert {name for name, doc in docs.items() if doc.pk in seen} == names, user.username
        assert {name for name, doc in docs.items() if permissions.user_may(user, "plans.view_document", doc)} == names
        # Nobody above edits what is below; a training centre's officer writes their centre's own.
        assert not any(permissions.user_may(user, "plans.change_document", doc) for doc in docs.values()
                       if doc.organisation_id != user.organisation_id)
    assert permissions.user_may(region.province_officer, "plans.change_document", docs["province_centre"])
    assert not permissions.user_may(region.city_officer, "plans.change_document", docs["city_centre"])  # a bureau


# --- the bulletins' ?district= filter --------------------------------------------------------------

@pytest.mark.parametrize("value", ["abc", "0", "-1", "99999999999999999999", "1.5", "1 OR 1=1"])
def test_a_junk_district_filter_on_the_bulletins_is_a_400_not_the_whole_list(chain, value):
    """?district=abc was read as "no filter": the page answered 200 with every district's
    documents under a filter the officer thought they had set."""
    response = logged_in(chain["region"].city_officer).get(reverse("bulletins:list"), {"district": value})
    assert response.status_code == 400


def test_the_district_filter_on_the_bulletins_holds(chain):
    region, jianan, weidu, jinshui = chain["region"], chain["jianan"], chain["weidu"], chain["jinshui"]
    ours = bulletin_services.bulletin_issue(user=jianan.bureau_officer, year=YEAR)
    weidus = bulletin_services.bulletin_issue(user=weidu.bureau_officer, year=YEAR)
    client = logged_in(region.city_officer)
    assert client.get(reverse("bulletins:list"), {"district": ""}).status_code == 200
    page = client.get(reverse("bulletins:list"), {"district": jianan.district.pk})
    assert list(page.context["issued"]) == [ours]
    assert client.get(reverse("bulletins:list"), {"district": jinshui.district.pk}).status_code == 404
    # A district's bureau names another district of its city: not theirs to list.
    assert logged_in(jianan.bureau_officer).get(reverse("bulletins:list"),
                                                {"district": weidu.district.pk}).status_code == 404
    assert weidus not in logged_in(jianan.bureau_officer).get(reverse("bulletins:list")).context["issued"]


# --- data oddities -----------------------------------------------------------------------------

def test_a_stand_alone_district_issues_and_reads_its_bulletin_and_nobody_above_sees_it(chain):
    """A district with no city: its bureau issues, lists and downloads its bulletin and reads its
    roll-up; no city or province officer reaches either."""
    lone = make_district("独立区", "独教师备", suffix="_lone")
    District.objects.filter(pk=lone.district.pk).update(city=None, credit_rule_family="hunan")
    add(make_teacher(lone.school, name="独"), 40, datetime.date(YEAR, 4, 1))
    make_teacher(lone.other_school, name="零")
    Organisation.objects.create(district_id=lone.district.pk, name="独立区空小学", kind="school", stage="primary")
    oversight_services.figures_refresh(year=YEAR, district=District.objects.get(pk=lone.district.pk))
    bureau = logged_in(lone.bureau_officer)
    response = bureau.post(reverse("bulletins:bulletin_new"), {"year": YEAR})
    assert response.status_code == 302, response.content.decode()[-500:]
    issued = Issued.objects.get(district=lone.district)
    assert issued.content["chain"] == "独立区"
    assert [row["school"] for row in issued.content["rows"]] == ["独立区实验小学", "独立区第一初级中学"]
    assert bureau.get(reverse("bulletins:list")).status_code == 200
    assert bureau.get(reverse("bulletins:pdf", args=[issued.pk])).status_code == 200
    page = bureau.get(reverse("oversight:district", args=[lone.district.pk]), {"year": YEAR})
    assert page.status_code == 200 and [name for name, _url in page.context["crumbs"]] == ["独立区"]
    assert bureau.get(reverse("oversight:district", args=[lone.district.pk]), {"year": YEAR, "format": "xlsx"}
                      ).status_code == 200
    region = chain["region"]
    for officer in (region.city_officer, region.province_officer, chain["other_province_officer"]):
        client = logged_in(officer)
        assert client.get(reverse("bulletins:detail", args=[issued.pk])).status_code == 404
        assert client.get(reverse("bulletins:list"), {"district": lone.district.pk}).status_code == 404
        assert client.get(reverse("oversight:district", args=[lone.district.pk])).status_code == 403
        assert client.get(reverse("oversight:school", args=[lone.school.pk])).status_code == 403
        assert client.post(reverse("oversight:refresh", args=[lone.district.pk]), {"year": YEAR}).status_code == 403


def test_strangers_along_the_chain_read_nothing_of_xuchang(chain, client):
    """The officer of another province, of a city with no districts, of the other city, a
    district bureau of the same city, school staff, a teacher, an expert and anonymous: every
    roll-up, bulletin page, PDF and draft of 许昌市 and 建安区 is refused (403/404, login for anonymous)."""
    region, jianan, weidu = chain["region"], chain["jianan"], chain["weidu"]
    bulletin = bulletin_services.bulletin_issue(user=jianan.bureau_officer, year=YEAR)
    commendation = bulletin_services.commendation_issue(user=region.city_officer, cycle=CYCLE)
    city_urls = [reverse("oversight:city", args=[region.city.pk]),
                 reverse("oversight:district", args=[jianan.district.pk]),
                 reverse("oversight:school", args=[jianan.school.pk]),
                 reverse("bulletins:detail", args=[bulletin.pk]), reverse("bulletins:pdf", args=[bulletin.pk]),
                 reverse("bulletins:detail", args=[commendation.pk]),
                 reverse("bulletins:pdf", args=[commendation.pk]),
                 reverse("bulletins:list") + f"?district={jianan.district.pk}"]
    strangers = [chain["other_province_officer"], chain["empty_city_officer"], region.other_city_officer,
                 jianan.school_officer, jianan.principal, jianan.teacher, jianan.expert1]
    for user in strangers:
        for url in city_urls:
            assert logged_in(user).get(url).status_code in (403, 404), (user.username, url)
    # 魏都区's bureau: the city's list, yes; 建安区's bulletin and roll-up, no.
    weidu_client = logged_in(weidu.bureau_officer)
    assert weidu_client.get(reverse("bulletins:detail", args=[commendation.pk])).status_code == 200
    for url in city_urls[:5] + city_urls[7:]:
        assert weidu_client.get(url).status_code in (403, 404), url
    for url in city_urls + [reverse("oversight:province"), reverse("bulletins:list")]:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    # Nobody above a district withdraws its bulletin; the other city's officer not the list.
    for user, issued in ((region.city_officer, bulletin), (region.province_officer, bulletin),
                         (region.province_officer, commendation), (region.other_city_officer, commendation)):
        response = logged_in(user).post(reverse("bulletins:withdraw", args=[issued.pk]), {"reason": "越级"})
        assert response.status_code in (403, 404)
    assert not Issued.objects.filter(withdrawn_at__isnull=False).exists()
