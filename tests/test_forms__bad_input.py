"""Bad input gets a clear Chinese message and nothing is half-saved."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from plans.models import Attachment, Document, PlannedProject, SchoolPlanYear
from plans.services import MISSING_PROJECTS
from tests.factories import make_school_plan

pytestmark = pytest.mark.django_db


def annual_plan_data(**overrides):
    data = {
        "doc-title": "建安区2025年教师培训工作计划", "doc-year": "2025",
        "detail-guiding_ideology": "以提升教师师德水平为核心。", "detail-objectives": "强化师德、提升能力。",
        "detail-principles": "", "detail-target_audience": "全区教师。", "detail-tasks_and_content": "14个项目。",
        "detail-measures": "", "detail-implementation_steps": "", "detail-organisational_support": "",
        "projects-TOTAL_FORMS": "2", "projects-INITIAL_FORMS": "0",
        "projects-MIN_NUM_FORMS": "0", "projects-MAX_NUM_FORMS": "1000",
        "projects-0-sequence": "1", "projects-0-name": "骨干教师培训", "projects-0-headcount_text": "200",
        "projects-0-modes": ["concentrated", "online"], "projects-0-month": "3", "projects-0-location": "进修学校",
        "projects-1-sequence": "2", "projects-1-name": "师德师风全员培训", "projects-1-headcount_text": "全员",
        "projects-1-modes": ["online"], "projects-1-month": "7", "projects-1-location": "线上",
    }
    data.update(overrides)
    return data


def school_plan_data(**overrides):
    data = {
        "doc-title": "实验小学2025学年校本培训计划", "doc-year": "2025",
        "detail-significance": "意义。", "detail-objectives": "目标。", "detail-hours_per_teacher": "50",
        "detail-group_leader": "杨云武", "detail-group_deputies": "", "detail-group_members": "",
        "detail-office": "", "detail-forms": ["lecture"], "detail-topics": ["ethics"],
        "detail-assessment": "考核。", "detail-annual_budget": "5500",
        "years-TOTAL_FORMS": "1", "years-INITIAL_FORMS": "0", "years-MIN_NUM_FORMS": "0", "years-MAX_NUM_FORMS": "5",
        "years-0-start_year": "2025", "years-0-content": "师德师风", "years-0-forms": "专题讲座式", "years-0-hours": "60",
    }
    data.update(overrides)
    return data


def proposal_data(**overrides):
    data = {
        "doc-title": "小学数学教师培训", "doc-year": "2025",
        "detail-organiser": "实验小学", "detail-target_group": "数学教师", "detail-headcount": "40",
        "detail-modes": ["concentrated"], "detail-start_month": "3", "detail-end_month": "4",
        "detail-location": "本校", "detail-hours": "24", "detail-content_modules": ["ethics"],
        "detail-design": "专题讲座。", "detail-budget": "8000",
    }
    data.update(overrides)
    return data


def test_valid_annual_plan_is_saved_whole(world, client_for):
    response = client_for(world.training_officer).post(reverse("plans:create", args=["annual_plan"]), annual_plan_data())
    assert response.status_code == 302
    document = Document.objects.get()
    projects = list(document.annual_plan.projects.values_list("name", "headcount", "all_staff", "month", "modes"))
    assert projects == [("骨干教师培训", 200, False, 3, ["concentrated", "online"]), ("师德师风全员培训", None, True, 7, ["online"])]
    assert document.status == "draft" and document.created_by == world.training_officer


@pytest.mark.parametrize("field,value,message", [
    ("projects-0-headcount_text", "0", "拟培训人数须为不小于1的整数，或填写“全员”。"),
    ("projects-0-headcount_text", "很多", "拟培训人数须为不小于1的整数，或填写“全员”。"),
    ("projects-0-month", "13", "月份须在1至12之间。"),
    ("projects-1-month", "0", "月份须在1至12之间。"),
    ("doc-title", "", "这个字段是必填项。"),
])
def test_bad_annual_plan_rows_save_nothing(world, client_for, field, value, message):
    response = client_for(world.training_officer).post(
        reverse("plans:create", args=["annual_plan"]), annual_plan_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Document.objects.exists() and not PlannedProject.objects.exists()


@pytest.mark.parametrize("field,value,message", [
    ("detail-headcount", "0", "拟培训人数不能少于1。"),
    ("detail-headcount", "四十", "输入整数"),
    ("detail-start_month", "13", "月份须在1至12之间。"),
    ("detail-end_month", "2", "结束月份不能早于开始月份。"),
    ("detail-budget", "-1", "确保该值大于或等于0。"),
])
def test_bad_proposal_saves_nothing(world, client_for, field, value, message):
    response = client_for(world.school_officer).post(
        reverse("plans:create", args=["project_proposal"]), proposal_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Document.objects.exists()


def test_plan_year_already_taken_by_same_school(world, client_for):
    make_school_plan(world, year=2025)
    response = client_for(world.school_officer).post(reverse("plans:create", args=["school_plan"]), school_plan_data())
    assert response.status_code == 200
    assert "本单位2025年度已有一份校本培训计划。" in response.content.decode()
    assert Document.objects.count() == 1 and SchoolPlanYear.objects.count() == 1


def test_same_year_in_another_school_is_fine(world, client_for):
    make_school_plan(world, year=2025)
    response = client_for(world.other_school_officer).post(reverse("plans:create", args=["school_plan"]), school_plan_data())
    assert response.status_code == 302
    assert Document.objects.count() == 2


def test_school_plan_needs_fifty_hours(world, client_for):
    response = client_for(world.school_officer).post(
        reverse("plans:create", args=["school_plan"]), school_plan_data(**{"detail-hours_per_teacher": "40"}))
    assert response.status_code == 200
    assert "每位教师每学年校本培训不少于50学时。" in response.content.decode()
    assert not Document.objects.exists()


@pytest.mark.parametrize("name,content,message", [
    ("计划.exe", b"MZ\x90\x00", "附件只能是PDF、Word、Excel、JPG或PNG文件。"),
    ("计划.pdf", b"MZ\x90\x00 not a pdf", "文件内容与扩展名不符。"),
    ("计划.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), "附件大小不能超过10MB。"),
])
def test_bad_attachment_saves_nothing(world, client_for, name, content, message):
    data = proposal_data()
    data["attachment-file"] = SimpleUploadedFile(name, content)
    response = client_for(world.school_officer).post(reverse("plans:create", args=["project_proposal"]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Document.objects.exists() and not Attachment.objects.exists()


def test_good_attachment_is_kept(world, client_for):
    data = proposal_data()
    data["attachment-file"] = SimpleUploadedFile("预算.pdf", b"%PDF-1.7 budget")
    response = client_for(world.school_officer).post(reverse("plans:create", args=["project_proposal"]), data)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == "预算.pdf" and attachment.size == 15


def test_edit_with_bad_row_keeps_the_old_content(world, client_for):
    document = make_school_plan(world, year=2025)
    block = document.school_plan.years.get()
    data = school_plan_data(**{
        "doc-title": "新标题", "years-INITIAL_FORMS": "1", "years-0-id": str(block.pk),
        "years-0-plan": str(document.pk), "years-0-hours": "-5",
    })
    response = client_for(world.school_officer).post(reverse("plans:edit", args=[document.pk]), data)
    assert response.status_code == 200
    document.refresh_from_db()
    block.refresh_from_db()
    assert document.title != "新标题" and block.hours == 60


def test_submitting_an_incomplete_annual_plan_is_refused(world, client_for):
    client = client_for(world.training_officer)
    data = annual_plan_data(**{"projects-TOTAL_FORMS": "0"})
    assert client.post(reverse("plans:create", args=["annual_plan"]), data).status_code == 302
    document = Document.objects.get()
    response = client.post(reverse("plans:submit", args=[document.pk]), follow=True)
    assert str(MISSING_PROJECTS) in response.content.decode()
    document.refresh_from_db()
    assert document.status == "draft" and document.version == 0 and not document.trail.exists()


def test_submitting_twice_is_refused(world, client_for):
    document = make_school_plan(world)
    client = client_for(world.school_officer)
    client.post(reverse("plans:submit", args=[document.pk]))
    response = client.post(reverse("plans:submit", args=[document.pk]), follow=True)
    assert "该文档已经提交。" in response.content.decode()
    assert document.review_processes.count() == 1
