"""What load_demo prints once the district is built: documents by status, the
schedule, training and credits, and the accounts to log in with."""
import unicodedata

from django.db.models import Count

from accounts.models import User
from attendance.models import Attendance, Enrolment, LeaveRequest, Session, Teacher
from credits.models import CreditEntry
from plans.models import Document
from schedule.models import ScheduleChange, ScheduledProject, SpotCheck


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(header, rows) -> list[str]:
    """Plain-text columns that stay aligned with Chinese (double-width) text."""
    rows = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def training_lines(district: str) -> list[str]:
    in_district = {"organisation__district__name": district}
    teachers = Teacher.objects.filter(**in_district)
    enrolments = Enrolment.objects.filter(**{f"teacher__{k}": v for k, v in in_district.items()})
    statuses = dict(enrolments.values_list("status").annotate(n=Count("pk")))
    sessions = Session.objects.filter(**in_district)
    marks = Attendance.objects.filter(**{f"session__{k}": v for k, v in in_district.items()})
    leave = LeaveRequest.objects.filter(**{f"teacher__{k}": v for k, v in in_district.items()})
    entries = CreditEntry.objects.filter(**{f"teacher__{k}": v for k, v in in_district.items()})
    ES, CS, AS = Enrolment.Status, CreditEntry.Source, Attendance.Status
    return [
        f"教师：{teachers.count()} 人（{teachers.filter(user__isnull=False).count()} 人已关联登录账号，"
        f"新教师 {teachers.filter(is_new_teacher=True).count()} 人）。",
        f"报名：{enrolments.count()} 条（已确认 {statuses.get(ES.CONFIRMED, 0)}，候补 {statuses.get(ES.WAITLISTED, 0)}）。",
        f"培训场次：{sessions.count()} 场（其中校本 {sessions.filter(school_plan__isnull=False).count()} 场）；"
        f"请假 {leave.count()} 条（已批准 {leave.filter(status=LeaveRequest.Status.APPROVED).count()}）。",
        f"考勤记录：{marks.count()} 条（缺勤 {marks.filter(status=AS.ABSENT).count()}，"
        f"迟到 {marks.filter(status=AS.LATE).count()}，请假 {marks.filter(status=AS.LEAVE).count()}）。",
        f"学分记录：{entries.count()} 条（项目 {entries.filter(source=CS.PROJECT).count()}，"
        f"校本 {entries.filter(source=CS.SCHOOL_BASED).count()}，免修 {entries.filter(source=CS.EXEMPTION).count()}；"
        f"其中 0 学分并注明原因 {entries.filter(credits=0).exclude(note='').count()} 条）。",
    ]


def lines(*, district: str, usernames: list[str], password: str):
    """The summary, line by line; a blank line ends each block."""
    counts = dict(Document.objects.values_list("status").annotate(n=Count("pk")))
    yield ""
    yield "各状态文档数："
    yield from table(["状态", "代码", "数量"], [[s.label, s.value, counts.get(s.value, 0)] for s in Document.Status])
    yield ""

    documents = Document.objects.select_related("organisation").order_by("organisation__name", "kind", "pk")
    yield "文档："
    yield from table(["标题", "单位", "状态", "版本", "备案号"], [
        [d.title, d.organisation.name, d.status, d.version, d.filing_number or ""] for d in documents
    ])
    yield ""

    projects = ScheduledProject.objects.filter(district__name=district)
    adjusted = projects.filter(pk__in=ScheduleChange.objects.values("project_id")).count()
    check = SpotCheck.objects.filter(district__name=district).order_by("-pk").first()
    line = f"日程：已排期项目 {projects.count()} 个，其中已调整 {adjusted} 个"
    if check:
        line += f"；{check.year}年抽查 {check.items.count()}/{check.population} 个项目（随机种子 {check.seed}）"
    yield line + "。"
    yield ""
    yield from training_lines(district)
    yield ""

    users = User.objects.filter(username__in=usernames)
    users = sorted(users.select_related("organisation"), key=lambda u: (u.organisation_id or 0, u.username))
    yield f"演示账号（密码均为 {password}）："
    yield from table(["用户名", "姓名", "角色", "单位"], [
        [u.username, u.full_name, u.get_role_display() if u.role else "超级管理员",
         u.organisation.name if u.organisation else ""] for u in users
    ])
    yield ""
