"""考核结果: each attendee's assessment result at a project's close (合格 / 不合格 / 优秀学员).

The organiser gives them on the close page for the whole roster (合格 unless changed), or
imports them from a spreadsheet (ID number, name, result), all or nothing, each bad row listed.
Attendees who did not complete the project by attendance get no result: the credits say why
they get none (credits.services.credit_finished_project). Results are recorded once, when the
project is closed (schedule.services.log_entry_add), and the credits follow them.
"""
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.xlsx import SpreadsheetError, read_rows, safe_row, xlsx_response

from .models import AssessmentResult, Enrolment
from .reports import ProjectRow, project_report
from .roster import RowError

Result = AssessmentResult.Result

ERROR_RESULT_UNKNOWN = gettext_lazy("Unknown assessment result “%(result)s”: choose %(choices)s.")
ERROR_NOT_ON_ROSTER = gettext_lazy("Assessment results can only be given for the project's confirmed attendees.")
ERROR_NOT_COMPLETED = gettext_lazy("%(name)s did not complete the project by attendance (%(share)s%%): "
                                   "no assessment result can be given.")
ERROR_ALREADY_RECORDED = gettext_lazy("The assessment results of this project are already recorded.")

IMPORT_COLUMNS = 3  # ID number, name, result (a fourth column, the template's note, is ignored)


def choices_text() -> str:
    return "、".join(str(label) for label in Result.labels)


def roster_rows(project) -> list[ProjectRow]:
    """The project's confirmed attendees with their attendance and whether they completed."""
    return project_report(project).rows


def _share(row: ProjectRow) -> str:
    return f"{row.share:.1f}"


def results_check(rows: list[ProjectRow], results: Mapping[int, str]) -> dict[int, str]:
    """{teacher id: result} for every attendee who completed the project by attendance:
    the result given, 合格 where none is. Refused (ValidationError, nothing written): an
    unknown result, a teacher not on the roster, a result for one who did not complete."""
    by_teacher = {row.teacher.pk: row for row in rows}
    problems = []
    unknown = sorted({str(value) for value in results.values() if value not in Result.values})
    if unknown:
        problems.append(ERROR_RESULT_UNKNOWN % {"result": "、".join(unknown), "choices": choices_text()})
    if set(results) - set(by_teacher):
        problems.append(ERROR_NOT_ON_ROSTER)
    for teacher_id, row in by_teacher.items():
        if teacher_id in results and not row.completed:
            problems.append(ERROR_NOT_COMPLETED % {"name": row.teacher.name, "share": _share(row)})
    if problems:
        raise ValidationError([str(problem) for problem in problems])
    return {row.teacher.pk: results.get(row.teacher.pk, Result.PASS) for row in rows if row.completed}


def results_record(*, project, user, results: Mapping[int, str]) -> list[AssessmentResult]:
    """Record the results at the close (the caller holds the project's lock and closes it):
    one row per attendee who completed, each saved on its own so the audit trail sees it."""
    checked = results_check(roster_rows(project), results)
    if AssessmentResult.objects.filter(enrolment__project=project).exists():
        raise ValidationError(ERROR_ALREADY_RECORDED)
    enrolments = {e.teacher_id: e for e in Enrolment.objects.filter(
        project=project, status=Enrolment.Status.CONFIRMED, teacher_id__in=list(checked)).select_related(
        "teacher", "project")}
    recorded = []
    for teacher_id, result in checked.items():
        assessment = AssessmentResult(enrolment=enrolments[teacher_id], result=result, recorded_by=user)
        assessment.full_clean(exclude=["enrolment", "recorded_by"])
        assessment.save()
        recorded.append(assessment)
    return recorded


def recorded_results(project) -> dict[int, AssessmentResult]:
    """{teacher id: result} recorded at the project's close."""
    return {r.enrolment.teacher_id: r for r in AssessmentResult.objects.filter(
        enrolment__project=project).select_related("enrolment", "recorded_by")}


# --- the spreadsheet -----------------------------------------------------------------------

def column_titles() -> list[str]:
    return [_("ID number"), _("Name"), _("Assessment result"), _("Note")]


def _result_words() -> dict[str, str]:
    """What a cell may say for each result: its code, its label in English and in Chinese."""
    words = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in Result.choices:
                words[str(label).strip().casefold()] = value
    for value in Result.values:
        words[value] = value
    # The words of the seeds, whatever the catalog says.
    words.update({"合格": Result.PASS, "不合格": Result.FAIL, "优秀学员": Result.EXCELLENT, "优秀": Result.EXCELLENT})
    return words


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():  # a number typed into a cell
        value = int(value)
    return "" if value is None else str(value).strip()


def results_parse(project, file) -> tuple[dict[int, str], list[RowError]]:
    """The results a spreadsheet gives (ID number, name, result; the first row is the header).
    Any bad row: no results and every bad row listed. Attendees the file does not name keep
    合格; a row for one who did not complete must leave the result empty (or say 不合格)."""
    try:
        rows = read_rows(file, columns=IMPORT_COLUMNS)  # streamed, capped in size and rows
    except SpreadsheetError as error:  # the file as a whole
        return {}, [RowError(0, str(error))]
    if not rows:
        return {}, [RowError(0, _("The file has no results: fill in one row per teacher under the header."))]
    roster = {row.teacher.id_number.upper(): row for row in roster_rows(project)}
    words = _result_words()
    results, errors, seen = {}, [], {}
    for number, (id_cell, name_cell, result_cell) in rows:
        reasons = []
        id_number, name, said = _text(id_cell).upper(), _text(name_cell), _text(result_cell)
        row = roster.get(id_number)
        if row is None:
            reasons.append(_("the ID number %(id)s is not on this project's roster") % {"id": id_number or "—"})
        elif id_number in seen:
            reasons.append(_("the ID number appears twice in the file (rows %(first)s and %(row)s)")
                           % {"first": seen[id_number], "row": number})
        if not name:
            reasons.append(_("the name is missing"))
        elif row is not None and name != row.teacher.name:
            reasons.append(_("the name “%(name)s” does not match the ID number (the roster says %(roster)s)")
                           % {"name": name, "roster": row.teacher.name})
        result = words.get(said.casefold()) if said else None
        if said and result is None:
            reasons.append(_("unknown result “%(result)s”: write %(choices)s") % {
                "result": said, "choices": choices_text()})
        elif row is not None and row.completed and not said:
            reasons.append(_("the result is missing"))
        elif row is not None and not row.completed and result not in (None, Result.FAIL):
            reasons.append(_("%(name)s did not complete the project by attendance (%(share)s%%): leave the "
                             "result empty") % {"name": row.teacher.name, "share": _share(row)})
        if reasons:
            errors.append(RowError(number, "；".join(reasons)))
            continue
        seen[id_number] = number
        if row.completed:
            results[row.teacher.pk] = result
    if errors:
        return {}, errors
    return results, []


def results_template(project, rows: list[ProjectRow], results: Mapping[int, str] | None = None):
    """The roster as a workbook to fill in: 合格 for everyone who completed, nothing (and why)
    for those who did not."""
    from openpyxl import Workbook

    results = results or {}
    labels = dict(Result.choices)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("Assessment results"))[:31]
    sheet.append(column_titles())
    for row in rows:
        if row.completed:
            result, note = str(labels[results.get(row.teacher.pk, Result.PASS)]), ""
        else:
            result = ""
            note = _("Did not complete by attendance (%(share)s%%): no result") % {"share": _share(row)}
        sheet.append(safe_row([row.teacher.id_number, row.teacher.name, result, note]))
    for column, width in zip("ABCD", (22, 12, 12, 40)):
        sheet.column_dimensions[column].width = width
    return xlsx_response(workbook, f"{project.name}-{_('Assessment results')}.xlsx")
