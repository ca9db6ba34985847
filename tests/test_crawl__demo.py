"""Crawl the demo as every demo account: every page reachable from the home page by
GET links (same site), looking for what a user should never see.

On each HTML page:
* no server error (status >= 500);
* no raw code in the visible text: the choice values of the project's models that
  read as codes (ASCII, lower case: ``case_study``, ``teaching_methods``, ``online``)
  and the names of their fields with an underscore (``start_month``, ``expert_id``):
  a code with an underscore must not appear as a word of any visible text node, a
  one-word code (``online``) not as a whole text node; no "app_label.model #id";
  no doubled title marks (《《 or 》》); no "11月至11月" (one month said twice);
* every ``<input type="date">`` that has a value holds YYYY-MM-DD (the only form the
  browser shows), and the edit form of an existing object shows the dates it has
  (a date input left empty while the form's initial value is set is a defect);
* no link leads to a 404 (a page the user may not see should not link there).

Not followed: logging out, files (PDF, spreadsheets, calendars, certificates and
other downloads: their own tests check them), the language switch (a POST), and
links off the site. Text drawn as an icon (viewflow's material-icons ligatures) and
the contents of text areas (what users typed) are not read. Each account visits at
most PAGES_PER_ACCOUNT pages, PER_ROUTE URLs of one URL pattern (the first few
documents, sessions, pages of a list) and PER_AREA pages of the admin and of
viewflow's own pages, which keeps the crawl to about a minute on SQLite.
"""
import re
from collections import deque
from pathlib import Path
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django import forms
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.urls import Resolver404, resolve, reverse

from accounts.models import User
from demo import scenario

pytestmark = pytest.mark.django_db

PAGES_PER_ACCOUNT = 70
PER_ROUTE = 2
PER_AREA = {"/admin/": 15, "/workflow/": 20}

# Paths and queries not followed: leaving, files, and what only repeats a page.
SKIP = re.compile(
    r"/logout/|/i18n/|\.(pdf|xlsx|xls|csv|ics|zip|png|jpg|svg)(\?|$)|/export|/download|/certificate/|/sheet|"
    r"[?&](format|export)=|/admin/jsi18n/|/admin/r/|/history/|/chart/"
)
CODE_WORD = re.compile(r"^[a-z][a-z0-9_]*$")
WORD = re.compile(r"[A-Za-z0-9_]+")
MODEL_ID = re.compile(r"\b[a-z_]+\.[a-z_]+ #\d+")
DOUBLE_MARKS = re.compile(r"《《|》》")
SAME_MONTHS = re.compile(r"(?<!\d)(\d{1,2})月至(\d{1,2})月")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PUNCTUATION = " \t\n:：,，.。;；()（）[]【】·"


def choice_codes() -> set[str]:
    """Every choice value of the project's models that reads as a code, and the
    names of their fields with an underscore."""
    values = set()
    for model in apps.get_models():
        if model.__module__.split(".")[0] not in PROJECT_APPS:
            continue
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or []:
                values.add(value)
            for name in {field.name, getattr(field, "attname", "")}:
                if "_" in name.strip("_"):
                    values.add(name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for choices in subclasses(models.TextChoices):
        if choices.__module__.split(".")[0] in PROJECT_APPS:
            values |= set(choices.values)
    return {v for v in values if isinstance(v, str) and CODE_WORD.match(v)}


PROJECT_APPS = {"accounts", "plans", "workflow", "printing", "schedule", "attendance", "credits", "notices",
                "audit", "demo", "core"}


class Page(HTMLParser):
    """The visible text nodes, the links and the date inputs of a page."""

    INVISIBLE = {"script", "style", "template", "noscript", "textarea"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts, self.links, self.date_inputs = [], [], []
        self._hidden = 0
        self._icon = None  # the tag of an open icon element

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.INVISIBLE:
            self._hidden += 1
        elif "material-icons" in (attrs.get("class") or "") and self._icon is None:
            self._icon = tag
        elif tag == "a" and attrs.get("href") and "download" not in attrs:
            self.links.append(attrs["href"])
        elif tag == "input" and (attrs.get("type") or "").lower() == "date":
            self.date_inputs.append((attrs.get("name") or "", attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag in self.INVISIBLE and self._hidden:
            self._hidden -= 1
        elif tag == self._icon:
            self._icon = None

    def handle_data(self, data):
        if not self._hidden and self._icon is None and data.strip():
            self.texts.append(data.strip())


def forms_in(response):
    """The forms (and the forms of formsets) the page was rendered with."""
    found, seen = [], set()
    for context in response.context or []:
        for layer in getattr(context, "dicts", [context]):
            for value in (layer.values() if isinstance(layer, dict) else []):
                items = list(value.forms) + [value.empty_form] if isinstance(value, forms.BaseFormSet) else [value]
                for item in items:
                    if isinstance(item, forms.BaseForm) and id(item) not in seen:
                        seen.add(id(item))
                        found.append(item)
    return found


def empty_dates_with_a_value(response, inputs: dict) -> list[str]:
    """Date inputs rendered empty although the form's initial value (the object's) is set."""
    empty = []
    for form in forms_in(response):
        if form.is_bound:
            continue
        for name, field in form.fields.items():
            if getattr(field.widget, "input_type", None) != "date":
                continue
            html_name = form.add_prefix(name)
            if inputs.get(html_name) == "" and form.get_initial_for_field(field, name):
                empty.append(html_name)
    return empty


def route_of(path: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return path
    return match.view_name or match.route


def problems_of(url, response, codes) -> list[str]:
    page = Page()
    page.feed(response.content.decode(response.charset or "utf-8", errors="replace"))
    found = []
    for text in page.texts:
        words = {w for w in WORD.findall(text) if w in codes and "_" in w}
        if text.strip(PUNCTUATION) in codes:
            words.add(text.strip(PUNCTUATION))
        if words:
            found.append(f"raw code {sorted(words)} in {text[:80]!r}")
        if MODEL_ID.search(text):
            found.append(f"model id in {text[:80]!r}")
        if DOUBLE_MARKS.search(text):
            found.append(f"doubled title marks in {text[:80]!r}")
        for first, last in SAME_MONTHS.findall(text):
            if int(first) == int(last):
                found.append(f"month range of one month in {text[:80]!r}")
    for name, value in page.date_inputs:
        if value and not ISO_DATE.match(value):
            found.append(f"date input {name} holds {value!r}, not YYYY-MM-DD")
    found += [f"date input {name} empty, the object has a date"
              for name in empty_dates_with_a_value(response, dict(page.date_inputs))]
    return [f"{url}: {problem}" for problem in found], page.links


def crawl(client, codes, refused):
    """Breadth first from the home page; returns (pages seen, problems). Links that
    answer 4xx go to `refused` (written to the report, not failed on)."""
    queue, seen, per_route, problems, visited = deque(["/"]), {"/"}, {}, [], 0
    while queue and visited < PAGES_PER_ACCOUNT:
        url = queue.popleft()
        response = client.get(url, follow=True)
        visited += 1
        if response.status_code >= 500:
            problems.append(f"{url}: status {response.status_code}")
            continue
        if response.status_code >= 400:
            refused.append(f"{url}: status {response.status_code}")
        if "text/html" not in response.get("Content-Type", ""):
            continue
        found, links = problems_of(url, response, codes)
        problems += found
        base = response.request["PATH_INFO"] + ("?" + response.request["QUERY_STRING"]
                                               if response.request.get("QUERY_STRING") else "")
        for href in links:
            target = urldefrag(urljoin("http://testserver" + base, href))[0]
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or parts.netloc != "testserver":
                continue
            local = parts.path + ("?" + parts.query if parts.query else "")
            if local in seen or SKIP.search(local):
                continue
            route = route_of(parts.path)
            area = next((prefix for prefix in PER_AREA if parts.path.startswith(prefix)), None)
            if per_route.get(route, 0) >= PER_ROUTE or (area and per_route.get(area, 0) >= PER_AREA[area]):
                continue
            per_route[route] = per_route.get(route, 0) + 1
            if area:
                per_route[area] = per_route.get(area, 0) + 1
            seen.add(local)
            queue.append(local)
    return visited, problems


def test_crawl_the_demo_as_every_account(client):
    call_command("load_demo", verbosity=0)
    codes = choice_codes()
    assert {"case_study", "teaching_methods", "education_technology", "online"} <= codes
    problems, pages, refused = [], {}, []
    for username in scenario.usernames():
        client.force_login(User.objects.get(username=username))
        refused_here = []
        visited, found = crawl(client, codes, refused_here)
        pages[username] = visited
        problems += [f"[{username}] {problem}" for problem in found]
        refused += [f"[{username}] link refused: {line}" for line in refused_here]
        client.logout()
    report = Path("test-artifacts/crawl.txt")
    report.parent.mkdir(exist_ok=True)
    report.write_text("\n".join([f"{u}: {n} pages" for u, n in pages.items()] + sorted(set(problems))
                                + sorted(refused)) + "\n")
    assert all(count > 3 for count in pages.values()), pages
    assert not problems, "\n".join(sorted(set(problems)))
    # A link to a page that is not there for this user (viewflow's own action links that
    # answer 403 are reported in test-artifacts/crawl.txt, not failed on).
    dead = [line for line in refused if line.endswith("status 404")]
    assert not dead, "\n".join(dead)


class FakeResponse:
    charset, context = "utf-8", None

    def __init__(self, html):
        self.content = html.encode()


@pytest.mark.parametrize("html, expected", [
    ("<td>case_study</td>", "raw code"),
    ("<p>形式：case_study、讲座</p>", "raw code"),
    ("<li>修改了 start_month</li>", "raw code"),
    ("<td>online</td>", "raw code"),
    ("<td>attendance.attendance #51</td>", "model id"),
    ("<td>《《方案》调整申请》</td>", "doubled title marks"),
    ("<td>11月至11月</td>", "month range of one month"),
    ('<input type="date" name="date" value="2026/12/10">', "not YYYY-MM-DD"),
])
def test_crawl_checks_find_what_they_look_for(html, expected):
    codes = {"case_study", "start_month", "online"}
    problems, _links = problems_of("/page/", FakeResponse(f"<html><body>{html}</body></html>"), codes)
    assert len(problems) == 1 and expected in problems[0], problems


@pytest.mark.parametrize("html", [
    "<td>线上研修</td>", "<td>online teaching 在线</td>", "<td>11月至12月</td>", "<td>《方案》</td>",
    '<i class="material-icons">assignment</i>', "<textarea>case_study</textarea>",
    '<input type="date" name="date" value="2026-12-10">', '<input type="date" name="date" value="">',
    "<td>shiyan_zhuangan</td>",
])
def test_crawl_checks_leave_good_pages_alone(html):
    codes = {"case_study", "start_month", "online", "assignment"}
    problems, _links = problems_of("/page/", FakeResponse(f"<html><body>{html}</body></html>"), codes)
    assert problems == []


def test_crawl_finds_an_edit_form_that_hides_the_objects_date():
    import datetime

    class SessionForm(forms.Form):
        date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    response = FakeResponse('<form><input type="date" name="date" value=""></form>')
    response.context = [{"form": SessionForm(initial={"date": datetime.date(2026, 12, 10)})}]
    problems, _links = problems_of("/sessions/1/edit/", response, set())
    assert len(problems) == 1 and "empty, the object has a date" in problems[0]
    response.context = [{"form": SessionForm()}]  # a new object: empty is right
    assert problems_of("/sessions/new/", response, set())[0] == []


# --- What the crawl found, fixed -----------------------------------------------------

def test_a_teacher_on_a_project_page_gets_no_link_to_a_plan_they_may_not_see(world, client_for):
    """The schedule's project page linked every reader to its source plan; a teacher
    (who sees no plans) followed it to a 404."""
    from tests.attendance_helpers import confirm, make_project, make_teacher_with_login

    project = make_project(world)
    teacher = make_teacher_with_login(world.school, "crawl_teacher")
    confirm(project, teacher, world)
    source_url = reverse("plans:detail", args=[project.source_id])
    page = client_for(teacher.user).get(reverse("schedule:project", args=[project.pk]))
    assert page.status_code == 200
    assert project.source.title in page.content.decode()
    assert f'href="{source_url}"' not in page.content.decode()
    assert client_for(teacher.user).get(source_url).status_code == 404
    # District staff still follow it.
    page = client_for(world.training_officer).get(reverse("schedule:project", args=[project.pk]))
    assert f'href="{source_url}"' in page.content.decode()
