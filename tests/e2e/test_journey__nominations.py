"""Issue 13: a school nominates teachers picked with the subject filter; the
organiser confirms them with one button; each teacher hears of it."""
import re

import pytest
from playwright.sync_api import expect

from attendance.models import Enrolment, ProjectRun
from notices.models import Notice
from tests.attendance_helpers import make_project, make_teacher, make_teacher_with_login
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_school_nominates_with_the_subject_filter_and_the_organiser_confirms_in_one_go(page):
    world = make_district()
    project = make_project(world, name="初中数学骨干教师培训")
    ProjectRun.objects.create(project=project, quota=5, per_school_quota=3)
    maths = [make_teacher_with_login(world.school, f"maths{n}", name=name, subject="maths")
             for n, name in enumerate(["孙丽娟", "周建军"])]
    make_teacher(world.school, "王丽娜")  # Chinese: not offered under 数学
    make_teacher(world.school, "吴慧敏", subject="english")

    login(page, "school_officer", PASSWORD)
    page.goto(f"/attendance/projects/{project.pk}/")
    expect(page.locator("[data-testid=places-left]")).to_contain_text("3")
    page.select_option("[data-testid=filter-subject]", "maths")
    page.click("[data-testid=filter-apply]")
    card = page.locator("[data-testid=nominate-card]")
    expect(card).to_contain_text("孙丽娟")
    expect(card).not_to_contain_text("王丽娜")
    expect(card).not_to_contain_text("吴慧敏")
    for teacher in maths:
        card.get_by_label(teacher.name).check()
    page.screenshot(path="test-artifacts/nominations-school-filtered.png", full_page=True)
    page.click("[data-testid=nominate]")
    expect(page).to_have_url(re.compile(rf"/attendance/projects/{project.pk}/\?subject=maths&stage=$"))  # the filter kept
    rows = page.locator("[data-testid=enrolment-row][data-status=nominated]")
    expect(rows).to_have_count(2)

    login(page, "training_officer", PASSWORD)
    page.goto(f"/attendance/projects/{project.pk}/")
    checks = page.locator("[data-testid=confirm-check]")
    expect(checks).to_have_count(2)
    for n in range(2):
        checks.nth(n).check()
    page.click("[data-testid=confirm-selected]")
    expect(page.locator("[data-testid=enrolment-row][data-status=confirmed]")).to_have_count(2)
    expect(page.locator("[data-testid=enrolments]")).to_contain_text("李文静")  # who confirmed
    page.screenshot(path="test-artifacts/nominations-confirmed.png", full_page=True)

    assert sorted(Enrolment.objects.filter(project=project).values_list("teacher__name", "status")) == [
        ("周建军", "confirmed"), ("孙丽娟", "confirmed")]
    for teacher in maths:  # nominated, then confirmed
        assert Notice.objects.filter(user=teacher.user, kind="nomination").count() == 2
