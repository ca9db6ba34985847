"""Build the demo district (建安区) from demo/data through the services the pages use.

Every record is made by a service, and every state change is what a user would
do on a page: the admin's organisations and accounts, drafts written by their
authors, submissions, claims (workflow.services.task_claim, as the claim page)
and decisions (task_perform with the *_decide services), so the trail, versions,
tasks and due dates are exactly what the web pages would have produced. The
documents end in every Document.Status; each story checks the status it expects.

Filing schedules the approved plan's and proposal's projects; the schedule then
gets change requests (one filed, so the project shows as 已调整 with its history;
one waiting in the bureau's queue), project log entries, and a spot check drawn
with a fixed seed, one of its projects with findings.

Two schools' teacher rosters come in through the roster import; the attendance
and credit services then run one finished project of last year's plan
(nominations, confirmation with a waiting list, roll call, closing, which writes
the credits), one current project in this year's December (an upcoming session
and an approved leave request), the school-based year that closed this summer at
实验小学 (one teacher forfeits it; its credits count in this credit year) and a
maternity-leave exemption.

The data files are written for 2025 (seed.DATA_YEAR; the seed 004 plan is 2024):
build() moves every date and year to the year of its `today`, so a newcomer sees
this year's figures on the credit pages and dashboards.
"""
import datetime
import io

from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from accounts.regions import region_create
from accounts.services import district_create, organisation_create, user_create
from attendance import services as attendance
from attendance.idcard import check_character
from attendance.models import Attendance, Enrolment, Teacher
from attendance.roster import roster_import, roster_xlsx
from bulletins.services import bulletin_issue
from credits.models import CreditEntry
from credits.services import credit_school_based_year, exemption_add
from plans.models import Document
from plans.services import document_content_update, document_create
from schedule.models import ScheduledProject
from schedule.services import change_request_submit, log_entry_add, spot_check_draw, spot_check_record
from workflow import services as review
from workflow.models import Decision
from workflow.selectors import task_inbox, task_queue
from workflow.submission import document_submit

from . import seed
from .city_project import create_city_project
from .recognition import create_recognition
from .seed import load


class DemoError(Exception):
    """The demo data and what the services did disagree."""


# Years the data files are moved by while build() runs (seed.shift): the data's
# "this year" (seed.DATA_YEAR) becomes the year of the demo's today.
_years = 0


def _data(name: str) -> dict:
    return seed.shift(load(name), _years)


def district_name() -> str:
    return _data("district")["district"]["name"]


def password() -> str:
    return _data("district")["password"]


def usernames() -> list[str]:
    district = _data("district")
    return ([user["username"] for user in district["users"]] + [district["admin"]["username"]]
            + [user["username"] for user in _data("region")["users"]])


# --- The district, its people and rosters (what the admin and roster pages do) --

def create_organisations(district_spec) -> dict:
    district = district_create(**district_spec["district"])
    return {org["name"]: organisation_create(district=district, **org) for org in district_spec["organisations"]}


def create_region(spec, password: str) -> dict[str, User]:
    """The province, its two cities with their bureaus and centres, the other two districts,
    and the officers above the districts (demo/data/region.toml)."""
    province, _city = region_create(province=spec["province"]["name"])
    orgs = {org["name"]: organisation_create(province=province, **org) for org in spec["province"]["organisations"]}
    cities = {}
    for city_spec in spec["cities"]:
        _province, cities[city_spec["name"]] = region_create(province=province.name, city=city_spec["name"])
        orgs.update({org["name"]: organisation_create(city=cities[city_spec["name"]], **org)
                     for org in city_spec["organisations"]})
    for district_spec in spec["districts"]:
        district_spec = dict(district_spec)
        organisations = district_spec.pop("organisations")
        district = district_create(province=province.name, **district_spec)
        orgs.update({org["name"]: organisation_create(district=district, **org) for org in organisations})
    users = {}
    for user_spec in spec["users"]:
        user_spec = dict(user_spec)
        username, organisation = user_spec.pop("username"), orgs[user_spec.pop("organisation")]
        users[username] = user_create(username=username, password=password, organisation=organisation, **user_spec)
    return users


def create_region_rosters(spec) -> None:
    """The other districts' small rosters (imported as their schools would) and each teacher's
    training of the year, registered through the credit services (region.toml [[rosters]])."""
    from accounts.models import Organisation
    from credits.services import ledger_add

    training, serial = spec["roster_training"], 0
    for roster_spec in spec["rosters"]:
        school = Organisation.objects.get(name=roster_spec["school"], district__isnull=False)
        roster = []
        for row in roster_spec["teachers"]:
            serial += 1
            roster.append(Teacher(
                organisation=school, name=row["name"], gender=row["gender"], birth_date=row["birth_date"],
                id_number=id_number(roster_spec["id_area_code"], serial, row["gender"], row["birth_date"]),
                stage=school.stage, subject=row["subject"], title=row["title"]))
        _imported, errors = roster_import(organisation=school, file=io.BytesIO(roster_xlsx(roster)))
        if errors:
            raise DemoError(f"{school.name}花名册导入失败：" + "；".join(f"第{e.row}行 {e.reason}" for e in errors))
        teachers = {t.name: t for t in Teacher.objects.filter(organisation=school)}
        for row in roster_spec["teachers"]:
            if row["hours"]:
                ledger_add(teacher=teachers[row["name"]], activity="concentrated", level="county",
                           hours=row["hours"], occurred_on=training["date"], description=training["description"],
                           source=CreditEntry.Source.DECLARATION)


def create_users(district_spec, orgs) -> dict[str, User]:
    users = {}
    for spec in district_spec["users"]:
        spec = dict(spec)
        username, organisation = spec.pop("username"), orgs[spec.pop("organisation")]
        users[username] = user_create(username=username, password=district_spec["password"],
                                      organisation=organisation, **spec)
    admin = district_spec["admin"]
    User.objects.create_superuser(admin["username"], password=district_spec["password"],
                                  full_name=admin["full_name"])
    return users


def id_number(area_code: str, serial: int, gender: str, birth: datetime.date) -> str:
    """An 18-digit number of the district: area, birth date, serial (odd for men), check character."""
    sequence = serial * 10 + (2 * (serial % 5) + (1 if gender == Teacher.Gender.MALE else 0))
    first17 = f"{area_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def create_teachers(spec, orgs, users) -> dict[str, Teacher]:
    """Each school imports its roster as an xlsx file, as the roster page does."""
    serial = 0
    for school, rows in spec["rosters"].items():
        roster = []
        for row in rows:
            serial += 1
            roster.append(Teacher(
                organisation=orgs[school], name=row["name"], gender=row["gender"], birth_date=row["birth_date"],
                id_number=id_number(spec["id_area_code"], serial, row["gender"], row["birth_date"]),
                stage=orgs[school].stage, subject=row["subject"], title=row["title"],
                is_new_teacher=row.get("new_teacher", False),
            ))
        imported, errors = roster_import(organisation=orgs[school], file=io.BytesIO(roster_xlsx(roster)))
        if errors:
            raise DemoError(f"{school}花名册导入失败：" + "；".join(f"第{e.row}行 {e.reason}" for e in errors))
    teachers = {t.name: t for t in Teacher.objects.filter(organisation__in=list(orgs.values()))}
    for name, username in spec["logins"].items():
        attendance.teacher_link_user(teacher=teachers[name], user=users[username])
    return teachers


# --- Documents (what their authors write on the new-document page) -------------

ANNUAL_PLAN_ROW_DEFAULTS = {"headcount": None, "all_staff": False}
SCHOOL_PLAN_CONTENT = ["significance", "objectives", "hours_per_teacher", "group_leader", "group_deputies",
                       "group_members", "office", "assessment", "annual_budget", "forms", "topics"]
PROPOSAL_CONTENT = ["organiser", "target_group", "stage", "subject", "headcount", "modes", "start_month", "end_month", "location",
                    "hours", "content_modules", "budget", "design"]


def create_documents(users) -> dict[str, Document]:
    """The annual plan, the school plans and the proposals, by key, in this order."""
    documents = {}
    plan = _data("annual_plan_2024")
    documents[plan["key"]] = document_create(
        kind=Document.Kind.ANNUAL_PLAN, user=users[plan["author"]], year=plan["year"], title=plan["title"],
        content=plan["sections"], rows=[{**ANNUAL_PLAN_ROW_DEFAULTS, **row} for row in plan["projects"]],
    )
    school_plans = _data("school_plans")
    for own in school_plans["plans"]:
        spec = {**school_plans["common"], **own}
        documents[spec["key"]] = document_create(
            kind=Document.Kind.SCHOOL_PLAN, user=users[spec["author"]], year=spec["year"], title=spec["title"],
            content={field: spec[field] for field in SCHOOL_PLAN_CONTENT},
            rows=[{"start_year": spec["year"] + offset, "content": content, "forms": forms,
                   "hours": spec["hours_per_teacher"]}
                  for offset, (content, forms) in enumerate(school_plans["year_blocks"][spec["years"]])],
        )
    for spec in _data("proposals")["proposals"]:
        documents[spec["key"]] = document_create(
            kind=Document.Kind.PROJECT_PROPOSAL, user=users[spec["author"]], year=spec.get("year", seed.DATA_YEAR + _years),
            title=spec["title"], content={field: spec[field] for field in PROPOSAL_CONTENT},
        )
    return documents


# --- Review steps: each one what a user would do on the task pages -------------

def _open_task(document, user):
    """The document's task in the user's inbox, else in their queue."""
    for tasks in (task_inbox(user=user), task_queue(user=user)):
        task = tasks.filter(process__reviewprocess__document=document).first()
        if task:
            return task
    raise DemoError(f"{user.username} 没有《{document.title}》的待办任务")


def step_submit(document, user):
    document_submit(document=document, user=user)


def step_claim(document, user):
    """Claim only, as the claim page does: the task moves to the user's inbox."""
    review.task_claim(task=_open_task(document, user), user=user)


def step_initial_review(document, user, *, experts=(), **decision):
    review.task_perform(task=_open_task(document, user), user=user,
                        decide=review.initial_review_decide, experts=list(experts), **decision)


def step_expert_review(document, user, **opinion):
    review.task_perform(task=_open_task(document, user), user=user,
                        decide=review.expert_review_give, **opinion)


def step_filing(document, user, *, decision, comment=""):
    number = review.filing_number_suggest(document=document) if decision == Decision.APPROVE else ""
    review.task_perform(task=_open_task(document, user), user=user, decide=review.filing_decide,
                        decision=decision, filing_number=number, comment=comment)


def step_confirm_changes(document, user, *, decision, comment=""):
    """修改后同意: the initial reviewer confirms (or refuses) the author's changes."""
    review.task_perform(task=_open_task(document, user), user=user, decide=review.confirm_changes_decide,
                        decision=decision, comment=comment)


def step_route(document, user, *, school_review):
    """The bureau switches the principal's sign-off for this kind of document on or
    off in its review route (the admin's review-route page)."""
    from workflow.models import ReviewRoute, expert_review_required

    district_id = document.organisation.district_id
    ReviewRoute.objects.update_or_create(
        district_id=district_id, kind=document.kind,
        defaults={"school_review": school_review, "expert_review": expert_review_required(document)})


def step_revise(document, user, *, restore):
    """Edit the returned school plan, as the edit page does: the fields named in
    restore get the text every other school's plan has ([common] in school_plans)."""
    common = _data("school_plans")["common"]
    document_content_update(document=document, user=user, **{field: common[field] for field in restore})


def step_edit(document, user, *, content):
    """Edit the returned document's fields, as its edit page does (修改后同意: the requested
    changes, so that the version comparison shows them to the confirming reviewer)."""
    document_content_update(document=document, user=user, **content)


def step_resubmit(document, user, *, comment=""):
    review.task_perform(task=_open_task(document, user), user=user,
                        decide=review.document_resubmit, comment=comment)


STEPS = {
    "submit": step_submit,
    "claim": step_claim,
    "initial_review": step_initial_review,
    "expert_review": step_expert_review,
    "filing": step_filing,
    "confirm_changes": step_confirm_changes,
    "route": step_route,
    "revise": step_revise,
    "edit": step_edit,
    "resubmit": step_resubmit,
}


def play_story(document, expected_status, steps, users) -> None:
    for step in steps:
        arguments = dict(step)
        action, user = arguments.pop("action"), users[arguments.pop("user")]
        if "experts" in arguments:
            arguments["experts"] = [users[username] for username in arguments["experts"]]
        STEPS[action](document, user, **arguments)
    document.refresh_from_db()
    if document.status != expected_status:
        raise DemoError(f"《{document.title}》应为 {expected_status}，实为 {document.status}")


# --- The schedule: what the project pages and the spot-check page would do -----

def _scheduled(plan, name) -> ScheduledProject:
    return ScheduledProject.objects.get(source=plan, name=name)


def play_change_requests(plan, requests, users) -> None:
    for spec in requests:
        fields = dict(spec)
        name, author = fields.pop("project"), users[fields.pop("author")]
        expected_status, steps = fields.pop("ends"), fields.pop("steps", [])
        document = change_request_submit(project=_scheduled(plan, name), user=author, **fields)
        play_story(document, expected_status, steps, users)


def write_log(project, user, entries) -> None:
    for entry in entries:
        log_entry_add(project=project, user=user, kind=entry["kind"], happened_on=entry["date"], text=entry["text"])


def write_project_log(plan, logs, users) -> None:
    for spec in logs:
        write_log(_scheduled(plan, spec["project"]), users[spec["author"]], spec["entries"])


def draw_spot_check(spec, users) -> None:
    user = users[spec["user"]]
    check = spot_check_draw(user=user, year=spec["year"], seed=spec["seed"])
    recorded = 0
    for item in check.items.select_related("project", "spot_check"):
        findings = spec["findings"].get(item.project.name)
        if findings:
            spot_check_record(item=item, user=user, findings=findings)
            recorded += 1
    if not recorded:
        raise DemoError(f"抽查（种子 {spec['seed']}）未抽中 {', '.join(spec['findings'])}")


# --- Teachers, attendance and credits: what the project, session, leave and
# school-based pages would do ----------------------------------------------------

def _roll_call(session, user, exceptions, source=Attendance.Source.ROLL_CALL) -> None:
    """The whole roster at once: present unless listed otherwise."""
    by_name = {t.name: t for t in attendance.roster(session)}
    unknown = set(exceptions) - set(by_name)
    if unknown:
        raise DemoError(f"{'、'.join(unknown)} 不在《{session.title}》的名单上")
    marks = {t.pk: exceptions.get(name, Attendance.Status.PRESENT) for name, t in by_name.items()}
    attendance.attendance_mark(session=session, user=user, marks=marks, source=source)


def enrol(project, spec, users, teachers) -> None:
    """Schools nominate; the organiser confirms each in turn (to the roster or the waiting list)."""
    for officer, names in spec["nominations"].items():
        for name in names:
            attendance.enrolment_nominate(project=project, teacher=teachers[name], user=users[officer])
    organiser = users[spec["organiser"]]
    for enrolment in project.enrolments.filter(status=Enrolment.Status.NOMINATED).order_by("created_at", "pk"):
        attendance.enrolment_organiser_decide(enrolment=enrolment, user=organiser, confirm=True)
    waitlisted = sorted(project.enrolments.filter(status=Enrolment.Status.WAITLISTED)
                        .values_list("teacher__name", flat=True))
    if waitlisted != sorted(spec.get("waitlisted", [])):
        raise DemoError(f"《{project.name}》候补名单应为 {spec.get('waitlisted', [])}，实为 {waitlisted}")


def run_finished_project(plan, spec, users, teachers) -> None:
    """Enrol, hold and mark the sessions, then close the project: closing writes the credits."""
    project, organiser = _scheduled(plan, spec["project"]), users[spec["organiser"]]
    attendance.project_run_save(project=project, user=organiser, **spec["run"])
    enrol(project, spec, users, teachers)
    attendance.sessions_generate(project=project, user=organiser, hours_per_day=spec["hours_per_day"])
    for added in spec["added_sessions"]:
        attendance.session_add(user=organiser, project=project, place=project.location, **added)
    sessions = list(project.sessions.order_by("date", "start_time"))
    if len(sessions) != len(spec["roll_calls"]):
        raise DemoError(f"《{project.name}》应有 {len(spec['roll_calls'])} 场培训，实为 {len(sessions)} 场")
    for session, exceptions in zip(sessions, spec["roll_calls"]):
        _roll_call(session, organiser, exceptions)
    write_log(project, organiser, spec["log"])
    failed = sorted(CreditEntry.objects.filter(project=project, source=CreditEntry.Source.PROJECT, credits=0)
                    .values_list("teacher__name", flat=True))
    if failed != sorted(spec["failed"]):
        raise DemoError(f"《{project.name}》未完成的学员应为 {spec['failed']}，实为 {failed}")


def run_current_project(document, spec, demo_now, users, teachers) -> None:
    """Confirmed places and December sessions; leave asked by a teacher, answered by their school."""
    project = ScheduledProject.objects.get(source=document)
    enrol(project, spec, users, teachers)
    attendance.sessions_generate(project=project, user=users[spec["organiser"]],
                                 hours_per_day=spec["hours_per_day"])
    sessions = list(project.sessions.order_by("date", "start_time"))
    # Leave must be asked before the session starts: at the demo's "today", or now if the clock is earlier.
    now = min(timezone.now(), timezone.make_aware(demo_now))
    for leave_spec in spec["leave"]:
        leave = attendance.leave_request(session=sessions[leave_spec["session"] - 1], user=users[leave_spec["user"]],
                                         reason=leave_spec["reason"], now=now)
        attendance.leave_decide(leave=leave, user=users[leave_spec["officer"]], approve=leave_spec["approve"])


def run_school_based_year(spec, orgs, users) -> None:
    """Sessions against the approved school plan, attendance from the paper sheets, then the year's credits."""
    school, officer = orgs[spec["school"]], users[spec["officer"]]
    plan = attendance.school_plan_for(school.pk, spec["year"])
    if plan is None:
        raise DemoError(f"{school.name}没有已备案的{spec['year']}年校本培训实施方案")
    for session_spec, exceptions in zip(spec["sessions"], spec["roll_calls"]):
        session = attendance.session_add(
            user=officer, school_plan=plan, title=session_spec["title"], date=session_spec["date"],
            start_time=spec["start"], end_time=spec["end"], hours=spec["hours"], place=spec["place"],
        )
        _roll_call(session, officer, exceptions, source=Attendance.Source.PAPER)
    credit_school_based_year(organisation=school, year=spec["year"])
    forfeited = sorted(CreditEntry.objects.filter(
        teacher__organisation=school, source=CreditEntry.Source.SCHOOL_BASED, credits=0,
    ).values_list("teacher__name", flat=True))
    if forfeited != sorted(spec["forfeited"]):
        raise DemoError(f"{school.name}校本学分不予认定的应为 {spec['forfeited']}，实为 {forfeited}")


def add_exemptions(exemptions, teachers) -> None:
    for spec in exemptions:
        exemption_add(teacher=teachers[spec["teacher"]], semester_start=spec["semester_start"], reason=spec["reason"])


def build(today: datetime.date | None = None) -> None:
    """The whole district, in one go (the caller holds the transaction), around
    `today` (default: the real one): the seed 004 plan is last year's, the current
    project runs this December, the school-based year that just closed gave this
    year's credits."""
    global _years
    _years = seed.years_for(today or timezone.localdate())
    try:
        _build()
        count_figures(today or timezone.localdate())
    finally:
        _years = 0


def _build() -> None:
    call_command("loaddata", "credit_rules", verbosity=0)  # the rule families of seed 002
    district = _data("district")
    orgs = create_organisations(district)
    users = create_users(district, orgs)
    users.update(create_region(_data("region"), district["password"]))
    create_recognition(_data("recognition"), users, id_number)  # 金水区 on the Shaanxi route (issue #15)
    teachers = create_teachers(_data("teachers"), orgs, users)
    documents = create_documents(users)
    for story in _data("stories")["stories"]:
        play_story(documents[story["document"]], story["ends"], story.get("steps", []), users)
    schedule, training = _data("schedule"), _data("training")
    plan = documents["annual_plan"]
    play_change_requests(plan, schedule["change_requests"], users)
    write_project_log(plan, schedule["project_log"], users)
    run_finished_project(plan, training["finished_project"], users, teachers)
    draw_spot_check(schedule["spot_check"], users)
    current = training["current_project"]
    run_current_project(documents[current["document"]], current, training["demo"]["now"], users, teachers)
    run_school_based_year(training["school_based"], orgs, users)
    add_exemptions(training["exemptions"], teachers)
    create_region_rosters(_data("region"))
    issue_bulletin(users)
    create_city_project(_data("city_project"), users, teachers, year=seed.DATA_YEAR + _years)


def count_figures(today: datetime.date) -> None:
    """The roll-ups' summary rows of every district for the credit year of `today` (what the
    nightly refresh_figures writes) and for the year before (the seed 004 plan's, with its
    projects and spot check)."""
    from oversight.services import figures_refresh, figures_refresh_all

    for district, year, _rows in figures_refresh_all(today=today):
        figures_refresh(year=year - 1, district=district)


# --- Issue 15: the bureau's annual bulletin of last year (bulletins) -----------------------------

BULLETIN_ISSUER = "jiaoyuju_gu"


def issue_bulletin(users) -> None:
    """建安区's bulletin of last year, issued by its bureau (both schools are below the 100 %
    registration target in the demo's figures, so both are named). No commendation list: no
    teacher of the demo completes a whole five-year cycle, so 许昌市's list is left to the user."""
    bulletin_issue(user=users[BULLETIN_ISSUER], year=seed.DATA_YEAR + _years - 1)
