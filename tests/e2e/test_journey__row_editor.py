"""The row editor and the version comparison (issue #13): the training school types the 14-project table of seed 004 (demo/data's
copy of its real rows) into a new annual plan in ONE save, adding the rows in the page; then removes two
rows and adds one, again in one save. The database holds exactly what the page showed. A reviewer then
compares two versions of a plan on its page."""
import pytest
from playwright.sync_api import expect

from demo.seed import load
from plans.models import Document
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROWS = "[data-testid=row-editor] tbody[data-rows] tr[data-row]"


def last_row_index(page):
    name = page.locator(ROWS).last.locator("input[name$=-name]").get_attribute("name")
    return int(name.split("-")[1])


def fill_row(page, index, project):
    prefix = f"projects-{index}-"
    page.fill(f"[name={prefix}sequence]", str(project["sequence"]))
    page.fill(f"[name={prefix}name]", project["name"])
    page.fill(f"[name={prefix}headcount_text]", "全员" if project.get("all_staff") else str(project["headcount"]))
    for mode in project["modes"]:
        page.check(f"[name={prefix}modes][value={mode}]")
    page.fill(f"[name={prefix}month]", str(project["month"]))
    page.fill(f"[name={prefix}location]", project["location"])


def db_rows(document):
    return list(document.annual_plan.projects.order_by("sequence").values_list(
        "sequence", "name", "headcount", "all_staff", "modes", "month", "location"))


def expected(project):
    return (project["sequence"], project["name"], None if project.get("all_staff") else project["headcount"],
            bool(project.get("all_staff")), project["modes"], project["month"], project["location"])


def test_fourteen_projects_in_one_save_then_remove_two_and_add_one(page):
    make_district()
    seed = load("annual_plan_2024")
    projects = seed["projects"]
    assert len(projects) == 14

    login(page, "training_officer", PASSWORD)
    page.goto("/documents/new/annual_plan/")
    page.fill("[name=doc-title]", "建安区2025年教师培训工作计划")
    page.fill("[name=doc-year]", "2025")
    page.fill("[name=detail-guiding_ideology]", seed["sections"]["guiding_ideology"])
    expect(page.locator(ROWS)).to_have_count(1)        # an empty table starts with one empty row
    expect(page.locator("text=保存后可再添加一行")).to_have_count(0)
    for index, project in enumerate(projects):
        if index:
            page.click("[data-testid=add-row]")
        assert last_row_index(page) == index
        fill_row(page, index, project)
    expect(page.locator(ROWS)).to_have_count(14)
    expect(page.locator("[name=projects-TOTAL_FORMS]")).to_have_value("14")
    page.screenshot(path="test-artifacts/row-editor-14-rows.png", full_page=True)
    page.click("[data-testid=save]")
    expect(page.locator("[data-testid=status]")).to_be_visible()

    document = Document.objects.get()
    assert db_rows(document) == [expected(p) for p in projects]
    expect(page.locator("[data-testid=project-table] tbody tr")).to_have_count(14)

    # Reload the edit page: the 14 rows; the server's spare empty row (for pages without JavaScript) is dropped.
    page.click("[data-testid=edit]")
    expect(page.locator(ROWS)).to_have_count(14)
    expect(page.locator("tr[data-spare]")).to_have_count(0)
    expect(page.locator("[name=projects-3-name]")).to_have_value(projects[3]["name"])
    expect(page.locator("[name=projects-13-month]")).to_have_value(str(projects[13]["month"]))

    # Remove rows 4 and 6 (an added row removed before saving is never sent), add one, save once.
    rows = page.locator(ROWS)
    rows.nth(3).locator("[data-remove-row]").click()
    rows.nth(5).locator("[data-remove-row]").click()
    page.click("[data-testid=add-row]")
    page.locator(ROWS).last.locator("[data-remove-row]").click()       # changed my mind
    page.click("[data-testid=add-row]")
    new = {"sequence": 15, "name": "乡村教师信息技术应用能力培训", "headcount": 80, "modes": ["online"],
           "month": 12, "location": "线上"}
    fill_row(page, last_row_index(page), new)
    expect(page.locator(f"{ROWS}:visible")).to_have_count(13)
    page.screenshot(path="test-artifacts/row-editor-remove-add.png", full_page=True)
    page.click("[data-testid=save]")
    expect(page.locator("[data-testid=status]")).to_be_visible()

    kept = [p for i, p in enumerate(projects) if i not in (3, 5)]
    assert db_rows(document) == [expected(p) for p in kept + [new]]
    expect(page.locator("[data-testid=project-table] tbody tr")).to_have_count(13)
    expect(page.locator("[data-testid=project-table]")).not_to_contain_text(projects[3]["name"])
    expect(page.locator("[data-testid=project-table]")).to_contain_text(new["name"])
    page.screenshot(path="test-artifacts/row-editor-saved.png", full_page=True)


def test_a_reviewer_compares_two_versions_on_the_document_page(page):
    from plans.models import DocumentVersion, PlannedProject
    from plans.services import document_snapshot
    from tests.factories import make_annual_plan

    world = make_district()
    document = make_annual_plan(world, projects=3)

    def freeze():
        fresh = Document.objects.get(pk=document.pk)
        DocumentVersion.objects.create(document=fresh, number=fresh.versions.count() + 1,
                                       submitted_by=world.training_officer, content=document_snapshot(document=fresh))

    freeze()
    plan = document.annual_plan
    plan.projects.filter(sequence=2).delete()
    plan.projects.filter(sequence=3).update(month=11, modes=["online", "outreach"])
    PlannedProject.objects.create(plan=plan, sequence=4, name="乡村教师信息技术应用能力培训", headcount=80,
                                  modes=["online"], month=12, location="线上")
    freeze()
    type(plan).objects.filter(pk=plan.pk).update(objectives="强化师德、提升能力、服务乡村。")
    freeze()

    login(page, "bureau_officer", PASSWORD)
    page.goto(f"/documents/{document.pk}/")
    compare = page.locator("[data-testid=compare]")
    expect(compare.locator("[data-testid=field-changes]")).to_contain_text("服务乡村")   # 3 against 2
    expect(compare.locator("[data-testid=row-changes]")).to_have_count(0)
    page.select_option("[data-testid=compare-old]", "1")
    page.select_option("[data-testid=compare-new]", "2")
    page.click("[data-testid=compare-button]")
    expect(compare.locator("tr[data-change=added]")).to_contain_text("乡村教师信息技术应用能力培训")
    expect(compare.locator("tr[data-change=removed]")).to_contain_text("培训项目2")
    changed = compare.locator("tr[data-change=changed]")
    expect(changed).to_contain_text("11月")
    expect(changed).to_contain_text(str(PlannedProject._meta.get_field("modes").verbose_name))
    expect(compare).not_to_contain_text("outreach")
    page.screenshot(path="test-artifacts/version-compare.png", full_page=True)


def test_without_javascript_the_spare_row_still_adds_a_row(browser, live_server):
    from tests.factories import make_annual_plan

    world = make_district()
    document = make_annual_plan(world, projects=2)
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        login(page, "training_officer", PASSWORD)
        page.goto(f"/documents/{document.pk}/edit/")
        expect(page.locator(ROWS)).to_have_count(3)                 # two rows and the spare
        expect(page.locator("[data-testid=add-row]")).to_be_hidden()
        fill_row(page, 2, {"sequence": 3, "name": "无脚本新增项目", "headcount": 20, "modes": ["online"],
                           "month": 5, "location": "线上"})
        page.check("[name=projects-0-DELETE]")
        page.click("[data-testid=save]")
        expect(page.locator("[data-testid=status]")).to_be_visible()
        assert list(document.annual_plan.projects.order_by("sequence").values_list("name", flat=True)) == [
            "培训项目2", "无脚本新增项目"]
    finally:
        context.close()
