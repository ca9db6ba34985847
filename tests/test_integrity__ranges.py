"""Issue #10, item 10: absurd numbers, dates and lengths are refused with a Chinese
message before the database sees them, and the database refuses them too
(check constraints) when something bypasses the forms. The ranges: core/limits.py."""
import datetime
import html
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from openpyxl import Workbook

from attendance import idcard
from attendance.models import ProjectRun, Session, Teacher
from attendance.roster import column_titles
from core import limits
from credits.models import ConversionRule, CreditEntry, Declaration, RuleSet
from credits.services import ledger_add
from plans.models import ChangeRequest, Document, PlannedProject
from schedule.models import ProjectLogEntry, ScheduledProject
from tests.attendance_helpers import make_project, make_session, make_teacher, make_teacher_with_login
from tests.test_credits__registration import DEFAULTS, REVIEWERS, STEPS, _errors, decide, pdf
from tests.test_forms__bad_input import annual_plan_data, proposal_data

pytestmark = pytest.mark.django_db


def message(msgid, **params):
    """The message as the user reads it (zh-hans in tests), with the bounds filled in."""
    return gettext(msgid) % {key: limits._show(value) for key, value in params.items()}


DATE_RANGE = dict(low=limits.MIN_DATE, high=limits.MAX_DATE)


def too_long(limit, length):
    """Django's own max_length message."""
    return ngettext("Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
                    "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
                    limit) % {"limit_value": limit, "show_value": length}


def page_text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def hunan(world):
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()


# --- declarations: 99,999.9 hours over 1995-2025, years 0001 and 9999 ----------------------

@pytest.mark.parametrize("overrides,errors", [
    ({"start_date": "1995-01-01", "end_date": "2025-12-31", "hours": "99999.9"},
     {"start_date": message(limits.ERROR_DATE, **DATE_RANGE),
      "hours": message(limits.ERROR_HOURS_MAX, high=limits.MAX_DECLARATION_HOURS)}),
    ({"start_date": "0001-01-01", "end_date": "0001-01-05"},
     {"start_date": message(limits.ERROR_DATE, **DATE_RANGE), "end_date": message(limits.ERROR_DATE, **DATE_RANGE)}),
    ({"start_date": "9999-12-27", "end_date": "9999-12-31"},
     {"start_date": message(limits.ERROR_DATE, **DATE_RANGE), "end_date": message(limits.ERROR_DATE, **DATE_RANGE)}),
    # A whole year allows 3,660 hours at 10 a day; one certificate is still at most 1,000.
    ({"start_date": "2024-01-01", "end_date": "2024-12-31", "hours": "1000.1"},
     {"hours": message(limits.ERROR_HOURS_MAX, high=limits.MAX_DECLARATION_HOURS)}),
])
def test_absurd_declarations_are_refused(world, client_for, hunan, overrides, errors):
    teacher = make_teacher_with_login(world.school, "t_range")
    response = client_for(teacher.user).post(reverse("credits:declaration_create"),
                                             {**DEFAULTS, **overrides, "certificate": pdf()})
    assert response.status_code == 200
    form_errors = response.context["form"].errors
    for field, text in errors.items():
        assert text in form_errors[field], (field, form_errors)
    assert not Declaration.objects.exists()


def test_the_largest_declaration_is_confirmed_and_its_pages_show(world, client_for, hunan):
    """1,000 hours of teaching at Hunan's highest tier (外市州或省级, 5 credits an hour): 5,000 credits
    fit the ledger, and 200-character provider and title fit the ledger line ("title（provider）")."""
    teacher = make_teacher_with_login(world.school, "t_max")
    provider, title = "省" * 200, "研" * 200
    response = client_for(teacher.user).post(reverse("credits:declaration_create"), {
        **DEFAULTS, "activity": "teaching", "level": "xcity", "provider": provider, "title": title,
        "start_date": "2024-03-01", "end_date": "2024-07-31", "hours": "1000", "certificate": pdf()})
    assert response.status_code == 302, _errors(response)
    declaration = Declaration.objects.get()
    for step in STEPS:
        response = decide(client_for(getattr(world, REVIEWERS[step])), declaration, step)
        assert response.status_code == 302, _errors(response)
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.CONFIRMED
    entry = CreditEntry.objects.get(declaration=declaration, source=CreditEntry.Source.DECLARATION)
    assert entry.credits == Decimal("5000") and entry.description == f"{title}（{provider}）"
    for url in (reverse("credits:declaration_detail", args=[declaration.pk]), reverse("credits:my_credits")):
        assert client_for(teacher.user).get(url).status_code == 200


def test_the_ledger_column_holds_the_most_a_rule_can_give(world, hunan):
    """The worst case the bounds allow: a record's 99,999.9 hours at 10 credits an hour."""
    rule_set = RuleSet.objects.get(family="hunan")
    ConversionRule.objects.filter(rule_set=rule_set, activity="online").update(
        hours=1, credits=limits.MAX_CREDITS_PER_HOUR)
    teacher = make_teacher(world.school)
    entry, = ledger_add(teacher=teacher, activity="online", level="any", hours=Decimal("99999.9"),
                        occurred_on=datetime.date(2024, 5, 1), description="网络研修", source="declaration")
    entry.refresh_from_db()
    assert entry.raw_credits == entry.credits == Decimal("999999.00")


# --- sessions: 9999-12-31 and 0001-01-01 --------------------------------------------------

SESSION = {"session-title": "专题讲座", "session-date": "2024-03-11", "session-start_time": "09:00",
           "session-end_time": "12:00", "session-hours": "3", "session-place": "报告厅"}


@pytest.mark.parametrize("field,value,text", [
    ("session-date", "9999-12-31", message(limits.ERROR_DATE, **DATE_RANGE)),
    ("session-date", "0001-01-01", message(limits.ERROR_DATE, **DATE_RANGE)),
    ("session-hours", "13", message(limits.ERROR_HOURS, low=limits.MIN_SESSION_HOURS, high=limits.MAX_SESSION_HOURS)),
])
def test_absurd_sessions_are_refused(world, client_for, field, value, text):
    project = make_project(world)
    client = client_for(world.training_officer)
    response = client.post(reverse("attendance:project", args=[project.pk]), {**SESSION, "session": "1", field: value})
    assert response.status_code == 200 and text in page_text(response)
    assert not Session.objects.exists()

    session = make_session(project)
    response = client.post(reverse("attendance:session_edit", args=[session.pk]), {**SESSION, field: value})
    assert response.status_code == 200 and text in page_text(response)
    session.refresh_from_db()
    assert session.date == datetime.date(2024, 3, 11) and session.hours == Decimal(3)


# --- roster import: born in 2099, names over 50 characters ---------------------------------

def _roster(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(column_titles())
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("花名册.xlsx", out.getvalue())


def _id(birth, sequence="002"):
    first17 = "410523" + birth + sequence
    return first17 + idcard.check_character(first17)


@pytest.mark.parametrize("row,field,text", [
    (["未来老师", None, None, _id("20990101"), None, "语文", None, None], "birth_date",
     lambda: message(limits.ERROR_BIRTH_DATE, low=limits.MIN_BIRTH_DATE, high=limits.BirthDate().bounds()[1])),
    (["老" * 51, None, None, _id("19850312"), None, "语文", None, None], "name",
     lambda: too_long(50, 51)),
    (["王老师", None, None, _id("19850312"), None, "语文", "高" * 51, None], "title",
     lambda: too_long(50, 51)),
])
def test_absurd_roster_rows_import_nothing(world, client_for, row, field, text):
    good = ["李春花", None, None, _id("19900105", "012"), None, "语文", None, None]
    response = client_for(world.school_officer).post(reverse("attendance:teachers_import"),
                                                     {"file": _roster([good, row])})
    assert response.status_code == 200
    content = page_text(response)
    assert f"{Teacher._meta.get_field(field).verbose_name}：{text()}" in content
    assert not Teacher.objects.exists()


def test_a_teacher_must_be_sixteen_today(world):
    today = datetime.date.today()
    teacher = Teacher(organisation=world.school, name="新老师", gender="F", subject="chinese",
                      id_number=_id("20100101"), birth_date=today.replace(year=today.year - 15))
    with pytest.raises(ValidationError) as refused:
        teacher.full_clean(exclude=["organisation"])
    assert "birth_date" in refused.value.message_dict


# --- documents: headcount 9999999999, 60,000 project hours, years 0001 and 9999 -----------

@pytest.mark.parametrize("kind,data,text", [
    ("annual_plan", annual_plan_data(**{"projects-0-headcount_text": "9999999999"}),
     message(limits.ERROR_HEADCOUNT_MAX, high=limits.MAX_HEADCOUNT)),
    ("annual_plan", annual_plan_data(**{"doc-year": "9999"}), message(limits.ERROR_YEAR, low=2000, high=2100)),
    ("annual_plan", annual_plan_data(**{"doc-year": "1"}), message(limits.ERROR_YEAR, low=2000, high=2100)),
    ("project_proposal", proposal_data(**{"detail-hours": "60000"}),
     message(limits.ERROR_HOURS_MAX, high=limits.MAX_PROJECT_HOURS)),
    ("project_proposal", proposal_data(**{"detail-headcount": "9999999999"}),
     message(limits.ERROR_HEADCOUNT_MAX, high=limits.MAX_HEADCOUNT)),
    ("project_proposal", proposal_data(**{"detail-budget": "9999999999"}),
     message(limits.ERROR_AMOUNT_MAX, high=limits.MAX_BUDGET)),
])
def test_absurd_documents_save_nothing(world, client_for, kind, data, text):
    author = world.training_officer if kind == "annual_plan" else world.school_officer
    response = client_for(author).post(reverse("plans:create", args=[kind]), data)
    assert response.status_code == 200
    assert text in page_text(response)
    assert not Document.objects.exists() and not PlannedProject.objects.exists()


def test_absurd_change_request_and_quota_are_refused(world, client_for):
    project = make_project(world)
    client = client_for(world.training_officer)
    response = client.post(reverse("schedule:project", args=[project.pk]), {
        "change-new_start_month": "", "change-new_end_month": "", "change-new_location": "",
        "change-new_headcount": "9999999999", "change-reason": "扩大规模。"})
    assert response.status_code == 200
    assert message(limits.ERROR_HEADCOUNT_MAX, high=limits.MAX_HEADCOUNT) in page_text(response)
    assert not ChangeRequest.objects.exists()

    response = client.post(reverse("attendance:project", args=[project.pk]), {
        "run": "1", "quota": "9999999999", "per_school_quota": "", "min_attendance_percent": "80"})
    assert response.status_code == 200
    assert message(limits.ERROR_HEADCOUNT, low=1, high=limits.MAX_HEADCOUNT) in page_text(response)
    assert not ProjectRun.objects.exists()


def test_far_log_dates_are_refused(world, client_for):
    project = make_project(world)
    response = client_for(world.training_officer).post(reverse("schedule:project", args=[project.pk]), {
        "log-kind": "other", "log-happened_on": "9999-12-31", "log-text": "记录。"})
    assert response.status_code == 200
    assert message(limits.ERROR_DATE, **DATE_RANGE) in page_text(response)
    assert not ProjectLogEntry.objects.exists()


@pytest.mark.parametrize("query", [{"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}])
def test_far_audit_dates_are_a_form_error(world, client_for, query):
    response = client_for(world.bureau_officer).get(reverse("audit:list"), query)
    assert response.status_code == 200
    assert message(limits.ERROR_DATE, **DATE_RANGE) in page_text(response)


def test_a_conversion_rule_above_ten_credits_an_hour_is_refused(world, hunan):
    rule = ConversionRule(rule_set=RuleSet.objects.get(family="hunan"), activity="teaching", level="school",
                          hours=1, credits=50)
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert refused.value.message_dict["credits"] == [
        gettext("A rule can give at most %(rate)s credits an hour.") % {"rate": limits.MAX_CREDITS_PER_HOUR}]


# --- the database refuses what bypasses the forms (check constraints, both databases) ------

def _refused(save):
    with pytest.raises(IntegrityError), transaction.atomic():
        save()


def test_database_refuses_absurd_values(world, hunan):
    project = make_project(world)
    teacher = make_teacher(world.school)
    session = make_session(project)
    declaration = dict(teacher=teacher, provider="省教育厅", title="研修", activity="concentrated", level="province",
                       start_date=datetime.date(2024, 7, 1), end_date=datetime.date(2024, 7, 5), hours=40,
                       certificate="certificates/x.pdf")

    _refused(lambda: Declaration.objects.create(**{**declaration, "hours": Decimal("99999.9")}))
    _refused(lambda: Declaration.objects.create(**{**declaration, "start_date": datetime.date(1, 1, 1)}))
    _refused(lambda: Declaration.objects.create(**{**declaration, "end_date": datetime.date(9999, 12, 31)}))
    _refused(lambda: Declaration.objects.create(**{**declaration, "end_date": datetime.date(2024, 6, 1)}))
    _refused(lambda: Session.objects.filter(pk=session.pk).update(date=datetime.date(9999, 12, 31)))
    _refused(lambda: Session.objects.filter(pk=session.pk).update(hours=Decimal("13")))
    _refused(lambda: Teacher.objects.bulk_create([Teacher(
        organisation=world.school, name="未来老师", gender="F", subject="chinese", id_number=_id("20990101"),
        birth_date=datetime.date(2099, 1, 1))]))
    _refused(lambda: ScheduledProject.objects.filter(pk=project.pk).update(hours=60_000))
    _refused(lambda: ScheduledProject.objects.filter(pk=project.pk).update(headcount=limits.MAX_HEADCOUNT + 1))
    _refused(lambda: ProjectRun.objects.create(project=project, quota=limits.MAX_HEADCOUNT + 1))
    _refused(lambda: Document.objects.filter(pk=project.source_id).update(year=9999))
    _refused(lambda: ConversionRule.objects.filter(activity="online").update(credits=50))
    entry, = ledger_add(teacher=teacher, activity="online", level="any", hours=10,
                        occurred_on=datetime.date(2024, 5, 1), description="网络研修", source="declaration")
    _refused(lambda: CreditEntry.objects.filter(pk=entry.pk).update(credits=entry.raw_credits + 1))

    session.refresh_from_db()
    project.refresh_from_db()
    assert session.date == datetime.date(2024, 3, 11) and project.hours == 12
    assert Declaration.objects.count() == 0 and not Teacher.objects.filter(name="未来老师").exists()


# --- derived strings fit their columns (a 500 on PostgreSQL before) ---------------------------

def test_a_project_with_a_200_character_name_drafts_sessions_and_change_requests(world, client_for):
    project = make_project(world, name="长" * 200, hours=12)
    client = client_for(world.training_officer)
    response = client.post(reverse("attendance:project", args=[project.pk]), {"generate": "1"})
    assert response.status_code == 302
    assert [s.title for s in Session.objects.order_by("date")] == [f"{project.name}（1）", f"{project.name}（2）"]

    response = client.post(reverse("schedule:project", args=[project.pk]), {
        "change-new_start_month": "", "change-new_end_month": "", "change-new_location": "区电教中心",
        "change-new_headcount": "", "change-reason": "场地调整。"})
    assert response.status_code == 302
    request = Document.objects.get(kind="change_request")
    assert len(request.title) == 200 and request.change_request.new_location == "区电教中心"
