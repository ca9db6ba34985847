"""The annual bulletin (年度通报, a district bureau) and the cycle commendation list (表彰名单,
a city officer) as issued PDFs (issue #15): what they say against oversight.metrics and the
credit ledger, the PDF's Chinese text and fonts, one standing document a year (cycle),
withdrawal with a reason, who may do what along the chain, bad parameters, racing issues."""
import datetime
import hashlib
import io
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from audit.models import AuditEvent
from bulletins import content as contents
from bulletins import services
from bulletins.models import Issued
from credits import services as credit_services
from credits.models import CreditEntry
from oversight import metrics
from tests.attendance_helpers import make_teacher
from tests.factories import make_district, make_region
from tests.race_helpers import logged_in, postgres_only, race

pytestmark = pytest.mark.django_db
YEAR = 2024              # hunan rules: calendar years, 30 credits a year, cycle 2021–2025 of 360
CYCLE = (2021, 2025)


def add(teacher, hours, day, activity="concentrated", level="county"):
    return credit_services.ledger_add(teacher=teacher, activity=activity, level=level, hours=hours,
                                      occurred_on=day, description="测试培训",
                                      source=CreditEntry.Source.DECLARATION)


@pytest.fixture
def chain(db):
    call_command("loaddata", "credit_rules", verbosity=0)
    region = make_region()
    jianan = make_district()                                                   # 许昌市
    weidu = make_district("魏都区", "魏教师备", suffix="_wd")                  # 许昌市
    jinshui = make_district("金水区", "金教师备", suffix="_js", city="郑州市")
    for world in (jianan, weidu, jinshui):
        world.district.credit_rule_family = "hunan"
        world.district.save()
    return region, jianan, weidu, jinshui


@pytest.fixture
def teachers(chain):
    """建安区: the primary school registers both teachers (100 %), the junior school one of two."""
    _region, jianan, weidu, _jinshui = chain
    zhou = make_teacher(jianan.school, name="周芳")
    wu = make_teacher(jianan.school, name="吴敏")
    chen = make_teacher(jianan.other_school, name="陈强")
    make_teacher(jianan.other_school, name="郑洁")                      # nothing registered
    weidu_teacher = make_teacher(weidu.school, name="魏老师")
    for teacher in (zhou, wu, chen, weidu_teacher):
        add(teacher, 40, datetime.date(YEAR, 4, 1))
    # The whole cycle for 周芳 and 魏老师: 80 credits in each year of 2021–2025 (360 needed).
    for teacher in (zhou, weidu_teacher):
        for year in (2021, 2022, 2023, 2025):
            add(teacher, 80, datetime.date(year, 5, 1))
        add(teacher, 40, datetime.date(YEAR, 6, 1))
    return {"zhou": zhou, "wu": wu, "chen": chen, "weidu": weidu_teacher}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def font_names(data: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def issue_bulletin(user, year=YEAR):
    return logged_in(user).post(reverse("bulletins:bulletin_new"), {"year": year})


def issue_commendation(user, cycle=CYCLE):
    return logged_in(user).post(reverse("bulletins:commendation_new"), {"cycle": cycle[0]})


# --- what the bulletin says ----------------------------------------------------------------------

def test_bulletin_praises_full_registration_and_names_the_rest_with_the_metrics_figures(chain, teachers):
    _region, jianan, _weidu, _jinshui = chain
    content = contents.bulletin_content(jianan.district, YEAR)
    figures = metrics.school_figures(YEAR, jianan.district)
    assert [row["school"] for row in content["rows"]] == [jianan.school.name, jianan.other_school.name]
    assert content["praised"] == [jianan.school.name]
    assert content["named"] == [jianan.other_school.name]
    junior = content["rows"][1]
    other = figures[jianan.other_school.pk]
    assert (junior["teachers"], junior["registered"]) == (other.teachers, other.registered) == (2, 1)
    assert junior["registration_rate"] == str(other.registration_rate) == "50.0"
    assert junior["completion_rate"] == str(other.completion_rate)
    assert junior["participation_rate"] == str(other.participation_rate)
    total = metrics.district_figures(YEAR, jianan.district)
    assert (content["totals"]["teachers"], content["totals"]["registered"]) == (total.teachers, total.registered)
    assert content["totals"]["registration_rate"] == str(total.registration_rate) == "75.0"


def test_issued_bulletin_pdf_holds_the_chinese_title_numbers_and_a_cjk_font(chain, teachers):
    _region, jianan, _weidu, _jinshui = chain
    response = issue_bulletin(jianan.bureau_officer)
    issued = Issued.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("bulletins:detail", args=[issued.pk])
    this_year = datetime.date.today().year
    assert issued.number == f"建教师〔{this_year}〕1号" and issued.issuer == jianan.bureau
    data = logged_in(jianan.bureau_officer).get(reverse("bulletins:pdf", args=[issued.pk])).content
    text = pdf_text(data)
    assert contents.bulletin_title(YEAR).replace(" ", "") in text.replace(" ", "").replace("\n", "")
    assert issued.number in text and jianan.other_school.name in text and "50.0" in text and "75.0" in text
    assert jianan.bureau.name in text
    assert gettext("DRAFT · NOT ISSUED") not in text
    fonts = font_names(data)
    # Text extracts even when every glyph is a box; the embedded fonts prove the glyphs.
    assert fonts and all("CJK-SC" in name for name in fonts), fonts
    assert hashlib.sha256(data).hexdigest() == issued.sha256


def test_an_issue_in_another_language_is_still_written_in_the_official_one(chain, teachers, settings):
    """The demo loader (and an officer reading English) issued an English title: an issued
    document is an official record, in settings.LANGUAGE_CODE."""
    _region, jianan, *_ = chain
    with translation.override("en"):
        issued = services.bulletin_issue(user=jianan.bureau_officer, year=YEAR)
    with translation.override(settings.LANGUAGE_CODE):
        expected = contents.bulletin_title(YEAR)
        draft_watermark = gettext("DRAFT · NOT ISSUED")
        seal = gettext("(seal)")
    assert issued.title == expected
    assert seal != "(seal)" and seal in pdf_text(services.issued_pdf(issued))   # a string the catalog has
    with translation.override("en"):
        page = logged_in(jianan.bureau_officer).get(reverse("bulletins:bulletin_preview"), {"year": YEAR - 1})
    assert draft_watermark in page.content.decode()


def test_draft_preview_is_watermarked_and_issues_nothing(chain, teachers):
    _region, jianan, _weidu, _jinshui = chain
    client = logged_in(jianan.bureau_officer)
    page = client.get(reverse("bulletins:bulletin_preview"), {"year": YEAR})
    assert page.status_code == 200 and gettext("DRAFT · NOT ISSUED") in page.content.decode()
    pdf = client.get(reverse("bulletins:bulletin_preview_pdf"), {"year": YEAR})
    assert pdf.status_code == 200 and gettext("DRAFT · NOT ISSUED").replace(" ", "") in \
        pdf_text(pdf.content).replace(" ", "")
    assert not Issued.objects.exists()


def test_commendation_draft_preview_is_watermarked_and_issues_nothing(chain, teachers):
    region, *_ = chain
    client = logged_in(region.city_officer)
    page = client.get(reverse("bulletins:commendation_preview"), {"cycle": CYCLE[0]})
    assert page.status_code == 200
    assert gettext("DRAFT · NOT ISSUED") in page.content.decode() and "周芳" in page.content.decode()
    pdf = client.get(reverse("bulletins:commendation_preview_pdf"), {"cycle": CYCLE[0]})
    assert pdf.status_code == 200 and "周芳" in pdf_text(pdf.content)
    assert not Issued.objects.exists()


# --- once a year, withdrawal ---------------------------------------------------------------------

def test_second_bulletin_of_a_year_is_refused_until_the_first_is_withdrawn(chain, teachers):
    _region, jianan, _weidu, _jinshui = chain
    officer = jianan.bureau_officer
    issue_bulletin(officer)
    first = Issued.objects.get()
    again = issue_bulletin(officer)
    assert again.status_code == 200
    assert first.number in again.content.decode()           # the refusal names the standing one
    assert Issued.objects.count() == 1
    withdraw_url = reverse("bulletins:withdraw", args=[first.pk])
    refused = logged_in(officer).post(withdraw_url, {"reason": "  "})
    assert refused.status_code == 400 and gettext("Give the reason for withdrawing.") in refused.content.decode()
    first.refresh_from_db()
    assert not first.withdrawn
    assert logged_in(officer).post(withdraw_url, {"reason": "数据有误，重新通报"}).status_code == 302
    first.refresh_from_db()
    assert first.withdrawn and first.withdrawn_by == officer and first.withdraw_reason == "数据有误，重新通报"
    assert AuditEvent.objects.filter(action="bulletins.withdraw", object_id=str(first.pk)).exists()
    assert issue_bulletin(officer).status_code == 302
    second = Issued.objects.get(withdrawn_at__isnull=True)
    assert second.sequence == 2 and second.number != first.number   # a withdrawn number is not reused
    assert AuditEvent.objects.filter(action="bulletins.issue").count() == 2
    # The withdrawn one is still served, as issued.
    assert logged_in(officer).get(reverse("bulletins:pdf", args=[first.pk])).status_code == 200
    again = logged_in(officer).post(withdraw_url, {"reason": "再次撤回"})
    assert again.status_code == 400 and gettext("This document has already been withdrawn.") in again.content.decode()


def test_issued_pdf_is_served_from_storage_and_a_damaged_file_is_rendered_from_the_issued_content(chain, teachers):
    _region, jianan, _weidu, _jinshui = chain
    issue_bulletin(jianan.bureau_officer)
    issued = Issued.objects.get()
    url = reverse("bulletins:pdf", args=[issued.pk])
    client = logged_in(jianan.bureau_officer)
    with mock.patch("bulletins.services.render", wraps=services.render) as renderer:
        stored = client.get(url).content
    assert renderer.call_count == 0
    add(teachers["chen"], 10, datetime.date(YEAR, 9, 1))     # today's figures change, the issued do not
    make_teacher(jianan.other_school, name="新来的老师")
    with issued.file.storage.open(issued.file.name, "wb") as handle:
        handle.write(b"%PDF-1.7 tampered")
    with mock.patch("bulletins.services.render", wraps=services.render) as renderer:
        again = client.get(url).content
    assert renderer.call_count == 1 and again != b"%PDF-1.7 tampered"
    assert "新来的老师" not in pdf_text(again) and pdf_text(again) == pdf_text(stored)
    issued.refresh_from_db()
    assert hashlib.sha256(issued.file.read()).hexdigest() == issued.sha256


# --- the commendation list -----------------------------------------------------------------------

def test_commendation_lists_the_city_teachers_who_completed_the_cycle(chain, teachers):
    region, jianan, weidu, _jinshui = chain
    content = contents.commendation_content(region.city, CYCLE)
    by_district = {d["district"]: d for d in content["districts"]}
    assert set(by_district) == {jianan.district.name, weidu.district.name}      # not 郑州市's 金水区
    primary = {s["school"]: s for s in by_district[jianan.district.name]["schools"]}[jianan.school.name]
    assert primary["names"] == ["周芳"] and (primary["completed"], primary["teachers"]) == (1, 2)
    assert content["full_districts"] == [weidu.district.name]
    assert content["full_schools"] == [weidu.district.name + weidu.school.name]
    assert content["commended"] == 2

    response = issue_commendation(region.city_officer)
    issued = Issued.objects.get()
    assert response.status_code == 302
    assert issued.city == region.city and issued.issuer == region.city_bureau and issued.cycle == CYCLE
    assert issued.number == f"许教师〔{datetime.date.today().year}〕1号"
    text = pdf_text(logged_in(region.city_officer).get(reverse("bulletins:pdf", args=[issued.pk])).content)
    assert "周芳" in text and "魏老师" in text and "吴敏" not in text and region.city_bureau.name in text
    assert issue_commendation(region.city_officer).status_code == 200 and Issued.objects.count() == 1


# --- who may do what -----------------------------------------------------------------------------

def test_only_a_district_bureau_officer_issues_its_bulletin(chain, teachers):
    region, jianan, _weidu, _jinshui = chain
    for user in (jianan.training_officer, jianan.school_officer, jianan.principal, jianan.teacher,
                 jianan.expert1, region.city_officer, region.province_officer):
        assert issue_bulletin(user).status_code == 403, user.username
        assert logged_in(user).get(reverse("bulletins:bulletin_preview"), {"year": YEAR}).status_code == 403
    assert not Issued.objects.exists()


def test_only_a_city_officer_issues_the_commendation(chain, teachers):
    region, jianan, _weidu, _jinshui = chain
    for user in (jianan.bureau_officer, jianan.training_officer, jianan.school_officer, jianan.teacher,
                 region.province_officer):
        assert issue_commendation(user).status_code == 403, user.username
    assert not Issued.objects.exists()


def test_who_reads_and_who_withdraws_along_the_chain(chain, teachers):
    region, jianan, weidu, jinshui = chain
    issue_bulletin(jianan.bureau_officer)
    issue_commendation(region.city_officer)
    bulletin = Issued.objects.get(kind=Issued.Kind.BULLETIN)
    commendation = Issued.objects.get(kind=Issued.Kind.COMMENDATION)
    readers = {
        bulletin: [jianan.bureau_officer, region.city_officer, region.province_officer],
        commendation: [jianan.bureau_officer, weidu.bureau_officer, region.city_officer, region.province_officer],
    }
    strangers = {
        bulletin: [weidu.bureau_officer, jinshui.bureau_officer, region.other_city_officer],
        commendation: [jinshui.bureau_officer, region.other_city_officer],
    }
    for issued in (bulletin, commendation):
        for user in readers[issued]:
            assert logged_in(user).get(reverse("bulletins:pdf", args=[issued.pk])).status_code == 200
            assert logged_in(user).get(reverse("bulletins:detail", args=[issued.pk])).status_code == 200
        for user in strangers[issued]:
            for name in ("detail", "pdf"):
                assert logged_in(user).get(reverse(f"bulletins:{name}", args=[issued.pk])).status_code == 404
            assert logged_in(user).post(reverse("bulletins:withdraw", args=[issued.pk]),
                                        {"reason": "越权"}).status_code == 404
    for user in (jianan.school_officer, jianan.teacher, jianan.training_officer):
        assert logged_in(user).get(reverse("bulletins:list")).status_code == 403
        assert logged_in(user).get(reverse("bulletins:pdf", args=[bulletin.pk])).status_code == 404
    # Reading is not withdrawing: only the level that issued it.
    for issued, user in ((bulletin, region.city_officer), (bulletin, region.province_officer),
                         (commendation, jianan.bureau_officer), (commendation, region.province_officer)):
        assert logged_in(user).post(reverse("bulletins:withdraw", args=[issued.pk]),
                                    {"reason": "越权"}).status_code == 403
    assert not Issued.objects.filter(withdrawn_at__isnull=False).exists()
    # The lists: each sees what is theirs.
    page = logged_in(region.other_city_officer).get(reverse("bulletins:list")).content.decode()
    assert bulletin.number not in page and commendation.number not in page
    page = logged_in(region.province_officer).get(reverse("bulletins:list")).content.decode()
    assert bulletin.number in page and commendation.number in page
    assert logged_in(region.city_officer).get(reverse("bulletins:list"),
                                              {"district": jinshui.district.pk}).status_code == 404
    page = logged_in(region.province_officer).get(reverse("bulletins:list"),
                                                  {"district": jinshui.district.pk}).content.decode()
    assert bulletin.number not in page and commendation.number not in page
    page = logged_in(region.province_officer).get(reverse("bulletins:list"),
                                                  {"district": jianan.district.pk}).content.decode()
    assert bulletin.number in page and commendation.number in page


# --- bad parameters ------------------------------------------------------------------------------

@pytest.mark.parametrize("year", ["abc", "", "1900", "99999999999999999999", str(datetime.date.today().year + 1)])
def test_bad_year_is_a_chinese_400(chain, teachers, year):
    _region, jianan, _weidu, _jinshui = chain
    for name in ("bulletin_preview", "bulletin_preview_pdf"):
        response = logged_in(jianan.bureau_officer).get(reverse(f"bulletins:{name}"), {"year": year})
        assert response.status_code == 400
        assert "<html" in response.content.decode() and any("\u4e00" <= ch <= "\u9fff"
                                                            for ch in response.content.decode())


@pytest.mark.parametrize("cycle", ["abc", "2022", "2016", "-1"])
def test_bad_cycle_is_a_400(chain, teachers, cycle):
    region, *_ = chain
    response = logged_in(region.city_officer).get(reverse("bulletins:commendation_preview"), {"cycle": cycle})
    assert response.status_code == 400


def test_bad_issue_form_is_a_form_error(chain, teachers):
    region, jianan, *_ = chain
    for data in ({"year": "x"}, {"year": datetime.date.today().year + 1}, {}):
        assert logged_in(jianan.bureau_officer).post(reverse("bulletins:bulletin_new"), data).status_code == 200
    assert logged_in(region.city_officer).post(reverse("bulletins:commendation_new"),
                                               {"cycle": "2022"}).status_code == 200
    assert not Issued.objects.exists()


# --- racing issues -------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["bulletin", "commendation"])
def test_racing_issues_make_one_document(chain, teachers, kind):
    region, jianan, *_ = chain
    if kind == "bulletin":
        url, data, users = reverse("bulletins:bulletin_new"), {"year": YEAR}, [jianan.bureau_officer] * 3
    else:
        url, data = reverse("bulletins:commendation_new"), {"cycle": CYCLE[0]}
        users = [region.city_officer] * 3
    results = race([(logged_in(user), url, data) for user in users])
    assert sorted(results) == [200, 200, 302], results
    assert Issued.objects.count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_racing_issue_and_withdraw_on_postgresql(chain, teachers):
    _region, jianan, *_ = chain
    issue_bulletin(jianan.bureau_officer)
    first = Issued.objects.get()
    url = reverse("bulletins:withdraw", args=[first.pk])
    results = race([(logged_in(jianan.bureau_officer), url, {"reason": f"撤回{i}"}) for i in range(3)])
    assert sorted(results) == [302, 400, 400], results
    first.refresh_from_db()
    assert first.withdrawn
