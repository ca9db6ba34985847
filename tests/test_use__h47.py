"""Found by walking the demo as its users (helper h47): the menu marks the page's own link.

Links of no single app (a school's 培训学分 and 考勤统计, a teacher's 我的培训, …) were never
marked: on those pages no menu entry was highlighted, while 文档 or 任务收件箱 were on theirs.
"""
import re

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from tests.attendance_helpers import make_teacher_with_login

pytestmark = pytest.mark.django_db


def _marked(page: str) -> list[str]:
    """The labels of the menu's links marked as the current page's."""
    nav = re.search(r"<nav>(.*?)</nav>", page, re.S)
    assert nav, "no menu"
    return re.findall(r'<a href="[^"]*" class="active"[^>]*>([^<]*)', nav.group(1))


def _classless(page: str) -> list[str]:
    nav = re.search(r"<nav>(.*?)</nav>", page, re.S).group(1)
    return re.findall(r'<a href="[^"]*"(?: data-testid="[^"]*")?>([^<]*)', nav)


@pytest.mark.parametrize("who, url_name, label", [
    ("school_officer", "credits:school_credits", "Training credits"),
    ("school_officer", "attendance:report_school", "Attendance report"),
    ("school_officer", "attendance:teachers", "Teachers"),
    ("school_officer", "attendance:leave", "Leave requests"),
    ("training_officer", "credits:district_credits", "Training credits"),
    ("training_officer", "attendance:report_district", "Attendance report"),
    ("bureau_officer", "credits:rules", "Credit rules"),
])
def test_the_menu_marks_the_link_of_the_page(world, client_for, who, url_name, label):
    page = client_for(getattr(world, who)).get(reverse(url_name)).content.decode()
    assert _marked(page) == [gettext(label)]


def test_a_teachers_pages_mark_their_link(world, client_for):
    teacher = make_teacher_with_login(world.school, "h47_teacher")
    client = client_for(teacher.user)
    assert _marked(client.get(reverse("attendance:me")).content.decode()) == [gettext("My training")]
    assert _marked(client.get(reverse("credits:my_credits")).content.decode()) == [gettext("My training credits")]


def test_elsewhere_those_links_stay_unmarked_without_a_class(world, client_for):
    page = client_for(world.school_officer).get(reverse("plans:list")).content.decode()
    assert _marked(page) == [gettext("Documents")]
    assert gettext("Training credits") in _classless(page)
    # The inbox's declarations link (a query of the inbox) is never the one marked.
    page = client_for(world.school_officer).get(reverse("workflow:inbox") + "?tab=queue&kind=declaration")
    assert _marked(page.content.decode()) == [gettext("Task inbox")]


# --- the roll-ups' "figures as of" sentence -------------------------------------------------------
# 许昌市's officer read "数据截至2026年12月2日 22:57. 目标：…": the sentence's full stop was the
# template's own, an English "." after the Chinese translation. It is now part of the message.

@pytest.fixture
def counted(world):
    from django.core.management import call_command

    from oversight import services
    from tests.attendance_helpers import make_teacher

    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()
    make_teacher(world.school, name="甲0")
    services.figures_refresh(year=2024, district=world.district)
    return world


def _as_of(rollup_time) -> str:
    from django.utils import timezone
    from django.utils.formats import date_format

    time = date_format(timezone.localtime(rollup_time), "SHORT_DATETIME_FORMAT")
    return gettext("Figures as of %(time)s.") % {"time": time}


def test_the_rollups_as_of_sentence_is_one_translated_sentence(counted, client_for):
    from oversight.models import SchoolYearFigures
    from tests.factories import make_region

    client = client_for(counted.bureau_officer)
    district = client.get(reverse("oversight:district", args=[counted.district.pk]), {"year": 2024})
    assert _as_of(district.context["rollup"].computed_at) in district.content.decode()
    city_officer = make_region().city_officer  # (the school's page is the regional officers')
    school = client_for(city_officer).get(reverse("oversight:school", args=[counted.school.pk]), {"year": 2024})
    assert school.status_code == 200
    row = SchoolYearFigures.objects.get(organisation=counted.school, year=2024)
    assert _as_of(row.computed_at) in school.content.decode()
