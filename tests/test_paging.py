"""Long lists come a page at a time (core.paging): the school credit view, the attendance
reports, the audit log and the roster. ?page= is validated (a Chinese 400), a page beyond
the end shows the last page, and the number of queries does not grow with the rows."""
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext

from attendance.models import Teacher
from audit.models import AuditEvent
from core.params import BadParameter, parse_page
from tests.attendance_helpers import make_teacher

pytestmark = pytest.mark.django_db
PER_PAGE = 25  # the school reports' page (the roster shows 50)


@pytest.fixture
def hunan(world):
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()
    return world


def add_teachers(world, count, start=0):
    for n in range(start, start + count):
        make_teacher(world.school, name=f"教师{n:03d}")


def school_pages(world):
    """(client's user, URL) of each paginated page listing the school's teachers."""
    return [
        (world.school_officer, reverse("credits:school_credits") + "?year=2024"),
        (world.school_officer, reverse("attendance:report_school") + "?year=2024"),
        (world.school_officer, reverse("attendance:teachers")),
    ]


def with_page(url, value):
    return f"{url}{'&' if '?' in url else '?'}page={value}"


def teacher_pks(page):
    return [getattr(item, "teacher", item).pk for item in page.object_list]


@pytest.mark.parametrize("value,expected", [(None, 1), ("", 1), (" 2 ", 2), ("1", 1)])
def test_parse_page_accepts(value, expected):
    assert parse_page(value) == expected


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "2页", "99999999999999999999", "1e3"])
def test_parse_page_refuses(value):
    with pytest.raises(BadParameter):
        parse_page(value)


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5"])
def test_bad_page_is_a_chinese_400_on_every_paged_page(hunan, client_for, value):
    world = hunan
    bureau_audit = (world.bureau_officer, reverse("audit:list"))
    for user, url in school_pages(world) + [bureau_audit]:
        response = client_for(user).get(with_page(url, value))
        assert response.status_code == 400, url
        assert gettext("The page number must be a whole number from 1.") in response.content.decode(), url


def test_pager_walks_the_school_pages_and_a_page_beyond_the_end_is_the_last(hunan, client_for):
    world = hunan
    add_teachers(world, 55)  # more than two pages of 25 and more than one of the roster's 50
    in_post = Teacher.objects.filter(organisation=world.school, active=True).count()
    for user, url in school_pages(world):
        client = client_for(user)
        first = client.get(url)
        assert first.status_code == 200
        paginator = first.context["page"].paginator
        assert paginator.num_pages >= 2 and paginator.per_page <= 50, url
        assert len(first.context["page"].object_list) == paginator.per_page, url
        assert "page=2" in first.content.decode(), url  # the pager's next link
        shown = []
        for number in range(1, paginator.num_pages + 1):
            shown += teacher_pks(client.get(with_page(url, number)).context["page"])
        assert len(set(shown)) == len(shown) == in_post, url  # every teacher once, none twice
        last = client.get(with_page(url, paginator.num_pages)).context["page"]
        beyond = client.get(with_page(url, 99))
        assert beyond.status_code == 200 and beyond.context["page"].number == paginator.num_pages, url
        assert teacher_pks(beyond.context["page"]) == teacher_pks(last), url


def test_school_report_totals_count_every_teacher_not_only_the_page(hunan, client_for):
    world = hunan
    add_teachers(world, PER_PAGE + 5)
    in_post = Teacher.objects.filter(organisation=world.school, active=True).count()
    response = client_for(world.school_officer).get(reverse("credits:school_credits"), {"year": 2024})
    assert response.context["report"].teachers == in_post
    assert f'data-testid="teacher-count">{in_post}<' in response.content.decode()


def test_audit_log_pages(world, client_for):
    AuditEvent.objects.bulk_create([AuditEvent(district=world.district, action="login", summary=f"事件{n}")
                                    for n in range(120)])
    client = client_for(world.bureau_officer)
    first = client.get(reverse("audit:list"))
    assert first.context["page"].paginator.num_pages >= 2 and "page=2" in first.content.decode()
    beyond = client.get(reverse("audit:list"), {"page": 500})
    assert beyond.status_code == 200
    page = beyond.context["page"]
    assert page.number == page.paginator.num_pages >= 2


@pytest.mark.parametrize("which", [0, 1, 2])
def test_queries_do_not_grow_with_the_rows(hunan, client_for, which):
    world = hunan
    add_teachers(world, 3)
    user, url = school_pages(world)[which]
    client = client_for(user)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_teachers(world, 60, start=3)
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as many:
            assert client.get(with_page(url, page)).status_code == 200
        assert len(many.captured_queries) <= len(few.captured_queries), (url, page)
