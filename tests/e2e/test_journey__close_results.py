"""结业 with assessment results (issue #12): the organiser opens the project's close page, marks one
attendee 不合格 and one 优秀学员 (the rest stay 合格, the one who missed too much shows as not
completed), closes the project, and the credits follow: under Gansu's rules (第七条) the failed
trainee gets a zero line saying why, the excellent trainee the county bonus of 4, as their credit
pages show."""
import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from playwright.sync_api import expect

from attendance import services
from attendance.models import AssessmentResult, ProjectRun
from credits.models import CreditEntry
from tests.attendance_helpers import confirm, make_project, make_session, make_teacher, make_teacher_with_login
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_organiser_closes_with_one_failed_and_one_excellent_trainee(page):
    call_command("loaddata", "credit_rules", verbosity=0)
    world = make_district()
    world.district.credit_rule_family = "gansu"
    world.district.save()
    days = [timezone.localdate() - datetime.timedelta(days=n) for n in (9, 8)]
    project = make_project(world, year=days[0].year, month=days[0].month, hours=6, name="班主任工作能力提升培训")
    ProjectRun.objects.create(project=project, min_attendance_percent=80)
    sessions = [make_session(project, date=day) for day in days]   # 3 h each: a 6-hour county project
    passed = make_teacher(world.school, "吴慧敏")
    failed = make_teacher(world.school, "陈雪")
    excellent = make_teacher_with_login(world.other_school, "excellent_teacher", name="王丽娜")
    absent = make_teacher(world.other_school, "常晓东")
    for teacher in (passed, failed, excellent, absent):
        confirm(project, teacher, world)
    for n, session in enumerate(sessions):
        marks = {t.pk: "present" for t in (passed, failed, excellent)} | {absent.pk: "absent" if n else "present"}
        services.attendance_mark(session=session, user=world.training_officer, marks=marks)

    # The organiser goes from the project to its close page.
    login(page, "training_officer", PASSWORD)
    page.goto(f"/schedule/projects/{project.pk}/")
    page.click("[data-testid=close-project]")
    roster = page.locator("[data-testid=roster]")
    expect(roster.locator("tr[data-teacher]")).to_have_count(4)
    expect(page.locator("[data-testid=completed-count]")).to_have_text("3 / 4")
    expect(roster.locator("tr[data-teacher='常晓东'] [data-flag=not-completed]")).to_be_visible()
    expect(roster.locator("tr[data-teacher='常晓东'] input[type=radio]")).to_have_count(0)
    for row in ("吴慧敏", "陈雪", "王丽娜"):  # 合格 unless changed
        expect(roster.locator(f"tr[data-teacher='{row}'] input[value=pass]")).to_be_checked()
    roster.locator("tr[data-teacher='陈雪'] input[value=fail]").check()
    roster.locator("tr[data-teacher='王丽娜'] input[value=excellent]").check()
    page.screenshot(path="test-artifacts/close-results-before.png", full_page=True)
    page.click("[data-testid=close]")

    # Closed: the results and the credits on the same page.
    expect(page.locator("[data-testid=project-status]")).to_have_text(str(pgettext("project status", "Finished")))
    expect(roster.locator("tr[data-teacher='陈雪'] [data-result=fail]")).to_have_text(
        str(pgettext("assessment", "Failed")))
    expect(roster.locator("tr[data-teacher='王丽娜'] [data-result=excellent]")).to_have_text(
        gettext("Excellent trainee"))
    expect(roster.locator("tr[data-teacher='王丽娜'] [data-credit=bonus] strong")).to_have_text("4")
    expect(roster.locator("tr[data-teacher='陈雪'] [data-credit=project]")).to_contain_text(
        gettext("Those who fail the assessment get no credits."))
    expect(page.locator("[data-testid=close]")).to_have_count(0)
    page.screenshot(path="test-artifacts/close-results-closed.png", full_page=True)
    assert {r.enrolment.teacher.name: r.result for r in AssessmentResult.objects.select_related("enrolment__teacher")} \
        == {"吴慧敏": "pass", "陈雪": "fail", "王丽娜": "excellent"}

    # The failed trainee's ledger, as the training school sees it: a zero line saying why.
    year = days[-1].year
    page.goto(f"/credits/teachers/{failed.pk}/?year={year}")
    ledger = page.locator("[data-testid=ledger] tbody tr[data-entry]")
    expect(ledger).to_have_count(1)
    expect(ledger.first).to_have_attribute("data-credits", "0.00")
    expect(ledger.first).to_contain_text(gettext("Those who fail the assessment get no credits."))
    page.screenshot(path="test-artifacts/close-results-failed-ledger.png", full_page=True)

    # The excellent trainee sees hers herself: 6 for the project and 4 for 优秀学员 (甘肃 第七条, county).
    login(page, "excellent_teacher", PASSWORD)
    page.goto(f"/credits/me/?year={year}")
    ledger = page.locator("[data-testid=ledger] tbody tr[data-entry]")
    expect(ledger).to_have_count(2)
    expect(ledger.nth(0)).to_have_attribute("data-credits", "6.00")
    expect(ledger.nth(1)).to_have_attribute("data-credits", "4.00")
    expect(page.locator("[data-testid=totals]")).to_have_attribute("data-year-total", "10.00")
    page.screenshot(path="test-artifacts/close-results-excellent-ledger.png", full_page=True)

    assert [(e.source, e.credits) for e in CreditEntry.objects.filter(teacher=passed)] == [("project", 6)]
    assert CreditEntry.objects.get(teacher=absent).credits == 0
