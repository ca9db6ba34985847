"""Assessment results at a project's close (issue #12): the organiser records each attendee's
result (合格 / 不合格 / 优秀学员) on one page for the whole roster, or imports them from a
spreadsheet, and the credits follow them (Gansu 第七条: 成绩不合格者不认定学分; 优秀学员 县级
+4). Who may do it, bad input (Chinese messages, nothing saved), the audit trail, and a race."""
import datetime
import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from attendance import assessment
from attendance import services as attendance
from attendance.models import AssessmentResult, Attendance, ProjectRun
from audit.models import Action, AuditEvent
from credits import services as credits
from credits.models import CreditEntry
from schedule.closing import ERROR_ALREADY_CLOSED
from schedule.models import ProjectLogEntry, ScheduledProject
from schedule.services import ERROR_CANNOT_CLOSE, log_entry_add
from tests.attendance_helpers import confirm, make_project, make_session, make_teacher
from tests.factories import make_district
from tests.race_helpers import logged_in, race

D0 = D(0)
TODAY = datetime.date(2024, 3, 30)


def url(project):
    return reverse("schedule:close", args=[project.pk])


def close_data(results=None, **extra):
    data = {"close": "1", "happened_on": TODAY.isoformat(), "text": "培训结业，考核结果已登记。"}
    data.update({f"result-{teacher.pk}": value for teacher, value in (results or {}).items()})
    data.update(extra)
    return data


@pytest.fixture
def course(world):
    """A 6-hour county project of the training school (two sessions of 3 h, over): 合格, 不合格
    and 优秀 attended both, 缺勤 only one (50 % of the 80 % needed). Gansu's rules."""
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "gansu"
    world.district.save()
    project = make_project(world, hours=6, year=2024)
    ProjectRun.objects.create(project=project, min_attendance_percent=80)
    teachers = {name: make_teacher(world.school if name != "优秀" else world.other_school, name)
                for name in ("合格", "不合格", "优秀", "缺勤")}
    sessions = [make_session(project, date=datetime.date(2024, 3, d)) for d in (11, 12)]
    for teacher in teachers.values():
        confirm(project, teacher, world)
    for n, session in enumerate(sessions):
        marks = {t.pk: "present" for name, t in teachers.items() if not (name == "缺勤" and n == 1)}
        marks[teachers["缺勤"].pk] = marks.get(teachers["缺勤"].pk, "absent")
        attendance.attendance_mark(session=session, user=world.training_officer, marks=marks)
    return project, teachers


def ledger(teacher):
    return [(e.source, e.credits) for e in CreditEntry.objects.filter(teacher=teacher).order_by("pk")]


def nothing_written(project):
    project.refresh_from_db()
    return (project.status == ScheduledProject.Status.SCHEDULED and not AssessmentResult.objects.exists()
            and not CreditEntry.objects.exists() and not ProjectLogEntry.objects.filter(project=project).exists())


def errors_of(response) -> str:
    text = " ".join(str(m) for m in response.context["messages"])
    form = response.context.get("form")
    if form is not None:
        text += " " + " ".join(str(e) for errors in form.errors.values() for e in errors)
    return text


# --- the page and the credits ----------------------------------------------------------------------

def test_the_results_map_to_the_engines_results():
    assert sorted(AssessmentResult.Result.values) == sorted(credits.Result.ALL)


def test_the_page_lists_the_whole_roster_with_pass_by_default(world, client_for, course):
    project, teachers = course
    response = client_for(world.training_officer).get(url(project))
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("合格", "不合格", "优秀"):
        teacher = teachers[name]
        assert f'name="result-{teacher.pk}" value="pass" checked' in page
        assert f'name="result-{teacher.pk}" value="excellent"' in page
    # 缺勤 did not complete by attendance: shown as such, no buttons.
    assert f'name="result-{teachers["缺勤"].pk}"' not in page
    assert 'data-flag="not-completed"' in page
    assert str(pgettext("assessment", "Failed")) in page and gettext("Excellent trainee") in page
    assert 'data-testid="close"' in page
    assert nothing_written(project)


def test_closing_with_one_failed_and_one_excellent_credits_by_the_results(world, client_for, course):
    project, t = course
    response = client_for(world.training_officer).post(url(project), close_data({
        t["不合格"]: "fail", t["优秀"]: "excellent"}))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ScheduledProject.Status.FINISHED
    assert ProjectLogEntry.objects.get(project=project, kind="closed").text == "培训结业，考核结果已登记。"
    # Gansu 第七条: county 1 h = 1; 不合格 → nothing, saying why; 优秀学员 county +4.
    assert ledger(t["合格"]) == [("project", D(6))]
    assert ledger(t["不合格"]) == [("project", D0)]
    assert CreditEntry.objects.get(teacher=t["不合格"]).note == gettext("Those who fail the assessment get no credits.")
    assert ledger(t["优秀"]) == [("project", D(6)), ("bonus", D(4))]
    absent = CreditEntry.objects.get(teacher=t["缺勤"])
    assert absent.credits == 0 and "50" in absent.note
    # One result per attendee who completed, kept with who recorded it.
    results = {r.enrolment.teacher.name: r.result
               for r in AssessmentResult.objects.select_related("enrolment__teacher")}
    assert results == {"合格": "pass", "不合格": "fail", "优秀": "excellent"}
    assert {r.recorded_by for r in AssessmentResult.objects.all()} == {world.training_officer}
    # ...and in the audit trail, in the district's language.
    events = AuditEvent.objects.filter(action=Action.ASSESSMENT_RESULT).order_by("pk")
    assert events.count() == 3 and {e.district_id for e in events} == {world.district.pk}
    assert any("不合格" in e.summary and t["不合格"].name in e.summary for e in events)
    assert all(e.actor == world.training_officer for e in events)

    # After the close the page shows the results and the credits, and takes nothing more.
    page = client_for(world.training_officer).get(url(project)).content.decode()
    assert 'data-result="fail"' in page and 'data-result="excellent"' in page and 'data-credit="bonus"' in page
    assert 'data-testid="close"' not in page and 'name="result-' not in page


def test_changsha_excellent_is_plus_20_percent(world, client_for, course):
    project, t = course
    world.district.credit_rule_family = "changsha"
    world.district.save()
    # Changsha's rules start in 2016: this 2024 project counts by them. 三、2: +20 %, rounded.
    client_for(world.training_officer).post(url(project), close_data({t["优秀"]: "excellent"}))
    assert ledger(t["优秀"]) == [("project", D(6)), ("bonus", D(1))]   # 6 × 1.2 = 7.2 → 7


def test_results_not_given_are_pass(world, client_for, course):
    project, t = course
    assert client_for(world.training_officer).post(url(project), close_data()).status_code == 302
    assert [r.result for r in AssessmentResult.objects.all()] == ["pass"] * 3
    assert ledger(t["不合格"]) == [("project", D(6))]


def test_closing_from_the_project_log_records_the_default_results_too(world, course):
    project, t = course
    log_entry_add(project=project, user=world.training_officer, kind="closed", happened_on=TODAY, text="结业。")
    assert sorted(r.enrolment.teacher.name for r in AssessmentResult.objects.select_related("enrolment__teacher")) \
        == sorted(["合格", "不合格", "优秀"])
    assert set(AssessmentResult.objects.values_list("result", flat=True)) == {"pass"}


def test_credits_read_the_recorded_results(world, course):
    """The credits run on its own (as a signal receiver would) follows what was recorded."""
    project, t = course
    assessment.results_record(project=project, user=world.training_officer, results={t["不合格"].pk: "fail"})
    credits.credit_finished_project(project)
    assert ledger(t["不合格"]) == [("project", D0)]
    assert ledger(t["合格"]) == [("project", D(6))]


# --- who may -------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["school_officer", "principal", "other_school_officer", "teacher", "expert1",
                                 "stranger", "bureau_officer"])
def test_only_the_organiser_closes(world, client_for, course, who):
    project, t = course
    if who == "stranger":
        user = make_district(name="临颍县", prefix="临教师备", suffix="_x").training_officer
    else:
        user = getattr(world, who)
    client = client_for(user)
    response = client.post(url(project), close_data({t["不合格"]: "fail"}))
    assert response.status_code == 403
    # District staff of the project's district may look; nobody else.
    assert client.get(url(project)).status_code == (200 if who == "bureau_officer" else 403)
    assert nothing_written(project)


def test_the_bureau_cannot_close_through_the_project_log_either(world, course):
    project, _t = course
    with pytest.raises(PermissionDenied):
        log_entry_add(project=project, user=world.bureau_officer, kind="closed", happened_on=TODAY, text="结业。")
    assert nothing_written(project)


def test_a_project_of_another_organiser_is_not_the_training_officers(world, client_for, course):
    """A school's own project: its officer is the organiser, the training school is not."""
    project, _t = course
    ScheduledProject.objects.filter(pk=project.pk).update(organiser=world.school)
    assert client_for(world.training_officer).post(url(project), close_data()).status_code == 403
    assert client_for(world.school_officer).post(url(project), close_data()).status_code == 302


# --- bad input: a Chinese message, nothing saved ---------------------------------------------------

@pytest.mark.parametrize("case", ["unknown", "not_completed", "stranger", "no_date", "bad_date", "no_text"])
def test_bad_input_is_refused_and_nothing_is_saved(world, client_for, course, case):
    project, t = course
    data, expected = close_data(), None
    if case == "unknown":
        data[f"result-{t['合格'].pk}"] = "good"
        expected = assessment.ERROR_RESULT_UNKNOWN % {"result": "good", "choices": assessment.choices_text()}
    elif case == "not_completed":
        data[f"result-{t['缺勤'].pk}"] = "pass"
        expected = assessment.ERROR_NOT_COMPLETED % {"name": "缺勤", "share": "50.0"}
    elif case == "stranger":
        data[f"result-{make_teacher(world.school, '外人').pk}"] = "pass"
        expected = assessment.ERROR_NOT_ON_ROSTER
    elif case == "no_date":
        data["happened_on"] = ""
        expected = gettext("This field is required.")
    elif case == "bad_date":
        data["happened_on"] = "2024-13-45"
        expected = gettext("Enter a valid date.")
    elif case == "no_text":
        data["text"] = "   "
        expected = gettext("This field is required.")
    response = client_for(world.training_officer).post(url(project), data)
    assert response.status_code == 200
    assert str(expected) in errors_of(response)
    assert nothing_written(project)


@pytest.mark.parametrize("key", ["result-abc", "result-", "result-" + "9" * 30])
def test_a_malformed_teacher_key_is_a_bad_request(world, client_for, course, key):
    project, _t = course
    response = client_for(world.training_officer).post(url(project), close_data(**{key: "pass"}))
    assert response.status_code == 400
    assert nothing_written(project)


def test_closing_stays_refused_while_a_session_is_ahead_or_unmarked(world, client_for, course):
    project, t = course
    ahead = make_session(project, date=timezone.localdate() + datetime.timedelta(days=3))
    client = client_for(world.training_officer)
    page = client.get(url(project)).content.decode()
    assert 'data-testid="blockers"' in page and 'data-testid="close"' not in page
    response = client.post(url(project), close_data({t["不合格"]: "fail"}))
    assert response.status_code == 200
    assert str(ERROR_CANNOT_CLOSE) in errors_of(response)
    assert str(attendance.ERROR_CLOSE_NOT_OVER % {"session": ahead.title, "date": attendance._day(ahead.date)}) \
        in errors_of(response)
    assert nothing_written(project)


def test_a_second_close_is_refused(world, client_for, course):
    project, t = course
    client = client_for(world.training_officer)
    assert client.post(url(project), close_data({t["不合格"]: "fail"})).status_code == 302
    response = client.post(url(project), close_data({t["不合格"]: "pass"}))
    assert response.status_code == 200
    assert str(ERROR_ALREADY_CLOSED) in errors_of(response)
    assert AssessmentResult.objects.get(enrolment__teacher=t["不合格"]).result == "fail"
    assert CreditEntry.objects.filter(project=project, source="project").count() == 4
    assert ProjectLogEntry.objects.filter(project=project, kind="closed").count() == 1


# --- importing the results -------------------------------------------------------------------------

def workbook(rows, header=True) -> SimpleUploadedFile:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if header:
        sheet.append(["身份证号", "姓名", "考核结果"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("考核结果.xlsx", out.getvalue())


def test_importing_puts_the_results_on_the_page_and_closing_saves_them(world, client_for, course):
    project, t = course
    client = client_for(world.training_officer)
    upload = workbook([(t["合格"].id_number, "合格", "合格"), (t["不合格"].id_number, "不合格", "不合格"),
                       (t["优秀"].id_number.lower(), " 优秀 ", "优秀学员"), (t["缺勤"].id_number, "缺勤", None)])
    response = client.post(url(project), {"import": "1", "file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="result-{t["不合格"].pk}" value="fail" checked' in page
    assert f'name="result-{t["优秀"].pk}" value="excellent" checked' in page
    assert f'name="result-{t["合格"].pk}" value="pass" checked' in page
    assert nothing_written(project)  # read, not saved
    assert client.post(url(project), close_data({t["不合格"]: "fail", t["优秀"]: "excellent"})).status_code == 302
    assert ledger(t["优秀"]) == [("project", D(6)), ("bonus", D(4))]


def test_a_file_with_bad_rows_is_not_taken_and_each_bad_row_is_listed(world, client_for, course):
    project, t = course
    stranger = make_teacher(world.school, "外人")
    upload = workbook([
        (t["合格"].id_number, "合格", "合格"),                       # row 2: good
        (stranger.id_number, "外人", "合格"),                        # 3: not on the roster
        (t["不合格"].id_number, "王五", "不合格"),                    # 4: name does not match
        (t["优秀"].id_number, "优秀", "很好"),                        # 5: unknown result
        (t["合格"].id_number, "合格", "合格"),                       # 6: twice
        (t["缺勤"].id_number, "缺勤", "优秀学员"),                    # 7: did not complete
        (t["优秀"].id_number, "优秀", None),                          # 8: result missing
    ])
    response = client_for(world.training_officer).post(url(project), {"import": "1", "file": upload})
    assert response.status_code == 200
    errors = {error.row: error.reason for error in response.context["import_errors"]}
    assert sorted(errors) == [3, 4, 5, 6, 7, 8]
    assert gettext("the ID number %(id)s is not on this project's roster") % {"id": stranger.id_number} in errors[3]
    assert gettext("the name “%(name)s” does not match the ID number (the roster says %(roster)s)") % {
        "name": "王五", "roster": "不合格"} in errors[4]
    assert gettext("unknown result “%(result)s”: write %(choices)s") % {
        "result": "很好", "choices": assessment.choices_text()} in errors[5]
    assert gettext("the ID number appears twice in the file (rows %(first)s and %(row)s)") % {
        "first": 2, "row": 6} in errors[6]
    assert "缺勤" in errors[7]
    assert gettext("the result is missing") in errors[8]
    assert gettext("Nothing was taken from the file: correct the rows below and import it again.") \
        in errors_of(response)
    # Nothing taken: every button back at 合格, nothing saved.
    assert f'name="result-{t["不合格"].pk}" value="pass" checked' in response.content.decode()
    assert nothing_written(project)


@pytest.mark.parametrize("case", ["not_xlsx", "empty", "header_only"])
def test_an_unreadable_file_is_refused(world, client_for, course, case):
    project, _t = course
    if case == "not_xlsx":
        upload = SimpleUploadedFile("考核结果.xlsx", b"ID,name,result\n")
    elif case == "empty":
        upload = SimpleUploadedFile("考核结果.xlsx", b"")
    else:
        upload = workbook([])
    response = client_for(world.training_officer).post(url(project), {"import": "1", "file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    if case == "header_only":
        assert gettext("The file has no results: fill in one row per teacher under the header.") in page
    else:
        assert response.context["import_form"].errors
    assert nothing_written(project)


def test_the_template_lists_the_roster_and_reads_back(world, client_for, course):
    from openpyxl import load_workbook

    project, t = course
    client = client_for(world.training_officer)
    response = client.get(url(project), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert {row[1]: row[2] for row in rows} == {"合格": str(pgettext("assessment", "Passed")),
                                               "不合格": str(pgettext("assessment", "Passed")),
                                               "优秀": str(pgettext("assessment", "Passed")), "缺勤": None}
    back = SimpleUploadedFile("考核结果.xlsx", response.content)
    assert assessment.results_parse(project, back) == ({t[n].pk: "pass" for n in ("合格", "不合格", "优秀")}, [])


def test_importing_is_the_organisers_alone(world, client_for, course):
    project, t = course
    upload = workbook([(t["合格"].id_number, "合格", "不合格")])
    assert client_for(world.bureau_officer).post(url(project), {"import": "1", "file": upload}).status_code == 403
    assert client_for(world.teacher).get(url(project), {"format": "xlsx"}).status_code == 403


# --- racing closes ---------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_racing_closes_record_one_set_of_results_and_credit_once():
    call_command("loaddata", "credit_rules", verbosity=0)
    world = make_district()
    world.district.credit_rule_family = "gansu"
    world.district.save()
    project = make_project(world, hours=6, year=2024)
    teachers = [make_teacher(world.school, name) for name in ("甲", "乙")]
    for teacher in teachers:
        confirm(project, teacher, world)
    session = make_session(project, date=datetime.date(2024, 3, 11))
    for teacher in teachers:
        Attendance.objects.create(session=session, teacher=teacher, status="present", source="roll_call",
                                  marked_by=world.training_officer)
    data = close_data({teachers[1]: "excellent"})

    results = race([(logged_in(world.training_officer), url(project), data) for _n in range(4)])

    assert sorted(results) == [200, 200, 200, 302], results
    project.refresh_from_db()
    assert project.status == "finished"
    assert AssessmentResult.objects.count() == 2
    assert CreditEntry.objects.filter(project=project, source="project").count() == 2
    assert CreditEntry.objects.filter(project=project, source="bonus").count() == 1
    assert ProjectLogEntry.objects.filter(project=project, kind="closed").count() == 1
    assert AuditEvent.objects.filter(action=Action.ASSESSMENT_RESULT).count() == 2


@pytest.mark.parametrize("who", ["training_officer", "bureau_officer"])
def test_the_project_log_no_longer_closes_the_close_page_does(world, client_for, course, who):
    """Closing without the results page would credit everyone as 合格 unseen: the log form no
    longer offers it; the project page links to the close page instead."""
    project, _t = course
    client = client_for(getattr(world, who))
    page = client.get(reverse("schedule:project", args=[project.pk]))
    assert 'value="closed"' not in page.content.decode()
    assert url(project) in page.content.decode()
    response = client.post(reverse("schedule:project", args=[project.pk]),
                           {"log-kind": "closed", "log-happened_on": TODAY.isoformat(), "log-text": "结业。"})
    assert response.status_code == 200 and response.context["log_form"].errors["kind"]
    assert nothing_written(project)
