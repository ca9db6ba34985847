"""Roll-ups with drill-down (issue #15): the figures of a small world counted by hand, the
summary table kept current by its task, the pages' sorting, permissions, queries and xlsx."""
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from accounts.models import Organisation
from attendance.models import Attendance
from credits import services as credit_services
from credits.models import CreditEntry
from oversight import metrics, selectors, services, tasks
from oversight.metrics import Figures
from oversight.models import FiguresRefresh, SchoolYearFigures
from plans.models import Document
from schedule.models import ScheduledProject, SpotCheck, SpotCheckItem
from tests.attendance_helpers import make_session, make_teacher
from tests.factories import make_annual_plan, make_district, make_region, make_school_plan

pytestmark = pytest.mark.django_db
YEAR = 2024  # hunan: calendar credit years, 30 credits a year


@pytest.fixture
def rules(db):
    call_command("loaddata", "credit_rules", verbosity=0)


def hunan(world):
    world.district.credit_rule_family = "hunan"
    world.district.save()
    return world


def add(teacher, hours, day=datetime.date(YEAR, 3, 1)):
    return credit_services.ledger_add(teacher=teacher, activity="concentrated", level="county", hours=hours,
                                      occurred_on=day, description="骨干教师培训",
                                      source=CreditEntry.Source.DECLARATION)


def filed(document, day):
    document.status = Document.Status.APPROVED
    document.filed_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    document.save()
    return document


def scheduled(world, source, sequence, status=ScheduledProject.Status.SCHEDULED):
    return ScheduledProject.objects.create(
        district=world.district, source=source, sequence=sequence, year=YEAR, name=f"项目{sequence}",
        organiser=world.training_school, modes=["concentrated"], start_month=3, end_month=3, hours=12,
        status=status)


@pytest.fixture
def small(world, rules):
    """School A: 4 teachers in post (30 credits; 10 credits; a session attended, no credits;
    nothing) and one who left (30 credits, not counted); school B: 2 (30 credits; nothing).
    A's 2024 school plan filed 1 June (on time), B's 15 July (late). The annual plan has 3
    projects: one finished, one scheduled, one cancelled; the year's draw checks the finished one."""
    hunan(world)
    a = [make_teacher(world.school, name=f"甲{n}") for n in range(4)]
    gone = make_teacher(world.school, name="甲离", active=False)
    b = [make_teacher(world.other_school, name=f"乙{n}") for n in range(2)]
    add(a[0], 30)
    add(a[1], 10)
    add(gone, 30)
    add(b[0], 30)
    filed(make_school_plan(world, year=YEAR), datetime.date(YEAR, 6, 1))
    filed(make_school_plan(world, school=world.other_school, author=world.other_school_officer, year=YEAR),
          datetime.date(YEAR, 7, 15))
    plan = filed(make_annual_plan(world, year=YEAR, projects=3), datetime.date(YEAR, 1, 10))
    finished = scheduled(world, plan, 1, ScheduledProject.Status.FINISHED)
    scheduled(world, plan, 2)
    scheduled(world, plan, 3, ScheduledProject.Status.CANCELLED)
    session = make_session(finished, date=datetime.date(YEAR, 3, 11))
    Attendance.objects.create(session=session, teacher=a[2], status=Attendance.Status.PRESENT,
                              source=Attendance.Source.ROLL_CALL, marked_by=world.training_officer)
    Attendance.objects.create(session=session, teacher=a[3], status=Attendance.Status.ABSENT,
                              source=Attendance.Source.ROLL_CALL, marked_by=world.training_officer)
    check = SpotCheck.objects.create(district=world.district, year=YEAR, seed=1, population=2,
                                     created_by=world.bureau_officer)
    SpotCheckItem.objects.create(spot_check=check, project=finished)
    return world


# --- the figures ----------------------------------------------------------------------------

def test_figures_of_a_small_world_counted_by_hand(small):
    figures = metrics.school_figures(YEAR, small.district)
    assert figures == {
        small.school.pk: Figures(teachers=4, participants=3, registered=2, completed=1, plans_due=1,
                                 plans_on_time=1),
        small.other_school.pk: Figures(teachers=2, participants=1, registered=1, completed=1, plans_due=1,
                                       plans_on_time=0),
        small.training_school.pk: Figures(projects_planned=3, projects_run=1, projects_held=2, spot_checked=1),
    }
    total = metrics.district_figures(YEAR, small.district)
    assert total == Figures(teachers=6, participants=4, registered=3, completed=2, plans_due=2, plans_on_time=1,
                            projects_planned=3, projects_run=1, projects_held=2, spot_checked=1)
    assert total.participation_rate == Decimal("66.7") and total.participation_below_target
    assert total.registration_rate == Decimal("50.0")
    assert total.completion_rate == Decimal("33.3")
    assert total.spot_check_coverage == Decimal("50.0") and not total.spot_check_below_target
    assert Figures().participation_rate is None and Figures().spot_check_coverage is None


def test_a_cancelled_draw_and_another_year_count_nothing(small):
    SpotCheck.objects.update(cancelled_at=timezone.now(), cancel_reason="重抽。")
    assert metrics.district_figures(YEAR, small.district).spot_checked == 0
    assert metrics.district_figures(YEAR + 1, small.district) == Figures(teachers=6, plans_due=2)


def _more_schools(world, count, start):
    for n in range(start, start + count):
        school = Organisation.objects.create(district=world.district, name=f"新校{n}", kind="school",
                                             stage="primary")
        for m in range(3):
            add(make_teacher(school, name=f"新{n}-{m}"), 12 * m)


def test_school_figures_take_the_same_queries_however_many_schools(small):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            metrics.school_figures(YEAR, small.district)
        return len(captured)

    _more_schools(small, 2, 0)
    few = queries()
    _more_schools(small, 8, 2)
    assert queries() == few
    assert few <= 12


# --- the summary table and its refresh --------------------------------------------------------

def test_refresh_replaces_the_districts_rows(small):
    services.figures_refresh(year=YEAR, district=small.district)
    services.figures_refresh(year=YEAR, district=small.district)
    rows = {row.organisation_id: row for row in SchoolYearFigures.objects.filter(year=YEAR)}
    assert set(rows) == {small.school.pk, small.other_school.pk, small.training_school.pk}
    assert (rows[small.school.pk].teachers, rows[small.school.pk].participants) == (4, 3)


def test_a_credit_entry_refreshes_the_summary_once_committed(small, django_capture_on_commit_callbacks):
    services.figures_refresh(year=YEAR, district=small.district)
    teacher = small.school.teachers.get(name="甲3")
    # The fixture's writes noted a batch in the test's never-committed transaction: start afresh,
    # as a request does.
    connection.run_on_commit.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            add(teacher, 8)
            add(teacher, 30, datetime.date(YEAR, 5, 1))
    assert len(callbacks) == 1  # one batch for the transaction, however many entries
    row = SchoolYearFigures.objects.get(organisation=small.school, year=YEAR)
    assert (row.registered, row.completed, row.participants) == (3, 2, 4)
    assert not FiguresRefresh.objects.exists()  # the task ran (immediate backend) and dropped its request


def test_a_rolled_back_change_asks_for_nothing(small, django_capture_on_commit_callbacks):
    teacher = small.school.teachers.get(name="甲3")
    connection.run_on_commit.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                add(teacher, 8)
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == [] and not SchoolYearFigures.objects.exists()


def test_one_pending_refresh_per_district_and_year(small, monkeypatch):
    enqueued = []

    class Queue:  # a worker that never comes
        @staticmethod
        def enqueue(*args):
            enqueued.append(args)

    monkeypatch.setattr(tasks, "refresh_figures", Queue)
    assert tasks.figures_request(small.district.pk, YEAR)
    assert not tasks.figures_request(small.district.pk, YEAR)  # one is waiting
    assert tasks.figures_request(small.district.pk, YEAR + 1)
    assert enqueued == [(small.district.pk, YEAR), (small.district.pk, YEAR + 1)]
    # A request whose task was lost (never ran) is enqueued again after a while.
    FiguresRefresh.objects.update(requested_at=timezone.now() - tasks.STALE_AFTER * 2)
    assert tasks.figures_request(small.district.pk, YEAR)


def test_the_nightly_command_counts_every_district(small, rules):
    other = make_district("魏都区", "魏教师备", suffix="_wd")
    make_teacher(other.school, name="丙")
    out = io.StringIO()
    call_command("refresh_figures", "--year", str(YEAR), stdout=out)
    assert "建安区 2024: 3" in out.getvalue() and "魏都区 2024: 2" in out.getvalue()
    assert SchoolYearFigures.objects.get(organisation=other.school, year=YEAR).teachers == 1


# --- the pages --------------------------------------------------------------------------------

@pytest.fixture
def chain(small):
    region = make_region()
    weidu = make_district("魏都区", "魏教师备", suffix="_wd")
    for n in range(2):
        add(make_teacher(weidu.school, name=f"魏{n}"), 40)
    jinshui = make_district("金水区", "金教师备", suffix="_js", city="郑州市")
    make_teacher(jinshui.school, name="金0")
    for district in (small.district, weidu.district, jinshui.district):
        services.figures_refresh(year=YEAR, district=district)
    return region, small, weidu, jinshui


def rows_of(response) -> list[str]:
    import re

    return re.findall(r'data-name="([^"]+)"', response.content.decode())


def test_province_city_district_drill_down(chain, client_for):
    region, jianan, weidu, jinshui = chain
    client = client_for(region.province_officer)
    assert client.get(reverse("oversight:index")).url == reverse("oversight:province")
    page = client.get(reverse("oversight:province"), {"year": YEAR})
    assert rows_of(page) == ["许昌市", "郑州市"]
    assert reverse("oversight:city", args=[region.city.pk]) in page.content.decode()
    xuchang = [row for row in page.context["rows"] if row.name == "许昌市"][0]
    assert xuchang.figures.teachers == 8 and xuchang.figures.participants == 6
    city = client.get(reverse("oversight:city", args=[region.city.pk]), {"year": YEAR})
    assert rows_of(city) == ["建安区", "魏都区"]
    assert [c[0] for c in city.context["crumbs"]] == ["河南省", "许昌市"]
    district = client.get(reverse("oversight:district", args=[jianan.district.pk]), {"year": YEAR})
    body = district.content.decode()
    assert reverse("oversight:school", args=[jianan.school.pk]) in body
    assert [c[0] for c in district.context["crumbs"]] == ["河南省", "许昌市", "建安区"]
    assert district.context["rollup"].total.teachers == 6
    assert 'data-below="1"' in body  # 66.7 % participation is below 94 %
    school = client.get(reverse("oversight:school", args=[jianan.school.pk]), {"year": YEAR})
    assert school.status_code == 200 and "甲0" in school.content.decode()


def test_district_staff_drill_down_to_the_schools_credit_page(chain, client_for):
    _region, jianan, _weidu, _jinshui = chain
    client = client_for(jianan.bureau_officer)
    assert client.get(reverse("oversight:index")).url == reverse("oversight:district", args=[jianan.district.pk])
    body = client.get(reverse("oversight:district", args=[jianan.district.pk]), {"year": YEAR}).content.decode()
    assert f"{reverse('credits:school_credits')}?organisation={jianan.school.pk}&amp;year={YEAR}" in body
    assert 'data-testid="refresh"' in body


def test_sorting_by_any_column(chain, client_for):
    region, jianan, weidu, _jinshui = chain
    client = client_for(region.city_officer)
    url = reverse("oversight:city", args=[region.city.pk])
    assert rows_of(client.get(url, {"year": YEAR, "sort": "-participation"})) == ["魏都区", "建安区"]
    assert rows_of(client.get(url, {"year": YEAR, "sort": "participation"})) == ["建安区", "魏都区"]
    assert rows_of(client.get(url, {"year": YEAR, "sort": "-teachers"})) == ["建安区", "魏都区"]
    district = reverse("oversight:district", args=[jianan.district.pk])
    for code, _label, _key in selectors.COLUMNS:
        for sort in (code, "-" + code):
            assert client.get(district, {"year": YEAR, "sort": sort}).status_code == 200, sort


@pytest.mark.parametrize("params", [{"sort": "drop table"}, {"sort": "-"}, {"year": "abc"}, {"year": "1800"}])
def test_bad_sort_or_year_is_a_chinese_400(chain, client_for, params):
    region, *_rest = chain
    response = client_for(region.city_officer).get(reverse("oversight:city", args=[region.city.pk]), params)
    assert response.status_code == 400
    body = response.content.decode()
    assert gettext("Bad request") in body
    if "sort" in params:
        assert gettext("“%(value)s” is not one of the values this filter offers.") % {
            "value": params["sort"][:20]} in body


def test_xlsx_has_the_columns_and_a_totals_row(chain, client_for):
    from openpyxl import load_workbook

    region, *_rest = chain
    response = client_for(region.city_officer).get(reverse("oversight:city", args=[region.city.pk]),
                                                    {"year": YEAR, "format": "xlsx", "sort": "name"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[1]) == [gettext("District"), gettext("Plans filed on time"), gettext("Plans due"),
                             gettext("Projects run"), gettext("Projects planned"),
                             gettext("Participation rate (%)"), gettext("Registration rate (%)"),
                             gettext("Completion rate (%)"), gettext("Spot-check coverage (%)"), pgettext("roll-up column", "Teachers"),
                             gettext("Participants"), gettext("Teachers registered"), gettext("Teachers completed"),
                             gettext("Projects held"), gettext("Projects spot-checked")]
    assert rows[2][0] == "建安区" and rows[2][5] == pytest.approx(66.7) and rows[2][9] == 6
    assert rows[3][0] == "魏都区" and rows[3][5] == pytest.approx(100.0)
    assert rows[4][0] == gettext("Total") and rows[4][9] == 8


def test_every_permission_boundary(chain, client_for):
    region, jianan, weidu, jinshui = chain
    city, other_city = region.city.pk, region.other_city.pk
    urls = {
        "province": reverse("oversight:province"),
        "city": reverse("oversight:city", args=[city]),
        "other_city": reverse("oversight:city", args=[other_city]),
        "jianan": reverse("oversight:district", args=[jianan.district.pk]),
        "weidu": reverse("oversight:district", args=[weidu.district.pk]),
        "jinshui": reverse("oversight:district", args=[jinshui.district.pk]),
        "school": reverse("oversight:school", args=[jianan.school.pk]),
        "index": reverse("oversight:index"),
    }
    allowed = {
        region.province_officer: {"province", "city", "other_city", "jianan", "weidu", "jinshui", "school", "index"},
        region.city_officer: {"city", "jianan", "weidu", "school", "index"},
        region.other_city_officer: {"other_city", "jinshui", "index"},
        jianan.bureau_officer: {"jianan", "index"},
        jianan.training_officer: {"jianan", "index"},
        weidu.bureau_officer: {"weidu", "index"},
        jianan.school_officer: set(), jianan.principal: set(), jianan.teacher: set(), jianan.expert1: set(),
    }
    for user, may in allowed.items():
        client = client_for(user)
        for name, url in urls.items():
            status = client.get(url, {"year": YEAR}).status_code
            expected = (200, 302) if name in may else (403, 404)
            assert status in expected, (user.username, name, status)
    assert client_for(jianan.bureau_officer).get(reverse("oversight:city", args=[999999])).status_code in (403, 404)


def test_refresh_now_is_for_the_bureau_and_the_officers_above(chain, client_for, django_capture_on_commit_callbacks):
    region, jianan, weidu, _jinshui = chain
    url = reverse("oversight:refresh", args=[jianan.district.pk])
    SchoolYearFigures.objects.filter(district=jianan.district).delete()
    for user in (jianan.training_officer, jianan.school_officer, weidu.bureau_officer, region.other_city_officer):
        assert client_for(user).post(url, {"year": YEAR}).status_code == 403, user.username
    assert not SchoolYearFigures.objects.filter(district=jianan.district).exists()
    assert client_for(jianan.bureau_officer).get(url).status_code == 405
    response = client_for(region.city_officer).post(url, {"year": YEAR})
    assert response.status_code == 302
    assert SchoolYearFigures.objects.filter(district=jianan.district, year=YEAR).count() == 3


def test_the_district_page_takes_the_same_queries_however_many_schools(chain, client_for):
    region, jianan, *_rest = chain
    client = client_for(region.city_officer)
    url = reverse("oversight:district", args=[jianan.district.pk])

    def queries(page_url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page_url, {"year": YEAR}).status_code == 200
        return len(captured)

    few = {u: queries(u) for u in (url, reverse("oversight:city", args=[region.city.pk]),
                                reverse("oversight:school", args=[jianan.school.pk]))}
    _more_schools(jianan, 10, 0)
    services.figures_refresh(year=YEAR, district=jianan.district)
    assert {u: queries(u) for u in few} == few


def test_regional_officers_land_on_the_rollups(chain, client_for):
    region, *_rest = chain
    assert client_for(region.city_officer).get(reverse("home")).url == reverse("oversight:index")


@pytest.mark.django_db(transaction=True)
def test_racing_refreshes_of_a_district_leave_one_row_per_school(rules):
    """Four "refresh now" at once (and so up to four recounts): no error, one row per school."""
    from tests.race_helpers import logged_in, race

    world = hunan(make_district())
    for n in range(3):
        add(make_teacher(world.school, name=f"甲{n}"), 10 * n)
    url = reverse("oversight:refresh", args=[world.district.pk])
    results = race([(logged_in(world.bureau_officer), url, {"year": YEAR}) for _n in range(4)])
    assert results == [302] * 4, results
    rows = SchoolYearFigures.objects.filter(district=world.district, year=YEAR)
    assert sorted(rows.values_list("organisation_id", flat=True)) == sorted([world.school.pk, world.other_school.pk])
    assert rows.get(organisation=world.school).registered == 2
    assert not FiguresRefresh.objects.exists()


def test_marked_attendance_refreshes_this_years_participation(world, rules, django_capture_on_commit_callbacks):
    hunan(world)
    teacher = make_teacher(world.school, name="甲")
    today = timezone.localdate()
    project = scheduled(world, make_annual_plan(world, year=today.year), 1)
    session = make_session(project, date=today)
    connection.run_on_commit.clear()  # the fixtures' batch (never committed in a test)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            Attendance.objects.create(session=session, teacher=teacher, status=Attendance.Status.PRESENT,
                                      source=Attendance.Source.ROLL_CALL, marked_by=world.training_officer)
    assert len(callbacks) == 1
    row = SchoolYearFigures.objects.get(organisation=world.school, year=today.year)
    assert (row.teachers, row.participants, row.registered) == (1, 1, 0)


def test_a_district_without_credit_rules_neither_breaks_the_writer_nor_the_pages(
        world, client_for, django_capture_on_commit_callbacks):
    """No rule set in force (no loaddata): a mark commits as before, nothing is counted, the
    roll-up page answers (the calendar year, "not counted yet"); the nightly run leaves it out."""
    teacher = make_teacher(world.school, name="甲")
    session = make_session(scheduled(world, make_annual_plan(world, year=YEAR), 1),
                           date=timezone.localdate())
    connection.run_on_commit.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            Attendance.objects.create(session=session, teacher=teacher, status=Attendance.Status.PRESENT,
                                      source=Attendance.Source.ROLL_CALL, marked_by=world.training_officer)
    assert Attendance.objects.count() == 1 and not SchoolYearFigures.objects.exists()
    page = client_for(world.bureau_officer).get(reverse("oversight:district", args=[world.district.pk]))
    assert page.status_code == 200 and page.context["year"] == timezone.localdate().year
    assert services.figures_refresh_all() == []
