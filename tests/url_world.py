"""One district with something in every state, for the tests that walk every URL.

`build_url_world()` makes district A (建安区) with documents at every step of
the review flow (queued, claimed, with experts, one expert's task released,
awaiting filing, returned, a released revision, filed, rejected), a scheduled
project with enrolments in every state, past/today/future sessions, a leave
request, a spot check, a school-based plan with a session, declarations at
every step of their flow, notices, a saved filter; and district B (魏都区)
whose staff are among the outsiders. Everything is reached through the real
services, so the rows are what the pages would have written.

`UrlWorld.actor(name)` gives the users the URL tests act as: the legitimate
ones (school_officer, training_officer, bureau_officer, expert1, pupil,
declarant, root …) and the outsiders of FOREIGN_ROLES.
"""
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import User
from accounts.services import user_create
from attendance import services as attendance
from attendance.models import CompletionRules, Enrolment, LeaveRequest, ProjectRun, Session
from credits import declarations
from credits.models import Declaration
from plans.models import Attachment
from schedule import services as schedule_services
from tests.attendance_helpers import make_project, make_teacher, make_teacher_with_login
from tests.factories import PASSWORD, make_annual_plan, make_district, make_proposal, make_school_plan
from workflow import services as review
from workflow.models import ReviewRoute, SavedFilter, StepDeadline
from workflow.submission import document_submit

# The outsiders every state-changing URL must refuse (name → how the world finds them).
FOREIGN_ROLES = {
    "other_school_officer": "another school's training officer (same district)",
    "other_district_bureau": "the bureau officer of another district",
    "other_district_training": "the training-school officer of another district",
    "unassigned_expert": "an expert of the district's pool assigned to nothing",
    "teacher": "a teacher of the school (not the author, not on any roster)",
    "principal_elsewhere": "the principal of another school",
}

OPEN = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]


@dataclass
class UrlWorld:
    a: object  # DistrictWorld of 建安区 (the victim district)
    b: object  # DistrictWorld of 魏都区
    users: dict = field(default_factory=dict)
    docs: dict = field(default_factory=dict)
    decls: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def actor(self, name) -> User:
        return self.users[name]

    def __getattr__(self, name):
        for bag in ("docs", "decls", "objects"):
            values = self.__dict__.get(bag, {})
            if name in values:
                return values[name]
        raise AttributeError(name)


# --- driving the flows without HTTP (as the demo loader does) -------------------------

def open_task(process_filter: dict, node_name: str, flow_class, **extra) -> Task:
    node = getattr(flow_class, node_name)
    return Task.objects.filter(flow_task=node, status__in=OPEN, **process_filter, **extra).order_by("pk").first()


def doc_task(document, node, **extra):
    from workflow.flows import ReviewFlow

    return open_task({"process__reviewprocess__document": document}, node, ReviewFlow, **extra)


def decl_task(declaration, node, **extra):
    from credits.flows import DeclarationFlow

    return open_task({"process__declarationprocess__declaration": declaration}, node, DeclarationFlow, **extra)


def rec_task(batch, node, **extra):
    from credits.flows import RecognitionFlow

    return open_task({"process__recognitionprocess__batch": batch}, node, RecognitionFlow, **extra)


def _with_activation(task, act):
    with task.flow_task.flow_class.lock(task.process_id), transaction.atomic():
        task.refresh_from_db()
        act(task.flow_task.activation_class(task))


def claim(task, user, record=True):
    _with_activation(task, lambda activation: activation.assign(user))
    if record and task.flow_task.flow_class.__name__ == "ReviewFlow":
        review.task_record_claim(task=task, user=user, claimed=True)


def release(task, user, record=True):
    _with_activation(task, lambda activation: activation.unassign())
    if record and task.flow_task.flow_class.__name__ == "ReviewFlow":
        review.task_record_claim(task=task, user=user, claimed=False)


def decide(document, node, user, decide_with, **decision):
    review.task_perform(task=doc_task(document, node), user=user, decide=decide_with, **decision)


def initial(document, user, decision="approve", experts=(), comment="已阅。"):
    decide(document, "initial_review", user, review.initial_review_decide, decision=decision,
           experts=list(experts), comment=comment)


def expert(document, user, opinion="agree"):
    task = doc_task(document, "expert_review", owner=user)
    review.task_perform(task=task, user=user, decide=review.expert_review_give, opinion=opinion, score=88,
                        comment="内容完整。")


def filing(document, user, decision="approve", comment="同意备案。"):
    number = review.filing_number_suggest(document=document)
    decide(document, "filing", user, review.filing_decide, decision=decision, filing_number=number, comment=comment)


def declare(teacher_user, day, **extra) -> Declaration:
    data = {"provider": "湖南省教育厅", "title": f"省级研修班{day:%m%d}", "activity": "concentrated",
            "level": "province", "start_date": day, "end_date": day + datetime.timedelta(days=1),
            "hours": Decimal("12"), "excellent_trainee": False, **extra}
    certificate = SimpleUploadedFile("结业证书.pdf", b"%PDF-1.4 certificate", content_type="application/pdf")
    return declarations.declaration_submit(teacher_user, data, certificate)


def decl_decide(declaration, node, user, decision="approve", comment="已核实。"):
    review.task_perform(task=decl_task(declaration, node), user=user, decide=declarations.declaration_decide,
                        decision=decision, comment=comment)


# --- the world -----------------------------------------------------------------------------

def build_url_world() -> UrlWorld:
    a = make_district()
    b = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    w = UrlWorld(a=a, b=b)
    today = timezone.localdate()
    year = today.year

    call_command("loaddata", "credit_rules", verbosity=0)
    for district in (a.district, b.district):
        district.credit_rule_family = "hunan"
        district.save()

    u = w.users
    u.update(
        school_officer=a.school_officer, principal=a.principal, training_officer=a.training_officer,
        bureau_officer=a.bureau_officer, expert1=a.expert1, expert2=a.expert2,
        other_school_officer=a.other_school_officer, other_district_bureau=b.bureau_officer,
        other_district_training=b.training_officer, unassigned_expert=a.expert3, teacher=a.teacher,
    )
    u["principal_elsewhere"] = user_create(username="principal_b", password=PASSWORD, full_name="吴校长",
                                           role="principal", organisation=a.other_school)
    u["training_officer2"] = user_create(username="training_officer2", password=PASSWORD, full_name="陈进修",
                                         role="training_officer", organisation=a.training_school)
    u["root"] = User.objects.create_superuser("root", password=PASSWORD, full_name="系统管理员")
    u["anonymous"] = None

    # Rules the bureau keeps in the admin: one row of each, in district A or global.
    w.objects["completion_rules"] = CompletionRules.objects.create(district=a.district)
    w.objects["step_deadline"] = StepDeadline.objects.create(step="initial_review", days=5)
    w.objects["review_route"] = ReviewRoute.objects.create(district=a.district, kind="project_proposal",
                                                           expert_review=True)

    to, bo, so = a.training_officer, a.bureau_officer, a.school_officer
    d = w.docs

    # --- documents at every step of the review flow (school A unless said) ---
    d["draft"] = make_school_plan(a, year=year + 1, title="实验小学校本培训计划（草稿）")
    Attachment.objects.create(document=d["draft"], file=SimpleUploadedFile("经费预算.pdf", b"%PDF-1.4 budget"),
                              original_name="经费预算.pdf", size=15, uploaded_by=so)

    def submitted(document, author=so):
        document_submit(document=document, user=author)
        return document

    d["queued"] = submitted(make_school_plan(a, year=year - 1, title="实验小学校本培训计划（待初审）"))
    d["claimed"] = submitted(make_proposal(a, year=year))
    claim(doc_task(d["claimed"], "initial_review"), to)

    d["experts"] = submitted(make_school_plan(a, year=year - 2, title="实验小学校本培训计划（专家会审）"))
    initial(d["experts"], to, experts=[a.expert1, a.expert2])
    # expert2 let the task go (unassign): issue 10 item 1's open door.
    release(doc_task(d["experts"], "expert_review", owner=a.expert2), a.expert2)

    d["to_file"] = submitted(make_proposal(a, year=year - 1))
    initial(d["to_file"], to, experts=[a.expert1])
    expert(d["to_file"], a.expert1)
    d["filing_claimed"] = submitted(make_proposal(a, year=year - 2))
    initial(d["filing_claimed"], to, experts=[a.expert1])
    expert(d["filing_claimed"], a.expert1)
    claim(doc_task(d["filing_claimed"], "filing"), bo)

    d["returned"] = submitted(make_school_plan(a, year=year - 3, title="实验小学校本培训计划（退回）"))
    initial(d["returned"], to, decision="return", comment="请补充经费预算。")
    d["revise_released"] = submitted(make_school_plan(a, year=year - 4, title="实验小学校本培训计划（退回后释放）"))
    initial(d["revise_released"], to, decision="return", comment="请补充考核办法。")
    release(doc_task(d["revise_released"], "revise"), so)

    # 学校审核: the route asks for the principal's sign-off while these two are submitted.
    route = w.objects["review_route"]
    route.school_review = True
    route.save()
    d["signoff"] = submitted(make_proposal(a, year=year + 1))
    d["signoff_claimed"] = submitted(make_proposal(a, year=year + 1))
    # Claimed by a second principal of school A: the first stays free of open tasks
    # (the people pages refuse to deactivate someone holding one).
    u["deputy_principal"] = user_create(username="principal_a2", password=PASSWORD, full_name="李副校长",
                                        role="principal", organisation=a.school)
    claim(doc_task(d["signoff_claimed"], "school_review"), u["deputy_principal"])
    d["signed_off"] = submitted(make_proposal(a, year=year + 1))
    decide(d["signed_off"], "school_review", a.principal, review.school_review_decide, decision="approve",
           comment="同意上报。")
    route.school_review = False
    route.save()

    # 修改后同意: revised, waiting for the initial reviewer to confirm the changes.
    d["changes"] = submitted(make_proposal(a, year=year - 3))
    initial(d["changes"], to, experts=[a.expert1])
    expert(d["changes"], a.expert1, opinion="agree_with_changes")
    decide(d["changes"], "revise", so, review.document_resubmit, comment="已按专家意见修改。")
    d["changes_claimed"] = submitted(make_proposal(a, year=year - 3))
    initial(d["changes_claimed"], to, experts=[a.expert1])
    expert(d["changes_claimed"], a.expert1, opinion="agree_with_changes")
    decide(d["changes_claimed"], "revise", so, review.document_resubmit, comment="已按专家意见修改。")
    claim(doc_task(d["changes_claimed"], "confirm_changes"), to)
    d["changes_confirmed"] = submitted(make_proposal(a, year=year - 4))
    initial(d["changes_confirmed"], to, experts=[a.expert1])
    expert(d["changes_confirmed"], a.expert1, opinion="agree_with_changes")
    decide(d["changes_confirmed"], "revise", so, review.document_resubmit, comment="已按专家意见修改。")
    decide(d["changes_confirmed"], "confirm_changes", to, review.confirm_changes_decide, decision="approve",
           comment="已按意见修改。")

    d["rejected"] = submitted(make_school_plan(a, year=year - 5, title="实验小学校本培训计划（不予通过）"))
    initial(d["rejected"], to, decision="reject", comment="不符合要求。")

    # The training school's annual plan for this year, filed: it fills the schedule.
    d["annual"] = make_annual_plan(a, year=year)
    submitted(d["annual"], author=to)
    initial(d["annual"], bo, experts=[a.expert1])
    expert(d["annual"], a.expert1)
    filing(d["annual"], bo)

    # School A's approved school-based plan for this year (filed through the flow).
    d["school_based"] = submitted(make_school_plan(a, year=year, title=f"实验小学{year}学年校本培训计划"))
    initial(d["school_based"], to, experts=[a.expert1])
    expert(d["school_based"], a.expert1)
    filing(d["school_based"], bo)

    # --- a project with enrolments in every state and sessions past, today and ahead ---
    o = w.objects
    project = o["project"] = make_project(a, name="骨干教师培训", hours=12, year=year, month=today.month,
                                          headcount=2)
    # Three places, two confirmed: one free for the batch confirmation (the waiting teacher keeps their turn).
    o["run"] = ProjectRun.objects.create(project=project, quota=3, self_enrolment=True, min_attendance_percent=80)
    o["pupil_teacher"] = make_teacher_with_login(a.school, "pupil", name="王丽娜")
    u["pupil"] = o["pupil_teacher"].user
    o["teacher_row"] = make_teacher(a.school, name="周芳", user=a.teacher)  # on no roster
    o["declarant_teacher"] = make_teacher_with_login(a.school, "declarant", name="周芳芳")
    u["declarant"] = o["declarant_teacher"].user
    confirmed2 = make_teacher(a.school, name="李明")
    waiting = make_teacher(a.school, name="赵强")
    o["nominee"] = make_teacher(a.school, name="孙丽")
    o["applicant"] = make_teacher(a.school, name="钱多")
    o["free_teacher"] = make_teacher(a.school, name="郑新")
    o["school_b_teacher"] = make_teacher(a.other_school, name="吴刚")
    from attendance import teachers as roster

    o["left_teacher"] = make_teacher(a.school, name="冯离")  # has left the post: reinstated by the roster's case
    roster.teacher_leave(actor=so, teacher=o["left_teacher"], left_on=today, reason="调离。")

    def enrol(teacher, status):
        return Enrolment.objects.create(project=project, teacher=teacher, status=status, created_by=so)

    o["enrolment_confirmed"] = enrol(o["pupil_teacher"], Enrolment.Status.CONFIRMED)
    enrol(confirmed2, Enrolment.Status.CONFIRMED)
    o["enrolment_waiting"] = enrol(waiting, Enrolment.Status.WAITLISTED)
    o["enrolment_nominated"] = enrol(o["nominee"], Enrolment.Status.NOMINATED)
    o["enrolment_applied"] = enrol(o["applicant"], Enrolment.Status.APPLIED)

    now = timezone.localtime()
    start = max(datetime.datetime.combine(today, datetime.time(0, 0), now.tzinfo), now - datetime.timedelta(minutes=5))
    end = min(datetime.datetime.combine(today, datetime.time(23, 59), now.tzinfo), start + datetime.timedelta(hours=2))

    def session(day, begin, finish, title, hours="3", **where):
        where = where or {"project": project, "organisation": a.training_school}
        return Session.objects.create(title=title, date=day, start_time=begin, end_time=finish,
                                      hours=Decimal(hours), place="报告厅", **where)

    o["session_past"] = session(today - datetime.timedelta(days=7), datetime.time(9), datetime.time(12), "师德专题")
    o["session_today"] = session(today, start.time(), end.time(), "课堂观察", hours="1")
    o["session_future"] = session(today + datetime.timedelta(days=14), datetime.time(9), datetime.time(12), "信息技术")
    # 李明 missed the past session: the make-up page's case accepts a make-up for it.
    attendance.attendance_mark(session=o["session_past"], user=to,
                               marks={o["pupil_teacher"].pk: "present", confirmed2.pk: "absent"})
    o["absent_teacher"] = confirmed2
    o["leave"] = attendance.leave_request(session=o["session_future"], user=u["pupil"], reason="家中有事。")
    o["session_school_based"] = session(today - datetime.timedelta(days=3), datetime.time(15), datetime.time(17),
                                        "校本研修：课例分析", hours="2", school_plan=d["school_based"],
                                        organisation=a.school)
    o["log_entry"] = schedule_services.log_entry_add(project=project, user=to, kind="opened", happened_on=today,
                                                     text="开班。")
    o["spot_check"] = schedule_services.spot_check_draw(user=bo, year=year, share_percent=100, seed=7)
    o["spot_item"] = o["spot_check"].items.order_by("pk").first()
    # Last year has a project and no draw yet (one draw a year): the draw case draws it.
    o["project_last_year"] = make_project(a, name="班主任培训", hours=8, year=year - 1, month=9, headcount=30)

    # --- declarations at every step of their flow ---
    t, dc = u["declarant"], w.decls
    day = datetime.date(year - 1, 3, 2)

    def next_day():
        nonlocal day
        day += datetime.timedelta(days=7)
        return day

    dc["school"] = declare(t, next_day())
    dc["school_claimed"] = declare(t, next_day())
    claim(decl_task(dc["school_claimed"], "school_verify"), so)
    dc["registering"] = declare(t, next_day())
    decl_decide(dc["registering"], "school_verify", so)
    dc["registering_claimed"] = declare(t, next_day())
    decl_decide(dc["registering_claimed"], "school_verify", so)
    claim(decl_task(dc["registering_claimed"], "training_school_register"), to)
    dc["confirming"] = declare(t, next_day())
    decl_decide(dc["confirming"], "school_verify", so)
    decl_decide(dc["confirming"], "training_school_register", to)
    dc["confirming_claimed"] = declare(t, next_day())
    decl_decide(dc["confirming_claimed"], "school_verify", so)
    decl_decide(dc["confirming_claimed"], "training_school_register", to)
    claim(decl_task(dc["confirming_claimed"], "bureau_confirm"), bo)
    dc["returned"] = declare(t, next_day())
    decl_decide(dc["returned"], "school_verify", so, decision="return", comment="证书不清晰。")
    dc["revise_released"] = declare(t, next_day())
    decl_decide(dc["revise_released"], "school_verify", so, decision="return", comment="请补充。")
    release(decl_task(dc["revise_released"], "revise"), t)
    dc["confirmed"] = declare(t, next_day())
    for node, user in (("school_verify", so), ("training_school_register", to), ("bureau_confirm", bo)):
        decl_decide(dc["confirmed"], node, user)
    dc["rejected"] = declare(t, next_day())
    decl_decide(dc["rejected"], "school_verify", so, decision="reject", comment="非培训活动。")

    # --- odds and ends ---
    from notices.models import Notice

    o["notice"] = Notice.objects.filter(user=so).order_by("pk").first()
    o["saved_filter"] = SavedFilter.objects.create(user=to, name="待初审", query="tab=queue")
    from django_tasks_db.models import DBTaskResult

    o["task_result"] = DBTaskResult.objects.create(task_path="notices.tasks.send_due_reminders",
                                                   args_kwargs={"args": [], "kwargs": {}}, backend_name="default",
                                                   queue_name="default", priority=0)
    # The bureau officer's background jobs: one running (to cancel), one done (to download).
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from jobs.models import Job

    o["job_running"] = Job.objects.create(owner=bo, kind="batch_print", title="批量打印（进行中）",
                                          task_path="printing.tasks.batch_print", state=Job.State.RUNNING,
                                          total=2, done=1, heartbeat_at=timezone.now())
    o["job_done"] = Job.objects.create(owner=bo, kind="audit_export", title="审计导出", task_path="audit.tasks.audit_export",
                                       state=Job.State.DONE, total=1, done=1, result_name="审计.csv",
                                       result_type="text/csv", finished_at=timezone.now(),
                                       result_file=default_storage.save("jobs/url-world/result.csv",
                                                                        ContentFile(b"\xef\xbb\xbfa,b\r\n")))
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    o["access_attempt"] = AccessAttempt.objects.create(username="someone", ip_address="10.0.0.9",
                                                       failures_since_start=1, get_data="", post_data="")
    o["access_log"] = AccessLog.objects.create(username="someone", ip_address="10.0.0.9")
    o["access_failure"] = AccessFailureLog.objects.create(username="someone", ip_address="10.0.0.9")
    from credits.models import CycleClosure, CreditEntry

    o["credit_entry"] = CreditEntry.objects.order_by("pk").first()
    o["cycle_closure"] = CycleClosure.objects.create(
        teacher=o["declarant_teacher"], first_year=2000, total=Decimal("10"), required=Decimal("360"), passed=False,
        confirmed_by=bo)
    from audit.models import AuditEvent

    o["audit_event"] = AuditEvent.objects.order_by("pk").first()
    from django.contrib.auth.models import Group

    o["group"] = Group.objects.order_by("pk").first()
    from exchange.models import ImportBatch
    from exchange.services import fingerprint

    o["import_batch"] = ImportBatch.objects.create(  # an empty preview: its confirmation only marks it applied
        district=a.district, filename="省平台.xlsx", checksum="0" * 64, rows=[], fingerprint=fingerprint(set()),
        uploaded_by=bo)
    # Issue 15: the city officer above district A; an issued bulletin (year - 2) and the city's
    # commendation list of the previous credit cycle, withdrawn.
    from bulletins import content as bulletin_content
    from bulletins import services as bulletins
    from tests.factories import make_region

    u["city_officer"] = make_region().city_officer
    o["bulletin"] = bulletins.bulletin_issue(user=bo, year=year - 2)
    # Only an ended cycle may be commended: the previous one, issued and withdrawn, so the rightful
    # user's POST commends it again.
    o["commendation"] = bulletins.commendation_issue(
        user=u["city_officer"], cycle=bulletin_content.city_cycles(a.district.city)[-1])
    bulletins.issued_withdraw(issued=o["commendation"], user=u["city_officer"], reason="名单有误，重新表彰。")
    _city_project(w, year)
    _recognition_batches(w, year)
    _check(w)
    return w


def _recognition_batches(w: UrlWorld, year: int) -> None:
    """Credit recognition batches of district A at every step of a county → city → province route."""
    from credits import recognition
    from credits.models import CreditEntry
    from credits.services import ledger_add
    from tests.factories import make_region

    a, u, o = w.a, w.users, w.objects
    officers = User.objects.filter(role__in=["city_officer", "province_officer"])
    if not officers.filter(username="city_officer").exists():
        make_region()
    u["city_officer"], u["province_officer"] = officers.get(username="city_officer"), \
        officers.get(username="province_officer")
    teacher = o["declarant_teacher"]
    levels = (("county_confirm", a.bureau_officer), ("city_confirm", u["city_officer"]),
              ("province_confirm", u["province_officer"]))

    def batch(name, steps_done, claimed_by=None):
        entries = ledger_add(teacher=teacher, activity="concentrated", level="county", hours=Decimal(4),
                             occurred_on=datetime.date(year - 3, 3, 1 + len(made)), description=f"认定：{name}",
                             source=CreditEntry.Source.PROJECT)
        opened = recognition.batch_open(district=a.district, entries=entries, title=f"县级培训（{name}）",
                                        route=["county", "city", "province"], origin="county")
        for node, user in levels[:steps_done]:
            recognition.recognition_decide_as(task=rec_task(opened, node), user=user, decision="approve",
                                              comment="同意。")
        if claimed_by is not None:
            node, user = levels[steps_done]
            claim(rec_task(opened, node), user)
        made.append(opened)
        return opened

    made = []
    o["batch_county"] = batch("待县级确认", 0)
    o["batch_county_claimed"] = batch("县级已领取", 0, claimed_by=True)
    o["batch_city"] = batch("待市级确认", 1)
    o["batch_city_claimed"] = batch("市级已领取", 1, claimed_by=True)
    o["batch_province"] = batch("待省级确认", 2)
    o["batch_province_claimed"] = batch("省级已领取", 2, claimed_by=True)
    o["batch_confirmed"] = batch("已认定", 3)
    o["batch_refused"] = batch("不予认定", 0)
    recognition.recognition_decide_as(task=rec_task(o["batch_refused"], "county_confirm"), user=a.bureau_officer,
                                      decision="reject", comment="无考勤记录。")


def _city_project(w: UrlWorld, year: int) -> None:
    """A filed project of 许昌市's training centre giving district A places (issue #15: attendance.quotas)."""
    from accounts.models import Organisation
    from plans.models import Document
    from schedule.models import DistrictQuota, ScheduledProject

    # The region is made above (make_region, with the city officer): its centre is 许昌市's.
    centre = Organisation.objects.get(kind=Organisation.Kind.TRAINING_CENTRE, city=w.a.district.city)
    w.users["city_centre"] = user_create(username="city_centre", password=PASSWORD, full_name="范思源",
                                         role="city_officer", organisation=centre)
    source = Document.objects.create(kind=Document.Kind.PROJECT_PROPOSAL, organisation=centre, year=year,
                                     title="许昌市骨干教师培训", created_by=w.users["city_centre"],
                                     status=Document.Status.APPROVED)
    w.objects["city_project"] = project = ScheduledProject.objects.create(
        district=None, source=source, sequence=1, year=year, name="许昌市骨干教师培训", organiser=centre,
        headcount=20, modes=["concentrated"], start_month=3, end_month=3)
    DistrictQuota.objects.create(project=project, district=w.a.district, places=5)


def _check(w: UrlWorld):
    """The states the URL tests rely on (a change in a service must not silently empty a case)."""
    expected = {"draft": "draft", "queued": "initial_review", "claimed": "initial_review", "experts": "expert_review",
                "to_file": "filing", "filing_claimed": "filing", "returned": "returned",
                "revise_released": "returned", "rejected": "rejected", "annual": "approved", "school_based": "approved",
                "signoff": "school_review", "signoff_claimed": "school_review", "changes": "changes_check",
                "signed_off": "initial_review", "changes_confirmed": "filing", "changes_claimed": "changes_check"}
    for name, status in expected.items():
        w.docs[name].refresh_from_db()
        assert w.docs[name].status == status, (name, w.docs[name].status)
    assert doc_task(w.experts, "expert_review", owner=None, status=STATUS.NEW), "released expert task"
    assert doc_task(w.revise_released, "revise", owner=None, status=STATUS.NEW), "released revise task"
    assert decl_task(w.decls["revise_released"], "revise", owner=None, status=STATUS.NEW)
    assert w.objects["notice"] is not None and w.objects["credit_entry"] is not None
    assert w.objects["spot_item"] is not None
    assert LeaveRequest.objects.filter(pk=w.objects["leave"].pk, status="pending").exists()
