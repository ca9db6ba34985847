"""Issue #13, small points: date inputs show their value, filing numbers, no raw codes, iCalendar."""
import datetime
import importlib
import pkgutil
import re

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from tests.attendance_helpers import make_project, make_session
from tests.job_helpers import job_result, post_query

PROJECT_APPS = ["accounts", "plans", "workflow", "printing", "schedule", "attendance", "credits", "notices",
                "audit", "demo", "core"]
DAY = datetime.date(2026, 12, 10)


def _project_forms():
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        for info in pkgutil.iter_modules(package.__path__):
            if info.name in ("migrations", "tests", "management"):
                continue
            importlib.import_module(f"{app}.{info.name}")
    seen, todo = set(), [forms.BaseForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return [cls for cls in seen if cls.__module__.split(".")[0] in PROJECT_APPS]


def _value(html):
    match = re.search(r'value="([^"]*)"', html)
    return match and match.group(1)


def test_every_date_field_of_every_form_renders_an_iso_value():
    """<input type="date"> accepts only YYYY-MM-DD; zh-hans would render 2026/12/10 (an empty field)."""
    from credits.declarations import FIELDS

    fields = [(f"{cls.__module__}.{cls.__name__}.{name}", field) for cls in _project_forms()
              for name, field in getattr(cls, "base_fields", {}).items()]
    fields += [(f"credits.declarations.FIELDS.{name}", field) for name, field in FIELDS.items()]
    dates = [(label, field) for label, field in fields if isinstance(field, forms.DateField)]
    assert len(dates) >= 6  # session, log entry, audit filter (2), teacher leave, declaration (2)
    for label, field in dates:
        html = field.widget.render("d", DAY)
        assert 'type="date"' in html, label
        assert _value(html) == "2026-12-10", label


def test_session_edit_page_shows_the_date_and_times(world, client_for):
    session = make_session(make_project(world), date=DAY, start=datetime.time(9, 5), end=datetime.time(11, 30))
    html = client_for(world.training_officer).get(reverse("attendance:session_edit", args=[session.pk])).content.decode()
    assert re.search(r'<input type="date" name="session-date" value="2026-12-10"', html)
    assert re.search(r'<input type="time" name="session-start_time" value="09:05"', html)
    assert re.search(r'<input type="time" name="session-end_time" value="11:30"', html)


def test_filing_number_carries_the_year_of_filing(world):
    from plans.models import Document
    from tests.factories import make_school_plan
    from workflow.services import filing_number_suggest

    this_year = timezone.localdate().year
    plan = make_school_plan(world, year=this_year - 1)  # last year's plan, filed today
    assert filing_number_suggest(document=plan) == f"建教师备〔{this_year}〕1号"
    # Numbering runs per filing year, whatever the year of the plans already filed.
    other = make_school_plan(world, school=world.other_school, author=world.other_school_officer, year=this_year)
    Document.objects.filter(pk=other.pk).update(filing_number=f"建教师备〔{this_year}〕5号")
    older = make_school_plan(world, year=this_year - 2)
    Document.objects.filter(pk=older.pk).update(filing_number=f"建教师备〔{this_year - 1}〕9号")
    assert filing_number_suggest(document=plan) == f"建教师备〔{this_year}〕6号"


def test_ics_carries_each_session_and_the_month_only_without_sessions(world, client_for):
    from icalendar import Calendar

    with_sessions = make_project(world, name="班主任培训", year=2026, month=12)
    make_session(with_sessions, date=DAY, start=datetime.time(9, 0), end=datetime.time(11, 30))
    make_session(with_sessions, date=DAY + datetime.timedelta(days=7), start=datetime.time(14, 0),
                 end=datetime.time(17, 0))
    make_project(world, name="新教师培训", year=2026, month=11)  # no sessions yet
    response = client_for(world.training_officer).get(reverse("schedule:export", args=["ics"]), {"year": 2026})
    events = list(Calendar.from_ical(response.content).walk("VEVENT"))
    sessions = sorted((e.decoded("dtstart"), e.decoded("dtend")) for e in events if "班主任培训" in str(e["summary"]))
    assert [(start.isoformat(), end.isoformat()) for start, end in sessions] == [
        ("2026-12-10T09:00:00+08:00", "2026-12-10T11:30:00+08:00"),
        ("2026-12-17T14:00:00+08:00", "2026-12-17T17:00:00+08:00"),
    ]
    month = [e for e in events if str(e["summary"]) == "新教师培训"]
    assert len(month) == 1 and month[0].decoded("dtstart") == datetime.date(2026, 11, 1)
    assert month[0].decoded("dtend") == datetime.date(2026, 12, 1)
    assert len(events) == 3


def test_version_page_shows_choice_labels_not_codes(world, client_for):
    from plans.models import SchoolTrainingForm, SchoolTrainingTopic, TrainingMode
    from tests.factories import make_annual_plan, make_school_plan
    from tests.flow_helpers import submit

    school_plan = make_school_plan(world)
    school_plan.school_plan.__class__.objects.filter(pk=school_plan.pk).update(
        forms=["lecture", "case_study"], topics=["teaching_methods", "education_technology"])
    submit(client_for(world.school_officer), school_plan)
    html = client_for(world.school_officer).get(reverse("plans:version", args=[school_plan.pk, 1])).content.decode()
    for code in ("case_study", "teaching_methods", "education_technology", "lecture"):
        assert code not in html
    for label in (SchoolTrainingForm.CASE_STUDY.label, SchoolTrainingTopic.TEACHING_METHODS.label,
                  SchoolTrainingTopic.EDUCATION_TECHNOLOGY.label):
        assert str(label) in html

    annual = make_annual_plan(world)
    submit(client_for(world.training_officer), annual)
    html = client_for(world.training_officer).get(reverse("plans:version", args=[annual.pk, 1])).content.decode()
    assert str(TrainingMode.CONCENTRATED.label) in html and ">concentrated<" not in html
    assert ">False<" not in html and ">True<" not in html


def test_change_request_one_month_and_change_log_read_as_words(world, client_for):
    from django.utils.translation import gettext

    from plans.models import Document
    from schedule.models import ScheduleChange, ScheduledProject
    from schedule.services import change_request_submit
    from tests.flow_helpers import open_task, task_url

    project = make_project(world, name="班主任培训", year=2026, month=11)
    one_month = gettext("Month %(month)s") % {"month": 11}
    both = gettext("Month %(start)s to month %(end)s") % {"start": 11, "end": 11}
    trainer = client_for(world.training_officer)
    page = trainer.get(reverse("schedule:project", args=[project.pk])).content.decode()
    assert one_month in page and both not in page

    request = change_request_submit(project=project, user=world.training_officer, reason="与考试冲突。",
                                    new_location="区电教中心")
    request = Document.objects.get(kind="change_request")
    assert request.title == gettext("Change request for %(name)s") % {"name": "班主任培训"}
    detail = trainer.get(reverse("plans:detail", args=[request.pk])).content.decode()
    assert one_month in detail and both not in detail
    bureau = client_for(world.bureau_officer)
    claim = bureau.get(task_url(open_task(request, "initial_review"), "assign")).content.decode()
    assert request.title in claim and "《《" not in claim and "》》" not in claim

    ScheduleChange.objects.create(project=project, change_request=request, field="start_month",
                                  old_value="11", new_value="12")
    page = trainer.get(reverse("schedule:project", args=[project.pk])).content.decode()
    assert ">start_month<" not in page
    assert f">{ScheduledProject._meta.get_field('start_month').verbose_name}<" in page


def test_expert_task_pages_hide_the_raw_task_data(world, client_for):
    from tests.factories import make_school_plan
    from tests.flow_helpers import claim_and_decide, open_task, submit, task_url

    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    claim_and_decide(client_for(world.training_officer), document, "initial_review",
                     {"decision": "approve", "experts": [world.expert1.pk]})
    task = open_task(document, "expert_review", owner=world.expert1)
    assert task.data == {"expert_id": world.expert1.pk}
    expert = client_for(world.expert1)
    for action in ("detail", "execute"):
        response = expert.get(task_url(task, action))
        assert response.status_code == 200, action
        assert "expert_id" not in response.content.decode(), action


def test_audit_export_names_objects_not_model_ids(world, client_for):
    import csv
    import io

    from django.utils.translation import gettext

    from attendance.models import Session
    from audit.models import AuditEvent

    session = make_session(make_project(world))
    for obj_type, obj_id in (("attendance.session", str(session.pk)), ("attendance.session", "999999")):
        AuditEvent.objects.create(action="attendance.session", actor=world.training_officer, summary="x",
                                  district=world.district, object_type=obj_type, object_id=obj_id)
    bureau = client_for(world.bureau_officer)
    response = job_result(bureau, post_query(bureau, reverse("audit:export", args=["csv"])))
    cells = {row[4] for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))}
    name = Session._meta.verbose_name
    assert gettext("%(type)s: %(object)s") % {"type": name, "object": session} in cells
    assert gettext("%(type)s no. %(id)s (deleted)") % {"type": name, "id": "999999"} in cells
    assert not any("attendance.session" in cell for cell in cells)


def test_language_menu_names_each_language_in_its_own_name(world, client_for):
    client = client_for(world.school_officer)
    for language in ("zh-hans", "en"):
        client.post(reverse("set_language"), {"language": language, "next": "/"})
        html = client.get(reverse("plans:list")).content.decode()
        menu = html[html.index('name="language"'):]
        menu = menu[:menu.index("</select>")]
        assert ">简体中文</option>" in menu and ">English</option>" in menu, language
