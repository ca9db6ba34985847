"""The Content-Security-Policy breaks no page: Chromium reports no violation on
the main pages (the project's, viewflow's, the admin, the sign-in code), the
nonce'd style applies and the language switch (static JS) still works."""
import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from tests.attendance_helpers import make_project, make_session
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district, make_school_plan
from tests.flow_helpers import open_task, task_url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _watch_violations(page):
    violations = []
    page.on("console", lambda message: violations.append(page.url + " " + message.text)
            if "Content Security Policy" in message.text else None)
    return violations


def test_main_pages_load_without_policy_violations(page):
    world = make_district()
    document = make_school_plan(world)
    project = make_project(world)
    now = timezone.localtime()
    start = max(now - datetime.timedelta(minutes=5), now.replace(hour=0, minute=0, second=0, microsecond=0))
    session = make_session(project, date=now.date(), start=start.time().replace(second=0, microsecond=0),
                           end=datetime.time(23, 59), hours="2")
    User.objects.create_superuser("root", "root@example.cn", PASSWORD)
    violations = _watch_violations(page)

    login(page, "school_officer", PASSWORD)
    for url in ("/documents/", f"/documents/{document.pk}/", f"/documents/{document.pk}/edit/",
                "/documents/new/project_proposal/", "/notices/", "/schedule/", "/workflow/"):
        response = page.goto(url)
        assert response.status < 400, url
        assert "default-src 'self'" in response.headers.get("content-security-policy", ""), url
    page.goto(f"/documents/{document.pk}/")
    page.click("[data-testid=submit-document]")
    expect(page.locator("[data-testid=status]")).to_have_text("初审中")

    # The language switch is static JS now (no inline onchange).
    page.goto("/documents/")
    page.select_option("select[name=language]", "en")
    expect(page.locator("h1")).to_have_text("Documents")
    page.select_option("select[name=language]", "zh-hans")
    expect(page.locator("h1")).to_have_text("文档")

    login(page, "training_officer", PASSWORD)
    task = open_task(document, "initial_review")
    for url in ("/inbox/", "/inbox/?tab=queue", f"/print/documents/{document.pk}/", "/workflow/review/", f"/workflow/review/{task.process_id}/", task_url(task, "index"),
                f"/attendance/sessions/{session.pk}/"):
        response = page.goto(url)
        assert response.status < 400, url
    # The sign-in code page: its inline <style> carries the nonce and applies.
    page.goto(f"/attendance/sessions/{session.pk}/code/")
    assert page.locator("[data-testid=code]").evaluate("e => getComputedStyle(e).fontSize") == "72px"

    login_admin = page.context.new_page()
    violations_admin = _watch_violations(login_admin)
    login_admin.goto("/admin/login/")
    login_admin.fill("[name=username]", "root")
    login_admin.fill("[name=password]", PASSWORD)
    login_admin.click("[type=submit]")
    for url in ("/admin/", "/admin/plans/document/", f"/admin/plans/document/{document.pk}/change/"):
        response = login_admin.goto(url)
        assert response.status < 400, url

    assert violations + violations_admin == []
