"""Notices and emails for what happens to a teacher's training (issue #13): enrolment
decisions, leave, declared training at every step, credits recorded, a project's change
or cancellation. Each reaches the people it concerns, says what happened with the
thing's name, links to the page, and reaches no one else."""
import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from attendance import services as attendance
from attendance.models import Enrolment, ProjectRun
from credits.models import Activity, CreditEntry, Level
from credits.services import ledger_add
from notices import events
from notices import nomination_receivers as nominations
from notices.models import Notice
from plans.models import ChangeRequest, Document
from schedule import signals as schedule_signals
from schedule.models import ScheduledProject
from schedule.services import change_request_apply
from tests.attendance_helpers import make_project, make_session, make_teacher, make_teacher_with_login
from tests.factories import make_district
from tests.test_credits__registration import DEFAULTS, decide, declared, open_task, task_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block as if its transaction committed: emails go out at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def people(world):
    """Two teachers of school A with logins and addresses, one of the other school;
    every officer has an address too."""
    first = make_teacher_with_login(world.school, "t_jia", name="甲老师")
    second = make_teacher_with_login(world.school, "t_yi", name="乙老师")
    third = make_teacher_with_login(world.other_school, "t_bing", name="丙老师")
    for user in (first.user, second.user, third.user, world.school_officer, world.other_school_officer,
                 world.training_officer, world.bureau_officer, world.principal, world.teacher):
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
    return first, second, third


def titles(user):
    return list(Notice.objects.filter(user=user).order_by("pk").values_list("title", flat=True))


def only_kind(user, kind):
    (notice,) = Notice.objects.filter(user=user, kind=kind)
    return notice


def only(user):
    notice = Notice.objects.get(user=user)
    assert "《《" not in notice.title and "》》" not in notice.title
    return notice


def text(message, **params):
    return gettext(str(message)) % params if params else gettext(str(message))


def mailed_to(address):
    return [message for message in mail.outbox if message.to == [address]]


# --- enrolment decisions ----------------------------------------------------------------------

def test_enrolment_confirmed_waitlisted_promoted_removed(world, people, committed, client_for):
    """The organiser's decisions on nominations are nomination notices (to the teacher and the
    school's officers); a move up from the waiting list is an enrolment notice to the teacher."""
    first, second, _third = people
    raw = "骨干教师《师德》研修"
    project = make_project(world, name=raw)
    ProjectRun.objects.create(project=project, quota=1)
    with committed():
        one = attendance.enrolment_nominate(project=project, teacher=first, user=world.school_officer)
        two = attendance.enrolment_nominate(project=project, teacher=second, user=world.school_officer)
    school = first.organisation.name
    assert titles(first.user) == [text(nominations.TITLE_NOMINATED, school=school, project=raw, name=first.name)]
    assert not Notice.objects.filter(kind=Notice.Kind.ENROLMENT).exists()  # nominations are not decisions

    with committed():
        attendance.enrolment_organiser_decide(enrolment=one, user=world.training_officer, confirm=True)
        attendance.enrolment_organiser_decide(enrolment=two, user=world.training_officer, confirm=True)
    assert titles(first.user)[-1] == text(nominations.TITLE_CONFIRMED, project=raw, name=first.name, school=school)
    assert titles(second.user)[-1] == text(nominations.TITLE_WAITLISTED, project=raw, name=second.name, school=school)
    assert Notice.objects.filter(user=world.school_officer, kind=Notice.Kind.NOMINATION).count() == 2

    with committed():
        attendance.enrolment_withdraw(enrolment=one, user=world.training_officer)
    name = "骨干教师〈师德〉研修"  # inner marks nested, never 《《…》…》
    assert titles(first.user)[-1] == text(nominations.TITLE_WITHDRAWN, project=raw, name=first.name, school=school)
    assert titles(second.user)[-1] == text(events.ENROLMENT_PROMOTED, project=name)
    assert only_kind(second.user, Notice.Kind.ENROLMENT).url == reverse("attendance:me")
    assert Enrolment.objects.get(pk=two.pk).status == Enrolment.Status.CONFIRMED

    # The teacher's notice list shows them, linked.
    page = client_for(first.user).get(reverse("notices:list")).content.decode()
    for title in titles(first.user):
        assert title in page
    # One email per notice, to the teacher's own address, with the link.
    assert sorted(m.subject for m in mailed_to(first.user.email)) == sorted(titles(first.user))
    assert reverse("attendance:me") in mailed_to(first.user.email)[0].body
    # No one else heard of the promotion: not the officers, not the other teachers.
    assert not Notice.objects.exclude(user=second.user).filter(kind=Notice.Kind.ENROLMENT).exists()


def test_enrolment_declined_and_application_forwarded(world, people, committed):
    first, second, _third = people
    project = make_project(world, name="班主任研修")
    ProjectRun.objects.create(project=project, self_enrolment=True)
    with committed():
        applied = attendance.enrolment_apply(project=project, user=first.user)
        refused = attendance.enrolment_apply(project=project, user=second.user)
        attendance.enrolment_school_decide(enrolment=applied, user=world.school_officer, approve=True)
        attendance.enrolment_school_decide(enrolment=refused, user=world.school_officer, approve=False)
        attendance.enrolment_organiser_decide(enrolment=applied, user=world.training_officer, confirm=False)
    school = first.organisation.name
    assert titles(first.user) == [
        text(events.ENROLMENT_FORWARDED, project="班主任研修"),
        text(nominations.TITLE_DECLINED, project="班主任研修", name=first.name, school=school)]
    assert titles(second.user) == [text(events.ENROLMENT_SCHOOL_DECLINED, project="班主任研修")]
    # and the school's officer hears of the organiser's refusal of its nomination
    assert titles(world.school_officer) == [
        text(nominations.TITLE_DECLINED, project="班主任研修", name=first.name, school=school)]
    assert len(mail.outbox) == 3 + (1 if world.school_officer.email else 0)


def test_a_refused_decision_sends_nothing(world, people, committed):
    first, _second, _third = people
    project = make_project(world)
    enrolment = attendance.enrolment_nominate(project=project, teacher=first, user=world.school_officer)
    attendance.enrolment_organiser_decide(enrolment=enrolment, user=world.training_officer, confirm=True)
    Notice.objects.all().delete()
    mail.outbox.clear()
    with committed(), pytest.raises(Exception):
        attendance.enrolment_organiser_decide(enrolment=enrolment, user=world.training_officer, confirm=True)
    assert not Notice.objects.exists() and not mail.outbox


# --- leave -------------------------------------------------------------------------------------

def test_leave_request_goes_to_the_school_and_the_decision_to_the_teacher(world, people, committed):
    first, _second, _third = people
    project = make_project(world, name="信息技术应用能力提升")
    attendance.enrolment_nominate(project=project, teacher=first, user=world.school_officer)
    Enrolment.objects.filter(teacher=first).update(status=Enrolment.Status.CONFIRMED)
    Notice.objects.all().delete()
    session = make_session(project, date=timezone.localdate() + datetime.timedelta(days=7))
    with committed():
        leave = attendance.leave_request(session=session, user=first.user, reason="孩子生病。")
    session_name = "信息技术应用能力提升·专题讲座"
    day = session.date
    officer_notice = only(world.school_officer)
    assert officer_notice.kind == Notice.Kind.LEAVE and officer_notice.url == reverse("attendance:leave")
    assert first.name in officer_notice.title and session_name in officer_notice.title
    assert f"{day.month}月{day.day}日" in officer_notice.title
    # Not the other school's officer, not the organiser (the school decides), not the teacher.
    for user in (world.other_school_officer, world.training_officer, first.user):
        assert not Notice.objects.filter(user=user).exists()

    with committed():
        attendance.leave_decide(leave=leave, user=world.school_officer, approve=True)
    assert only(first.user).title == text(events.LEAVE_APPROVED, session=session_name, date=events._day(day))
    assert only(first.user).url == reverse("attendance:me")
    assert [m.to for m in mail.outbox] == [[world.school_officer.email], [first.user.email]]


def test_refused_leave_is_told_as_refused(world, people, committed):
    first, _second, _third = people
    project = make_project(world, name="心理健康教育")
    Enrolment.objects.create(project=project, teacher=first, status="confirmed", created_by=world.school_officer)
    session = make_session(project, date=timezone.localdate() + datetime.timedelta(days=3))
    leave = attendance.leave_request(session=session, user=first.user, reason="出差。")
    attendance.leave_decide(leave=leave, user=world.school_officer, approve=False)
    assert only(first.user).title == text(events.LEAVE_REFUSED, session="心理健康教育·专题讲座",
                                          date=events._day(session.date))


# --- declared training, every step ------------------------------------------------------------

@pytest.fixture
def hunan(world):
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()


def test_declaration_every_step_told_to_the_right_people(world, people, client_for, hunan, committed):
    first, _second, _third = people
    with committed():
        declaration = declared(world, client_for, first)
    # Submitted: the school's officers (who verify) hear of a new task; the teacher does not.
    assert Notice.objects.get(user=world.school_officer).kind == Notice.Kind.TASK_CREATED
    assert not Notice.objects.filter(user__in=[first.user, world.other_school_officer]).exists()

    with committed():
        decide(client_for(world.school_officer), declaration, "school_verify", comment="属实")
    step = gettext("School verification")
    title = DEFAULTS["title"]
    assert titles(first.user) == [text(events.DECLARATION_APPROVED, title=title, step=step)]
    assert Notice.objects.get(user=first.user).url == reverse("credits:declaration_detail", args=[declaration.pk])
    # The training school's officer now has the task.
    assert Notice.objects.filter(user=world.training_officer, kind=Notice.Kind.TASK_CREATED).exists()

    with committed():
        decide(client_for(world.training_officer), declaration, "training_school_register", "return",
               "学时与证书不符，请更正。")
    returned = Notice.objects.filter(user=first.user).latest("pk")
    assert returned.kind == Notice.Kind.RETURNED
    assert returned.title == text(events.DECLARATION_RETURNED, title=title,
                                  step=gettext("Registration by the training school"),
                                  comment="学时与证书不符，请更正。")
    # Told once: the revise task is not announced as a second notice; the notice leads to it.
    assert Notice.objects.filter(user=first.user).count() == 2
    revise = open_task(declaration, "revise")
    assert returned.url == task_url(revise, "index")
    with committed():
        client_for(first.user).post(task_url(revise, "execute"), {**DEFAULTS, "comment": "已更正。"})
        for node, user in (("school_verify", world.school_officer),
                           ("training_school_register", world.training_officer),
                           ("bureau_confirm", world.bureau_officer)):
            decide(client_for(user), declaration, node, comment="同意")
    confirmed = Notice.objects.filter(user=first.user).latest("pk")
    assert confirmed.title == text(events.DECLARATION_CONFIRMED, title=title, credits="40")
    # The confirmation carries the credits: no second "credits recorded" notice.
    assert not Notice.objects.filter(user=first.user, kind=Notice.Kind.CREDITS).exists()
    assert mailed_to(first.user.email)[-1].subject == confirmed.title
    # Nobody outside the declaration's path heard of it.
    for user in (world.other_school_officer, people[1].user, people[2].user, world.principal):
        assert not Notice.objects.filter(user=user).exists()


def test_rejected_declaration_told_with_its_reason(world, people, client_for, hunan):
    first, _second, _third = people
    declaration = declared(world, client_for, first)
    decide(client_for(world.school_officer), declaration, "school_verify", "reject", "非本人证书。")
    notice = Notice.objects.get(user=first.user)
    assert notice.kind == Notice.Kind.REJECTED
    assert notice.title == text(events.DECLARATION_REJECTED, title=DEFAULTS["title"],
                                step=gettext("School verification"), comment="非本人证书。")


# --- credits recorded -----------------------------------------------------------------------------

def test_credits_recorded_and_no_credits_are_told_to_the_teacher(world, people, hunan, committed):
    first, second, _third = people
    with committed():
        ledger_add(teacher=first, activity=Activity.CONCENTRATED, level=Level.COUNTY, hours=Decimal("12"),
                   occurred_on=datetime.date(2024, 5, 10), description="《班主任》工作坊",
                   source=CreditEntry.Source.PROJECT)
        ledger_add(teacher=second, activity=Activity.CONCENTRATED, level=Level.COUNTY, hours=Decimal("12"),
                   occurred_on=datetime.date(2024, 5, 10), description="班主任工作坊",
                   source=CreditEntry.Source.PROJECT, passed=False)
    notice = only(first.user)
    assert notice.kind == Notice.Kind.CREDITS and notice.url == reverse("credits:my_credits")
    assert notice.title == text(events.CREDITS_RECORDED, credits="12", description="〈班主任〉工作坊")
    zero = CreditEntry.objects.get(teacher=second)
    assert only(second.user).title == text(events.CREDITS_NONE, description="班主任工作坊", note=zero.note)
    assert len(mail.outbox) == 2
    assert not Notice.objects.exclude(user__in=[first.user, second.user]).exists()


def test_a_teacher_without_login_gets_no_notice(world, hunan):
    teacher = make_teacher(world.school, "无账号")
    ledger_add(teacher=teacher, activity=Activity.CONCENTRATED, level=Level.COUNTY, hours=Decimal("6"),
               occurred_on=datetime.date(2024, 5, 10), description="讲座", source=CreditEntry.Source.PROJECT)
    assert not Notice.objects.exists()


# --- a project's change or cancellation ----------------------------------------------------------

def _filed_change(world, project, **new_values):
    document = Document.objects.create(kind=Document.Kind.CHANGE_REQUEST, organisation=project.organiser,
                                       year=project.year, title="调整申请", created_by=world.training_officer,
                                       status=Document.Status.APPROVED)
    ChangeRequest.objects.create(document=document, project=project, reason="与期中考试冲突。", **new_values)
    with transaction.atomic():
        return change_request_apply(document=document)


def test_project_change_reaches_its_teachers_and_their_schools_only(world, people, committed):
    first, second, third = people
    project = make_project(world, name="学科教学能力提升", month=5)
    for teacher in (first, third):
        Enrolment.objects.create(project=project, teacher=teacher, status="confirmed",
                                 created_by=world.school_officer)
    Enrolment.objects.create(project=project, teacher=second, status="withdrawn", created_by=world.school_officer)
    other = make_project(world, name="别的项目")
    with committed():
        _filed_change(world, project, new_start_month=6, new_end_month=6, new_location="区电教中心")
    for user in (first.user, third.user):
        notice = only(user)
        assert notice.kind == Notice.Kind.PROJECT_CHANGED and notice.url == reverse("attendance:me")
        assert notice.title.startswith(text(events.PROJECT_CHANGED, project="学科教学能力提升", changes=""))
        months = f"{gettext('Training months')}：{text('Month %(month)s', month=5)}→{text('Month %(month)s', month=6)}"
        assert months in notice.title and "区电教中心" in notice.title and "start_month" not in notice.title
    for officer in (world.school_officer, world.other_school_officer):
        assert only(officer).url == reverse("schedule:project", args=[project.pk])
    # Not the withdrawn teacher, not another district, not the principal.
    for user in (second.user, world.principal, world.teacher):
        assert not Notice.objects.filter(user=user).exists()
    assert len(mail.outbox) == 4
    assert other.pk  # (another project's people would not be told: none are enrolled in it)


def test_project_cancellation_is_told(world, people):
    first, _second, _third = people
    project = make_project(world, name="送教下乡")
    Enrolment.objects.create(project=project, teacher=first, status="waitlisted", created_by=world.school_officer)
    schedule_signals.project_cancelled.send(sender=ScheduledProject, project=project, reason="场地不可用。")
    assert only(first.user).title == text(events.PROJECT_CANCELLED, project="送教下乡", reason="场地不可用。")
    assert only(world.school_officer).kind == Notice.Kind.PROJECT_CHANGED


def test_nothing_crosses_districts(world, people, committed):
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    first, _second, _third = people
    project = make_project(world, name="本区项目")
    with committed():
        enrolment = attendance.enrolment_nominate(project=project, teacher=first, user=world.school_officer)
        attendance.enrolment_organiser_decide(enrolment=enrolment, user=world.training_officer, confirm=True)
        _filed_change(world, project, new_location="新地点")
    assert not Notice.objects.filter(user__organisation__district=elsewhere.district).exists()


# --- tasks handed over, copies, and names inside 《》 --------------------------------------------

def test_a_task_handed_over_is_told_to_its_new_holder(world, client_for, committed):
    from accounts.services import user_create
    from notices.services import TITLE_HANDED_OVER
    from tests.factories import make_school_plan
    from tests.flow_helpers import open_task as doc_task, submit, task_url as doc_task_url

    colleague = user_create(username="trainer2", password="x-pass-123", full_name="陈晨", role="training_officer",
                            organisation=world.training_school, email="trainer2@example.cn")
    document = make_school_plan(world, title="实验小学校本培训计划")
    submit(client_for(world.school_officer), document)
    task = doc_task(document, "initial_review")
    trainer = client_for(world.training_officer)
    trainer.post(doc_task_url(task, "assign"))
    Notice.objects.all().delete()
    with committed():
        trainer.post(reverse("workflow:inbox"), {"action": "hand_over", "task": task.pk, "to": colleague.pk})
    notice = only(colleague)
    assert notice.kind == Notice.Kind.HANDED_OVER and notice.url == doc_task_url(task, "index")
    assert notice.title == text(TITLE_HANDED_OVER, name=world.training_officer.display_name,
                                step=str(task.flow_task.task_title), title="实验小学校本培训计划")
    assert [m.to for m in mail.outbox] == [["trainer2@example.cn"]]
    assert not Notice.objects.exclude(user=colleague).exists()


def test_a_copy_is_told_to_its_recipient(world, client_for, people):
    from notices.services import TITLE_COPIED_NOTE
    from tests.factories import make_school_plan
    from tests.flow_helpers import submit

    document = make_school_plan(world, title="实验小学校本培训计划")
    submit(client_for(world.school_officer), document)
    Notice.objects.all().delete()
    client_for(world.training_officer).post(reverse("workflow:copy", args=[document.pk]),
                                            {"recipient": world.other_school_officer.pk, "note": "供参考"})
    notice = only(world.other_school_officer)
    assert notice.kind == Notice.Kind.COPY and notice.url == reverse("plans:detail", args=[document.pk])
    assert notice.title == text(TITLE_COPIED_NOTE, name=world.training_officer.display_name,
                                title="实验小学校本培训计划", note="供参考")
    assert Notice.objects.count() == 1


def test_a_change_requests_task_notice_has_no_doubled_marks(world, client_for):
    """The issue saw 《《…》调整申请》: a title holding 《》 is nested as 〈〉 inside the notice's 《》."""
    from tests.flow_helpers import submit

    document = Document.objects.create(kind=Document.Kind.CHANGE_REQUEST, organisation=world.training_school,
                                       year=2024, title="《骨干教师培训》调整申请", created_by=world.training_officer)
    project = make_project(world)
    ChangeRequest.objects.create(document=document, project=project, reason="与考试冲突。", new_location="新址")
    submit(client_for(world.training_officer), document)
    notices = Notice.objects.filter(kind=Notice.Kind.TASK_CREATED)
    assert notices.exists()
    for notice in notices:
        assert "〈骨干教师培训〉调整申请" in notice.title
        assert "《《" not in notice.title and "》》" not in notice.title
