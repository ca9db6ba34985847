"""The bureau's submission tracker in a real browser (issue 13): the bureau opens it
from its menu, sees each school's state, sends 催交 to the late schools at once, and a
late school's training officer finds the notice behind the bell."""
import re

import pytest
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from playwright.sync_api import expect

from accounts.models import Organisation
from accounts.services import user_create
from notices.models import Notice
from plans.models import Document
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district, make_school_plan
from tracker.models import SubmissionReminder
from workflow.submission import document_submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ARTIFACTS = "test-artifacts/tracker"


def test_bureau_reminds_late_schools_and_the_school_sees_the_notice(page):
    year = timezone.localdate().year
    world = make_district()
    # School A submitted (in initial review); the other school has nothing; a kindergarten filed.
    document_submit(document=make_school_plan(world, year=year), user=world.school_officer)
    kindergarten = Organisation.objects.create(district=world.district, name="建安区实验幼儿园", kind="kindergarten")
    user_create(username="kg_officer", password=PASSWORD, full_name="幼儿园专干", role="school_officer",
                organisation=kindergarten)
    filed = make_school_plan(world, school=kindergarten, year=year)
    Document.objects.filter(pk=filed.pk).update(status=Document.Status.APPROVED, filing_number=f"建教师备〔{year}〕3号",
                                                filed_at=timezone.now())

    login(page, "bureau_officer", PASSWORD)
    page.click("[data-testid=nav-tracker]")
    expect(page).to_have_url(re.compile(r"/tracker/$"))
    rows = page.locator("[data-testid=tracker-rows] tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator(f"tr[data-school='{world.school.pk}']")).to_have_attribute("data-state", "in_review")
    expect(page.locator(f"tr[data-school='{world.school.pk}']")).to_contain_text(gettext("In initial review"))
    expect(page.locator(f"tr[data-school='{world.other_school.pk}']")).to_have_attribute("data-state", "not_started")
    expect(page.locator(f"tr[data-school='{kindergarten.pk}']")).to_contain_text(f"建教师备〔{year}〕3号")
    expect(page.locator("[data-testid=tracker-counts] li[data-state=not_started]")).to_have_attribute("data-count", "1")
    # Sorted by state: the late school first.
    page.click("[data-testid=sort-state]")
    expect(rows.first).to_have_attribute("data-state", "not_started")
    page.screenshot(path=f"{ARTIFACTS}/tracker-before.png", full_page=True)

    page.click("[data-testid=remind-all]")
    expect(page.locator(".messages")).to_contain_text(world.other_school.name)
    late_row = page.locator(f"tr[data-school='{world.other_school.pk}'] [data-testid=reminders]")
    reminded = ngettext("Reminded %(count)s time, last on %(last)s", "Reminded %(count)s times, last on %(last)s", 1)
    expect(rows.first).to_have_attribute("data-state", "not_started")  # still sorted by state
    expect(late_row).to_contain_text(reminded.split("%(last)s")[0] % {"count": 1})
    page.screenshot(path=f"{ARTIFACTS}/tracker-reminded.png", full_page=True)
    # Only the late school was reminded; a second click within 24 hours sends nothing.
    assert list(SubmissionReminder.objects.values_list("school", flat=True)) == [world.other_school.pk]
    page.click(f"[data-testid=remind-{world.other_school.pk}]")
    expect(page.locator(".messages")).to_contain_text(world.other_school.name)
    assert SubmissionReminder.objects.count() == 1
    page.screenshot(path=f"{ARTIFACTS}/tracker-refused.png", full_page=True)

    # The filed plan is found on the document list by part of its filing number.
    page.click("[data-testid=nav-tracker]")
    page.goto("/documents/")
    page.fill("[data-testid=document-search] [name=filing_number]", f"〔{year}〕3")
    page.click("[data-testid=document-search] button[type=submit]")
    listed = page.locator("table tbody tr")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(filed.title)
    page.screenshot(path=f"{ARTIFACTS}/documents-search.png", full_page=True)

    # The late school's training officer sees the notice.
    login(page, "other_officer", PASSWORD)
    expect(page.locator("[data-testid=notice-count]")).to_have_text("1")
    page.click("[data-testid=notice-bell]")
    notice = page.locator("[data-testid=notice]")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text(world.other_school.name)
    expect(notice).to_contain_text(gettext("Submission reminder"))
    page.screenshot(path=f"{ARTIFACTS}/school-notice.png", full_page=True)
    assert not Notice.objects.filter(user=world.school_officer, kind=Notice.Kind.SUBMISSION_REMINDER).exists()
