"""The audit trail: every state change and permission grant with who, when and
from where; the bureau's page filters, exports and stays inside its district."""
import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import remove_perm

from audit.models import Action, AuditEvent
from plans.models import DocumentUserObjectPermission
from schedule.models import ScheduleChange, ScheduledProject
from tests.factories import PASSWORD, make_annual_plan, make_district, make_school_plan
from tests.flow_helpers import claim_and_decide, expert_answer, open_task, submit, task_url
from tests.job_helpers import job_result, post_query
from workflow.models import TrailEntry

pytestmark = pytest.mark.django_db

LIST = "audit:list"


def client_at(user, address, **extra):
    client = Client(REMOTE_ADDR=address, **extra)
    client.force_login(user)
    return client


def event_ids(response):
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'data-event="(\d+)"', response.content.decode())]


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime(2024, 3, day, hour, 0))


def make_event(world, *, action, actor, summary, when, address="10.0.0.1", district=None):
    return AuditEvent.objects.create(
        created_at=when, action=action, actor=actor, summary=summary, ip_address=address,
        district=district or world.district, object_type="plans.document", object_id="1")


def csv_rows(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response):
    from openpyxl import load_workbook

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()], sheet


# --- recording ---------------------------------------------------------------------

ADDRESSES = {
    "school_officer": "10.0.0.11", "training_officer": "10.0.0.12", "expert1": "10.0.0.13",
    "expert2": "2001:db8::14", "bureau_officer": "10.0.0.15",
}


def test_every_trail_entry_and_expert_grant_is_audited_with_actor_time_and_address(world):
    clients = {name: client_at(getattr(world, name), address) for name, address in ADDRESSES.items()}
    document = make_school_plan(world)
    assert submit(clients["school_officer"], document).status_code == 302
    assert claim_and_decide(clients["training_officer"], document, "initial_review",
                            {"decision": "return", "comment": "请补充经费明细。"}).status_code == 302
    revise = open_task(document, "revise")
    assert clients["school_officer"].post(task_url(revise, "execute"), {"comment": "已补充。"}).status_code == 302
    assert claim_and_decide(clients["training_officer"], document, "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk, world.expert2.pk], "comment": "",
    }).status_code == 302
    assert expert_answer(clients["expert1"], document, world.expert1, "agree").status_code == 302
    assert expert_answer(clients["expert2"], document, world.expert2, "agree").status_code == 302
    assert claim_and_decide(clients["bureau_officer"], document, "filing", {
        "decision": "approve", "filing_number": "建教师备〔2024〕1号", "comment": "",
    }).status_code == 302
    document.refresh_from_db()
    assert document.status == "approved"

    trail = list(TrailEntry.objects.filter(document=document).select_related("actor").order_by("created_at", "pk"))
    events = list(AuditEvent.objects.filter(
        object_type="plans.document", object_id=str(document.pk), action__startswith=Action.DOCUMENT_PREFIX,
    ).order_by("created_at", "pk"))
    assert len(trail) == 10
    assert [(e.action, e.actor_id, e.created_at, e.ip_address, e.district_id) for e in events] == [
        (Action.DOCUMENT_PREFIX + t.decision, t.actor_id, t.created_at, ADDRESSES[t.actor.username],
         world.district.pk) for t in trail]
    assert all(e.summary and document.title in e.summary for e in events)

    grants = list(AuditEvent.objects.filter(action=Action.PERMISSION_GRANT, object_type="plans.document",
                                            object_id=str(document.pk)))
    assert len(grants) == DocumentUserObjectPermission.objects.filter(content_object=document).count() == 2
    for grant in grants:
        assert (grant.actor, grant.ip_address, grant.district) == (
            world.training_officer, ADDRESSES["training_officer"], world.district)
        assert grant.created_at is not None
    for expert in (world.expert1, world.expert2):
        assert sum(expert.display_name in g.summary for g in grants) == 1

    # Withdrawing a grant is recorded too.
    remove_perm("plans.view_document", world.expert1, document)
    revoke = AuditEvent.objects.get(action=Action.PERMISSION_REVOKE, object_type="plans.document",
                                    object_id=str(document.pk))
    assert world.expert1.display_name in revoke.summary and revoke.district == world.district


def test_organisation_grants_and_revokes_are_audited(world):
    from accounts.services import user_sync_organisation_perms

    bureau_grants = AuditEvent.objects.filter(action=Action.PERMISSION_GRANT, object_type="accounts.organisation",
                                              object_id=str(world.bureau.pk))
    assert bureau_grants.count() == 2  # review_initial and file_document, given by user_create
    assert all(e.district == world.district and e.actor is None for e in bureau_grants)

    officer = world.training_officer
    officer.role = "school_officer"
    officer.save()
    user_sync_organisation_perms(user=officer)
    revoked = AuditEvent.objects.get(action=Action.PERMISSION_REVOKE, object_type="accounts.organisation",
                                     object_id=str(world.training_school.pk))
    assert revoked.district == world.district and officer.display_name in revoked.summary


def test_filed_change_request_records_each_schedule_change(world, client_for):
    from tests.test_printing import approve

    plan = approve(world, client_for, make_annual_plan(world, projects=2), "建教师备〔2024〕12号")
    project = ScheduledProject.objects.get(source=plan, sequence=2)
    trainer = client_at(world.training_officer, "10.0.1.1")
    response = trainer.post(reverse("schedule:project", args=[project.pk]), {
        "change-new_start_month": "6", "change-new_end_month": "7", "change-new_location": "区电教中心",
        "change-new_headcount": "", "change-reason": "与期中考试冲突。"})
    assert response.status_code == 302
    request = project.change_requests.get().document
    bureau = client_at(world.bureau_officer, "10.0.1.2")
    claim_and_decide(bureau, request, "initial_review", {"decision": "approve"})
    claim_and_decide(bureau, request, "filing", {"decision": "approve", "filing_number": "建教师备〔2024〕40号"})

    changes = ScheduleChange.objects.filter(project=project)
    assert changes.count() == 3
    events = AuditEvent.objects.filter(action=Action.SCHEDULE_CHANGE)
    assert sorted(events.values_list("object_id", flat=True)) == sorted(str(c.pk) for c in changes)
    assert {(e.actor, e.district, e.ip_address) for e in events} == {(world.bureau_officer, world.district, "10.0.1.2")}

    # A change saved on its own (not bulk-created) is recorded once, on save.
    single = ScheduleChange.objects.create(project=project, change_request=request, field="headcount",
                                           old_value="100", new_value="90")
    assert AuditEvent.objects.filter(action=Action.SCHEDULE_CHANGE, object_id=str(single.pk)).count() == 1


def test_enrolment_leave_and_attendance_are_audited(world):
    from attendance import services
    from attendance.models import Attendance, Enrolment, LeaveRequest
    from tests.attendance_helpers import make_project, make_session, make_teacher_with_login

    project = make_project(world)
    teacher = make_teacher_with_login(world.school, "t_audit", name="陈老师")
    enrolment = services.enrolment_nominate(project=project, teacher=teacher, user=world.school_officer)
    services.enrolment_organiser_decide(enrolment=enrolment, user=world.training_officer, confirm=True)
    enrolment_events = AuditEvent.objects.filter(action=Action.ENROLMENT_STATUS, object_id=str(enrolment.pk))
    assert list(enrolment_events.order_by("pk").values_list("actor", "district")) == [
        (world.school_officer.pk, world.district.pk), (world.training_officer.pk, world.district.pk)]
    assert enrolment_events.first().object_type == Enrolment._meta.label_lower

    session = make_session(project, date=timezone.localdate() + datetime.timedelta(days=7))
    leave = services.leave_request(session=session, user=teacher.user, reason="生病")
    assert not AuditEvent.objects.filter(action=Action.LEAVE_DECISION).exists()  # asking is no decision
    services.leave_decide(leave=leave, user=world.school_officer, approve=True)
    decided = AuditEvent.objects.get(action=Action.LEAVE_DECISION)
    assert (decided.object_type, decided.object_id, decided.actor, decided.district) == (
        LeaveRequest._meta.label_lower, str(leave.pk), world.school_officer, world.district)

    services.attendance_mark(session=session, user=world.training_officer, marks={teacher.pk: "present"},
                             now=session.starts_at())  # roll call on the day
    marks = AuditEvent.objects.filter(action=Action.ATTENDANCE_MARK, object_type=Attendance._meta.label_lower)
    assert list(marks.order_by("pk").values_list("actor", "district")) == [
        (world.school_officer.pk, world.district.pk),  # the approved leave
        (world.training_officer.pk, world.district.pk),  # the roll call
    ]


def test_logins_and_failed_logins_are_recorded(world):
    client = Client(REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="TestBrowser/1.0")
    login = reverse("login")
    assert client.post(login, {"username": world.school_officer.username, "password": "wrong"}).status_code == 200
    failed = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert (failed.actor, failed.district, failed.ip_address, failed.user_agent, failed.object_id) == (
        None, world.district, "192.0.2.7", "TestBrowser/1.0", str(world.school_officer.pk))
    assert world.school_officer.username in failed.summary

    assert client.post(login, {"username": world.school_officer.username, "password": PASSWORD}).status_code == 302
    assert AuditEvent.objects.filter(action=Action.LOGIN, actor=world.school_officer, ip_address="192.0.2.7",
                                     district=world.district).count() == 1

    # An unknown user name is recorded, but belongs to no district's page.
    Client(REMOTE_ADDR="192.0.2.8").post(login, {"username": "nobody", "password": "x"})
    unknown = AuditEvent.objects.get(action=Action.LOGIN_FAILED, ip_address="192.0.2.8")
    assert unknown.district is None and unknown.object_id == ""


@pytest.mark.parametrize("header, expected", [(None, "10.0.0.1"), ("HTTP_X_FORWARDED_FOR", "203.0.113.9")])
def test_forwarded_address_is_used_only_behind_a_configured_proxy(world, settings, header, expected):
    # The client wrote 198.51.100.66 itself; the proxy (10.0.0.1) appended the address it saw.
    settings.CLIENT_ADDRESS_HEADER = header
    client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.9")
    client.post(reverse("login"), {"username": world.teacher.username, "password": "wrong"})
    assert AuditEvent.objects.get(action=Action.LOGIN_FAILED).ip_address == expected


# --- the bureau's page ---------------------------------------------------------------

@pytest.fixture
def march(world):
    return {
        "old": make_event(world, action="document.submit", actor=world.school_officer, summary="提交 alpha",
                          when=at(1)),
        "mid": make_event(world, action=Action.PERMISSION_GRANT, actor=world.training_officer,
                          summary="授权 beta", when=at(10, 23), address="10.9.9.9"),
        "new": make_event(world, action="document.approve", actor=world.bureau_officer, summary="备案 gamma",
                          when=at(20)),
        "formula": make_event(world, action=Action.LOGIN_FAILED, actor=None, summary="=1+2", when=at(25)),
    }


def test_page_lists_newest_first_and_filters(world, client_for, march):
    client = client_for(world.bureau_officer)
    url = reverse(LIST)
    month = {"date_from": "2024-03-01", "date_to": "2024-03-31"}
    old, mid, new, formula = march["old"].pk, march["mid"].pk, march["new"].pk, march["formula"].pk
    assert event_ids(client.get(url, month)) == [formula, new, mid, old]
    assert event_ids(client.get(url, {"date_from": "2024-03-05", "date_to": "2024-03-10"})) == [mid]  # to is inclusive
    assert event_ids(client.get(url, {**month, "action": "document.submit"})) == [old]
    assert event_ids(client.get(url, {**month, "actor": world.training_officer.username})) == [mid]
    assert event_ids(client.get(url, {**month, "actor": world.bureau_officer.full_name[1:]})) == [new]
    assert event_ids(client.get(url, {**month, "q": "GAMMA"})) == [new]
    assert event_ids(client.get(url, {**month, "q": "10.9.9.9"})) == [mid]
    # Bad filters show the form's errors and no events rather than everything.
    assert event_ids(client.get(url, {"date_from": "2024-03-31", "date_to": "2024-03-01"})) == []
    assert event_ids(client.get(url, {"date_from": "not a date"})) == []
    assert event_ids(client.get(url, {"action": "no.such.action"})) == []
    # Unfiltered: everything of the district, newest first (the setup's grants included).
    everything = event_ids(client.get(url))
    assert set(march[k].pk for k in march) <= set(everything)
    times = dict(AuditEvent.objects.filter(pk__in=everything).values_list("pk", "created_at"))
    assert [times[pk] for pk in everything] == sorted(times.values(), reverse=True)


def _object_cell(object_id):
    """The export names the object by its model's verbose name and its str, never "plans.document #1"."""
    from django.utils.translation import gettext

    from plans.models import Document

    params = {"type": Document._meta.verbose_name, "id": object_id}
    document = Document.objects.filter(pk=object_id).first()
    if document is None:
        return gettext("%(type)s no. %(id)s (deleted)") % params
    return gettext("%(type)s: %(object)s") % {**params, "object": document}


def test_exports_hold_exactly_the_filtered_rows(world, client_for, march):
    client = client_for(world.bureau_officer)
    query = {"date_from": "2024-03-01", "date_to": "2024-03-31", "action": Action.PERMISSION_GRANT}
    header, *rows = csv_rows(job_result(client, post_query(client, reverse("audit:export", args=["csv"]), query)))
    assert len(header) == 8
    assert rows == [[
        timezone.localtime(march["mid"].created_at).strftime("%Y-%m-%d %H:%M:%S"), rows[0][1],
        world.training_officer.display_name, world.training_officer.username, _object_cell("1"), "授权 beta",
        "10.9.9.9", "",
    ]]

    (xlsx_header, *xlsx_body), _sheet = xlsx_rows(job_result(client, post_query(client, reverse("audit:export", args=["xlsx"]), query)))
    assert xlsx_header == header
    assert [[value or "" for value in row] for row in xlsx_body] == rows

    # Whole month, newest first, with text a spreadsheet would run as a formula defused.
    month = {"date_from": "2024-03-01", "date_to": "2024-03-31"}
    _header, *rows = csv_rows(job_result(client, post_query(client, reverse("audit:export", args=["csv"]), month)))
    assert [row[5] for row in rows] == ["'=1+2", "备案 gamma", "授权 beta", "提交 alpha"]
    (_header, *body), sheet = xlsx_rows(job_result(client, post_query(client, reverse("audit:export", args=["xlsx"]), month)))
    assert [row[5] for row in body] == ["'=1+2", "备案 gamma", "授权 beta", "提交 alpha"]
    assert sheet.cell(row=2, column=6).data_type == "s"

    assert post_query(client, reverse("audit:export", args=["pdf"]), month).status_code == 404


@pytest.mark.parametrize("role", ["training_officer", "school_officer", "principal", "expert1", "teacher"])
def test_others_are_refused(world, client_for, march, role):
    client = client_for(getattr(world, role))
    assert client.get(reverse(LIST)).status_code == 403
    for fmt in ("csv", "xlsx"):
        assert post_query(client, reverse("audit:export", args=[fmt])).status_code == 403


def test_another_districts_bureau_sees_none_of_these_events(world, client_for, march):
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    own = make_event(elsewhere, action="document.submit", actor=elsewhere.school_officer, summary="魏都 delta",
                     when=at(15))
    client = client_for(elsewhere.bureau_officer)
    ids = event_ids(client.get(reverse(LIST)))
    assert own.pk in ids
    assert set(ids) <= set(AuditEvent.objects.filter(district=elsewhere.district).values_list("pk", flat=True))
    month = {"date_from": "2024-03-01", "date_to": "2024-03-31"}
    _header, *rows = csv_rows(job_result(client, post_query(client, reverse("audit:export", args=["csv"]), month)))
    assert [row[5] for row in rows] == ["魏都 delta"]
    # The district's own bureau does see its events.
    assert march["new"].pk in event_ids(client_for(world.bureau_officer).get(reverse(LIST), month))


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse(LIST))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_nav_link_only_for_the_bureau(world, client_for):
    link = f'href="{reverse(LIST)}"'
    assert link in client_for(world.bureau_officer).get(reverse("plans:list")).content.decode()
    assert link not in client_for(world.training_officer).get(reverse("plans:list")).content.decode()


def test_page_and_export_queries_do_not_grow_with_events(world, client_for, django_assert_max_num_queries):
    client = client_for(world.bureau_officer)
    url, export = reverse(LIST), reverse("audit:export", args=["csv"])
    people = [world.school_officer, world.training_officer, world.bureau_officer, world.expert1, None]
    for n in range(3):
        make_event(world, action="document.submit", actor=people[n], summary=f"e{n}", when=at(1 + n))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    page_baseline = len(few.captured_queries)
    with CaptureQueriesContext(connection) as few:
        assert job_result(client, post_query(client, export)).status_code == 200
    export_baseline = len(few.captured_queries)

    for n in range(120):
        make_event(world, action=["document.approve", Action.PERMISSION_GRANT, Action.LOGIN][n % 3],
                   actor=people[n % len(people)], summary=f"more {n}", when=at(1 + n % 28, n % 24))
    with django_assert_max_num_queries(page_baseline):
        assert len(event_ids(client.get(url))) == 50
    with django_assert_max_num_queries(page_baseline):
        assert len(event_ids(client.get(url, {"page": 2}))) == 50
    with django_assert_max_num_queries(export_baseline):
        _header, *rows = csv_rows(job_result(client, post_query(client, export)))
    assert len(rows) == AuditEvent.objects.filter(district=world.district).count()
