"""Issue 13: every date input shows its value, so a form saved without retyping keeps it.
In Chromium, because the defect was the browser's: <input type="date"> shows nothing for a
value that is not YYYY-MM-DD (zh-hans formats dates as 2026/12/10)."""
import datetime

import pytest
from django.utils import timezone
from django.utils.translation import gettext
from playwright.sync_api import expect

from attendance.models import Session
from schedule.models import ProjectLogEntry
from tests.attendance_helpers import make_project, make_session
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DAY = datetime.date(2026, 12, 10)


def test_the_session_and_the_project_log_keep_their_dates_when_saved_untouched(page):
    world = make_district()
    project = make_project(world, year=DAY.year, month=DAY.month)
    session = make_session(project, date=DAY, start=datetime.time(9, 5), end=datetime.time(11, 30))
    login(page, "training_officer", PASSWORD)

    # The session's edit page shows its date and times in the inputs themselves.
    page.goto(f"/attendance/sessions/{session.pk}/edit/")
    expect(page.locator("input[name=session-date]")).to_have_value("2026-12-10")
    expect(page.locator("input[name=session-start_time]")).to_have_value("09:05")
    expect(page.locator("input[name=session-end_time]")).to_have_value("11:30")
    page.screenshot(path="test-artifacts/date-fields-session.png", full_page=True)
    # Saved without retyping anything: accepted, and nothing moved.
    page.get_by_role("button", name=gettext("Save")).click()
    expect(page.locator("ul.messages")).to_contain_text(gettext("Session saved."))
    session.refresh_from_db()
    assert (session.date, session.start_time, session.end_time) == (DAY, datetime.time(9, 5),
                                                                    datetime.time(11, 30))

    # The project log's date starts as today, shown; an entry saved untouched keeps it.
    page.goto(f"/schedule/projects/{project.pk}/")
    today = timezone.localdate()
    expect(page.locator("input[name=log-happened_on]")).to_have_value(today.isoformat())
    page.select_option("select[name=log-kind]", ProjectLogEntry.Kind.SESSION)
    page.fill("textarea[name=log-text]", "第一次集中研修按时开始。")
    page.click("[data-testid=add-log]")
    expect(page.locator("ul.messages")).to_contain_text(gettext("Log entry added."))
    expect(page.locator("body")).to_contain_text("第一次集中研修按时开始。")
    page.screenshot(path="test-artifacts/date-fields-log.png", full_page=True)
    entry = ProjectLogEntry.objects.get(project=project)
    assert entry.happened_on == today
    assert Session.objects.get(pk=session.pk).date == DAY
