"""The main journey in a real browser: a school's plan from draft to filing,
through a return for revision and two experts."""
import re

import pytest
from playwright.sync_api import expect

from django.utils import timezone

from plans.models import Document
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district

# Filing numbers carry the year of filing, not the plan's year (issue #13).
FILED_IN = timezone.localdate().year

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def claim_first(page):
    page.goto("/inbox/?tab=queue")
    page.click("[data-testid=claim]")
    expect(page).to_have_url(re.compile(r"/execute/$"))


def test_school_plan_from_draft_to_filing(page):
    world = make_district()

    # The school's training officer writes the plan and submits it.
    login(page, "school_officer", PASSWORD)
    page.goto("/documents/")
    page.click("[data-testid=new-school_plan]")
    page.fill("[name=doc-title]", "实验小学2025学年校本培训计划")
    page.fill("[name=doc-year]", "2025")
    page.fill("[name=detail-significance]", "有计划地开展校本培训，强化教师终身学习意识。")
    page.fill("[name=detail-objectives]", "每位教师每学年校本培训不少于50学时。")
    page.fill("[name=detail-group_leader]", "杨云武（校长）")
    page.check("[name=detail-forms][value=lecture]")
    page.check("[name=detail-topics][value=ethics]")
    page.fill("[name=detail-assessment]", "累计缺席5个学时以上，不认定当年度学分。")
    page.fill("[name=detail-annual_budget]", "5500")
    page.fill("[name=years-0-start_year]", "2025")
    page.fill("[name=years-0-content]", "师德师风、现代教育理论")
    page.fill("[name=years-0-forms]", "专题讲座式、自学反思式")
    page.fill("[name=years-0-hours]", "60")
    page.click("[data-testid=save]")
    page.click("[data-testid=submit-document]")
    expect(page.locator("[data-testid=status]")).to_have_text("初审中")
    document = Document.objects.get()

    # The training school claims it and returns it with a comment.
    login(page, "training_officer", PASSWORD)
    expect(page.locator("[data-testid=inbox-count]")).to_have_text("1")
    claim_first(page)
    page.check("[name=decision][value=return]")
    page.fill("[name=comment]", "请补充每学年的考核办法。")
    page.click("[data-testid=decide]")
    expect(page).to_have_url(re.compile(r"/inbox/$"))

    # The author sees the opinion, revises and resubmits.
    login(page, "school_officer", PASSWORD)
    page.click("[data-testid=handle]")
    expect(page.locator("[data-testid=trail]")).to_contain_text("请补充每学年的考核办法。")
    page.click("[data-testid=edit]")
    page.fill("[name=detail-assessment]", "累计缺席5个学时以上，不认定当年度学分；每学年末考核鉴定。")
    page.click("[data-testid=save]")
    page.click("[data-testid=resubmit]")
    page.fill("[name=comment]", "已补充考核办法。")
    page.click("[data-testid=decide]")

    # Initial review approves and sends it to two experts.
    login(page, "training_officer", PASSWORD)
    claim_first(page)
    page.check("[name=decision][value=approve]")
    page.check(f"[name=experts][value='{world.expert1.pk}']")
    page.check(f"[name=experts][value='{world.expert2.pk}']")
    page.click("[data-testid=decide]")

    for username, opinion, score in (("expert1", "agree", "92"), ("expert2", "agree", "85")):
        login(page, username, PASSWORD)
        page.click("[data-testid=handle]")
        page.check(f"[name=opinion][value={opinion}]")
        page.fill("[name=score]", score)
        page.fill("[name=comment]", f"{username}：内容完整，目标明确。")
        page.click("[data-testid=decide]")
        expect(page).to_have_url(re.compile(r"/inbox/$"))

    # The bureau files it with the suggested number.
    login(page, "bureau_officer", PASSWORD)
    claim_first(page)
    expect(page.locator("[name=filing_number]")).to_have_value(f"建教师备〔{FILED_IN}〕1号")
    page.check("[name=decision][value=approve]")
    page.click("[data-testid=decide]")

    login(page, "school_officer", PASSWORD)
    page.goto(f"/documents/{document.pk}/")
    expect(page.locator("[data-testid=status]")).to_have_text("已审批备案")
    expect(page.locator("[data-testid=filing-number]")).to_have_text(f"建教师备〔{FILED_IN}〕1号")
    trail = page.locator("[data-testid=trail]")
    for text in ("请补充每学年的考核办法。", "已补充考核办法。", "赵明", "钱丽", "92", "85"):
        expect(trail).to_contain_text(text)
    page.screenshot(path="test-artifacts/journey-filed.png", full_page=True)
    document.refresh_from_db()
    assert document.version == 2 and document.status == "approved"


def test_other_school_gets_refused_in_the_browser(page):
    world = make_district()
    from tests.factories import make_school_plan

    document = make_school_plan(world)
    login(page, "other_officer", PASSWORD)
    response = page.goto(f"/documents/{document.pk}/")
    assert response.status == 404
