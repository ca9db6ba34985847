"""The demo app's parts: its data files, and the services its scenario (and the pages) share."""
import ast
import datetime
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from attendance import services as attendance
from attendance.models import ProjectRun, Session
from demo import seed
from plans.models import Document
from plans.services import document_content_update, document_create
from tests.attendance_helpers import make_project
from tests.factories import make_school_plan
from tests.flow_helpers import open_task, submit, task_url
from workflow import services as review
from workflow.models import TrailEntry
from workflow.submission import document_submit

ROOT = Path(__file__).resolve().parent.parent


def _imported_apps(app: str) -> set[tuple[str, str]]:
    """(file, top-level module) for every import in the app, inside functions too."""
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {(path.name, alias.name.split(".")[0]) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add((path.name, node.module.split(".")[0]))
    return found


def test_plans_imports_nothing_from_the_apps_above_it():
    higher = {"attendance", "credits", "schedule", "demo"}
    assert {(f, m) for f, m in _imported_apps("plans") if m in higher} == set()


def test_demo_data_files_hold_the_seed_plan():
    plan = seed.load("annual_plan_2024")
    assert plan["title"] == "建安区2024年教师培训工作计划"
    assert [p["sequence"] for p in plan["projects"]] == list(range(1, 15))
    assert {p["name"] for p in plan["projects"] if p.get("all_staff")} == {
        "中小学、幼儿园教师师德师风培训（全员）", "中小学及幼儿园教师继续教育岗位培训"}
    district = seed.load("district")
    assert district["password"] == "demo12345"
    assert len(district["users"]) == 14
    stories = seed.load("stories")["stories"]
    documents = {d["key"] for d in seed.load("proposals")["proposals"]} | {
        p["key"] for p in seed.load("school_plans")["plans"]} | {plan["key"]}
    assert {s["document"] for s in stories} == documents
    assert {s["ends"] for s in stories} == set(Document.Status.values)


# --- workflow.services.task_claim: the claim page and the demo --------------------

def test_task_claim_moves_the_task_to_the_inbox_and_records_it(world):
    document = make_school_plan(world)
    document_submit(document=document, user=world.school_officer)
    task = open_task(document, "initial_review")
    review.task_claim(task=task, user=world.training_officer)
    task.refresh_from_db()
    assert task.owner == world.training_officer and task.status == "ASSIGNED"
    assert list(TrailEntry.objects.filter(document=document).values_list("decision", flat=True)) == [
        "submit", "claim"]


def test_task_claim_refuses_a_stranger_and_a_second_claim(world):
    from accounts.services import user_create

    colleague = user_create(username="trainer2", password="x-pass-123", full_name="陈晨",
                            role="training_officer", organisation=world.training_school)
    document = make_school_plan(world)
    document_submit(document=document, user=world.school_officer)
    task = open_task(document, "initial_review")
    with pytest.raises(PermissionDenied):
        review.task_claim(task=task, user=world.other_school_officer)
    review.task_claim(task=task, user=world.training_officer)
    with pytest.raises(PermissionDenied):
        review.task_claim(task=task, user=colleague)
    task.refresh_from_db()
    assert task.owner == world.training_officer
    assert TrailEntry.objects.filter(document=document, decision="claim").count() == 1


def test_claim_page_goes_through_task_claim(world, client_for, monkeypatch):
    calls = []
    original = review.task_claim
    monkeypatch.setattr(review, "task_claim", lambda **kw: calls.append(kw) or original(**kw))
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    task = open_task(document, "initial_review")
    assert client_for(world.training_officer).post(task_url(task, "assign")).status_code == 302
    assert [c["user"] for c in calls] == [world.training_officer]
    assert list(TrailEntry.objects.filter(document=document).values_list("decision", flat=True)) == [
        "submit", "claim"]


# --- plans.services.document_create / document_content_update --------------------------

PROPOSAL = {"target_group": "小学语文教师", "headcount": 80, "modes": ["concentrated"], "start_month": 3,
            "end_month": 4, "location": "本校报告厅", "hours": 24, "content_modules": ["ethics"],
            "design": "同课异构+专家讲座。", "budget": "12000"}


def test_document_create_makes_a_draft_of_the_authors_organisation(world):
    document = document_create(kind=Document.Kind.SCHOOL_PLAN, user=world.school_officer, year=2024, title="校本方案",
                               content={"significance": "意义", "objectives": "目标", "hours_per_teacher": 60,
                                        "group_leader": "校长", "annual_budget": "5500",
                                        "forms": ["lecture"], "topics": ["ethics"], "assessment": "考核"},
                               rows=[{"start_year": 2024, "content": "师德", "forms": "讲座", "hours": 60}])
    assert document.status == Document.Status.DRAFT and document.organisation == world.school
    assert document.detail.years.get().content == "师德"


def test_document_create_refuses_a_kind_the_user_may_not_write_and_keeps_nothing(world):
    with pytest.raises(PermissionDenied):  # a school does not write the district's annual plan
        document_create(kind=Document.Kind.ANNUAL_PLAN, user=world.school_officer, year=2024, title="年度计划",
                        content={"guiding_ideology": "x"})
    with pytest.raises(PermissionDenied):  # a principal writes nothing
        document_create(kind=Document.Kind.PROJECT_PROPOSAL, user=world.principal, year=2024, title="项目",
                        content={"organiser": "学校", **PROPOSAL})
    assert not Document.objects.exists()


def test_document_create_refuses_invalid_content_and_keeps_nothing(world):
    with pytest.raises(ValidationError):
        document_create(kind=Document.Kind.PROJECT_PROPOSAL, user=world.school_officer, year=2024, title="项目",
                        content={"organiser": "学校", **PROPOSAL, "start_month": 13})
    assert not Document.objects.exists()


def test_document_content_update_only_while_editable_and_by_its_author(world):
    document = make_school_plan(world)
    with pytest.raises(PermissionDenied):
        document_content_update(document=document, user=world.other_school_officer, assessment="别校改的")
    document_content_update(document=document, user=world.school_officer, assessment="新的考核办法")
    document_submit(document=document, user=world.school_officer)
    with pytest.raises(ValidationError):
        document_content_update(document=document, user=world.school_officer, assessment="提交后改的")
    assert Document.objects.get(pk=document.pk).detail.assessment == "新的考核办法"


# --- attendance: run settings and sessions entered by hand ---------------------------

def _project(world):
    return make_project(world, name="小学语文学科素养提升培训", month=9)


def test_run_settings_and_sessions_only_by_the_organiser(world):
    project = _project(world)
    with pytest.raises(PermissionDenied):
        attendance.project_run_save(project=project, user=world.school_officer, quota=6)
    with pytest.raises(PermissionDenied):
        attendance.session_add(user=world.school_officer, project=project, title="第一讲",
                               date=datetime.date(2024, 9, 10), start_time=datetime.time(9),
                               end_time=datetime.time(12), hours=3)
    assert not ProjectRun.objects.exists() and not Session.objects.exists()
    run = attendance.project_run_save(project=project, user=world.training_officer, quota=6, per_school_quota=4)
    assert (run.quota, run.per_school_quota) == (6, 4)
    session = attendance.session_add(user=world.training_officer, project=project, title="第一讲",
                                     date=datetime.date(2024, 9, 10), start_time=datetime.time(9),
                                     end_time=datetime.time(12), hours=3)
    assert session.organisation == world.training_school


def test_session_add_refuses_a_session_ending_before_it_starts(world):
    project = _project(world)
    with pytest.raises(ValidationError):
        attendance.session_add(user=world.training_officer, project=project, title="第一讲",
                               date=datetime.date(2024, 9, 10), start_time=datetime.time(12),
                               end_time=datetime.time(9), hours=3)
    assert not Session.objects.exists()


def test_school_based_sessions_only_under_the_schools_approved_plan(world):
    plan = make_school_plan(world)
    fields = {"title": "师德专题", "date": datetime.date(2024, 9, 25), "start_time": datetime.time(14, 30),
              "end_time": datetime.time(17), "hours": "2.5"}
    with pytest.raises(PermissionDenied):  # still a draft
        attendance.session_add(user=world.school_officer, school_plan=plan, **fields)
    Document.objects.filter(pk=plan.pk).update(status=Document.Status.APPROVED)
    plan.refresh_from_db()
    with pytest.raises(PermissionDenied):  # another school's plan
        attendance.session_add(user=world.other_school_officer, school_plan=plan, **fields)
    session = attendance.session_add(user=world.school_officer, school_plan=plan, **fields)
    assert session.organisation == world.school and session.hours == 2.5


def test_load_demo_fails_whole_when_a_story_ends_elsewhere(db, monkeypatch):
    from django.core.management import CommandError, call_command

    from accounts.models import District
    from demo import scenario

    def load(name):
        data = seed.load(name)
        if name == "stories":
            data["stories"][-1]["ends"] = "rejected"  # the current proposal is filed, not rejected
        return data

    monkeypatch.setattr(scenario, "load", load)
    this_year = timezone.localdate().year
    with pytest.raises(CommandError, match=f"建安区{this_year}年中小学教师人工智能教育应用能力提升培训"):
        call_command("load_demo", verbosity=0)
    assert not District.objects.exists() and not Document.objects.exists()
