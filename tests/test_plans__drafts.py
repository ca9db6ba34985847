"""Drafts save as they are (issue #13, forms that fight the user): a draft of every kind may be saved
with required fields and table rows left empty; submitting (and resubmitting after a return) is refused
with the list of what is missing, and changes nothing; once filled in, submission goes through."""
import pytest
from django.urls import reverse
from django.utils.translation import gettext

from plans.models import ChangeRequest, Document, PlannedProject, SchoolPlanYear
from plans.services import ERROR_INCOMPLETE, MISSING_PROJECTS, MISSING_YEAR_BLOCKS, missing_for_submission
from tests.attendance_helpers import make_project
from tests.flow_helpers import claim_and_decide, open_task, submit, task_url

pytestmark = pytest.mark.django_db


def label(model, name):
    return str(model._meta.get_field(name).verbose_name)


def row_label(table, number, model, name):
    return gettext("%(table)s, row %(row)s: %(field)s") % {"table": gettext(table), "row": number,
                                                          "field": label(model, name)}


def refusal(missing):
    return gettext(str(ERROR_INCOMPLETE)) % {"missing": "；".join(missing)}


def empty_rows(prefix, total=1):
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}


def assert_not_submitted(document):
    document.refresh_from_db()
    assert document.status == Document.Status.DRAFT and document.version == 0
    assert not document.versions.exists() and not document.trail.exists()
    assert not document.review_processes.exists()


def submit_refused_with(client, document, missing):
    response = client.post(reverse("plans:submit", args=[document.pk]), follow=True)
    assert response.status_code == 200
    assert refusal(missing) in response.content.decode()
    assert missing_for_submission(document) == missing
    assert_not_submitted(document)


def submit_accepted(client, document):
    response = client.post(reverse("plans:submit", args=[document.pk]))
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == Document.Status.INITIAL_REVIEW and document.version == 1


def test_empty_annual_plan_draft_saves_and_submission_lists_what_is_missing(world, client_for):
    from plans.models import AnnualPlan

    client = client_for(world.training_officer)
    data = {"doc-title": "建安区2025年教师培训工作计划", "doc-year": "2025", **empty_rows("projects")}
    response = client.post(reverse("plans:create", args=["annual_plan"]), data)
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.status == "draft" and not PlannedProject.objects.exists()   # the empty row is left out

    submit_refused_with(client, document, [
        label(AnnualPlan, "guiding_ideology"), label(AnnualPlan, "objectives"), label(AnnualPlan, "target_audience"),
        label(AnnualPlan, "tasks_and_content"), str(MISSING_PROJECTS),
    ])

    # A half-filled row is kept in the draft; submission names its empty cells.
    data.update({
        "doc-edit_token": client.get(reverse("plans:edit", args=[document.pk])).context["editor"].header[
            "edit_token"].value(),
        "detail-guiding_ideology": "以师德为先。", "detail-objectives": "提升能力。",
        "detail-target_audience": "全区教师。", "detail-tasks_and_content": "两个项目。",
        **empty_rows("projects", 2),
        "projects-0-name": "骨干教师培训",
        "projects-1-sequence": "7", "projects-1-name": "师德全员培训", "projects-1-headcount_text": "全员",
        "projects-1-modes": ["online"], "projects-1-month": "7",
    })
    assert client.post(reverse("plans:edit", args=[document.pk]), data).status_code == 302
    rows = list(document.annual_plan.projects.values_list("sequence", "name", "headcount", "month"))
    assert rows == [(7, "师德全员培训", None, 7), (8, "骨干教师培训", None, None)]   # numbered after the others
    submit_refused_with(client, document, [
        row_label("Training schedule", 2, PlannedProject, name)
        for name in ("headcount", "modes", "month")
    ])

    PlannedProject.objects.filter(name="骨干教师培训").update(headcount=200, modes=["concentrated"], month=3)
    submit_accepted(client, document)


def test_empty_school_plan_draft_saves_and_submission_lists_what_is_missing(world, client_for):
    from plans.models import SchoolPlan

    client = client_for(world.school_officer)
    data = {"doc-title": "实验小学2025学年校本培训计划", "doc-year": "2025", "detail-hours_per_teacher": "",
            **empty_rows("years")}
    assert client.post(reverse("plans:create", args=["school_plan"]), data).status_code == 302
    document = Document.objects.get()
    plan = document.school_plan
    assert plan.hours_per_teacher is None and plan.annual_budget is None and not plan.years.exists()
    submit_refused_with(client, document, [
        label(SchoolPlan, name) for name in ("significance", "objectives", "hours_per_teacher", "group_leader",
                                             "forms", "topics", "assessment", "annual_budget")
    ] + [str(MISSING_YEAR_BLOCKS)])

    SchoolPlan.objects.filter(pk=plan.pk).update(
        significance="意义。", objectives="目标。", hours_per_teacher=50, group_leader="杨云武", forms=["lecture"],
        topics=["ethics"], assessment="考核。", annual_budget="5500")
    SchoolPlanYear.objects.create(plan=plan, start_year=2025, content="师德", forms="", hours=None)
    submit_refused_with(client, document, [row_label("Five-year plan", 1, SchoolPlanYear, name)
                                           for name in ("forms", "hours")])
    SchoolPlanYear.objects.filter(plan=plan).update(forms="专题讲座式", hours=60)
    submit_accepted(client, document)


def test_empty_proposal_draft_saves_and_submission_lists_what_is_missing(world, client_for):
    from plans.models import ProjectProposal

    client = client_for(world.school_officer)
    data = {"doc-title": "小学数学教师培训", "doc-year": "2025", "detail-headcount": "", "detail-budget": ""}
    assert client.post(reverse("plans:create", args=["project_proposal"]), data).status_code == 302
    document = Document.objects.get()
    fields = ["organiser", "target_group", "headcount", "modes", "start_month", "end_month", "location", "hours",
              "content_modules", "design", "budget"]
    submit_refused_with(client, document, [label(ProjectProposal, name) for name in fields])
    page = client.get(reverse("plans:detail", args=[document.pk])).content.decode()
    assert "None" not in page   # an empty draft reads as empty, not as Python's None

    ProjectProposal.objects.filter(pk=document.pk).update(
        organiser="实验小学", target_group="数学教师", headcount=40, modes=["concentrated"], start_month=3,
        end_month=4, location="本校", hours=24, content_modules=["ethics"], design="专题讲座。", budget="8000")
    submit_accepted(client, document)


def test_change_request_without_reason_is_not_submitted(world, client_for):
    project = make_project(world, name="班主任培训", year=2026, month=11)
    document = Document.objects.create(kind="change_request", organisation=world.training_school, year=2026,
                                       title="班主任培训调整申请", created_by=world.training_officer)
    ChangeRequest.objects.create(document=document, project=project, reason="", new_location="区电教中心")
    client = client_for(world.training_officer)
    submit_refused_with(client, document, [label(ChangeRequest, "reason")])
    ChangeRequest.objects.filter(pk=document.pk).update(reason="与考试冲突。")
    submit_accepted(client, document)


def test_resubmission_after_return_is_refused_while_incomplete(world, client_for):
    from plans.models import SchoolPlan
    from tests.factories import make_school_plan

    document = make_school_plan(world)
    officer = client_for(world.school_officer)
    assert submit(officer, document).status_code == 302
    assert claim_and_decide(client_for(world.training_officer), document, "initial_review",
                            {"decision": "return", "comment": "请补充。"}).status_code == 302
    SchoolPlan.objects.filter(pk=document.pk).update(assessment="", annual_budget=None)
    revise = open_task(document, "revise")
    response = officer.post(task_url(revise, "execute"), {"comment": "已补充。"}, follow=True)
    missing = [label(SchoolPlan, "assessment"), label(SchoolPlan, "annual_budget")]
    assert refusal(missing) in response.content.decode()
    document.refresh_from_db()
    assert document.status == Document.Status.RETURNED and document.version == 1
    assert document.versions.count() == 1
    assert open_task(document, "revise").pk == revise.pk

    SchoolPlan.objects.filter(pk=document.pk).update(assessment="考核。", annual_budget="5500")
    assert officer.post(task_url(revise, "execute"), {"comment": "已补充。"}).status_code == 302
    document.refresh_from_db()
    assert document.status == Document.Status.INITIAL_REVIEW and document.version == 2


def test_detail_page_of_a_draft_lists_what_is_missing(world, client_for):
    from plans.models import ProjectProposal
    from tests.factories import make_proposal

    document = make_proposal(world)
    ProjectProposal.objects.filter(pk=document.pk).update(design="")
    page = client_for(world.school_officer).get(reverse("plans:detail", args=[document.pk])).content.decode()
    assert 'data-testid="missing"' in page and label(ProjectProposal, "design") in page


@pytest.mark.parametrize("kind,author,rows", [
    ("annual_plan", "training_officer", "projects"), ("school_plan", "school_officer", "years"),
    ("project_proposal", "school_officer", None)])
def test_a_blank_draft_reads_as_blank_on_its_pages(world, client_for, kind, author, rows):
    client = client_for(getattr(world, author))
    data = {"doc-title": "空白草稿", "doc-year": "2025", **(empty_rows(rows) if rows else {})}
    assert client.post(reverse("plans:create", args=[kind]), data).status_code == 302
    document = Document.objects.get()
    if rows == "projects":
        PlannedProject.objects.create(plan=document.annual_plan, sequence=1, name="只填了名称")
    if rows == "years":
        SchoolPlanYear.objects.create(plan=document.school_plan, content="只填了内容")
    for url in (reverse("plans:detail", args=[document.pk]), reverse("plans:edit", args=[document.pk]),
                reverse("printing:preview", args=[document.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "None" not in response.content.decode(), url


def test_change_request_sent_from_the_project_page_without_reason_creates_nothing(world, client_for):
    from schedule.models import ScheduledProject

    project = make_project(world, name="班主任培训", year=2026, month=11)
    project.source.status = Document.Status.APPROVED
    project.source.save()
    response = client_for(world.training_officer).post(reverse("schedule:project", args=[project.pk]), {
        "change-new_start_month": "", "change-new_end_month": "", "change-new_location": "区电教中心",
        "change-new_headcount": "", "change-reason": ""})
    assert response.status_code == 200
    assert refusal([label(ChangeRequest, "reason")]) in response.content.decode()
    assert not Document.objects.filter(kind="change_request").exists() and not ChangeRequest.objects.exists()
    assert ScheduledProject.objects.get(pk=project.pk).location == "进修学校"


def test_a_draft_never_submitted_reads_not_submitted_not_version_0(world, client_for):
    """The demo's draft proposal showed "版本 0" on its page and in the document list."""
    from tests.factories import make_school_plan

    document = make_school_plan(world)
    client = client_for(world.school_officer)
    page = client.get(reverse("plans:detail", args=[document.pk])).content.decode()
    version = page.split('data-testid="document-version">', 1)[1].split("</dd>", 1)[0]
    assert gettext("Not submitted yet.") in version and "0" not in version
    listing = client.get(reverse("plans:list")).content.decode()
    assert "<td>0</td>" not in listing
    submit(client, document)
    page = client.get(reverse("plans:detail", args=[document.pk])).content.decode()
    assert page.split('data-testid="document-version">', 1)[1].split("</dd>", 1)[0] == "1"
