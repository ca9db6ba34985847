"""Hostile review of issue 14 item 5's rewrite (h46): HTML that templates used to draw with
auto-escaping is now built in Python (workflow.views._row_html and the school options,
credits.presenters, attendance.presenters, config.menu), queries are compiled once
(core.prepared) and the inbox's paginator takes the tabs' counts.

Each table is drawn here twice with hostile data (script tags, quotes, ampersands, braces and
percent signs in teacher, school, user and category names and in titles), once by the template
it replaced (kept here as the reference, as tests/test_paging__pager_tag.py keeps the pager's)
and once by the new code, in both languages: the HTML must be the same, so escaped as the
template escaped it. Then every list page of the rewrite is fed malformed parameters (never a
500), and the inbox's counts are compared with its lists for every role, recognitions included.
"""
import datetime
import re
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.middleware.csrf import get_token
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from accounts.services import user_create
from attendance import presenters as attendance_presenters
from attendance import reports
from attendance.models import Teacher
from credits import presenters as credit_presenters
from credits import selectors as credit_selectors
from credits.models import CategoryRequirement, CreditEntry, Recognition
from tests.attendance_helpers import make_teacher
from tests.factories import PASSWORD, make_district, make_proposal, make_region, make_school_plan
from tests.flow_helpers import open_task, submit, task_url
from tests.test_attendance__reports import absences, participation  # noqa: F401 (fixtures)
from tests.test_credits__views import YEAR, hunan, rules, shaanxi  # noqa: F401 (fixtures)
from tests.test_credits__views import add
from workflow.selectors import INBOX_TABS

pytestmark = pytest.mark.django_db
INBOX = reverse("workflow:inbox")
EVIL = "<script>alert(\"x\")</script>&amp;'{0}%s"
LANGUAGES = ["zh-hans", "en"]


def _same_markup(html: str) -> str:
    """Whitespace between and around tags (the templates' indentation) and CSRF tokens (masked
    anew at each call) do not count."""
    html = re.sub(r'csrfmiddlewaretoken" value="[A-Za-z0-9]+"', 'csrfmiddlewaretoken" value=""', html)
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(<|>)\s*", r"\1", html).strip()


def _client(client_for, user, language):
    client = client_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


# --- the inbox's rows ----------------------------------------------------------------------------

# templates/workflow/inbox.html's rows as they were (ea861b6).
TEMPLATE_INBOX_ROWS = """{% load i18n %}{% for row in rows %}
      <tr>
        {% if tab != 'done' %}<td>{% if row.batch %}<input type="checkbox" name="tasks" value="{{ row.task.pk }}" form="batch" aria-label="{% translate 'Select' %}">{% endif %}</td>{% endif %}
        <td><a href="{{ row.subject_url }}">{{ row.title }}</a></td>
        <td>{{ row.kind }}</td>
        <td>{{ row.organisation }}</td>
        <td>{{ row.year|default_if_none:"" }}</td>
        <td>{{ row.step }}</td>
        <td>{{ row.created_shown }}</td>
        <td>{% if tab == 'done' %}{{ row.finished_shown }}{% elif row.due_date %}<span class="{% if row.overdue %}overdue{% endif %}">{{ row.due_date_shown }}{% if row.overdue %} {% translate "Overdue" %}{% endif %}</span>{% endif %}</td>
        <td class="actions">
          {% if row.action_url %}
            {% if tab == 'queue' %}<form method="post" action="{{ row.action_url }}">{% csrf_token %}<button type="submit" data-testid="claim">{% translate "Claim" %}</button></form>
            {% else %}<a class="btn" data-testid="handle" href="{{ row.action_url }}">{% translate "Handle" %}</a>{% endif %}
          {% endif %}
          {% if row.release_url and tab == 'mine' %}<form method="post" action="{{ row.release_url }}">{% csrf_token %}<button class="secondary" type="submit">{% translate "Release" %}</button></form>{% endif %}
          {% if row.hand_over_to and tab == 'mine' %}<form method="post">{% csrf_token %}<input type="hidden" name="action" value="hand_over"><input type="hidden" name="task" value="{{ row.task.pk }}"><select name="to" aria-label="{% translate 'Hand over to' %}">{% for colleague in row.hand_over_to %}<option value="{{ colleague.pk }}">{{ colleague.display_name }}</option>{% endfor %}</select><button class="secondary">{% translate "Hand over" %}</button></form>{% endif %}
        </td>
      </tr>
{% endfor %}"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_inbox_rows_escape_hostile_names_as_the_template_did(world, client_for, language):
    world.school.name = EVIL
    world.school.save()
    world.other_school.name = "<i>二中</i>&\"'"
    world.other_school.save()
    user_create(username="evil", password=PASSWORD, full_name="<img src=x onerror=alert(1)>\"'&",
                role="training_officer", organisation=world.training_school)
    documents = [make_school_plan(world, title=EVIL), make_proposal(world)]
    documents[1].title = "<b>粗体</b>%(x)s"
    documents[1].save()
    for document in documents:
        submit(client_for(world.school_officer), document)
    trainer = _client(client_for, world.training_officer, language)
    trainer.post(task_url(open_task(documents[0], "initial_review"), "assign"))
    for tab in ("queue", "mine", "done"):
        response = trainer.get(INBOX, {"tab": tab})
        rows, page = response.context["rows"], response.content.decode()
        with translation.override(language):
            expected = Template(TEMPLATE_INBOX_ROWS).render(Context({
                "rows": rows, "tab": tab, "csrf_token": get_token(response.wsgi_request)}))
        assert _same_markup("".join(row["html"] for row in rows)) == _same_markup(expected), tab
        for raw in ("<script>", "<img src", "<b>粗体", "<i>二中"):
            assert raw not in page, (tab, raw)
        if tab == "mine":  # the hand-over list names the hostile colleague, escaped
            assert "&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp;</option>" in page
    # The organisation filter's options (built by the view): escaped as format_html escaped them.
    assert f'>{"&lt;i&gt;二中&lt;/i&gt;&amp;&quot;&#x27;"}</option>' in page
    assert ">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;&#x27;{0}%s</option>" in page


# --- the school credit page's rows ---------------------------------------------------------------

# templates/credits/school.html's rows and credits/_flags.html as they were (ea861b6).
TEMPLATE_CREDIT_FLAGS = (
    "{% if row.short_year %}<span class=\"status status-rejected\" data-flag=\"short-year\">{% translate \"Short this year\" %}</span> {% endif %}"
    "{% if row.short_cycle %}<span class=\"status status-returned\" data-flag=\"short-cycle\">{% translate \"Short in the cycle\" %}</span> {% endif %}"
    "{% if row.capped %}<span class=\"status status-initial_review\" data-flag=\"capped\" title=\"{% translate 'At least one record of the cycle was cut by a cap; see the teacher’s ledger.' %}\">{% translate \"Cut by a cap\" %}</span>{% endif %}"
    "{% if row.short_category %}<span class=\"status status-returned\" data-flag=\"short-category\" title=\"{% for category in row.categories_missing %}{{ category.name }} {{ category.missing|floatformat:'-2' }}{% if not forloop.last %}；{% endif %}{% endfor %}\">{% translate \"Short of a category minimum\" %}</span> {% endif %}"
    "{% if row.below_excellent %}<span class=\"status status-rejected\" data-flag=\"below-excellent\" title=\"{% blocktranslate with minimum=row.excellent_minimum|floatformat:'-1' %}Fewer than {{ minimum }} credits this year: cannot be rated excellent this year{% endblocktranslate %}\">{% translate \"Cannot be rated excellent\" %}</span> {% endif %}"
    "{% if not row.short_year and not row.short_cycle and not row.capped and not row.short_category %}<span class=\"status status-approved\">{% translate \"On track\" %}</span>{% endif %}\n"
)
TEMPLATE_CREDIT_ROWS = (
    "{% load i18n l10n %}{% for row in page %}<tr data-teacher=\"{{ row.teacher.pk|unlocalize }}\" data-year-total=\"{{ row.year_total|unlocalize }}\" data-cycle-total=\"{{ row.cycle_total|unlocalize }}\" data-short-year=\"{{ row.short_year|yesno:'true,false' }}\" data-short-cycle=\"{{ row.short_cycle|yesno:'true,false' }}\" data-capped=\"{{ row.capped|yesno:'true,false' }}\" data-below-excellent=\"{{ row.below_excellent|yesno:'true,false' }}\" data-short-category=\"{{ row.short_category|yesno:'true,false' }}\" data-provisional-year=\"{{ row.provisional_year|unlocalize }}\" data-provisional-cycle=\"{{ row.provisional_cycle|unlocalize }}\">\n"
    "    <td><a href=\"{% url 'credits:teacher_credits' row.teacher.pk %}?year={{ year|unlocalize }}\">{{ row.teacher.name }}</a>{% if row.teacher.is_new_teacher %} <span class=\"muted\">{% translate \"new teacher\" %}</span>{% endif %}</td>\n"
    "    <td>{{ row.year_total|floatformat:\"-2\" }}{% if row.provisional_year %} <span class=\"muted\">{% blocktranslate with credits=row.provisional_year|floatformat:\"-2\" %}+{{ credits }} awaiting recognition{% endblocktranslate %}</span>{% endif %}</td><td>{{ row.year_missing|floatformat:\"-2\" }}</td>\n"
    "    <td>{{ row.cycle_total|floatformat:\"-2\" }}</td><td>{{ row.cycle_required|floatformat:\"-1\" }}</td><td>{{ row.cycle_missing|floatformat:\"-2\" }}</td>\n"
    "    <td>" + TEMPLATE_CREDIT_FLAGS + "</td>\n"
    "  </tr>{% endfor %}"
)


def _credit_rows_both_ways(school, year, language):
    with translation.override(language):
        _totals, page = credit_selectors.school_credit_page(school, year, 1, 25)
        expected = Template(TEMPLATE_CREDIT_ROWS).render(Context({"page": page.object_list, "year": year}))
        drawn = "".join(credit_presenters.school_rows(page.object_list, year))
    return drawn, expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_credit_rows_escape_hostile_teacher_names_as_the_template_did(hunan, client_for, language):
    """Hostile names, fractional credits, a new teacher, a teacher with no credits at all and
    one with credits awaiting recognition."""
    world = hunan
    names = ["<script>x</script>", "\"'&amp;", "{year}%s{0}", "无学分"]
    for n, name in enumerate(names):
        teacher = make_teacher(world.school, name=name, is_new_teacher=n % 2 == 0)
        if name != "无学分":
            add(teacher, "concentrated", D("10.55") * (n + 1), datetime.date(2024, 3, 1))
    waiting = add(Teacher.objects.get(name="{year}%s{0}"), "online", 7, datetime.date(2024, 4, 1))
    CreditEntry.objects.filter(pk__in=[entry.pk for entry in waiting]).update(recognition=Recognition.PROVISIONAL)
    drawn, expected = _credit_rows_both_ways(world.school, YEAR, language)
    assert drawn == expected
    assert 'data-provisional-year="7' in drawn  # the credits awaiting recognition are shown
    page = _client(client_for, world.school_officer, language).get(
        reverse("credits:school_credits"), {"year": YEAR}).content.decode()
    assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_credit_flags_escape_a_hostile_category_name_as_the_template_did(shaanxi, language):
    CategoryRequirement.objects.filter(code="remote").update(name="<b>远程</b>&\"'")
    drawn, expected = _credit_rows_both_ways(shaanxi["world"].school, 2016, language)
    assert drawn == expected
    assert 'data-flag="short-category" title="&lt;b&gt;远程&lt;/b&gt;&amp;&quot;&#x27; 10"' in drawn


# --- the school attendance report's rows ---------------------------------------------------------

# templates/attendance/reports/school.html's rows and its _flags.html as they were (ea861b6).
TEMPLATE_ATTENDANCE_ROWS = (
    "{% load i18n %}{% for row in page %}<tr data-teacher=\"{{ row.teacher.name }}\">\n"
    "    <td><a href=\"{% url 'attendance:report_teacher' row.teacher.pk %}?year={{ year }}\">{{ row.teacher.name }}</a></td>\n"
    "    {% for hours in row.absence %}<td>{{ hours|floatformat:\"-1\" }}</td>{% endfor %}\n"
    "    <td>{{ row.school_based_hours|floatformat:\"-1\" }}</td><td>{{ row.project_hours|floatformat:\"-1\" }}</td>\n"
    "    <td>{% if row.participation is None %}—{% else %}{{ row.participation|floatformat:1 }}%{% endif %}</td>\n"
    "    <td>{% if row.forfeited %}<span class=\"status status-rejected\" data-flag=\"forfeited\">{% translate \"Credit forfeited\" %}</span> {% endif %}"
    "{% if row.at_risk %}<span class=\"status status-returned\" data-flag=\"at-risk\">{% translate \"At risk\" %}</span> {% endif %}"
    "{% if row.exempt %}<span class=\"status status-initial_review\" data-flag=\"exempt\">{% translate \"Exempt from assessment\" %}</span>{% endif %}\n</td>\n"
    "  </tr>{% endfor %}"
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_attendance_rows_escape_hostile_teacher_names_as_the_template_did(world, client_for, absences,  # noqa: F811
                                                                          participation, language):  # noqa: F811
    Teacher.objects.filter(name="五学时").update(name="<script>\"'&</script>{0}%s")
    Teacher.objects.create(organisation=world.school, name="<b>无记录</b>", gender="M",
                           birth_date=datetime.date(1990, 1, 1), id_number="41100219900101001X")
    with translation.override(language):
        _report, page = reports.school_report_page(world.school, 2024, 1, 25)
        expected = Template(TEMPLATE_ATTENDANCE_ROWS).render(Context({"page": page.object_list, "year": 2024}))
        drawn = "".join(attendance_presenters.school_rows(page.object_list, 2024))
    assert drawn == expected
    assert 'data-flag="forfeited"' in drawn and 'data-flag="exempt"' in drawn
    page = _client(client_for, world.school_officer, language).get(
        reverse("attendance:report_school"), {"year": 2024}).content.decode()
    assert "<script>" not in page and "<b>无记录" not in page
    assert 'data-teacher="&lt;script&gt;&quot;&#x27;&amp;&lt;/script&gt;{0}%s"' in page


# --- malformed parameters ------------------------------------------------------------------------

MALFORMED = [
    {"page": "-1"}, {"page": "0"}, {"page": "99999999999999999999"}, {"page": "1e3"}, {"page": "abc"},
    {"page": "\x00"}, {"page": "２"}, {"page": ["1", "x"]}, {"year": "abc"}, {"year": "99999999999999999999"},
    {"year": "２０２４"}, {"year": "-2024"}, {"year": "\x00"}, {"organisation": "abc"}, {"organisation": "0"},
    {"organisation": "99999999999999999999"}, {"organisation": "-1"}, {"organisation": "\x00"},
    {"q": "\x00"}, {"q": "a" * 500}, {"q": "<script>"}, {"kind": "<script>"}, {"tab": "<script>"},
    {"filing_number": "\x00"}, {"items": "x"}, {"\x00": "\x00"}, {"<a>": "\"'"}, {"q": "%", "page": "2"},
]
RAW_QUERIES = ["q=%ED%A0%80&page=%FF", "%FF=%FE&page=1", "page=%00", "year=%EF%BC%92&page=2"]


@pytest.mark.parametrize("who", ["school_officer", "training_officer", "bureau_officer", "expert1", "teacher"])
def test_malformed_parameters_give_the_page_or_a_400(world, client_for, hunan, who):
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="-wd")
    client = client_for(getattr(world, who))
    pages = ["workflow:inbox", "credits:school_credits", "attendance:report_school", "process_board:index",
             "plans:list", "notices:list", "credits:district_credits", "attendance:report_district"]
    schools = [{"organisation": str(school.pk)} for school in (elsewhere.school, world.other_school, world.school)]
    failures = []
    for name in pages:
        for params in MALFORMED + schools:
            for tab in (("mine", "queue", "done") if name == "workflow:inbox" else ("",)):
                response = client.get(reverse(name), {**params, **({"tab": tab} if tab else {})})
                if response.status_code >= 500:
                    failures.append((name, params, tab, response.status_code))
        for raw in RAW_QUERIES:
            response = client.get(reverse(name), QUERY_STRING=raw)
            if response.status_code >= 500:
                failures.append((name, raw, response.status_code))
    assert not failures


# --- the inbox's counts ----------------------------------------------------------------------------

def test_each_tabs_count_and_pager_are_its_list_for_every_role(client_for):
    """Documents in one district, recognition batches in two districts of one city (one at the
    city's level each): every tab's count and the pager's total are the list's, filtered or not."""
    from django.core.management import call_command

    from tests.test_credits__recognition import decide, school_based

    call_command("loaddata", "credit_rules", verbosity=0)
    region = make_region()
    jianan = make_district()
    weidu = make_district("魏都区", "魏教师备", suffix="_wd", city="许昌市")
    batches = []
    for world in (jianan, weidu):
        world.district.credit_rule_family = "shaanxi"
        world.district.save()
        for n in range(3):
            batches += school_based(make_teacher(world.school, f"收件{n}"))[1]
    decide(batches[0], jianan.bureau_officer)
    decide(batches[3], weidu.bureau_officer)
    for document in (make_school_plan(jianan), make_proposal(jianan)):
        submit(client_for(jianan.school_officer), document)
    users = [region.city_officer, region.other_city_officer, region.province_officer]
    for world in (jianan, weidu):
        users += [world.bureau_officer, world.training_officer, world.school_officer, world.expert1, world.principal]
    seen, wrong = 0, []
    for user in users:
        client = client_for(user)
        for tab in ("mine", "queue", "done"):
            for params in ({}, {"kind": "recognition"}, {"year": "2024"}, {"q": "校本"}):
                response = client.get(INBOX, {"tab": tab, **params})
                page = response.context["page"]
                listed = INBOX_TABS[tab](user=user).count()
                seen += listed
                if response.context["counts"][tab] != listed:
                    wrong.append(("tab", user.username, tab, params, response.context["counts"][tab], listed))
                if page.paginator.count != len(page.paginator.object_list):
                    wrong.append(("pager", user.username, tab, params, page.paginator.count))
    assert not wrong
    assert seen  # the data put tasks in some tabs


# --- the pager ------------------------------------------------------------------------------------

def test_the_pager_keeps_a_parameter_named_items():
    """The template loop the pager tag replaced iterated ``request.GET.items``, which a template
    resolves as the parameter ``?items=`` when there is one (dictionary look-up first): its
    links then failed with a ValueError (a 500 on every list page of more than one page). The
    tag keeps the parameter like any other, escaped and quoted."""
    from django.core.paginator import Paginator
    from django.test import RequestFactory

    request = RequestFactory().get("/list/", {"items": "a\"<b>", "page": "2"})
    page = Paginator(list(range(60)), 25).get_page(2)
    drawn = Template('{% include "_pager.html" %}').render(Context({"page": page, "request": request}))
    assert '<a href="?items=a%22%3Cb%3E&page=1">' in drawn and '<a href="?items=a%22%3Cb%3E&page=3">' in drawn
