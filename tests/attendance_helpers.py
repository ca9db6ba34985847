import datetime
from decimal import Decimal

from accounts.services import user_create
from attendance.idcard import check_character
from attendance.models import Enrolment, Session, Teacher
from schedule.models import ScheduledProject

_serial = iter(range(100, 99999))


def id_number(birth: datetime.date, gender: str = "F") -> str:
    serial = next(_serial)
    digit = 2 if gender == "F" else 1  # 17th digit: even women, odd men
    first17 = f"{410100 + serial // 100:06d}{birth:%Y%m%d}{serial % 100:02d}{digit}"
    return first17 + check_character(first17)


def make_teacher(organisation, name="李老师", gender="F", birth=datetime.date(1985, 3, 1), user=None, *,
                 stage=None, subject="chinese", **extra):
    return Teacher.objects.create(
        organisation=organisation, name=name, gender=gender, birth_date=birth, id_number=id_number(birth, gender),
        stage=organisation.stage if stage is None else stage, subject=subject, user=user, **extra)


def make_teacher_with_login(organisation, username, name="王老师", **extra):
    user = user_create(username=username, password="test-pass-123", full_name=name, role="teacher",
                       organisation=organisation)
    return make_teacher(organisation, name=name, user=user, **extra)


def make_project(world, *, name="骨干教师培训", hours=12, year=2024, month=3, open_to=None, headcount=50):
    return ScheduledProject.objects.create(
        district=world.district, source=_source(world, year), sequence=ScheduledProject.objects.count() + 1,
        year=year, name=name, organiser=world.training_school, open_to=open_to, headcount=headcount,
        modes=["concentrated"], start_month=month, end_month=month, location="进修学校", hours=hours)


def _source(world, year):
    from plans.models import Document

    document, _ = Document.objects.get_or_create(
        kind="annual_plan", organisation=world.training_school, year=year,
        defaults={"title": f"{year}年计划", "created_by": world.training_officer, "status": "approved"})
    return document


def confirm(project, teacher, world):
    return Enrolment.objects.create(project=project, teacher=teacher, status="confirmed",
                                    created_by=world.school_officer)


def make_session(project=None, *, school_plan=None, organisation=None, date=datetime.date(2024, 3, 11),
                 start=datetime.time(9, 0), end=datetime.time(12, 0), hours="3"):
    return Session.objects.create(
        project=project, school_plan=school_plan, organisation=organisation or project.organiser,
        title="专题讲座", date=date, start_time=start, end_time=end, hours=Decimal(hours), place="报告厅")
