"""The main menu of every page: `{% load menu %}{% main_menu %}` in templates/base.html.

Built here rather than in the template: as twenty lines of {% if %}, {% url %} and {% translate %}
tags it cost a plain page a fifth of its Python time, on every page. Each entry of MENU is one
line of the menu (the links it shows to a user, none for most users); the HTML is the same as
the template's was.
"""
import functools
from typing import Callable, NamedTuple

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

register = template.Library()


class Link(NamedTuple):
    url_name: str
    label: str
    # Pages of this app mark the link active (class="active"), the others give it class="".
    # "": the link is marked only on its own pages (a path under its own), no class at all elsewhere.
    app: str = ""
    testid: str = ""
    query: str = ""
    of_district: bool = False  # the URL takes the user's district
    badge: bool = False  # the count of the user's open tasks (workflow.context_processors)


def _line(shown: Callable, *links: Link) -> Callable:
    return lambda user: links if shown(user) else ()


DECLARATIONS = Link("workflow:inbox", _("Declarations to review"), query="?tab=queue&kind=declaration")
ROLL_UPS = Link("oversight:index", _("Roll-ups"), app="oversight", testid="nav-rollups")
ROLL_UP = Link("oversight:district", _("Roll-up"), app="oversight", testid="nav-rollup", of_district=True)

MENU = [
    _line(lambda user: True, Link("workflow:inbox", _("Task inbox"), app="workflow", badge=True)),
    _line(lambda user: True, Link("plans:list", _("Documents"), app="plans")),
    _line(lambda user: True, Link("schedule:index", _("Schedule"), app="schedule")),
    _line(lambda user: user.is_teacher,
          Link("attendance:me", _("My training")), Link("attendance:sign_in", _("Sign in")),
          Link("credits:my_credits", _("My training credits")),
          Link("credits:declaration_list", _("Declared training"))),
    _line(lambda user: user.is_school_officer,
          Link("attendance:teachers", _("Teachers")), Link("attendance:school_based", _("School-based training")),
          Link("attendance:leave", _("Leave requests")), DECLARATIONS),
    _line(lambda user: user.is_school_staff,
          Link("attendance:report_school", _("Attendance report")),
          Link("credits:school_credits", _("Training credits"))),
    _line(lambda user: user.is_district_reviewer,
          Link("attendance:report_district", _("Attendance report")),
          Link("credits:district_credits", _("Training credits")), DECLARATIONS),
    _line(lambda user: user.is_bureau_officer or user.is_school_officer,
          Link("exchange:home", _("Provincial platform"), testid="nav-exchange")),
    _line(lambda user: not user.is_teacher, Link("process_board:index", _("Process board"), app="process_board")),
    _line(lambda user: user.is_district_reviewer, Link("printing:batch", _("Print"), app="printing")),
    _line(lambda user: user.is_district_reviewer,
          Link("tracker:index", _("Submission tracker"), app="tracker", testid="nav-tracker")),
    _line(lambda user: user.is_district_reviewer, Link("jobs:list", _("My jobs"), app="jobs", testid="my-jobs")),
    lambda user: (ROLL_UPS,) if user.is_regional_officer else (ROLL_UP,) if user.is_district_reviewer else (),
    _line(lambda user: user.is_bureau_officer, Link("credits:rules", _("Credit rules"))),
    _line(lambda user: user.is_bureau_officer, Link("audit:list", _("Audit trail"), app="audit")),
    _line(lambda user: user.is_bureau_officer or user.is_school_officer,
          Link("people:index", _("People and accounts"), app="people")),
    _line(lambda user: user.is_bureau_officer or user.is_regional_officer,
          Link("bulletins:list", _("Bulletins"), app="bulletins", testid="nav-bulletins")),
    _line(lambda user: user.is_bureau_officer or user.is_regional_officer,
          Link("credits:recognition_list", _("Credit recognition"), testid="nav-recognition")),
    _line(lambda user: user.is_staff, Link("admin:index", _("Administration"))),
]


@register.simple_tag(takes_context=True)
def main_menu(context) -> str:
    """The menu's links, a line each (an empty line where a user sees none)."""
    user = context["user"]
    request = context.get("request")
    current_app = getattr(getattr(request, "resolver_match", None), "app_name", None)
    current_path = getattr(request, "path", "")
    open_tasks = context.get("inbox_open_count")
    prefix, urlconf = get_script_prefix(), get_urlconf()
    html = []
    for line in MENU:
        html.append("\n    ")
        for link in line(user):
            path = reverse(link.url_name, args=[user.district_id]) if link.of_district else _path(
                link.url_name, prefix, urlconf)
            url = path + link.query
            # The attributes' and badge's values are the code's own (names, a number): no escaping.
            if link.app:
                active = ' class="active"' if link.app == current_app else ' class=""'
            else:  # e.g. 培训学分 on the school's credit page, not on every page of the credits app
                active = ' class="active"' if not link.query and current_path.startswith(path) else ""
            testid = f' data-testid="{link.testid}"' if link.testid else ""
            badge = (f'<span class="badge" data-testid="inbox-count">{localize(open_tasks)}</span>'
                     if link.badge and open_tasks else "")
            html.append(f'<a href="{escape(url)}"{active}{testid}>{escape(link.label)}{badge}</a>')
    return mark_safe("".join(html))


@functools.cache
def _path(url_name: str, script_prefix: str, urlconf) -> str:
    """A menu link's path: the same while the process runs, for a script prefix and URLconf."""
    return reverse(url_name, urlconf=urlconf)
