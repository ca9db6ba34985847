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
