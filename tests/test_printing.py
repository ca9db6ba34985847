"""Printed documents: Chinese text and real CJK fonts, every row and the trail,
the draft watermark, batches, and the same permission rules as the pages."""
import io
import zipfile

import pytest
from django.urls import reverse
from pypdf import PdfReader

from plans.models import Document, PlannedProject
from tests.factories import make_annual_plan, make_district, make_proposal, make_school_plan
from tests.flow_helpers import claim_and_decide, expert_answer, open_task, submit, task_url
from tests.job_helpers import job_result

pytestmark = pytest.mark.django_db


def approve(world, client_for, document, number):
    author = client_for(document.created_by)
    submit(author, document)
    reviewer = world.training_officer if document.organisation.is_school else world.bureau_officer
    claim_and_decide(client_for(reviewer), document, "initial_review", {
        "decision": "approve", "experts": [world.expert1.pk, world.expert2.pk], "comment": "材料齐全。",
    })
    expert_answer(client_for(world.expert1), document, world.expert1, "agree", 90, "项目设置合理。")
    expert_answer(client_for(world.expert2), document, world.expert2, "agree_with_changes", 80, "建议细化考核。")
    # 修改后同意: the author revises, the initial reviewer confirms, then filing.
    author.post(task_url(open_task(document, "revise"), "execute"), {"comment": "已细化考核。"})
    claim_and_decide(client_for(reviewer), document, "confirm_changes", {"decision": "approve", "comment": "已按意见修改。"})
    claim_and_decide(client_for(world.bureau_officer), document, "filing", {
        "decision": "approve", "filing_number": number, "comment": "同意备案。",
    })
    document.refresh_from_db()
    assert document.status == Document.Status.APPROVED
    return document


def pdf_of(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


def text_of(reader):
    return "\n".join(page.extract_text() for page in reader.pages)


def font_names(reader):
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.fixture
def approved_plan(world, client_for):
    return approve(world, client_for, make_annual_plan(world, projects=14), "建教师备〔2024〕12号")


def test_approved_annual_plan_pdf_has_everything(world, client_for, approved_plan):
    reader = pdf_of(client_for(world.training_officer).get(reverse("printing:pdf", args=[approved_plan.pk])))
    text = text_of(reader)
    assert "建安区2024年教师培训工作计划" in text
    assert "建教师备〔2024〕12号" in text
    assert "建安区教师进修学校" in text
    for section in ("一、指导思想", "二、培训目标", "三、培训对象", "四、培训任务及内容"):
        assert section in text, section
    for project in PlannedProject.objects.filter(plan=approved_plan.annual_plan):
        assert project.name in text
    assert "全员" in text and "100人" in text
    for words in ("审批记录", "初审", "专家会审", "备案", "李文静", "赵明", "钱丽", "王志强",
                  "项目设置合理。", "建议细化考核。", "同意备案。", "修改后同意", "（盖章）"):
        assert words in text, words
    assert "已认领" not in text  # claims stay in the inbox, not on paper
    assert f"第 1 页 共 {len(reader.pages)} 页" in text
    assert "草稿" not in text
    metadata = reader.metadata
    assert metadata.title == "建安区2024年教师培训工作计划" and metadata.author == "建安区教师进修学校"


def test_pdf_embeds_simplified_chinese_cjk_fonts(world, client_for, approved_plan):
    reader = pdf_of(client_for(world.training_officer).get(reverse("printing:pdf", args=[approved_plan.pk])))
    fonts = font_names(reader)
    # Text extraction succeeds even when every glyph is a box; the fonts prove the glyphs.
    assert fonts and all("CJK-SC" in name for name in fonts), fonts
    assert any("Serif-CJK-SC" in name for name in fonts)


def test_long_plan_repeats_table_header_on_every_page(world, client_for):
    document = make_annual_plan(world, projects=80)
    approve(world, client_for, document, "建教师备〔2024〕30号")
    reader = pdf_of(client_for(world.bureau_officer).get(reverse("printing:pdf", args=[document.pk])))
    table_pages = [page.extract_text() for page in reader.pages if "培训项目80" in page.extract_text()
                   or "培训项目4" in page.extract_text()]
    assert len(reader.pages) >= 5
    pages_with_rows = [t for t in (p.extract_text() for p in reader.pages) if "培训项目" in t]
    assert len(pages_with_rows) >= 3 and table_pages
    for page_text in pages_with_rows:
        assert "培训项目名称" in page_text and "拟培训人数" in page_text
    assert f"第 {len(reader.pages)} 页 共 {len(reader.pages)} 页" in text_of(reader)


def test_unapproved_document_prints_only_as_watermarked_draft(world, client_for):
    document = make_school_plan(world)
    submit(client_for(world.school_officer), document)
    text = text_of(pdf_of(client_for(world.school_officer).get(reverse("printing:pdf", args=[document.pk]))))
    assert "草稿 · 未经审批" in text and "尚无备案号" in text
    preview = client_for(world.school_officer).get(reverse("printing:preview", args=[document.pk])).content.decode()
    assert 'data-testid="watermark"' in preview


def test_preview_is_the_same_layout(world, client_for, approved_plan):
    page = client_for(world.training_officer).get(reverse("printing:preview", args=[approved_plan.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "建教师备〔2024〕12号" in body and "print/document.css" in body and 'lang="zh-CN"' in body
    assert 'data-testid="watermark"' not in body


@pytest.mark.parametrize("url_name", ["printing:pdf", "printing:preview"])
def test_other_school_cannot_print(world, client_for, url_name):
    document = make_school_plan(world)
    url = reverse(url_name, args=[document.pk])
    assert client_for(world.other_school_officer).get(url).status_code == 404
    assert client_for(world.expert1).get(url).status_code == 404
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    assert client_for(elsewhere.bureau_officer).get(url).status_code == 404
    assert client_for(world.principal).get(url).status_code == 200


def test_batch_pdf_and_zip_of_a_years_approved_documents(world, client_for, approved_plan):
    school_plan = approve(world, client_for, make_school_plan(world), "建教师备〔2024〕13号")
    make_proposal(world)  # a draft: never in the batch
    approve(world, client_for, make_school_plan(world, school=world.other_school, author=world.other_school_officer,
                                                year=2023), "建教师备〔2023〕1号")
    bureau = client_for(world.bureau_officer)
    url = reverse("printing:batch")

    reader = pdf_of(job_result(bureau, bureau.post(url, {"year": 2024, "format": "pdf"})))
    text = text_of(reader)
    assert "建教师备〔2024〕12号" in text and "建教师备〔2024〕13号" in text and "〔2023〕" not in text

    response = job_result(bureau, bureau.post(url, {"year": 2024, "kind": "school_plan", "format": "zip"}))
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == [f"{school_plan.pk}_{school_plan.title}.pdf"]

    response = bureau.post(url, {"year": 2024, "organisation": world.other_school.pk, "format": "pdf"})
    assert "没有符合条件的已审批备案文档" in response.content.decode()


def test_batch_is_for_district_staff_only(world, client_for, approved_plan):
    url = reverse("printing:batch")
    for user in (world.school_officer, world.principal, world.expert1, world.teacher):
        assert client_for(user).get(url).status_code == 403
        assert client_for(user).post(url, {"year": 2024, "format": "pdf"}).status_code == 403
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    response = client_for(elsewhere.bureau_officer).post(url, {"year": 2024, "format": "pdf"})
    assert response.status_code == 200 and "没有符合条件的已审批备案文档" in response.content.decode()
    from jobs.models import Job

    assert not Job.objects.exists()  # nothing started for anyone refused


def test_batch_rejects_bad_year(world, client_for):
    response = client_for(world.bureau_officer).post(reverse("printing:batch"), {"year": "明年", "format": "pdf"})
    assert response.status_code == 200 and "输入整数" in response.content.decode()
