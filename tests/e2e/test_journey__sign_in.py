"""A teacher signs in with the code on the screen, on a phone; the organiser sees it."""
import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.attendance_helpers import confirm, make_project, make_session, make_teacher_with_login
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_teacher_signs_in_on_a_phone(page, browser, live_server):
    world = make_district()
    project = make_project(world)
    teacher = make_teacher_with_login(world.school, "phone_teacher", name="赵小燕")
    confirm(project, teacher, world)
    now = timezone.localtime()
    start = max(now - datetime.timedelta(minutes=5), now.replace(hour=0, minute=0, second=0, microsecond=0))
    session = make_session(project, date=now.date(), start=start.time().replace(second=0, microsecond=0),
                           end=datetime.time(23, 59), hours="2")

    # The organiser puts the code on the projector.
    login(page, "training_officer", PASSWORD)
    page.goto(f"/attendance/sessions/{session.pk}/code/")
    code = page.locator("[data-testid=code]").inner_text().strip()
    assert len(code) == 6 and code.isdigit()
    assert page.locator("svg").count() == 1  # the QR code

    # The teacher types it on a phone.
    phone = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True,
                                locale="zh-CN", base_url=live_server.url)
    mobile = phone.new_page()
    login(mobile, "phone_teacher", "test-pass-123")
    mobile.goto("/attendance/sign-in/")
    mobile.fill("[name=code]", code)
    mobile.click("[data-testid=sign-in]")
    expect(mobile.locator("[data-testid=signed-in]")).to_contain_text("已签到")
    # A second try is refused.
    mobile.goto(f"/attendance/sign-in/{session.pk}/?code={code}")
    mobile.click("[data-testid=sign-in]")
    expect(mobile.locator(".errorlist")).to_contain_text("已经签到")
    mobile.screenshot(path="test-artifacts/sign-in-phone.png")
    phone.close()

    page.goto(f"/attendance/sessions/{session.pk}/")
    row = page.locator("tr[data-teacher='赵小燕']")
    expect(row.locator("[data-testid=mark]")).to_contain_text("出勤")
