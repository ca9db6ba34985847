"""Every URL pattern of the project, mapped to concrete URLs on the URL world.

`url_patterns()` walks `config.urls` (the resolver, recursively): the project's
pages, viewflow's pages for both flows, and the admin. `build_cases(world)`
gives each pattern one or more `Case`s: a state-changing URL with the payload
its legitimate user would send (and who that is), or a URL that only reads,
with the reason it is not POST-tested. Viewflow task URLs and admin URLs are
mapped generically (every node, every registered model), so a new node or a
new admin registration is covered without editing this file, while a new
project URL makes `test_every_url_pattern_is_covered` fail until it is added
here.
"""
import datetime
import io
from dataclasses import dataclass, field

from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from tests.url_world import FOREIGN_ROLES, UrlWorld, decl_task, doc_task, rec_task

OUTSIDERS = tuple(FOREIGN_ROLES) + ("anonymous",)


@dataclass
class Case:
    key: str                      # the pattern: "namespace:name" (or "namespace:route" when unnamed)
    url: str
    data: object = None           # POST payload (dict or a callable giving one)
    get_only: str = ""            # why the URL is not POST-tested (it only reads, or is public)
    legit: str | None = None      # who may do this (the fuzz test acts as them; controls check them)
    control: bool = True          # the legitimate POST must change something (proves the payload works)
    actors: tuple = OUTSIDERS     # who must be refused
    skip: dict = field(default_factory=dict)   # actor → why this URL is not foreign to them
    own_rows_ok: bool = False     # the actor may change rows that are their own (user_id/pk == actor)
    fuzz: bool = True             # the fuzz test tries this case (False: another case runs the same code)
    noop_ok: bool = False         # a 2xx that changed nothing is a refusal (the view ignores the POST)
    note: str = ""                # what the case is about
    kwargs: dict = field(default_factory=dict)  # the URL's path arguments (for the fuzz test)
    query: str = ""

    @property
    def label(self):
        return f"{self.key} {self.note}".strip()


# --- the resolver ----------------------------------------------------------------------------

@dataclass
class Pattern:
    key: str
    route: str
    name: str | None
    converters: dict


def url_patterns() -> list[Pattern]:
    found = []

    def walk(patterns, prefix="", namespace="", converters=None):
        for pattern in patterns:
            converters_here = {**(converters or {}), **getattr(pattern.pattern, "converters", {})}
            if isinstance(pattern, URLResolver):
                ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns, converters_here)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                key = namespace + (pattern.name or route)
                found.append(Pattern(key, route, pattern.name and namespace + pattern.name, converters_here))

    walk(get_resolver().url_patterns)
    return found


# An export (a job) by the staff of another district exports that district: theirs to start.
OWN_DISTRICT_EXPORT = {"other_district_bureau": "exports its own district (a job of its own)",
                       "other_district_training": "exports its own district (a job of its own)"}


def case(key, *args, query="", **kwargs) -> Case:
    """A Case for the named URL with these path arguments."""
    url_kwargs = kwargs.pop("kwargs", {})
    url = reverse(key, kwargs=url_kwargs) + (f"?{query}" if query else "")
    return Case(key, url, *args, kwargs=url_kwargs, query=query, **kwargs)


def pdf_upload(name="结业证书.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 certificate", content_type="application/pdf")


def roster_upload(world: UrlWorld):
    from attendance.roster import roster_xlsx
    from openpyxl import load_workbook

    from tests.attendance_helpers import id_number

    book = load_workbook(io.BytesIO(roster_xlsx([])))
    book.active.append(["新老师", "女", "1990-05-01", id_number(datetime.date(1990, 5, 1)), "小学", "语文", "", "否"])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("花名册.xlsx", buffer.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def provincial_upload(world: UrlWorld):
    from exchange.services import HEADERS
    from openpyxl import Workbook

    teacher = world.objects["declarant_teacher"]
    book = Workbook()
    book.active.append(HEADERS)
    book.active.append([teacher.id_number, teacher.name, "", "省平台培训", "省级", 10, 1, "2024-05-01", "2024-05-02", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("省平台.xlsx", buffer.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- the project's own URLs --------------------------------------------------------------------

def newer_project_cases(w: UrlWorld, scrape) -> list[Case]:
    """The pages added since the first list: the roster's teacher pages, make-ups, closing,
    the bureau's rule versions and the people pages (accounts, organisations, one's own)."""
    from credits import rule_versions

    from tests.attendance_helpers import id_number

    a, o = w.a, w.objects
    today = timezone.localdate()
    project, teacher = o["project"], o["free_teacher"]
    own_school = {"other_school_officer": "acts on its own school only; no parameter names school A"}
    own_district = {"other_district_bureau": "acts in its own district; no parameter names district A"}
    self_service = dict(own_rows_ok=True, actors=OUTSIDERS)
    teacher_form = scrape(reverse("attendance:teacher_edit", args=[teacher.pk]), "id_number", actor="school_officer")
    organisation_form = scrape(reverse("people:organisation_edit", args=[a.school.pk]), "name", actor="bureau_officer")
    account_form = scrape(reverse("people:account_edit", args=[a.principal.pk]), "full_name", actor="bureau_officer")
    rule_source = rule_versions.in_force(a.district)
    rule_form = scrape(reverse("credits:rule_new"), "previewed", actor="bureau_officer") or \
        scrape(reverse("credits:rule_new"), None, actor="bureau_officer")
    roster_row = o["absent_teacher"]
    return [
        # the exchange with the provincial platform (exchange app)
        case("exchange:home", get_only="reads", legit="bureau_officer"),
        case("exchange:export", {"year": 2024}, legit="bureau_officer",
             skip={**own_district, "other_school_officer": "exports its own school (a job of its own)"},
             note="starts the export of district A's ledger, a job (GET: 405)"),
        case("exchange:upload", lambda: {"file": provincial_upload(w)}, legit="bureau_officer", skip=own_district,
             note="a preview of the platform's file (nothing in the ledger changes)"),
        case("exchange:preview", kwargs={"pk": o["import_batch"].pk}, get_only="reads", legit="bureau_officer"),
        case("exchange:confirm", {}, kwargs={"pk": o["import_batch"].pk}, legit="bureau_officer",
             note="apply district A's previewed import"),
        # the roster's teacher pages (school A's officer)
        case("attendance:teacher_add", {"name": "新来的", "id_number": id_number(datetime.date(1992, 3, 4)),
                                        "stage": teacher_form.get("stage", ""), "subject": "maths", "title": "",
                                        "is_new_teacher": "on"},
             legit="school_officer", skip=own_school, note="a teacher for school A's roster"),
        case("attendance:teacher_edit", {**teacher_form, "name": "郑新新"}, kwargs={"pk": teacher.pk},
             legit="school_officer", note="school A's teacher"),
        case("attendance:teacher_leave", {"left_on": str(today), "reason": "调离。"}, kwargs={"pk": teacher.pk},
             legit="school_officer", note="school A's teacher leaves"),
        case("attendance:teacher_reinstate", {}, kwargs={"pk": o["left_teacher"].pk}, legit="school_officer",
             note="school A's teacher who left"),
        case("attendance:teacher_transfer", {"school": a.other_school.pk}, kwargs={"pk": teacher.pk},
             legit="school_officer", note="school A's teacher to another school"),
        case("attendance:teachers_logins", {"teachers": [teacher.pk], "sheet": "html"}, legit="school_officer",
             note="a login for school A's teacher"),
        # 补学 and closing (the organiser: the training school)
        case("attendance:make_ups", {"teacher": roster_row.pk, "session": o["session_past"].pk, "kind": "assignment",
                                     "note": "已补交作业。"},
             kwargs={"pk": project.pk}, legit="training_officer", note="accept a make-up"),
        # 名额 of a city project (issue #15): the city centre gives districts places, the bureau its schools
        case("attendance:quotas", {"districts": "1", f"district_{w.a.district.pk}": 6},
             kwargs={"pk": o["city_project"].pk}, legit="city_centre", note="the organiser gives a district places"),
        case("attendance:quotas", {"schools": "1", f"school_{w.a.school.pk}": 2},
             kwargs={"pk": o["city_project"].pk}, legit="bureau_officer", note="the bureau shares its places"),
        case("schedule:close", {"close": "1", "happened_on": str(today), "text": "培训结束。",
                                f"result-{o['pupil_teacher'].pk}": "pass"},
             kwargs={"pk": project.pk}, legit="training_officer", control=False,
             note="close the project (control off: its sessions ahead block the close)"),
        # the bureau's credit rules
        case("credits:rules", get_only="reads", legit="bureau_officer"),
        case("credits:rule_detail", kwargs={"pk": rule_source.pk}, get_only="reads", legit="bureau_officer"),
        case("credits:rule_new", {**rule_form, "preview": "1"}, legit="bureau_officer", control=False,
             skip=own_district, note="preview a new version (writes nothing)"),
        # people: one's own account (self-service), password reset by mail (public)
        case("people:index", {"email": "me@example.com"}, legit="school_officer", note="one's own e-mail",
             **self_service),
        case("people:password_change", {"old_password": "x", "new_password1": "N3w-pass-123!",
                                        "new_password2": "N3w-pass-123!"},
             legit="school_officer", control=False, note="one's own password", **self_service),
        case("people:password_reset", get_only="public: mails a reset link", legit="anonymous"),
        case("people:password_reset_done", get_only="reads", legit="anonymous"),
        case("people:password_reset_confirm", kwargs={"uidb64": "MQ", "token": "x-y"},
             get_only="public: keyed by a signed token", legit="anonymous"),
        case("people:password_reset_complete", get_only="reads", legit="anonymous"),
        # people: the bureau's organisations, accounts kept by the bureau (or a school's manager)
        case("people:organisations", get_only="reads", legit="bureau_officer"),
        case("people:organisation_add", {"name": "新建小学", "kind": organisation_form.get("kind", ""),
                                         "stage": organisation_form.get("stage", "")},
             legit="bureau_officer", skip=own_district, note="a school in district A"),
        case("people:organisation_edit", {**organisation_form, "name": "改名小学"}, kwargs={"pk": a.school.pk},
             legit="bureau_officer", note="district A's school"),
        case("people:experts", get_only="reads", legit="bureau_officer"),
        case("people:accounts", get_only="reads", legit="bureau_officer"),
        case("people:account_add", {"organisation": a.school.pk, "role": "principal", "username": "new_principal",
                                    "full_name": "新校长", "email": "", "title": "", "expertise": ""},
             legit="bureau_officer", note="an account at school A"),
        case("people:account_edit", {**account_form, "full_name": "改名校长"}, kwargs={"pk": a.principal.pk},
             legit="bureau_officer", note="school A's principal"),
        case("people:account_set_active", {"action": "deactivate"}, kwargs={"pk": a.principal.pk},
             legit="bureau_officer", note="school A's principal"),
        case("people:account_reset_password", {}, kwargs={"pk": a.principal.pk}, legit="bureau_officer",
             note="school A's principal"),
        # the bureau's submission tracker and its 催交 (a year no school has sent anything for)
        case("tracker:index", get_only="reads", legit="bureau_officer"),
        case("tracker:remind", {"school": a.school.pk, "kind": "school_plan", "year": str(today.year + 1)},
             legit="bureau_officer", note="remind school A"),
        # oversight: the roll-ups (district A's; the city and province pages are a regional officer's)
        case("oversight:index", get_only="reads", legit="bureau_officer"),
        case("oversight:province", get_only="reads: a province officer's"),
        case("oversight:city", kwargs={"pk": a.district.city_id}, get_only="reads: a city officer's"),
        case("oversight:district", kwargs={"pk": a.district.pk}, get_only="reads", legit="bureau_officer"),
        case("oversight:school", kwargs={"pk": a.school.pk}, get_only="reads: a regional officer's"),
        case("oversight:refresh", {"year": str(today.year)}, kwargs={"pk": a.district.pk},
             legit="bureau_officer", note="recount district A's figures"),
    ]


def project_cases(w: UrlWorld, scraped: dict) -> list[Case]:
    a, o, d, dc = w.a, w.objects, w.docs, w.decls
    today = timezone.localdate()
    year = today.year
    project, pupil = o["project"], o["pupil_teacher"]
    session_fields = {"session-title": "新增讲座", "session-date": str(today + datetime.timedelta(days=20)),
                      "session-start_time": "09:00", "session-end_time": "11:00", "session-hours": "2",
                      "session-place": "报告厅"}
    own_school = {"other_school_officer": "acts on its own school only; no parameter names school A"}
    task_queued = doc_task(d["queued"], "initial_review")
    task_claimed = doc_task(d["claimed"], "initial_review")
    attachment = d["draft"].attachments.get()
    version = d["queued"].versions.get()

    def sign_in_code():
        from attendance.services import sign_in_code

        return {"code": sign_in_code(o["session_today"], timezone.now())}

    def cycle_figures():
        from credits import selectors
        from credits.services import cycle_fingerprint

        school = a.school
        year_now = selectors.current_credit_year(school.district)
        last = selectors.year_rule_set(school.district, year_now).cycle_of(year_now)[1]
        return {"figures": cycle_fingerprint(selectors.school_credits(school, last).rows)}

    def declaration():
        return {"provider": "北京师范大学", "title": "新课标研修", "activity": "online", "level": "national",
                "start_date": f"{year - 1}-11-02", "end_date": f"{year - 1}-11-03", "hours": "8",
                "certificate": pdf_upload()}

    draft_form = scraped["plans:edit"]
    new_plan = {k: ("" if k.endswith("-id") or k.endswith("-plan") else v) for k, v in draft_form.items()}
    new_plan.update({k: "0" for k in new_plan if k.endswith("-INITIAL_FORMS")})
    new_plan.update({"doc-year": str(year - 6), "doc-title": "实验小学校本培训计划（新）"})
    edited_plan = {**draft_form, "doc-title": "改过的标题"}

    return [
        # plans
        case("plans:list", get_only="lists what the user may see", legit="school_officer"),
        case("plans:create", new_plan, kwargs={"kind": "school_plan"}, legit="school_officer", skip=own_school,
             note="new school plan"),
        case("plans:create", {"doc-title": "年度计划", "doc-year": str(year - 6)}, kwargs={"kind": "annual_plan"},
             legit="training_officer", control=False, note="annual plan (training school's kind)"),
        case("plans:detail", kwargs={"pk": d["queued"].pk}, get_only="reads", legit="school_officer"),
        case("plans:detail", kwargs={"pk": d["queued"].pk}, query=f"old={version.number}&new={version.number}",
             get_only="reads (compares two versions)", legit="school_officer", note="version comparison"),
        case("plans:edit", edited_plan, kwargs={"pk": d["draft"].pk}, legit="school_officer", note="school A's draft"),
        case("plans:version", kwargs={"pk": d["queued"].pk, "number": version.number}, get_only="reads",
             legit="school_officer"),
        case("plans:submit", {}, kwargs={"pk": d["draft"].pk}, legit="school_officer", note="school A's draft"),
        case("plans:attachment", kwargs={"pk": d["draft"].pk, "attachment_pk": attachment.pk},
             get_only="downloads", legit="school_officer"),
        # the inbox and its power features
        case("workflow:inbox", {"action": "batch_approve", "tasks": [task_queued.pk], "experts": [a.expert1.pk]},
             legit="training_officer", note="batch approve school A's queued plan"),
        case("workflow:inbox", {"action": "hand_over", "task": task_claimed.pk,
                                "to": w.actor("training_officer2").pk},
             legit="training_officer", note="hand over the training officer's claimed task"),
        case("workflow:inbox", {"action": "delete_filter", "filter": o["saved_filter"].pk},
             legit="training_officer", note="delete the training officer's saved filter"),
        case("workflow:inbox", {"action": "save_filter", "name": "我的", "query": "tab=queue"},
             legit="training_officer", own_rows_ok=True, note="save a filter (own rows only)"),
        case("workflow:copy", {"recipient": w.actor("principal_elsewhere").pk, "note": "请阅"},
             kwargs={"pk": d["queued"].pk}, legit="training_officer", note="抄送 school A's plan"),
        # Only the district's reviewers copy (issue 10 item 16): an assigned expert and the
        # school's own principal may read the document but not hand it on.
        case("workflow:copy", {"recipient": w.actor("principal_elsewhere").pk, "note": "请阅"},
             kwargs={"pk": d["experts"].pk}, legit="training_officer", control=False,
             actors=("expert1", "principal"), note="抄送 by an assigned expert or the school's principal"),
        # printing, schedule
        case("printing:preview", kwargs={"pk": d["annual"].pk}, get_only="reads", legit="training_officer"),
        case("printing:pdf", kwargs={"pk": d["annual"].pk}, get_only="downloads", legit="training_officer"),
        case("printing:batch", {"year": timezone.localdate().year, "kind": "school_plan",
                                "organisation": a.school.pk, "format": "zip"},
             legit="training_officer", note="starts a batch print of school A's approved plan (a job)"),
        case("schedule:index", get_only="reads", legit="training_officer"),
        case("schedule:export", kwargs={"fmt": "xlsx"}, get_only="downloads", legit="training_officer"),
        case("schedule:feed", kwargs={"token": "x"}, get_only="public: a calendar feed keyed by a signed token",
             legit="anonymous"),
        case("schedule:project", {"change-reason": "场地调整。", "change-new_location": "实验小学报告厅",
                                  "change-new_start_month": "", "change-new_end_month": "",
                                  "change-new_headcount": ""},
             kwargs={"pk": project.pk}, legit="training_officer", note="change request"),
        case("schedule:project", {"log-kind": "session", "log-happened_on": str(today), "log-text": "第二次集中研修。"},
             kwargs={"pk": project.pk}, legit="training_officer", note="project log entry"),
        case("schedule:spot_checks", {"year": str(year - 1), "share_percent": "50"}, legit="bureau_officer",
             skip={"other_district_bureau": "draws in its own district; no parameter names district A"},
             note="draw last year's spot checks (this year's is drawn)"),
        case("schedule:spot_check", {"cancel": "1", "cancel-reason": "抽取范围有误。"},
             kwargs={"pk": o["spot_check"].pk}, legit="bureau_officer", note="cancel the draw"),
        case("schedule:spot_check", {"item": o["spot_item"].pk, "findings": "资料齐全。"},
             kwargs={"pk": o["spot_check"].pk}, legit="bureau_officer", note="record findings"),
        # bulletins (issue 15): the district bureau's annual bulletin, the city's commendation list
        case("bulletins:list", get_only="reads", legit="bureau_officer"),
        case("bulletins:bulletin_new", {"year": str(year - 1)}, legit="bureau_officer",
             skip={"other_district_bureau": "issues its own district's bulletin; no parameter names district A"},
             note="issue last year's bulletin (year - 2 is issued)"),
        case("bulletins:bulletin_preview", query=f"year={year - 1}", get_only="reads (a draft)",
             legit="bureau_officer"),
        case("bulletins:bulletin_preview_pdf", query=f"year={year - 1}", get_only="downloads (a draft)",
             legit="bureau_officer"),
        case("bulletins:commendation_new", {"cycle": str(o["commendation"].first_year)}, legit="city_officer",
             note="commend the ended cycle again (its first list was withdrawn)"),
        case("bulletins:commendation_preview", query=f"cycle={o['commendation'].first_year}",
             get_only="reads (a draft)", legit="city_officer"),
        case("bulletins:commendation_preview_pdf", query=f"cycle={o['commendation'].first_year}",
             get_only="downloads (a draft)", legit="city_officer"),
        case("bulletins:detail", kwargs={"pk": o["bulletin"].pk}, get_only="reads", legit="bureau_officer"),
        case("bulletins:pdf", kwargs={"pk": o["bulletin"].pk}, get_only="downloads", legit="bureau_officer"),
        case("bulletins:withdraw", {"reason": "数据有误，重新通报。"}, kwargs={"pk": o["bulletin"].pk},
             legit="bureau_officer", note="withdraw the issued bulletin, with a reason"),
        # attendance
        case("attendance:project", {"run": "1", "quota": "10", "per_school_quota": "", "self_enrolment": "on",
                                    "min_attendance_percent": "80"},
             kwargs={"pk": project.pk}, legit="training_officer", note="enrolment settings"),
        case("attendance:project", {"nominate": "1", "teachers": [o["free_teacher"].pk]},
             kwargs={"pk": project.pk}, legit="school_officer", note="nominate school A's teacher"),
        case("attendance:project", {"apply": "1"}, kwargs={"pk": project.pk}, legit="teacher",
             skip={"teacher": "applies for themself"}, note="self-enrolment"),
        case("attendance:project", {"decide": "confirm", "enrolment": o["enrolment_nominated"].pk},
             kwargs={"pk": project.pk}, legit="training_officer", note="organiser confirms a nomination"),
        case("attendance:project", {"school_decide": "approve", "enrolment": o["enrolment_applied"].pk},
             kwargs={"pk": project.pk}, legit="school_officer", note="school approves an application"),
        case("attendance:project", {"withdraw": "1", "enrolment": o["enrolment_nominated"].pk},
             kwargs={"pk": project.pk}, legit="school_officer", note="the school withdraws a nomination"),
        case("attendance:project", {"withdraw": "1", "enrolment": o["enrolment_confirmed"].pk},
             kwargs={"pk": project.pk}, legit="training_officer", note="the organiser withdraws a confirmed teacher"),
        case("attendance:project", {"replace": "1", "enrolment": o["enrolment_nominated"].pk,
                                    "teacher": o["free_teacher"].pk},
             kwargs={"pk": project.pk}, legit="school_officer", note="the school replaces a nomination"),
        case("attendance:project", {"confirm_selected": "1", "enrolments": [o["enrolment_nominated"].pk]},
             kwargs={"pk": project.pk}, legit="training_officer", note="the organiser confirms ticked nominations"),
        case("attendance:project", {"generate": "1"}, kwargs={"pk": project.pk}, legit="training_officer",
             note="draft sessions"),
        case("attendance:project", {"session": "1", **session_fields}, kwargs={"pk": project.pk},
             legit="training_officer", note="add a session"),
        case("attendance:session", {f"t-{pupil.pk}": "absent", "source": "roll_call"},
             kwargs={"pk": o["session_past"].pk}, legit="training_officer", note="roll call"),
        case("attendance:session_edit", {**session_fields, "session-title": "改过的讲座"},
             kwargs={"pk": o["session_future"].pk}, legit="training_officer", note="edit a session"),
        case("attendance:session_code", kwargs={"pk": o["session_today"].pk}, get_only="shows the code",
             legit="training_officer"),
        case("attendance:session_sheet", kwargs={"pk": o["session_past"].pk}, get_only="downloads",
             legit="training_officer"),
        case("attendance:sign_in", sign_in_code, legit="pupil", control=False,
             note="today's code (control off: the window depends on the clock)"),
        case("attendance:sign_in_session", sign_in_code, kwargs={"pk": o["session_today"].pk}, legit="pupil",
             control=False, note="today's code by QR link"),
        case("attendance:me", {"session": o["session_future"].pk, "reason": "病假。"}, legit="pupil", control=False,
             note="leave for a session of another teacher's roster"),
        case("attendance:leave", {"leave": o["leave"].pk, "decision": "approve"}, legit="school_officer",
             note="approve the pupil's leave"),
        case("attendance:school_based", session_fields, query=f"year={year}", legit="school_officer",
             note="school A's school-based session"),
        case("attendance:teachers", get_only="reads", legit="school_officer"),
        case("attendance:teachers_import", lambda: {"file": roster_upload(w)}, legit="school_officer",
             skip=own_school, note="roster import"),
        case("attendance:teachers_export", get_only="downloads", legit="school_officer"),
        case("attendance:teachers_template", get_only="downloads", legit="school_officer"),
        case("attendance:report_project", kwargs={"pk": project.pk}, get_only="reads", legit="training_officer"),
        case("attendance:report_school", get_only="reads", legit="school_officer"),
        case("attendance:report_teacher", kwargs={"pk": pupil.pk}, get_only="reads", legit="school_officer"),
        case("attendance:report_district", get_only="reads", legit="training_officer"),
        case("attendance:report_district", {}, query="year=2024&format=xlsx", legit="training_officer",
             skip=OWN_DISTRICT_EXPORT,
             note="starts the district's export, a job (GET: 405)"),
        # credits
        case("credits:recognition_list", get_only="reads", legit="bureau_officer"),
        case("credits:recognition_detail", kwargs={"pk": w.objects["batch_county"].pk}, get_only="reads",
             legit="bureau_officer", note="district A's batch"),
        case("credits:declaration_list", get_only="reads", legit="declarant"),
        case("credits:declaration_create", declaration, legit="declarant",
             skip={"teacher": "declares for themself"}, note="a declaration"),
        case("credits:declaration_queue", get_only="reads", legit="school_officer"),
        case("workflow:inbox", {"action": "batch_approve", "tasks": [decl_task(dc["school"], "school_verify").pk]},
             legit="school_officer", note="batch verify school A's declaration"),
        case("credits:declaration_detail", kwargs={"pk": dc["school"].pk}, get_only="reads", legit="declarant"),
        case("credits:declaration_certificate", kwargs={"pk": dc["school"].pk}, get_only="downloads",
             legit="declarant"),
        case("credits:my_credits", get_only="reads", legit="declarant"),
        case("credits:teacher_credits", kwargs={"pk": o["declarant_teacher"].pk}, get_only="reads",
             legit="school_officer"),
        case("credits:record_pdf", kwargs={"pk": o["declarant_teacher"].pk}, get_only="downloads",
             legit="school_officer"),
        case("credits:school_credits", get_only="reads", legit="school_officer"),
        case("credits:district_credits", get_only="reads", legit="bureau_officer"),
        case("credits:district_credits", {}, query="year=2024&format=xlsx", legit="bureau_officer",
             skip=OWN_DISTRICT_EXPORT,
             note="starts the district's export, a job (GET: 405)"),
        case("credits:cycle_close", cycle_figures, query=f"organisation={a.school.pk}", legit="bureau_officer",
             note="confirm school A's cycle"),
        case("credits:verify", get_only="public: checks a printed code", legit="anonymous"),
        # notices
        case("notices:list", get_only="reads", legit="school_officer"),
        case("notices:open", {}, kwargs={"pk": o["notice"].pk}, legit="school_officer",
             note="follows (and marks read) the school officer's notice"),
        case("notices:read", {}, kwargs={"pk": o["notice"].pk}, legit="school_officer",
             note="the school officer's notice"),
        case("notices:read_all", {}, legit="school_officer", own_rows_ok=True, note="own notices only"),
        case("notices:urge", {}, kwargs={"document_pk": d["queued"].pk}, legit="school_officer",
             note="催办 school A's queued plan"),
        # audit
        case("audit:list", get_only="reads", legit="bureau_officer"),
        case("audit:export", {}, kwargs={"fmt": "csv"}, legit="bureau_officer", skip=OWN_DISTRICT_EXPORT,
             note="starts the export of district A's audit trail, a job (GET: 405)"),
        # background jobs (the bureau officer's own)
        case("jobs:list", get_only="reads (own jobs only)", legit="bureau_officer"),
        case("jobs:detail", kwargs={"pk": o["job_running"].pk}, get_only="reads", legit="bureau_officer"),
        case("jobs:status", kwargs={"pk": o["job_running"].pk}, get_only="reads (JSON)", legit="bureau_officer"),
        case("jobs:download", kwargs={"pk": o["job_done"].pk}, get_only="downloads", legit="bureau_officer"),
        case("jobs:cancel", {}, kwargs={"pk": o["job_running"].pk}, legit="bureau_officer",
             note="cancel the bureau officer's running job"),
        case("healthz", get_only="public: the load balancer's probe (no data)", legit="anonymous"),
        # the site itself
        case("home", get_only="redirects to where the user's work is (config/landing.py)", legit="school_officer"),
        # 流程看板 (config/process_board.py): scoped like the inbox
        case("process_board:index", get_only="lists the processes the user may see", legit="school_officer"),
        case("process_board:detail", kwargs={"pk": task_queued.process_id}, get_only="reads",
             legit="school_officer", note="school A's queued plan"),
        case("login", get_only="public: the login form", legit="anonymous"),
        case("logout", get_only="self-service: ends the caller's own session", legit="school_officer"),
        case("set_language", get_only="public: sets a language cookie", legit="anonymous"),
        case("index", get_only="viewflow's site index (reads)", legit="training_officer"),
    ]


# --- viewflow's pages, for both flows ----------------------------------------------------------

def _flows():
    from credits.flows import DeclarationFlow, RecognitionFlow
    from workflow.flows import ReviewFlow

    return {"review": ReviewFlow, "declaration": DeclarationFlow, "recognition": RecognitionFlow}


# Who decides each human step (assign/unassign/execute controls); an ASSIGNED task's owner otherwise.
NODE_LEGIT = {
    "review:initial_review": "training_officer", "review:filing": "bureau_officer",
    "review:revise": "school_officer", "review:expert_review": "expert1",
    "review:school_review": "principal", "review:confirm_changes": "training_officer",
    "declaration:school_verify": "school_officer", "declaration:training_school_register": "training_officer",
    "declaration:bureau_confirm": "bureau_officer", "declaration:revise": "declarant",
    "recognition:county_confirm": "bureau_officer", "recognition:city_confirm": "city_officer",
    "recognition:province_confirm": "province_officer",
}


def execute_payloads(w: UrlWorld) -> dict:
    """What the legitimate user submits on each human step's execute page."""
    year = timezone.localdate().year
    returned = w.decls["returned"]
    return {
        "review:initial_review": {"decision": "approve", "experts": [w.a.expert1.pk], "comment": "同意。"},
        "review:expert_review": {"opinion": "disagree", "score": "10", "comment": "不同意。"},
        "review:filing": {"decision": "approve", "filing_number": f"建教师备〔{year}〕99号", "comment": ""},
        "review:revise": {"comment": "已按意见修改。"},
        "review:school_review": {"decision": "approve", "comment": "同意上报。"},
        "review:confirm_changes": {"decision": "approve", "comment": "已按专家意见修改。"},
        "declaration:school_verify": {"decision": "approve", "comment": "同意。"},
        "declaration:training_school_register": {"decision": "approve", "comment": "同意。"},
        "declaration:bureau_confirm": {"decision": "approve", "comment": "同意。"},
        "declaration:revise": {"provider": returned.provider, "title": returned.title, "activity": returned.activity,
                               "level": returned.level, "start_date": str(returned.start_date),
                               "end_date": str(returned.end_date), "hours": str(returned.hours),
                               "comment": "换了清晰的证书。"},
        "recognition:county_confirm": {"decision": "approve", "comment": "同意。"},
        "recognition:city_confirm": {"decision": "approve", "comment": "同意。"},
        "recognition:province_confirm": {"decision": "approve", "comment": "同意认定。"},
    }


def _legit_for(ns_node, task):
    if task.owner_id and task.status in (STATUS.ASSIGNED, STATUS.STARTED):
        from accounts.models import User

        return User.objects.get(pk=task.owner_id)
    return NODE_LEGIT.get(ns_node)


def flow_cases(w: UrlWorld, patterns: list[Pattern]) -> tuple[list[Case], list[str]]:
    """Every task URL of every node: assign/unassign/execute/cancel/undo/revive are POSTed."""
    cases, missing = [], []
    payloads = execute_payloads(w)
    by_username = {u.username: name for name, u in w.users.items() if u is not None}
    flows = _flows()
    for pattern in patterns:
        parts = pattern.key.split(":")
        if len(parts) != 3 or parts[0] not in flows:
            continue
        ns, node_name, action = parts
        node = getattr(flows[ns], node_name)
        tasks = Task.objects.filter(flow_task=node).order_by("pk")
        wanted = {
            "assign": [STATUS.NEW], "unassign": [STATUS.ASSIGNED, STATUS.STARTED],
            "execute": [STATUS.ASSIGNED, STATUS.STARTED], "cancel": [STATUS.NEW, STATUS.ASSIGNED],
            "undo": [STATUS.DONE], "revive": [STATUS.DONE, STATUS.CANCELED, STATUS.ERROR],
        }.get(action)
        chosen = list(tasks.filter(status__in=wanted)[:2]) if wanted else []
        if not chosen:
            chosen = list(tasks[:1])
        if not chosen:
            missing.append(f"{pattern.key}: the URL world has no task of node {ns}:{node_name}")
            continue
        for task in chosen:
            kwargs = {"process_pk": task.process_id, "task_pk": task.pk}
            note = f"task {task.pk} ({task.status}{', owner ' + task.owner.username if task.owner_id else ''})"
            if action in ("index", "detail"):
                cases.append(case(pattern.key, kwargs=kwargs, get_only="reads", legit="root", note=note))
                continue
            legit = _legit_for(f"{ns}:{node_name}", task)
            if not isinstance(legit, (str, type(None))):  # an owner: their name in the world
                legit = by_username.get(legit.username)
            data = payloads.get(f"{ns}:{node_name}", {}) if action == "execute" else {}
            # Controls: claims from a queue, releases back to it, decisions. A task assigned to
            # one person (expert review, revision) may be made impossible to release or re-claim.
            personal = node_name in ("expert_review", "revise")
            control = legit is not None and (action == "execute" or (
                action in ("assign", "unassign") and not personal))
            if action in ("cancel", "undo", "revive"):
                legit, control = "root", action == "cancel" and task.flow_task_type == "HUMAN"
            cases.append(case(pattern.key, data, kwargs=kwargs, legit=legit, control=control, note=note))
    return cases, missing


def flow_site_cases(w: UrlWorld) -> list[Case]:
    """The flows' own list pages, bulk actions and process pages."""
    cases = []
    for ns in _flows():
        if ns == "recognition":
            cases += _recognition_site_cases(w)
            continue
        process = (doc_task(w.docs["queued"], "initial_review") if ns == "review"
                   else decl_task(w.decls["school"], "school_verify")).process
        new_tasks = list(Task.objects.filter(process__flow_class=process.flow_class, status=STATUS.NEW,
                                             flow_task_type="HUMAN").values_list("pk", flat=True))
        held = list(Task.objects.filter(process__flow_class=process.flow_class, status=STATUS.ASSIGNED,
                                        flow_task_type="HUMAN").values_list("pk", flat=True))
        queued = (doc_task(w.docs["queued"], "initial_review") if ns == "review"
                  else decl_task(w.decls["registering"], "training_school_register"))
        for name in ("index", "process_list", "task_list", "chart", "inbox", "queue", "archive"):
            cases.append(case(f"{ns}:{name}", get_only="reads", legit="training_officer"))
        for name in ("process_detail", "process_chart"):
            cases.append(case(f"{ns}:{name}", kwargs={"process_pk": process.pk}, get_only="reads",
                              legit="training_officer"))
        cases += [
            case(f"{ns}:tasks_assign", {"pk": new_tasks, "_confirm": "1"}, legit="training_officer", control=False,
                 fuzz=False, note="bulk claim of every open task"),
            case(f"{ns}:tasks_assign", {"pk": [queued.pk], "_confirm": "1"}, legit="training_officer",
                 note="bulk claim of one queued task"),
            case(f"{ns}:tasks_assign", {"select_all": "1", "_confirm": "1"}, legit="training_officer", control=False,
                 fuzz=False, note="bulk claim with select_all"),
            case(f"{ns}:tasks_unassign", {"pk": held, "_confirm": "1"}, legit="training_officer", control=False,
                 note="bulk release of every held task"),
            case(f"{ns}:tasks_unassign", {"select_all": "1", "_confirm": "1"}, legit="training_officer", control=False,
                 fuzz=False, note="bulk release with select_all"),
            case(f"{ns}:process_cancel", {"_cancel_process": "1"}, kwargs={"process_pk": process.pk},
                 legit="root", note="cancel the process"),
        ]
    return cases


def _recognition_site_cases(w: UrlWorld) -> list[Case]:
    """The recognition flow's own pages: its steps are the bureau's and the regional officers'."""
    from credits.flows import RecognitionFlow

    ns = "recognition"
    queued = rec_task(w.objects["batch_county"], "county_confirm")
    process = queued.process
    new_tasks = list(Task.objects.filter(process__flow_class=RecognitionFlow, status=STATUS.NEW,
                                         flow_task_type="HUMAN").values_list("pk", flat=True))
    held = list(Task.objects.filter(process__flow_class=RecognitionFlow, status=STATUS.ASSIGNED,
                                    flow_task_type="HUMAN").values_list("pk", flat=True))
    cases = [case(f"{ns}:{name}", get_only="reads", legit="bureau_officer")
             for name in ("index", "process_list", "task_list", "chart", "inbox", "queue", "archive")]
    cases += [case(f"{ns}:{name}", kwargs={"process_pk": process.pk}, get_only="reads", legit="bureau_officer")
              for name in ("process_detail", "process_chart")]
    cases += [
        case(f"{ns}:tasks_assign", {"pk": new_tasks, "_confirm": "1"}, legit="bureau_officer", control=False,
             fuzz=False, note="bulk claim of every open task"),
        case(f"{ns}:tasks_assign", {"pk": [queued.pk], "_confirm": "1"}, legit="bureau_officer",
             note="bulk claim of one queued task"),
        case(f"{ns}:tasks_assign", {"select_all": "1", "_confirm": "1"}, legit="bureau_officer", control=False,
             fuzz=False, note="bulk claim with select_all"),
        case(f"{ns}:tasks_unassign", {"pk": held, "_confirm": "1"}, legit="bureau_officer", control=False,
             note="bulk release of every held task"),
        case(f"{ns}:tasks_unassign", {"select_all": "1", "_confirm": "1"}, legit="bureau_officer", control=False,
             fuzz=False, note="bulk release with select_all"),
        case(f"{ns}:process_cancel", {"_cancel_process": "1"}, kwargs={"process_pk": process.pk},
             legit="root", note="cancel the process"),
    ]
    return cases


# --- the admin -------------------------------------------------------------------------------

def admin_objects(w: UrlWorld) -> dict:
    """The district-A (or shared/global) object each admin page is tried on."""
    from credits.models import RuleSet

    o, d = w.objects, w.docs
    return {
        "auth.group": o["group"], "axes.accessattempt": o["access_attempt"], "axes.accesslog": o["access_log"],
        "axes.accessfailurelog": o["access_failure"],
        "viewflow.process": doc_task(d["queued"], "initial_review").process, "viewflow.task": doc_task(d["queued"], "initial_review"),
        "accounts.district": w.a.district, "accounts.organisation": w.a.school, "accounts.user": w.a.school_officer,
        # Issue 15's chain above the districts (registered in the admin by ff43b67).
        "accounts.province": w.a.district.city.province, "accounts.city": w.a.district.city,
        # The database queue's admin (read-only, django_tasks_db's), for the superuser.
        "django_tasks_database.dbtaskresult": o["task_result"],
        "plans.document": d["draft"], "plans.annualplan": d["annual"].annual_plan,
        "plans.schoolplan": d["draft"].school_plan, "plans.projectproposal": d["claimed"].project_proposal,
        "workflow.stepdeadline": o["step_deadline"], "workflow.reviewroute": o["review_route"],
        "workflow.trailentry": d["queued"].trail.order_by("pk").first(),
        "schedule.scheduledproject": o["project"], "schedule.projectlogentry": o["log_entry"],
        "schedule.spotcheck": o["spot_check"], "attendance.completionrules": o["completion_rules"],
        "attendance.teacher": o["pupil_teacher"], "attendance.projectrun": o["run"],
        "attendance.session": o["session_past"], "attendance.enrolment": o["enrolment_confirmed"],
        "attendance.leaverequest": o["leave"],
        # The shared Hunan rule set: districts share it, so only the superuser edits it.
        "credits.ruleset": RuleSet.objects.filter(family="hunan").order_by("pk").first(),
        "credits.creditentry": o["credit_entry"], "credits.declaration": w.decls["school"],
        "credits.cycleclosure": o["cycle_closure"], "notices.notice": o["notice"], "audit.auditevent": o["audit_event"],
    }


ADMIN_SITE_PAGES = {
    "admin:index": "reads", "admin:login": "public: the admin login form", "admin:logout": "self-service",
    "admin:password_change_done": "reads", "admin:autocomplete": "reads (JSON)", "admin:jsi18n": "reads",
    "admin:view_on_site": "redirects", "admin:app_list": "reads",
}


def admin_cases(w: UrlWorld, patterns: list[Pattern], scrape) -> tuple[list[Case], list[str]]:
    """Every registered model's admin pages; the forms are read off the superuser's pages."""
    cases, missing = [], []
    objects = admin_objects(w)
    by_info = {}
    for model in admin.site._registry:
        by_info[f"{model._meta.app_label}_{model._meta.model_name}"] = model
    victim_user = w.actor("other_school_officer")
    for pattern in patterns:
        if not pattern.key.startswith("admin:"):
            continue
        name = pattern.key[len("admin:"):]
        if pattern.key in ADMIN_SITE_PAGES:
            reason = ADMIN_SITE_PAGES[pattern.key]
            if pattern.key == "admin:view_on_site":
                from django.contrib.contenttypes.models import ContentType

                kwargs = {"content_type_id": ContentType.objects.get_for_model(w.docs["draft"]).pk,
                          "object_id": w.docs["draft"].pk}
                cases.append(case(pattern.key, kwargs=kwargs, get_only=reason, legit="root"))
            elif pattern.key == "admin:app_list":
                cases.append(case(pattern.key, kwargs={"app_label": "plans"}, get_only=reason, legit="root"))
            else:
                cases.append(case(pattern.key, get_only=reason, legit="root"))
            continue
        if pattern.key == "admin:password_change":
            cases.append(case(pattern.key, {"old_password": "x", "new_password1": "N3w-pass-123!",
                                            "new_password2": "N3w-pass-123!"},
                              legit="root", control=False, own_rows_ok=True, note="the caller's own password"))
            continue
        if pattern.key == "admin:auth_user_password_change":
            user = w.a.school_officer
            url = reverse(pattern.key, args=[user.pk])
            data = {**scrape(url, "password1"), "password1": "N3w-pass-123!", "password2": "N3w-pass-123!"}
            cases.append(Case(pattern.key, url, data, legit="root", kwargs={"id": user.pk},
                              note="set school A's officer's password"))
            continue
        if "(?P<url>" in pattern.route:
            cases.append(Case(pattern.key, "/admin/no/such/page/", get_only="admin's catch-all: 404 or the login page",
                              legit="root"))
            continue
        model = next((m for info, m in by_info.items() if name.startswith(info + "_")), None)
        if model is None and pattern.name is None:
            # "<path:object_id>/": the old change URL, redirecting to the new one.
            info = pattern.route.split("/")[1:3]
            model = by_info.get("_".join(info))
            victim = objects.get(model._meta.label_lower) if model else None
            if victim is None:
                missing.append(f"{pattern.key}: no object for {info} in the URL world")
                continue
            url = f"/admin/{info[0]}/{info[1]}/{victim.pk}/"
            cases.append(Case(pattern.key, url, get_only="redirects to the change page", legit="root",
                              kwargs={"object_id": victim.pk}))
            continue
        if model is None:
            missing.append(f"{pattern.key}: not a model admin page this test knows")
            continue
        label = model._meta.label_lower
        victim = objects.get(label)
        if victim is None:
            missing.append(f"{pattern.key}: add an object of {label} to the URL world (tests/url_cases.admin_objects)")
            continue
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        view = name[len(info) + 1:]
        change_url = reverse(f"admin:{info}_change", args=[victim.pk])
        note = f"{label} #{victim.pk}"
        if view == "changelist":
            cases.append(case(pattern.key, {"action": "delete_selected", "_selected_action": [victim.pk],
                                            "post": "yes"}, legit="root", control=False, noop_ok=True,
                              note=f"delete {note} (a user without the action sees the list again)"))
        elif view == "add":
            data = scrape(change_url, None)
            cases.append(case(pattern.key, data, legit="root", control=False, note=f"a copy of {note}"))
        elif view == "change":
            data = scrape(change_url, None)
            cases.append(Case(pattern.key, change_url, data, legit="root", kwargs={"object_id": victim.pk},
                              control=bool(data), note=note))
        elif view == "delete":
            cases.append(Case(pattern.key, reverse(pattern.key, args=[victim.pk]), {"post": "yes"}, legit="root",
                              control=False, kwargs={"object_id": victim.pk}, note=note))
        elif view == "history":
            cases.append(Case(pattern.key, reverse(pattern.key, args=[victim.pk]), get_only="reads", legit="root",
                              kwargs={"object_id": victim.pk}))
        elif view == "permissions":
            cases.append(Case(pattern.key, reverse(pattern.key, args=[victim.pk]),
                              {"user": victim_user.username, "submit_manage_user": "1"}, legit="root",
                              control=False, kwargs={"object_pk": victim.pk}, note=note))
        elif view == "permissions_manage_user":
            url = reverse(pattern.key, args=[victim.pk, victim_user.pk])
            options = _first_permission(model)
            cases.append(Case(pattern.key, url, {"permissions": [options]}, legit="root",
                              kwargs={"object_pk": victim.pk, "user_id": victim_user.pk},
                              note=f"grant {options} on {note} to another school's officer"))
        elif view == "permissions_manage_group":
            group = w.objects["group"]
            url = reverse(pattern.key, args=[victim.pk, group.pk])
            options = _first_permission(model)
            cases.append(Case(pattern.key, url, {"permissions": [options]}, legit="root",
                              kwargs={"object_pk": victim.pk, "group_id": group.pk},
                              note=f"grant {options} on {note} to a group"))
        else:
            missing.append(f"{pattern.key}: admin view {view!r} unknown to this test")
    return cases, missing


def _first_permission(model) -> str:
    from guardian.shortcuts import get_perms_for_model

    return sorted(p.codename for p in get_perms_for_model(model))[0]


# --- all together ----------------------------------------------------------------------------

def build_cases(w: UrlWorld, scrape) -> tuple[list[Case], list[str]]:
    """All cases, and the patterns that could not be mapped (each a reason to fail).

    scrape(url, containing) → the form on `url` as the superuser/legit user sees it.
    """
    patterns = url_patterns()
    scraped = {"plans:edit": scrape(reverse("plans:edit", args=[w.docs["draft"].pk]), "doc-title",
                                    actor="school_officer")}
    cases = project_cases(w, scraped) + newer_project_cases(w, scrape) + flow_site_cases(w)
    more, missing = flow_cases(w, patterns)
    cases += more
    more, missing_admin = admin_cases(w, patterns, lambda url, containing: scrape(url, containing, actor="root"))
    cases += more
    missing += missing_admin
    covered = {c.key for c in cases}
    for pattern in patterns:
        if pattern.key not in covered and not any(m.startswith(pattern.key + ":") for m in missing):
            missing.append(f"{pattern.key} ({pattern.route}): neither POST-tested nor listed as GET-only "
                           "in tests/url_cases.py")
    for c in cases:
        if not c.get_only and c.data is None:
            missing.append(f"{c.key}: a POST case without a payload")
    return cases, missing
