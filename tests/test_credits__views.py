"""学时/学分登记 pages: figures against CreditEntry sums, the xlsx exports, the printed
record and its public verification, cycle completion, and who may see what."""
import datetime
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext
from pypdf import PdfReader

from accounts.services import user_create
from credits import services
from credits.ledger_views import mask_name, read_record_code, record_code
from credits.models import CreditEntry, CycleClosure
from tests.attendance_helpers import make_teacher
from tests.factories import make_district
from tests.job_helpers import job_result, started_job

pytestmark = pytest.mark.django_db
D = Decimal
YEAR = 2024            # hunan: calendar years, cycle 2021–2025, 30 a year, 360 a cycle (+150 new teachers)
CYCLE = (2021, 2025)
CODE = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{1,4})+")


@pytest.fixture
def rules(db):
    call_command("loaddata", "credit_rules", verbosity=0)


@pytest.fixture
def hunan(world, rules):
    world.district.credit_rule_family = "hunan"
    world.district.save()
    return world


def add(teacher, activity, hours, day, level="county", description="测试培训"):
    return services.ledger_add(teacher=teacher, activity=activity, level=level, hours=hours, occurred_on=day,
                               description=description, source=CreditEntry.Source.DECLARATION)


def year_sum(teacher, year=YEAR) -> Decimal:
    return CreditEntry.objects.filter(teacher=teacher, credit_year=year).aggregate(s=Sum("credits"))["s"] or D(0)


def cycle_sum(teacher, cycle=CYCLE) -> Decimal:
    return CreditEntry.objects.filter(teacher=teacher, credit_year__range=cycle).aggregate(
        s=Sum("credits"))["s"] or D(0)


def shown(value: Decimal) -> str:
    """As the templates print a figure (floatformat:"-2")."""
    return str(int(value)) if value == value.to_integral() else f"{value:.2f}"


class _Tagged(HTMLParser):
    def __init__(self, attribute):
        super().__init__()
        self.attribute, self.found = attribute, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.attribute in attrs:
            self.found.append(attrs)


def tagged(response, attribute) -> list[dict]:
    """The attributes of every element carrying `attribute` (e.g. data-teacher)."""
    assert response.status_code == 200, response.status_code
    parser = _Tagged(attribute)
    parser.feed(response.content.decode())
    return parser.found


def xlsx_rows(response) -> list[list]:
    """The data rows of an export: below the title and header, above the blank line."""
    from openpyxl import load_workbook

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = []
    for row in sheet.iter_rows(min_row=3, values_only=True):
        if all(value is None for value in row):
            break
        rows.append(list(row))
    return rows


def pdf_of(response) -> PdfReader:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


def text_of(reader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def font_names(reader) -> set[str]:
    return {str(font.get_object()["/BaseFont"]) for page in reader.pages
            for font in page["/Resources"]["/Font"].values()}


@pytest.fixture
def school(hunan):
    """Four teachers of the school, with ledgers worked by hand:

    周芳 (login: world.teacher): 2022 online 20; 2024 concentrated 24, school-based 25 then 10 → 5 (cap 30 a year)
    李明: 2024 concentrated 12 (short this year)
    陈静 (new teacher): 2023 online 40
    赵强: nothing
    and one teacher of the other school, who must never show up on this school's pages.
    """
    world = hunan
    zhou = make_teacher(world.school, name="周芳", user=world.teacher)
    add(zhou, "online", 20, datetime.date(2022, 4, 1), description="网络研修2022")
    add(zhou, "concentrated", 24, datetime.date(2024, 3, 1), description="骨干教师培训")
    add(zhou, "school_based", 25, datetime.date(2024, 4, 1), level="school", description="校本研修春季")
    capped = add(zhou, "school_based", 10, datetime.date(2024, 11, 1), level="school", description="校本研修秋季")[0]
    assert (capped.raw_credits, capped.credits) == (D(10), D(5)) and capped.note
    li = make_teacher(world.school, name="李明")
    add(li, "concentrated", 12, datetime.date(2024, 5, 1))
    chen = make_teacher(world.school, name="陈静", is_new_teacher=True)
    add(chen, "online", 40, datetime.date(2023, 6, 1))
    zhao = make_teacher(world.school, name="赵强")
    outsider = make_teacher(world.other_school, name="孙悦")
    add(outsider, "concentrated", 50, datetime.date(2024, 5, 1))
    return {"world": world, "zhou": zhou, "li": li, "chen": chen, "zhao": zhao, "outsider": outsider}


def url(name, *args, **query):
    from urllib.parse import urlencode

    return reverse(f"credits:{name}", args=args) + ("?" + urlencode(query) if query else "")


# --- one teacher ---------------------------------------------------------------------

def test_my_credits_shows_totals_missing_and_the_ledger(school, client_for):
    world, zhou = school["world"], school["zhou"]
    [totals] = tagged(client_for(world.teacher).get(url("my_credits", year=YEAR)), "data-cycle-total")
    assert D(totals["data-year-total"]) == year_sum(zhou) == D(54)          # 24 + 25 + 5
    assert D(totals["data-cycle-total"]) == cycle_sum(zhou) == D(74)        # + 20 in 2022
    assert D(totals["data-year-required"]) == D(30) and D(totals["data-year-missing"]) == 0
    assert D(totals["data-cycle-required"]) == D(360)
    assert D(totals["data-cycle-missing"]) == D(360) - D(74)
    expected = services.teacher_totals(zhou, YEAR)
    assert D(totals["data-cycle-missing"]) == expected["cycle_missing"]

    response = client_for(world.teacher).get(url("my_credits", year=YEAR))
    entries = tagged(response, "data-entry")
    in_cycle = CreditEntry.objects.filter(teacher=zhou, credit_year__range=CYCLE)
    assert sorted(int(e["data-entry"]) for e in entries) == sorted(in_cycle.values_list("pk", flat=True))
    assert sum(D(e["data-credits"]) for e in entries) == cycle_sum(zhou)
    capped = [e for e in entries if e.get("data-capped")]
    assert [int(e["data-entry"]) for e in capped] == [in_cycle.get(description="校本研修秋季").pk]
    body = response.content.decode()
    assert in_cycle.get(description="校本研修秋季").note in body     # the ledger says why the cap cut it
    years = {int(row["data-year"]): D(row["data-credits"]) for row in tagged(response, "data-year")
             if "data-entry" not in row}
    assert years == {2021: 0, 2022: D(20), 2023: 0, 2024: D(54), 2025: 0}


def test_year_parameter_selects_the_year(school, client_for):
    world, zhou = school["world"], school["zhou"]
    [totals] = tagged(client_for(world.teacher).get(url("my_credits", year=2022)), "data-cycle-total")
    assert D(totals["data-year-total"]) == year_sum(zhou, 2022) == D(20)
    assert D(totals["data-year-missing"]) == D(10)
    assert D(totals["data-cycle-total"]) == cycle_sum(zhou)


def test_a_teacher_sees_only_their_own_ledger(school, client_for):
    world, zhou, li = school["world"], school["zhou"], school["li"]
    client = client_for(world.teacher)
    assert client.get(url("teacher_credits", li.pk)).status_code == 404
    assert client.get(url("record_pdf", li.pk)).status_code == 404
    # Their own page by number leads to their own ledger.
    response = client.get(url("teacher_credits", zhou.pk, year=YEAR))
    assert response.status_code == 302 and response["Location"].startswith(reverse("credits:my_credits"))
    mine = {int(e["data-entry"]) for e in tagged(client.get(url("my_credits", year=YEAR)), "data-entry")}
    assert mine and not mine & set(CreditEntry.objects.exclude(teacher=zhou).values_list("pk", flat=True))


def test_teacher_page_for_school_staff_and_district_only(school, client_for):
    world, li = school["world"], school["li"]
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    for user in (world.school_officer, world.principal, world.training_officer, world.bureau_officer):
        [totals] = tagged(client_for(user).get(url("teacher_credits", li.pk, year=YEAR)), "data-cycle-total")
        assert D(totals["data-year-total"]) == year_sum(li) == D(12), user
        assert D(totals["data-year-missing"]) == D(18)
    for user in (world.other_school_officer, world.expert1, elsewhere.bureau_officer, elsewhere.training_officer,
                 elsewhere.school_officer):
        assert client_for(user).get(url("teacher_credits", li.pk)).status_code == 404, user
        assert client_for(user).get(url("record_pdf", li.pk)).status_code == 404, user


def test_login_without_a_roster_entry_has_no_ledger(hunan, client_for):
    user = user_create(username="t_nobody", password="test-pass-123", full_name="吴老师", role="teacher",
                       organisation=hunan.school)
    assert client_for(user).get(url("my_credits")).status_code == 404


def test_pages_need_a_login_but_verify_does_not(school):
    anonymous = Client()
    for name, args in [("my_credits", []), ("teacher_credits", [school["li"].pk]), ("school_credits", []),
                       ("district_credits", []), ("record_pdf", [school["li"].pk]), ("cycle_close", [])]:
        response = anonymous.get(url(name, *args))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    assert anonymous.get(url("verify")).status_code == 200


# --- a school ------------------------------------------------------------------------

def test_school_page_figures_and_flags_match_the_ledger(school, client_for):
    world = school["world"]
    rows = {int(r["data-teacher"]): r for r in
            tagged(client_for(world.school_officer).get(url("school_credits", year=YEAR)), "data-teacher")}
    mine = [school[k] for k in ("zhou", "li", "chen", "zhao")]
    assert set(rows) == {t.pk for t in mine}                      # never the other school's teacher
    for teacher in mine:
        row = rows[teacher.pk]
        assert D(row["data-year-total"]) == year_sum(teacher), teacher
        assert D(row["data-cycle-total"]) == cycle_sum(teacher), teacher
    flags = {t.name: (rows[t.pk]["data-short-year"], rows[t.pk]["data-capped"]) for t in mine}
    assert flags == {"周芳": ("false", "true"), "李明": ("true", "false"), "陈静": ("true", "false"),
                     "赵强": ("true", "false")}
    assert all(row["data-short-cycle"] == "true" for row in rows.values())


def test_school_xlsx_matches_the_ledger(school, client_for):
    world = school["world"]
    rows = xlsx_rows(client_for(world.school_officer).get(url("school_credits", year=YEAR, format="xlsx")))
    by_name = {row[0]: row for row in rows}
    assert set(by_name) == {"周芳", "李明", "陈静", "赵强"}
    for key in ("zhou", "li", "chen", "zhao"):
        teacher = school[key]
        row = by_name[teacher.name]
        assert (D(str(row[2])), D(str(row[5]))) == (year_sum(teacher), cycle_sum(teacher)), teacher
        assert D(str(row[6])) == (D(510) if teacher.is_new_teacher else D(360))      # cycle requirement
        assert D(str(row[7])) == D(str(row[6])) - cycle_sum(teacher)                  # missing in the cycle


def test_a_school_sees_only_its_teachers(school, client_for):
    world = school["world"]
    other = client_for(world.other_school_officer)
    rows = tagged(other.get(url("school_credits", year=YEAR)), "data-teacher")
    assert [int(r["data-teacher"]) for r in rows] == [school["outsider"].pk]
    assert other.get(url("school_credits", organisation=world.school.pk)).status_code == 404
    assert client_for(world.teacher).get(url("school_credits")).status_code == 403
    # District staff pick a school of their district.
    rows = tagged(client_for(world.training_officer).get(url("school_credits", organisation=world.school.pk,
                                                             year=YEAR)), "data-teacher")
    assert len(rows) == 4
    response = client_for(world.training_officer).get(url("school_credits"))
    assert response.status_code == 302 and response["Location"] == reverse("credits:district_credits")
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    assert client_for(elsewhere.bureau_officer).get(
        url("school_credits", organisation=world.school.pk)).status_code == 404


def test_school_page_query_count_does_not_grow_with_teachers(school, client_for, django_assert_max_num_queries):
    world = school["world"]
    client = client_for(world.school_officer)
    page = url("school_credits", year=YEAR)
    client.get(page)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(page)
    baseline = len(few.captured_queries)
    for n in range(15):
        teacher = make_teacher(world.school, name=f"教师{n:02d}", is_new_teacher=n % 2 == 0)
        add(teacher, "concentrated", 10 + n, datetime.date(2024, 3, 1))
        add(teacher, "school_based", 40, datetime.date(2023, 3, 1), level="school")   # capped at 30
    with django_assert_max_num_queries(baseline):
        response = client.get(page)
    assert len(tagged(response, "data-teacher")) == 19
    with django_assert_max_num_queries(baseline):
        client.get(page + "&format=xlsx")


# --- the district --------------------------------------------------------------------

def test_district_completion_rate_per_school(school, client_for):
    world = school["world"]
    response = client_for(world.bureau_officer).get(url("district_credits", year=YEAR))
    rows = {int(r["data-school"]): r for r in tagged(response, "data-school")}
    assert set(rows) == {world.school.pk, world.other_school.pk}
    # Of the school's four teachers only 周芳 has 30 a year; the other school's one teacher has 50.
    assert (rows[world.school.pk]["data-teachers"], rows[world.school.pk]["data-meeting"]) == ("4", "1")
    assert D(rows[world.school.pk]["data-rate"]) == D("25.0")
    assert D(rows[world.other_school.pk]["data-rate"]) == D("100.0")
    training = client_for(world.training_officer)
    sheet = {row[0]: row for row in xlsx_rows(job_result(training, training.post(
        url("district_credits", year=YEAR, format="xlsx"))))}
    assert sheet[world.school.name][1:4] == [4, 1, 25.0]
    assert sheet[world.other_school.name][1:4] == [1, 1, 100.0]
    meeting = sum(year_sum(t) >= 30 for t in [school[k] for k in ("zhou", "li", "chen", "zhao")])
    assert meeting == 1


def test_district_page_is_for_district_staff(school, client_for):
    world = school["world"]
    for user in (world.school_officer, world.principal, world.teacher, world.expert1):
        assert client_for(user).get(url("district_credits")).status_code == 403, user
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    rows = tagged(client_for(elsewhere.bureau_officer).get(url("district_credits", year=YEAR)), "data-school")
    assert {int(r["data-school"]) for r in rows} == {elsewhere.school.pk, elsewhere.other_school.pk}


# --- the printed record and its verification ----------------------------------------------

def test_record_pdf_has_name_totals_code_and_cjk_fonts(school, client_for):
    world, zhou = school["world"], school["zhou"]
    reader = pdf_of(client_for(world.school_officer).get(url("record_pdf", zhou.pk, year=YEAR)))
    text = text_of(reader)
    flat = re.sub(r"\s+", "", text)  # table cells wrap
    assert "周芳" in text and world.school.name in text
    for description in ("网络研修2022", "骨干教师培训", "校本研修秋季"):
        assert description in flat, description
    assert shown(cycle_sum(zhou)) in text and shown(year_sum(zhou)) in text
    expected = record_code(zhou.pk, CYCLE[0], cycle_sum(zhou))
    assert expected in CODE.findall(text)
    fonts = font_names(reader)
    assert fonts and all("CJK" in name for name in fonts), fonts


def test_teacher_prints_their_own_record(school, client_for):
    world, zhou = school["world"], school["zhou"]
    text = text_of(pdf_of(client_for(world.teacher).get(url("record_pdf", zhou.pk, year=YEAR))))
    assert "周芳" in text


def test_verify_accepts_the_printed_code_and_shows_only_the_masked_name(school, client_for):
    world, zhou = school["world"], school["zhou"]
    text = text_of(pdf_of(client_for(world.teacher).get(url("record_pdf", zhou.pk, year=YEAR))))
    [code] = [c for c in CODE.findall(text) if read_record_code(c)]
    anonymous = Client()
    for typed in (code, code.lower().replace("-", ""), " ".join(code.split("-"))):
        response = anonymous.get(url("verify", code=typed))
        [result] = tagged(response, "data-genuine")
        assert result["data-genuine"] == "true", typed
        body = response.content.decode()
        assert mask_name("周芳") == "周*" and "周*" in body
        assert "周芳" not in body and zhou.id_number not in body
        assert world.school.name in body and "2021" in body and "2025" in body
        assert shown(cycle_sum(zhou)) in body
        for description in ("网络研修2022", "骨干教师培训", "校本研修秋季"):
            assert description not in body


def _tamper(code: str, position: int) -> str:
    digits = code.replace("-", "")
    swapped = "1" if digits[position] != "1" else "2"
    return digits[:position] + swapped + digits[position + 1:]


def test_verify_rejects_a_tampered_code(school, client_for):
    zhou = school["zhou"]
    code = record_code(zhou.pk, CYCLE[0], cycle_sum(zhou))
    anonymous = Client()
    for tampered in (_tamper(code, 0), _tamper(code, 3), _tamper(code, len(code.replace("-", "")) - 1),
                     record_code(zhou.pk, CYCLE[0], cycle_sum(zhou) + 100)[:-2] + code[-2:], "NOT-A-CODE", "0000"):
        response = anonymous.get(url("verify", code=tampered))
        [result] = tagged(response, "data-genuine")
        assert result["data-genuine"] == "false", tampered
        body = response.content.decode()
        assert "周*" not in body and "周芳" not in body and school["world"].school.name not in body, tampered
    # A code for a higher total than the ledger's is only genuine if it was signed.
    assert read_record_code(record_code(zhou.pk, CYCLE[0], D("74"))) == (zhou.pk, 2021, D("74.00"))


def test_code_depends_on_the_secret_key_and_survives_rotation(school, settings):
    zhou = school["zhou"]
    old_key = settings.SECRET_KEY
    code = record_code(zhou.pk, CYCLE[0], D(74))
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert read_record_code(code) is None
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert read_record_code(code) == (zhou.pk, 2021, D("74.00"))


# --- closing a cycle: 准予结业 --------------------------------------------------------

@pytest.fixture
def finished(school):
    """周芳 gets to 360 in the cycle; the others stay short."""
    add(school["zhou"], "concentrated", 286, datetime.date(2025, 6, 1), description="国培计划")   # 74 + 286 = 360
    assert cycle_sum(school["zhou"]) == D(360)
    return school


def test_school_officer_proposes_and_may_not_confirm(finished, client_for):
    world = finished["world"]
    client = client_for(world.school_officer)
    response = client.get(url("cycle_close", year=2025))
    proposal = {int(r["data-teacher"]): r for r in tagged(response, "data-proposed")}
    assert {pk: r["data-proposed"] for pk, r in proposal.items()} == {
        finished["zhou"].pk: "true", finished["li"].pk: "false", finished["chen"].pk: "false",
        finished["zhao"].pk: "false"}
    assert all(D(r["data-cycle-total"]) == cycle_sum(finished[k]) for k in ("zhou", "li", "chen", "zhao")
               for r in [proposal[finished[k].pk]])
    assert 'data-testid="confirm-form"' not in response.content.decode()
    figures = re.search(r'name="figures" value="(\w+)"', client_for(world.bureau_officer).get(
        url("cycle_close", organisation=world.school.pk, year=2025)).content.decode()).group(1)
    assert client.post(url("cycle_close", year=2025), {"figures": figures}).status_code == 403
    assert client_for(world.training_officer).post(
        url("cycle_close", organisation=world.school.pk, year=2025), {"figures": figures}).status_code == 403
    assert not CycleClosure.objects.exists()


def _confirm(client, world, year=2025):
    """The confirm button: a job (credits.tasks.cycle_close) that has run when the page
    redirects to it (the immediate backend); then the cycle's page again."""
    page = url("cycle_close", organisation=world.school.pk, year=year)
    figures = re.search(r'name="figures" value="(\w+)"', client.get(page).content.decode()).group(1)
    job = started_job(client.post(page, {"figures": figures}))
    assert job.kind == "cycle_close" and job.state == "done", (job.state, job.error)
    return client.get(page)


def test_bureau_confirms_once_and_closures_record_the_results(finished, client_for):
    world = finished["world"]
    bureau = client_for(world.bureau_officer)
    response = _confirm(bureau, world)
    closures = {c.teacher_id: c for c in CycleClosure.objects.all()}
    teachers = [finished[k] for k in ("zhou", "li", "chen", "zhao")]
    assert set(closures) == {t.pk for t in teachers}            # not the other school's teacher
    for teacher in teachers:
        closure = closures[teacher.pk]
        assert closure.first_year == 2021 and closure.total == cycle_sum(teacher)
        assert closure.required == (D(510) if teacher.is_new_teacher else D(360))
        assert closure.passed == (teacher.name == "周芳") and closure.confirmed_by == world.bureau_officer
    shown_results = {int(r["data-teacher"]): r["data-passed"] for r in tagged(response, "data-passed")}
    assert shown_results == {t.pk: "true" if t.name == "周芳" else "false" for t in teachers}
    # Any year of the cycle shows the same closed cycle, to the school as well.
    school_view = {int(r["data-teacher"]): r["data-passed"] for r in tagged(
        client_for(world.school_officer).get(url("cycle_close", year=2022)), "data-passed")}
    assert school_view == shown_results
    [mine] = tagged(client_for(world.teacher).get(url("my_credits", year=2023)), "data-passed")
    assert mine["data-passed"] == "true"

    # A second confirmation changes nothing.
    page = url("cycle_close", organisation=world.school.pk, year=2025)
    before = list(CycleClosure.objects.values_list("pk", "passed", "total"))
    add(finished["li"], "concentrated", 400, datetime.date(2025, 9, 1))
    response = bureau.post(page, {"figures": "anything"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert list(CycleClosure.objects.values_list("pk", "passed", "total")) == before


def test_bureau_of_another_district_cannot_confirm(finished, client_for):
    world = finished["world"]
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    client = client_for(elsewhere.bureau_officer)
    page = url("cycle_close", organisation=world.school.pk, year=2025)
    assert client.get(page).status_code == 404
    assert client.post(page, {"figures": "x"}).status_code == 404
    assert not CycleClosure.objects.exists()


def test_confirmation_refused_when_figures_changed_after_the_page_was_shown(finished, client_for):
    world = finished["world"]
    bureau = client_for(world.bureau_officer)
    page = url("cycle_close", organisation=world.school.pk, year=2025)
    figures = re.search(r'name="figures" value="(\w+)"', bureau.get(page).content.decode()).group(1)
    add(finished["li"], "concentrated", 400, datetime.date(2025, 9, 1))
    job = started_job(bureau.post(page, {"figures": figures}))
    assert job.state == "failed" and job.error == gettext(
        "The figures changed since the page was shown. Check them and confirm again.")
    assert not CycleClosure.objects.exists()
    _confirm(bureau, world)
    assert CycleClosure.objects.get(teacher=finished["li"]).passed is True


# --- issue #14: the confirmation is a job (credits.tasks.cycle_close) ----------------------------

DUMMY_QUEUE = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _figures(client, page) -> str:
    return re.search(r'name="figures" value="(\w+)"', client.get(page).content.decode()).group(1)


def test_confirm_starts_a_job_whose_result_is_what_the_request_used_to_write(finished, client_for):
    """The POST only checks and starts the job; the job writes exactly the closures the
    synchronous confirmation wrote (computed here in a rolled-back transaction), gives a
    workbook of them, and tells its owner."""
    from django.db import transaction

    from jobs.models import Job
    from notices.models import Notice

    world = finished["world"]
    bureau = client_for(world.bureau_officer)
    page = url("cycle_close", organisation=world.school.pk, year=2025)
    figures = _figures(bureau, page)
    fields = ("teacher_id", "first_year", "total", "required", "passed", "missing", "confirmed_by_id")
    with transaction.atomic():
        services.cycle_close(organisation=world.school, year=2025, user=world.bureau_officer, figures=figures)
        expected = sorted(CycleClosure.objects.values_list(*fields))
        transaction.set_rollback(True)
    assert expected and not CycleClosure.objects.exists()

    response = bureau.post(page, {"figures": figures})
    job = started_job(response)
    assert (job.kind, job.state, job.owner, job.done, job.total) == ("cycle_close", "done", world.bureau_officer, 3, 3)
    assert sorted(CycleClosure.objects.values_list(*fields)) == expected
    rows = xlsx_rows(job_result(bureau, response))
    assert sorted((row[0], row[3]) for row in rows) == sorted(
        (c.teacher.name, gettext("Yes") if c.passed else gettext("No")) for c in CycleClosure.objects.all())
    assert Notice.objects.filter(user=world.bureau_officer, kind=Notice.Kind.JOB_DONE,
                                 url=reverse("jobs:detail", args=[job.pk])).count() == 1
    assert Job.objects.count() == 1
    # The page says the cycle is confirmed; a second POST is refused without a job.
    response = bureau.post(page, {"figures": figures}, follow=True)
    assert [m.message for m in response.context["messages"]] == [
        gettext("This cycle has already been confirmed for this school.")]
    assert Job.objects.count() == 1


def test_who_may_confirm_is_unchanged_and_a_refusal_starts_no_job(finished, client_for):
    from jobs.models import Job

    world = finished["world"]
    page = url("cycle_close", organisation=world.school.pk, year=2025)
    figures = _figures(client_for(world.bureau_officer), page)
    assert client_for(world.school_officer).post(url("cycle_close", year=2025), {"figures": figures}).status_code == 403
    assert client_for(world.training_officer).post(page, {"figures": figures}).status_code == 403
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    assert client_for(elsewhere.bureau_officer).post(page, {"figures": figures}).status_code == 404
    assert not Job.objects.exists() and not CycleClosure.objects.exists()


def test_a_second_click_or_another_officer_gets_the_waiting_job(finished, client_for, settings):
    """While the close job waits for a worker: the same officer's second click is the same
    job; another officer of the bureau is told who is confirming, and no second job starts.
    A cancelled job frees the cycle for a new confirmation."""
    from jobs import services as jobs
    from jobs.models import Job

    settings.TASKS = DUMMY_QUEUE
    world = finished["world"]
    other = user_create(username="bureau2", password="x-pass-123", full_name="股员二", role="bureau_officer",
                        organisation=world.bureau)
    bureau, colleague = client_for(world.bureau_officer), client_for(other)
    page = url("cycle_close", organisation=world.school.pk, year=2025)
    figures = _figures(bureau, page)
    job = started_job(bureau.post(page, {"figures": figures}))
    assert job.state == "queued"
    assert started_job(bureau.post(page, {"figures": figures})) == job
    response = colleague.post(page, {"figures": figures})
    assert response.status_code == 302 and response["Location"] == page
    response = colleague.get(page)
    assert 'data-testid="cycle-close-waiting"' in response.content.decode()
    assert 'data-testid="confirm-form"' not in response.content.decode()
    assert [m.message for m in response.context["messages"]] == [gettext(
        "%(name)s is confirming this cycle already; the page shows the results when it is done.")
        % {"name": world.bureau_officer.display_name}]
    assert Job.objects.count() == 1 and not CycleClosure.objects.exists()

    jobs.job_cancel(job=job, user=world.bureau_officer)
    assert 'data-testid="confirm-form"' in colleague.get(page).content.decode()
    second = started_job(colleague.post(page, {"figures": figures}))
    assert second != job and second.owner == other and Job.objects.count() == 2


def test_a_close_job_of_a_lost_worker_confirms_the_cycle_once(finished, client_for, settings):
    """The worker died while confirming (nothing committed: the closures and the job's end
    are one transaction); recovery runs it again and the cycle is confirmed once."""
    from datetime import timedelta

    from django.utils import timezone

    from jobs import services as jobs
    from jobs.models import Job

    settings.TASKS = DUMMY_QUEUE
    world = finished["world"]
    bureau = client_for(world.bureau_officer)
    page = url("cycle_close", organisation=world.school.pk, year=2025)
    job = started_job(bureau.post(page, {"figures": _figures(bureau, page)}))
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=1,
                                         heartbeat_at=timezone.now() - timedelta(hours=1))
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert jobs.recover_stale() == [job.pk]
    job.refresh_from_db()
    assert job.state == "done" and job.attempts == 2
    assert CycleClosure.objects.count() == 4
    assert jobs.recover_stale() == [] and CycleClosure.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_racing_confirm_clicks_start_one_close_job():
    """Four bureau officers press confirm at the same moment while no worker runs: one job
    (the school's row is locked while the job is looked for), every answer a redirect."""
    from jobs.models import Job
    from tests.race_helpers import logged_in, race

    call_command("loaddata", "credit_rules", verbosity=0)
    world = make_district()
    world.district.credit_rule_family = "hunan"
    world.district.save()
    add(make_teacher(world.school, "甲"), "concentrated", 300, datetime.date(2024, 5, 10))
    officers = [world.bureau_officer] + [
        user_create(username=f"bureau{n}", password="x-pass-123", full_name=f"股员{n}", role="bureau_officer",
                    organisation=world.bureau) for n in range(1, 4)]
    page = url("cycle_close", organisation=world.school.pk, year=2025)
    from django.test import override_settings

    with override_settings(TASKS=DUMMY_QUEUE):
        figures = _figures(logged_in(officers[0]), page)
        results = race([(logged_in(officer), page, {"figures": figures}) for officer in officers])
    assert results == [302] * 4, results
    assert Job.objects.filter(kind="cycle_close").count() == 1
    assert not CycleClosure.objects.exists()


# --- issue #12: the 优秀 threshold and category minimums on the pages ------------------------------

def test_teacher_and_school_pages_flag_fewer_than_72_credits(school, client_for):
    """湖南 实施办法七: 一个年度内培训学分少于72学分者，原则上当年年度考核不能评为优秀等第.
    周芳 has 24 + 25 + 5 = 54 in 2024, 李明 12; 周芳 then reaches 72 exactly."""
    world, zhou, li = school["world"], school["zhou"], school["li"]
    [flag] = tagged(client_for(world.teacher).get(url("my_credits", year=YEAR)), "data-allowed")
    assert flag["data-allowed"] == "false"
    page = client_for(world.school_officer).get(url("school_credits", year=YEAR))
    rows = {int(r["data-teacher"]): r["data-below-excellent"] for r in tagged(page, "data-below-excellent")}
    assert rows[zhou.pk] == rows[li.pk] == "true"
    assert re.search(r'data-testid="below-excellent-count">(\d+)<', page.content.decode()).group(1) == \
        str(sum(value == "true" for value in rows.values()))
    add(zhou, "concentrated", 18, datetime.date(2024, 12, 1))                   # 54 + 18 = 72
    [flag] = tagged(client_for(world.teacher).get(url("my_credits", year=YEAR)), "data-allowed")
    assert flag["data-allowed"] == "true"
    rows = {int(r["data-teacher"]): r["data-below-excellent"] for r in tagged(
        client_for(world.school_officer).get(url("school_credits", year=YEAR)), "data-below-excellent")}
    assert (rows[zhou.pk], rows[li.pk]) == ("false", "true")
    # The xlsx says the same, in its last column.
    exported = {row[0]: row[-1] for row in xlsx_rows(client_for(world.school_officer).get(
        url("school_credits", year=YEAR, format="xlsx")))}
    assert exported["周芳"] in ("", None) and exported["李明"]


def test_rules_without_the_threshold_show_no_flag(world, rules, client_for):
    world.district.credit_rule_family = "gansu"
    world.district.save()
    make_teacher(world.school, name="周芳", user=world.teacher)
    page = client_for(world.teacher).get(url("my_credits", year=2014))
    assert tagged(page, "data-allowed") == [] and 'data-testid="categories"' in page.content.decode()


@pytest.fixture
def shaanxi(world, rules):
    """陕西: 齐全 40 + 40 + 50; 缺远程 60 + 0 + 70 (the surplus 30 of concentrated leaves remote 10 short)."""
    world.district.credit_rule_family = "shaanxi"
    world.district.save()
    complete = make_teacher(world.school, name="齐全", user=world.teacher)
    short = make_teacher(world.school, name="缺远程")
    when = datetime.date(2016, 5, 10)
    for teacher, (concentrated, remote, school_based) in ((complete, (80, 80, 800)), (short, (120, 0, 1120))):
        add(teacher, "concentrated", concentrated, when, level="province")
        add(teacher, "online", remote, when, level="province")
        add(teacher, "school_based", school_based, when, level="school")
    return {"world": world, "complete": complete, "short": short}


def test_teacher_page_shows_each_category_and_what_is_missing(shaanxi, client_for):
    world = shaanxi["world"]
    rows = {r["data-category"]: r for r in tagged(
        client_for(world.school_officer).get(url("teacher_credits", shaanxi["short"].pk, year=2016)), "data-category")}
    assert {code: (D(r["data-earned"]), D(r["data-received"]), D(r["data-missing"]), r["data-met"])
            for code, r in rows.items()} == {
        "concentrated": (D(60), D(0), D(0), "true"),
        "remote": (D(0), D(30), D(10), "false"),
        "school_based": (D(70), D(0), D(0), "true"),
    }
    mine = {r["data-category"]: r["data-met"] for r in tagged(
        client_for(world.teacher).get(url("my_credits", year=2016)), "data-category")}
    assert mine == {"concentrated": "true", "remote": "true", "school_based": "true"}


def test_cycle_close_page_proposes_by_the_category_minimums_too(shaanxi, client_for):
    world, complete, short = shaanxi["world"], shaanxi["complete"], shaanxi["short"]
    bureau = client_for(world.bureau_officer)
    page = bureau.get(url("cycle_close", organisation=world.school.pk, year=2018))
    proposal = {int(r["data-teacher"]): (D(r["data-cycle-total"]), r["data-proposed"])
                for r in tagged(page, "data-proposed")}
    assert proposal == {complete.pk: (D(130), "true"), short.pk: (D(130), "false")}  # 120 reached by both
    flags = {int(r["data-teacher"]): r["data-short-category"] for r in tagged(
        client_for(world.school_officer).get(url("school_credits", year=2018)), "data-short-category")}
    assert flags == {complete.pk: "false", short.pk: "true"}
    _confirm(bureau, world, year=2018)
    closures = {c.teacher_id: (c.passed, c.missing) for c in CycleClosure.objects.all()}
    assert closures[complete.pk] == (True, "")
    assert closures[short.pk][0] is False and "远程培训" in closures[short.pk][1]
