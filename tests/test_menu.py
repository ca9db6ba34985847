"""The main menu of every page (config/menu.py, built in Python since issue 14 item 5): each role's
links, the current section marked, the open-task badge, no menu before a chosen password."""
import re

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from tests.factories import make_proposal, make_region
from tests.flow_helpers import submit

pytestmark = pytest.mark.django_db


def _menu(page: str) -> list[tuple[str, str, str]]:
    nav = re.search(r"<nav>(.*?)</nav>", page, re.S)
    assert nav, "no menu"
    return re.findall(r'<a href="([^"]*)"( class="[^"]*")?[^>]*>([^<]*)', nav.group(1))


def _hrefs(page: str) -> list[str]:
    return [href for href, _active, _label in _menu(page)]


EVERYONE = ["workflow:inbox", "plans:list", "schedule:index"]


@pytest.mark.parametrize("who, expected", [
    ("teacher", EVERYONE + ["attendance:me", "attendance:sign_in", "credits:my_credits", "credits:declaration_list"]),
    ("school_officer", EVERYONE + ["attendance:teachers", "attendance:school_based", "attendance:leave",
                                   "workflow:inbox", "attendance:report_school", "credits:school_credits",
                                   "exchange:home", "process_board:index", "people:index"]),
    ("principal", EVERYONE + ["attendance:report_school", "credits:school_credits", "process_board:index"]),
    ("training_officer", EVERYONE + ["attendance:report_district", "credits:district_credits", "workflow:inbox",
                                     "process_board:index", "printing:batch", "tracker:index", "jobs:list",
                                     "oversight:district"]),
    ("bureau_officer", EVERYONE + ["attendance:report_district", "credits:district_credits", "workflow:inbox",
                                   "exchange:home", "process_board:index", "printing:batch", "tracker:index",
                                   "jobs:list", "oversight:district", "credits:rules", "audit:list", "people:index",
                                   "bulletins:list", "credits:recognition_list"]),
    ("expert1", EVERYONE + ["process_board:index"]),
    ("city_officer", EVERYONE + ["process_board:index", "oversight:index", "bulletins:list",
                                 "credits:recognition_list"]),
])
def test_each_role_sees_its_links(world, client_for, who, expected):
    user = getattr(make_region(), who) if who == "city_officer" else getattr(world, who)
    page = client_for(user).get(reverse("notices:list")).content.decode()
    urls = [reverse(name, args=[user.district_id]) if name == "oversight:district" else reverse(name)
            for name in expected]
    if "attendance:leave" in expected or "credits:district_credits" in expected:  # declarations to review
        urls[expected.index("workflow:inbox", 1)] += "?tab=queue&amp;kind=declaration"
    if user.is_staff:
        urls.append(reverse("admin:index"))
    assert _hrefs(page) == urls


def test_the_current_section_is_marked_and_the_labels_are_translated(world, client_for):
    page = client_for(world.bureau_officer).get(reverse("audit:list")).content.decode()
    menu = {label: active for _href, active, label in _menu(page)}
    assert menu[gettext("Audit trail")] == ' class="active"'
    assert menu[gettext("Documents")] == ' class=""'
    assert menu[gettext("Credit rules")] == ""  # a link never marked has no class at all
    assert '<a href="/credits/recognition/" data-testid="nav-recognition">' in page


def test_the_badge_counts_open_tasks_and_is_absent_without_any(world, client_for):
    officer = client_for(world.training_officer)
    assert 'data-testid="inbox-count"' not in officer.get(reverse("plans:list")).content.decode()
    for _ in range(2):
        submit(client_for(world.school_officer), make_proposal(world))
    page = officer.get(reverse("plans:list")).content.decode()
    badge = '<span class="badge" data-testid="inbox-count">2</span></a>'
    assert re.search(r'<a href="/inbox/" class="">[^<]*' + re.escape(badge), page)


def test_no_menu_until_the_user_has_chosen_a_password(world, client_for):
    user = world.school_officer
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    page = client_for(user).get(reverse("people:password_change")).content.decode()
    assert "<nav>" not in page
