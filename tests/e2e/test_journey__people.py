"""People in the browser: a school makes its teachers' logins from the roster, prints the
sheet of first passwords, and a teacher's first login on a phone goes straight to choosing
their own password. The bureau's people pages render (screenshots in test-artifacts/)."""
import re

import pytest
from playwright.sync_api import expect

from attendance.models import Teacher
from tests.attendance_helpers import make_teacher
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_bulk_logins_sheet_first_login_forced_change(page, browser, live_server):
    world = make_district()
    for name in ("林小雨", "郑国强"):
        make_teacher(world.school, name=name)

    # The school's training officer chooses the teachers and makes their logins.
    login(page, "school_officer", PASSWORD)
    page.goto("/attendance/teachers/")
    page.click("[data-testid=teacher-logins]")
    expect(page.locator("[data-testid=choose-teacher]")).to_have_count(2)
    page.click("[data-testid=make-logins]")
    expect(page.locator("[data-testid=slip]")).to_have_count(2)
    slip = page.locator("[data-testid=slip]", has_text="林小雨")
    username = slip.locator("[data-testid=slip-username]").inner_text().strip()
    password = slip.locator("[data-testid=slip-password]").inner_text().strip()
    assert re.fullmatch(r"js\d{6}", username) and len(password) == 10
    page.screenshot(path="test-artifacts/people-login-sheet.png", full_page=True)
    # The printed sheet shows only the slips (the header and buttons are not printed).
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("[data-testid=print]")).to_be_hidden()
    page.emulate_media(media="screen")
    # Back on the roster, the logins are there and nobody is left to choose.
    page.goto("/attendance/teachers/")
    expect(page.locator("[data-testid=teacher-login]", has_text=username)).to_have_count(1)
    page.screenshot(path="test-artifacts/people-roster.png", full_page=True)
    page.click("text=郑国强")
    expect(page.locator("[data-testid=transfer-card]")).to_be_visible()
    page.screenshot(path="test-artifacts/people-teacher-edit.png", full_page=True)

    # The teacher's first login, on a phone: the password change page, whatever was asked for.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                base_url=live_server.url)
    mobile = phone.new_page()
    mobile.set_default_timeout(15000)
    mobile.goto("/accounts/login/?next=/attendance/me/")
    mobile.fill("[name=username]", username)
    mobile.fill("[name=password]", password)
    mobile.click("button[type=submit]")
    expect(mobile).to_have_url(re.compile(r"/people/password/$"))
    expect(mobile.locator("[data-testid=must-change]")).to_be_visible()
    mobile.goto("/attendance/me/")
    expect(mobile).to_have_url(re.compile(r"/people/password/$"))
    assert no_sideways_scroll(mobile)
    expect(mobile.locator("[data-testid=save-password]")).to_be_in_viewport()
    mobile.screenshot(path="test-artifacts/people-password-change-phone.png", full_page=True)

    # A mistake is explained in Chinese, then the change goes through.
    mobile.fill("[name=old_password]", password)
    mobile.fill("[name=new_password1]", "linxiaoyu-2026")
    mobile.fill("[name=new_password2]", "linxiaoyu-2025")
    mobile.click("[data-testid=save-password]")
    expect(mobile.locator(".errorlist")).to_contain_text("两个密码")
    mobile.fill("[name=old_password]", password)
    mobile.fill("[name=new_password1]", "linxiaoyu-2026")
    mobile.fill("[name=new_password2]", "linxiaoyu-2026")
    mobile.click("[data-testid=save-password]")
    expect(mobile).not_to_have_url(re.compile(r"/people/password/"))
    mobile.goto("/attendance/me/")
    expect(mobile).to_have_url(re.compile(r"/attendance/me/$"))
    teacher = Teacher.objects.select_related("user").get(name="林小雨")
    assert not teacher.user.must_change_password and teacher.user.check_password("linxiaoyu-2026")
    phone.close()


def test_bureau_people_pages(page):
    world = make_district()
    login(page, "bureau_officer", PASSWORD)
    shots = {
        "/people/": "people-my-account",
        "/people/organisations/": "people-organisations",
        "/people/organisations/add/": "people-organisation-add",
        "/people/experts/": "people-experts",
        "/people/accounts/": "people-accounts",
        f"/people/accounts/add/?organisation={world.training_school.pk}": "people-account-add",
    }
    for path, name in shots.items():
        response = page.goto(path)
        assert response.status == 200, path
        page.screenshot(path=f"test-artifacts/{name}.png", full_page=True)
    # A new expert: the first password is shown once.
    page.goto(f"/people/accounts/add/?organisation={world.pool.pk}")
    page.fill("[name=username]", "zhuanjia_new")
    page.fill("[name=full_name]", "何教授")
    page.fill("[name=title]", "教授")
    page.fill("[name=expertise]", "学前教育")
    page.click("[data-testid=save]")
    expect(page.locator("[data-testid=password]")).to_have_text(re.compile(r"^[a-z0-9]{10}$"))
    page.screenshot(path="test-artifacts/people-first-password.png", full_page=True)
    page.goto("/people/experts/")
    expect(page.locator("[data-testid=expert-row]", has_text="何教授")).to_contain_text("学前教育")
