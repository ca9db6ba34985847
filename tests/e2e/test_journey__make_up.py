"""补学: a teacher on approved leave misses a session; the organiser accepts her
make-up from the project's attendance report; she then completes the project,
and her "my training" page says so."""
import datetime

import pytest
from django.utils import timezone
from django.utils.translation import gettext
from playwright.sync_api import expect

from attendance import services
from attendance.models import MakeUp
from tests.attendance_helpers import confirm, make_project, make_session, make_teacher, make_teacher_with_login
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_district

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTE = "观看第二讲录播课并提交学习笔记一篇，经项目负责人审阅合格。"


def test_the_organiser_accepts_a_make_up_and_the_teacher_completes(page):
    world = make_district()
    today = timezone.localdate()
    days = [today - datetime.timedelta(days=n) for n in (12, 11, 10, 9)]
    project = make_project(world, year=days[0].year, month=days[0].month, hours=12)
    sessions = [make_session(project, date=day) for day in days]
    teacher = make_teacher_with_login(world.school, "leave_teacher", name="王丽娜")
    colleague = make_teacher(world.school, name="吴慧敏")
    for person in (teacher, colleague):
        confirm(project, person, world)
    asked = timezone.make_aware(datetime.datetime.combine(days[0] - datetime.timedelta(days=3), datetime.time(9)))
    leave = services.leave_request(session=sessions[1], user=teacher.user, reason="带学生参加市级比赛", now=asked)
    services.leave_decide(leave=leave, user=world.school_officer, approve=True)
    for n, session in enumerate(sessions):
        marks = {colleague.pk: "present"} | ({} if n == 1 else {teacher.pk: "present"})
        services.attendance_mark(session=session, user=world.training_officer, marks=marks)

    # The organiser opens the project's attendance report, then the make-up page.
    login(page, "training_officer", PASSWORD)
    page.goto(f"/attendance/reports/projects/{project.pk}/")
    row = page.locator("tr[data-teacher='王丽娜']")
    expect(row.locator("[data-flag=not-completed]")).to_be_visible()
    page.click("[data-testid=make-ups]")
    card = page.locator("div.card[data-teacher='王丽娜']")
    expect(card).to_contain_text(str(gettext("On leave")))
    expect(page.locator("div.card[data-teacher='吴慧敏']")).to_have_count(0)  # missed nothing
    card.locator("select[name=kind]").select_option("recorded_lesson")
    card.locator("textarea[name=note]").fill(NOTE)
    page.screenshot(path="test-artifacts/make-up-before.png", full_page=True)
    card.locator("[data-testid=accept-make-up]").click()
    card = page.locator("div.card[data-teacher='王丽娜']")
    expect(card.locator("[data-testid=made-up]")).to_contain_text(str(MakeUp.Kind.RECORDED_LESSON.label))
    expect(card.locator("[data-flag=completed]")).to_be_visible()
    expect(card).to_contain_text(NOTE)
    page.screenshot(path="test-artifacts/make-up-accepted.png", full_page=True)
    assert MakeUp.objects.get().accepted_by == world.training_officer

    # The report counts the make-up towards completion.
    page.goto(f"/attendance/reports/projects/{project.pk}/")
    row = page.locator("tr[data-teacher='王丽娜']")
    expect(row.locator("[data-flag=completed]")).to_be_visible()
    expect(row.locator("[data-testid=made-up-hours]")).to_have_text("3")

    # The teacher sees it on her own page.
    login(page, "leave_teacher", "test-pass-123")
    page.goto("/attendance/me/")
    expect(page.locator("[data-testid=made-up]")).to_have_count(1)
    standing = page.locator(f"li[data-project='{project.name}']")
    expect(standing.locator("[data-flag=completed]")).to_be_visible()
    expect(standing.locator("[data-testid=standing]")).to_contain_text("100.0")
    page.screenshot(path="test-artifacts/make-up-teacher.png", full_page=True)
