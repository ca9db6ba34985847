"""Every page a teacher sees, on a phone (390×844): no sideways scrolling, a short
header, tables as stacked lists, and the page's main action in the first screen.

The demo district (manage.py load_demo) gives the pages real content: 王丽娜
(shiyan_jiaoshi) has sessions ahead on the current project, credits, notices.
Screenshots go to test-artifacts/phone/ (look at them)."""
import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from demo import scenario

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 390, 844
SHOTS = Path("test-artifacts/phone")
CERTIFICATE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def phone(browser, live_server):
    call_command("load_demo", verbosity=0)
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True, has_touch=True,
                                  device_scale_factor=1, locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield page
    context.close()


def log_in(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("[name=username]", username)
    page.fill("[name=password]", scenario.password())
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def check_fits(page, name, main_action):
    """No sideways scrolling; the header is short; the main action shows without scrolling."""
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, name
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 100, (name, header)
    action = page.locator(main_action).first
    expect(action).to_be_visible()
    box = action.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, (name, main_action, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (name, main_action, box)


def test_teacher_pages_fit_a_phone_and_leave_is_asked_and_answered_on_one(phone):
    page = phone
    log_in(page, "shiyan_jiaoshi")

    page.goto("/attendance/me/")
    check_fits(page, "my-training", "[data-testid=ask-leave]")
    # The menu folds away; opened, it lists the teacher's pages.
    nav = page.locator("header.top nav")
    expect(nav).to_be_hidden()
    page.click("[data-testid=menu-toggle]")
    expect(nav).to_be_visible()
    expect(nav.locator("a[href='/credits/me/']")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    page.screenshot(path=str(SHOTS / "menu-open.png"))
    page.click("[data-testid=menu-toggle]")
    expect(nav).to_be_hidden()

    # Stacked rows carry their column names.
    row = page.locator("table.stack tbody tr").first
    assert row.locator("td[data-label]").count() >= 3
    # Ask for leave, on the phone.
    page.fill("[data-testid=leave-reason]", "孩子生病需要照顾")
    page.click("[data-testid=ask-leave]")
    expect(page.locator(".messages")).to_be_visible()
    check_fits(page, "my-training-leave-asked", ".messages li")

    # The project she is on, one tap from 我的培训: its enrolment and session tables are lists too.
    page.click("main a[href^='/attendance/projects/']")
    check_fits(page, "project", "[data-testid=enrolments] td[data-label]")
    for table in ("enrolments", "project-sessions"):
        assert page.locator(f"table.stack[data-testid={table}] td[data-label]").count() >= 3, table

    page.goto("/attendance/sign-in/")
    check_fits(page, "sign-in", "[data-testid=sign-in]")

    page.goto("/credits/me/")
    check_fits(page, "my-credits", "[data-testid=year-total]")

    page.goto("/notices/")
    check_fits(page, "notices", "[data-testid=notice-table]")

    page.goto("/credits/declarations/")
    check_fits(page, "declarations", "[data-testid=new-declaration]")
    page.click("[data-testid=new-declaration]")
    check_fits(page, "declaration-form", "form [name=provider]")
    page.fill("[name=provider]", "许昌市教师发展中心")
    page.fill("[name=title]", "小学语文整本书阅读教学研修")
    start = timezone.localdate() - datetime.timedelta(days=40)
    page.fill("[name=start_date]", start.isoformat())
    page.fill("[name=end_date]", (start + datetime.timedelta(days=1)).isoformat())
    page.fill("[name=hours]", "12")
    page.set_input_files("[name=certificate]", files=[
        {"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": CERTIFICATE}])
    page.click("[data-testid=submit]")
    page.wait_for_url("**/credits/declarations/*/")
    check_fits(page, "declaration-detail", "[data-testid=declaration]")

    # Her school officer answers the leave request, on a phone too.
    log_in(page, "shiyan_zhuangan")
    page.goto("/attendance/leave/")
    check_fits(page, "leave-requests", "button[name=decision][value=approve]")
    page.click("button[name=decision][value=approve]")
    expect(page.locator(".messages")).to_be_visible()
    check_fits(page, "leave-answered", "table.stack td[data-label]")


def test_the_menu_stays_open_on_a_wide_screen(page):
    """On a desktop the header keeps its full menu and no menu button."""
    call_command("load_demo", verbosity=0)
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, "shiyan_jiaoshi")
    page.goto("/attendance/me/")
    expect(page.locator("header.top nav")).to_be_visible()
    expect(page.locator("[data-testid=menu-toggle]")).to_be_hidden()
    expect(page.locator("[data-testid=my-account]")).to_be_visible()
    expect(page.locator("[data-testid=notice-bell]")).to_be_visible()
    assert page.locator("header.top").bounding_box()["height"] <= 120
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "desktop-my-training.png"))
