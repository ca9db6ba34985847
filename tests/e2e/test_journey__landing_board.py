"""Each role lands where its work is; 流程看板 is the app's own board (issue #13)."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.attendance_helpers import make_teacher_with_login
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district, make_school_plan
from tests.flow_helpers import submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"h22-{name}.png"), full_page=True)


def test_roles_land_on_their_work_and_the_board_is_the_apps_own(page):
    from django.test import Client

    world = make_district()
    make_teacher_with_login(world.school, "landing_teacher", name="陈静")
    document = make_school_plan(world, title="实验小学2025学年校本培训计划")
    client = Client()
    client.force_login(world.school_officer)
    submit(client, document)

    # A teacher lands on their training, not on an empty task inbox.
    login(page, "landing_teacher", "test-pass-123")
    expect(page).to_have_url(re.compile(r"/attendance/me/$"))
    shot(page, "teacher-landing")

    # The training school's 我的待办 is empty and its queue holds the plan: it lands on the queue.
    login(page, "training_officer", PASSWORD)
    expect(page).to_have_url(re.compile(r"/inbox/\?tab=queue$"))
    expect(page.locator("[data-testid=tab-queue]")).to_have_class(re.compile("active"))
    expect(page.locator("[data-testid=task-table]")).to_contain_text("实验小学2025学年校本培训计划")

    # 流程看板 from the menu: the app's own page, in words, with a way back.
    page.click("header >> text=流程看板")
    expect(page).to_have_url(re.compile(r"/processes/$"))
    table = page.locator("[data-testid=process-table]")
    expect(table).to_contain_text("实验小学2025学年校本培训计划")
    expect(table).to_contain_text(world.school.name)
    expect(table).not_to_contain_text("school_plan")
    assert not re.search(r"#\d+/\d+", table.inner_text())
    assert page.locator("a[href^='/workflow/']").count() == 0
    shot(page, "process-board")
    page.click("[data-testid=process-detail]")
    expect(page.locator("[data-testid=step-table]")).to_be_visible()
    shot(page, "process-detail")
    page.click("text=← 流程看板")
    expect(page).to_have_url(re.compile(r"/processes/$"))

    # A principal lands on the school's documents.
    login(page, "principal", PASSWORD)
    expect(page).to_have_url(re.compile(r"/documents/$"))
