import datetime
import math

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import District, User
from attendance import idcard
from attendance.models import Attendance, CompletionRules, Enrolment, LeaveRequest, Session, Teacher
from attendance.services import is_exempt
from credits.models import CreditEntry
from plans.models import Document
from schedule.models import ProjectLogEntry, ScheduledProject, SpotCheck
from workflow.selectors import task_queue

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year
LAST_YEAR = THIS_YEAR - 1


def test_demo_district_has_every_state_and_the_seed_plan():
    call_command("load_demo", verbosity=0)
    statuses = set(Document.objects.values_list("status", flat=True))
    assert statuses == set(Document.Status.values)
    # The seed 004 plan is last year's filed plan.
    annual = Document.objects.get(kind="annual_plan", year=LAST_YEAR)
    assert annual.title == f"建安区{LAST_YEAR}年教师培训工作计划"
    assert annual.annual_plan.projects.count() == 14
    assert annual.filing_number
    assert set(User.objects.exclude(role="").values_list("role", flat=True)) == set(User.Role.values)
    # A second run changes nothing.
    count = Document.objects.count()
    call_command("load_demo", verbosity=0)
    assert Document.objects.count() == count


def test_demo_district_shows_the_schedule():
    call_command("load_demo", verbosity=0)
    approved_proposals = Document.objects.filter(
        kind=Document.Kind.PROJECT_PROPOSAL, status=Document.Status.APPROVED).count()
    assert approved_proposals >= 1
    assert ScheduledProject.objects.count() == 14 + approved_proposals

    # One project adjusted (已调整) by a filed change request, with its history.
    adjusted = ScheduledProject.objects.filter(changes__isnull=False).distinct()
    assert adjusted.count() == 1
    project = adjusted.get()
    assert (project.start_month, project.end_month) == (11, 11)
    assert {c.field for c in project.changes.all()} == {"start_month", "end_month", "location"}

    requests = Document.objects.filter(kind=Document.Kind.CHANGE_REQUEST)
    assert sorted(requests.values_list("status", flat=True)) == ["approved", "initial_review"]
    filed = requests.get(status=Document.Status.APPROVED)
    assert filed.filing_number and filed.change_request.project == project
    assert not filed.trail.filter(step="expert_review").exists()
    pending = requests.get(status=Document.Status.INITIAL_REVIEW)
    bureau = User.objects.get(username="jiaoyuju_gu")
    assert task_queue(user=bureau).filter(process__reviewprocess__document=pending).exists()

    kinds = set(ProjectLogEntry.objects.values_list("kind", flat=True))
    assert {"opened", "session", "problem", "closed"} <= kinds
    assert all(d.year == LAST_YEAR for d in ProjectLogEntry.objects.values_list("happened_on", flat=True))
    # Closed through the project log: the April project, and the September one the demo teachers attended.
    finished = ScheduledProject.objects.filter(status=ScheduledProject.Status.FINISHED)
    assert sorted(finished.values_list("name", flat=True)) == [
        "学科教研组长、教学副校长业务提升培训", "小学教师学科素养提升培训（语文、数学）"]

    check = SpotCheck.objects.get(year=LAST_YEAR)
    assert check.seed == 20240601
    projects_last_year = ScheduledProject.objects.filter(year=LAST_YEAR).count()
    assert check.items.count() == math.ceil(projects_last_year * 20 / 100)
    assert check.items.exclude(findings="").count() == 1


def test_demo_district_shows_teachers_attendance_and_credits():
    call_command("load_demo", verbosity=0)
    assert District.objects.get(name="建安区").credit_rule_family == "hunan"

    teachers = Teacher.objects.select_related("organisation")
    assert teachers.filter(organisation__name="建安区实验小学").count() >= 8
    assert teachers.filter(organisation__name="建安区第一初级中学").count() >= 6
    for teacher in teachers:
        assert idcard.is_valid(teacher.id_number), teacher.name
        # 建安区's area code; the other districts' small rosters (region.toml) have their own.
        assert teacher.id_number.startswith(
            {"建安区": "411003", "魏都区": "411002", "金水区": "410105"}[teacher.organisation.district.name])
        assert idcard.birth_date(teacher.id_number) == teacher.birth_date
        assert idcard.gender(teacher.id_number) == teacher.gender
    assert {"M", "F"} <= set(teachers.values_list("gender", flat=True))
    assert teachers.filter(is_new_teacher=True).count() == 2
    rules = CompletionRules.for_district(District.objects.get(name="建安区").pk)
    exempt = {t.name for t in teachers if is_exempt(t, THIS_YEAR, rules)}
    assert exempt == {"赵春梅", "沈建新"}  # a woman who turns 50, a man of 56
    wang = Teacher.objects.get(name="王丽娜")
    assert wang.user.username == "shiyan_jiaoshi"

    # The finished project: one on the waiting list, credits for those who completed,
    # a zero entry that says why for the one who missed two sessions.
    assert Enrolment.objects.filter(status=Enrolment.Status.WAITLISTED).count() == 1
    project_entries = CreditEntry.objects.filter(source=CreditEntry.Source.PROJECT)
    assert project_entries.filter(credits__gt=0).exists()
    failed = project_entries.get(credits=0)
    assert failed.note and failed.teacher.name == "蒋丽"
    assert Attendance.objects.filter(status=Attendance.Status.LATE, session__project__isnull=False).exists()

    # School-based: three 2.5-hour sessions; 5 hours absent forfeits the year.
    school_sessions = Session.objects.filter(school_plan__organisation__name="建安区实验小学",
                                             school_plan__year=LAST_YEAR)
    assert school_sessions.count() == 3
    assert {s.hours for s in school_sessions} == {2.5}
    # 建安区's (金水区 has school-based years of its own, waiting for the city: recognition.toml).
    school_entries = CreditEntry.objects.filter(source=CreditEntry.Source.SCHOOL_BASED,
                                                teacher__organisation__district__name="建安区")
    forfeited = school_entries.get(credits=0)
    assert forfeited.note and forfeited.teacher.name == "杨帆"
    assert school_entries.filter(credits__gt=0).count() == 7

    exemption = CreditEntry.objects.get(source=CreditEntry.Source.EXEMPTION)
    assert exemption.teacher.gender == "F" and exemption.credits > 0 and "产假" in exemption.description

    # The current project: 王丽娜 confirmed with a session this December,
    # and another teacher's leave approved by the school (marked as leave).
    current = Enrolment.objects.get(teacher=wang, project__year=THIS_YEAR)
    assert current.status == Enrolment.Status.CONFIRMED
    assert current.project.sessions.filter(date__gte=datetime.date(THIS_YEAR, 12, 1)).exists()
    leave = LeaveRequest.objects.get(status=LeaveRequest.Status.APPROVED)
    assert leave.teacher != wang and leave.decided_by.username == "yizhong_zhuangan"
    assert leave.session.starts_at() > timezone.make_aware(datetime.datetime(THIS_YEAR, 11, 23))
    assert Attendance.objects.get(session=leave.session, teacher=leave.teacher).status == Attendance.Status.LEAVE
    assert not LeaveRequest.objects.filter(teacher=wang).exists()  # hers to ask for in the demo


# --- The demo follows today ----------------------------------------------------------

def _figures(client, username, url):
    client.force_login(User.objects.get(username=username))
    response = client.get(url)
    assert response.status_code == 200
    return response.context


def test_demo_built_today_shows_this_years_credits_to_the_teacher_and_the_district(client):
    """A newcomer opening the pages (which default to the current year) sees figures, not zeros."""
    call_command("load_demo", verbosity=0)
    teacher = _figures(client, "shiyan_jiaoshi", reverse("credits:my_credits"))
    assert teacher["year"] == THIS_YEAR
    assert teacher["totals"]["year_total"] > 0 and teacher["totals"]["cycle_total"] > 0
    district = _figures(client, "jiaoyuju_gu", reverse("credits:district_credits"))
    assert district["year"] == THIS_YEAR
    assert district["report"].meeting_year > 0 and district["report"].completion_rate > 0
    # The current project's sessions are this year's, the filed seed 004 plan last year's;
    # the school plans in review are this year's, the filed one (its school year closed) last year's.
    assert Session.objects.filter(project__isnull=False, date__year=THIS_YEAR).exists()
    assert Document.objects.get(kind="annual_plan").year == LAST_YEAR
    in_review = Document.objects.filter(kind="school_plan").exclude(status="approved")
    assert in_review.count() == 4 and set(in_review.values_list("year", flat=True)) == {THIS_YEAR}
    assert Document.objects.get(kind="school_plan", status="approved").year == LAST_YEAR


def test_demo_built_around_another_day_moves_with_it():
    """The scenario's today decides every year: built as if it were March 2024."""
    call_command("load_demo", verbosity=0, today=datetime.date(2024, 3, 15))
    annual = Document.objects.get(kind="annual_plan")
    assert (annual.year, annual.title) == (2023, "建安区2023年教师培训工作计划")
    assert ScheduledProject.objects.filter(source__kind="project_proposal", year=2024).exists()
    assert SpotCheck.objects.get().year == 2023
    wang = Teacher.objects.get(name="王丽娜")
    assert sum(e.credits for e in CreditEntry.objects.filter(teacher=wang, credit_year=2024)) > 0
    assert not CreditEntry.objects.filter(credit_year__gt=2024).exists()
    assert Teacher.objects.get(name="赵春梅").birth_date.year == 1974  # still turns 50 "this year"


def test_demo_revision_after_approve_with_changes_shows_its_changes():
    """修改后同意 in the demo: the reviewer confirming 青蓝工程's changes compared version 1 with
    version 2 and read "两个版本内容相同" (the author resubmitted without changing anything)."""
    from plans.models import ProjectProposal
    from plans.versions import version_diff

    call_command("load_demo", verbosity=0)
    document = Document.objects.get(title="实验小学“青蓝工程”师徒结对校本研修项目")
    assert document.status == Document.Status.CHANGES_CHECK
    first, second = document.versions.order_by("number")
    diff = version_diff(document.kind, first.content, second.content)
    assert [change.label for change in diff.fields] == [str(ProjectProposal._meta.get_field("design").verbose_name)]


def test_demo_tracker_finds_the_schools_proposals_in_progress_this_year(client):
    """The bureau's tracker opens on the current year: its 培训项目书 tab showed every school
    未开始 (and offered six 催交) while the demo's proposals were in draft, in review, returned."""
    call_command("load_demo", verbosity=0)
    # The district's schools' proposals (not the city's: demo/city_project.py).
    in_progress = Document.objects.filter(kind="project_proposal", organisation__district__isnull=False).exclude(
        organisation__kind="training_school")
    assert set(in_progress.values_list("year", flat=True)) == {THIS_YEAR}
    assert Document.objects.get(title__contains="新招聘教师岗前培训").year == LAST_YEAR
    client.force_login(User.objects.get(username="jiaoyuju_gu"))
    page = client.get(reverse("tracker:index"), {"kind": "project_proposal"}).content.decode()
    for title in in_progress.values_list("title", flat=True):
        assert title in page


def test_demo_author_hears_approve_with_changes_as_such_not_as_a_plain_return():
    """实验小学's officer read "《…》已退回修改" twice for its school plan: once for the return, once
    for the experts' 修改后同意, which asks for changes without another expert round."""
    from django.utils.translation import gettext

    from notices.models import Notice
    from notices.services import TITLE_CHANGES_REQUESTED, TITLE_RETURNED

    call_command("load_demo", verbosity=0)
    officer = User.objects.get(username="shiyan_zhuangan")
    plan = Document.objects.get(kind="school_plan", organisation=officer.organisation)
    titles = list(Notice.objects.filter(user=officer, url=reverse("plans:detail", args=[plan.pk]),
                                        kind=Notice.Kind.RETURNED).order_by("pk").values_list("title", flat=True))
    assert titles == [gettext(str(TITLE_RETURNED)) % {"title": plan.title},
                      gettext(str(TITLE_CHANGES_REQUESTED)) % {"title": plan.title}]
