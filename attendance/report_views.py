"""考勤统计 pages, each also as an xlsx workbook with ?format=xlsx.

Who sees what (domain: a school sees only its own teachers and attendance; the
training school and the bureau see their district):

* a project's report: its organiser, and district staff of its district;
* a school's report: its school officer and principal; district staff of its
  district with ?organisation=<pk>;
* a teacher's report: the teacher (Teacher.user), their school's officer and
  principal, and district staff of their district;
* the district report: training-school and bureau officers.

The rules are attendance/scopes.py's, asked through user.has_perm.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from core.paging import page_of
from core.params import parse_id, parse_page
from core.xlsx import export_job_by_get, export_url, percent_cell, report_response, wants_xlsx, yes_cell
from schedule.models import ScheduledProject

from . import presenters, reports, tasks
from .models import Teacher
from .scopes import teacher_may_view

YEARS = range(2000, 2101)
# Teachers per page of a school's report: the totals above the table count every teacher.
SCHOOL_PAGE_SIZE = 25


# --- helpers -------------------------------------------------------------------------

def _year(request) -> int:
    """?year= names the school year by the autumn it starts in; this school year by default."""
    default = reports.school_year_of(timezone.localdate())
    try:
        year = int(request.GET.get("year", default))
    except (TypeError, ValueError):
        return default
    return year if year in YEARS else default






def _school_year_label(year: int) -> str:
    return _("School year %(start)s–%(end)s") % {"start": year, "end": year + 1}


def _xlsx(title, columns, rows, summary):
    return report_response(title, columns, rows, summary, sheet_title=_("Attendance"))


def _participation_summary(report) -> list[tuple]:
    return [
        (_("Expected hours"), report.expected_hours),
        (_("Attended hours"), report.attended_hours),
        (_("Participation rate (%)"), percent_cell(report.participation)),
        (_("District target (%)"), report.target),
        (_("Target met"), _("Yes") if report.meets_target else _("No")),
    ]


# --- a project -----------------------------------------------------------------------

@login_required
def project_report(request, pk):
    project = get_object_or_404(ScheduledProject.objects.select_related("organiser"), pk=pk)
    user = request.user
    if not user.has_perm("attendance.view_project_report", project):
        raise PermissionDenied
    report = reports.project_report(project)
    if wants_xlsx(request):
        return _project_xlsx(report)
    page = page_of(request, report.rows, SCHOOL_PAGE_SIZE)
    return render(request, "attendance/reports/project.html", {
        "report": report, "page": page, "project": project, "export_url": export_url(request),
        "teacher_links": {row.teacher.pk for row in page if teacher_may_view(user, row.teacher)},
    })


def _project_xlsx(report):
    title = _("Attendance report: %(project)s") % {"project": report.project.name}
    # "Hours made up" (补学) last: it joined later, the earlier columns keep their places.
    columns = [_("Teacher"), _("School"), _("Sessions attended"), _("Hours attended"), _("Project hours"),
               _("Share of hours (%)"), _("Training completed"), _("Exempt from assessment"), _("Hours made up")]
    rows = [[row.teacher.name, row.teacher.organisation.name, row.sessions_attended, row.attended_hours,
             row.total_hours, percent_cell(row.share), yes_cell(row.completed), yes_cell(row.exempt),
             row.made_up_hours]
            for row in report.rows]
    summary = [
        (_("Teachers on the roster"), len(report.rows)),
        (_("Sessions"), len(report.sessions)),
        (_("Attendance needed to complete (%)"), report.min_attendance_percent),
        (_("Training completed"), report.completed_count),
    ] + _participation_summary(report)
    return _xlsx(title, columns, rows, summary)


# --- a school ------------------------------------------------------------------------

@login_required
def school_report(request):
    user = request.user
    wanted = request.GET.get("organisation")
    if user.is_school_staff:
        organisation = user.organisation
        if wanted and wanted != str(organisation.pk):
            raise PermissionDenied
    elif user.is_district_reviewer:
        if not wanted:
            return redirect("attendance:report_district")
        organisation = get_object_or_404(Organisation, pk=parse_id(wanted), kind__in=reports.SCHOOL_KINDS)
    else:
        raise PermissionDenied
    if not organisation.is_school or not user.has_perm("attendance.view_school_report", organisation):
        raise PermissionDenied
    year = _year(request)
    if wants_xlsx(request):
        return _school_xlsx(reports.school_report(organisation, year))
    # The totals count every teacher; only the page's rows carry their Teacher objects.
    report, page = reports.school_report_page(organisation, year, parse_page(request.GET.get("page")),
                                              SCHOOL_PAGE_SIZE)
    return render(request, "attendance/reports/school.html", {
        "report": report, "page": page, "rows": presenters.school_rows(page, year), "year": year,
        "year_label": _school_year_label(year), "export_url": export_url(request),
        "organisation_param": wanted if user.is_district_reviewer else "",
    })


def _school_xlsx(report):
    title = _("Attendance report: %(school)s, %(year)s") % {
        "school": report.organisation.name, "year": _school_year_label(report.year)}
    semester_columns = [_("Semester %(n)s absence (hours)") % {"n": n} for n in range(1, len(report.semesters) + 1)]
    columns = [_("Teacher"), *semester_columns, _("Credit forfeited"), _("At risk"), _("Exempt from assessment"),
               _("School-based hours attended"), _("Project hours attended"), _("Expected hours"),
               _("Participation rate (%)")]
    rows = [[row.teacher.name, *row.absence, yes_cell(row.forfeited), yes_cell(row.at_risk), yes_cell(row.exempt),
             row.school_based_hours, row.project_hours, row.expected_hours, percent_cell(row.participation)]
            for row in report.rows]
    summary = [
        (_("Teachers in post"), report.teachers),
        (_("Absence that forfeits the year's credit (hours, inclusive)"), report.limit),
        (_("Credit forfeited"), report.forfeited),
        (_("At risk"), report.at_risk),
        (_("Exempt from assessment"), report.exempt),
    ] + _participation_summary(report)
    return _xlsx(title, columns, rows, summary)


# --- a teacher -----------------------------------------------------------------------

@login_required
def teacher_report(request, pk):
    teacher = get_object_or_404(Teacher.objects.select_related("organisation"), pk=pk)
    if not request.user.has_perm("attendance.view_teacher", teacher):
        raise PermissionDenied
    year = _year(request)
    report = reports.teacher_report(teacher, year)
    if wants_xlsx(request):
        return _teacher_xlsx(report)
    return render(request, "attendance/reports/teacher.html", {
        "report": report, "teacher": teacher, "year": year, "year_label": _school_year_label(year),
        "export_url": export_url(request),
    })


def _teacher_xlsx(report):
    title = _("Attendance report: %(teacher)s, %(year)s") % {
        "teacher": report.teacher.name, "year": _school_year_label(report.year)}
    columns = [_("Date"), _("Topic"), _("Training"), _("Organiser"), _("Hours"), _("Attendance")]
    rows = [[row.session.date, row.session.title,
             _("School-based training") if row.school_based else row.session.project.name,
             row.session.organisation.name, row.hours, str(row.label)] for row in report.rows]
    summary = [
        (_("Expected hours"), report.expected_hours),
        (_("Attended hours"), report.attended_hours),
        (_("Absent hours"), report.absent_hours),
        (_("Leave hours"), report.leave_hours),
        (_("Not recorded hours"), report.unrecorded_hours),
        (_("Participation rate (%)"), percent_cell(report.participation)),
    ]
    if report.standing:
        summary += [(_("Semester %(n)s absence (hours)") % {"n": n}, hours)
                    for n, hours in enumerate(report.standing.absence, 1)]
        summary += [(_("Credit forfeited"), _("Yes") if report.standing.forfeited else _("No")),
                    (_("At risk"), _("Yes") if report.standing.at_risk else _("No")),
                    (_("Exempt from assessment"), _("Yes") if report.standing.exempt else _("No"))]
    return _xlsx(title, columns, rows, summary)


# --- the district --------------------------------------------------------------------

@login_required
def district_report(request):
    user = request.user
    if not user.is_district_reviewer:
        raise PermissionDenied
    year = _year(request)
    district = user.organisation.district
    if wants_xlsx(request):  # the whole district: a background job (attendance.tasks), by POST only
        refused = export_job_by_get(request)
        if refused:
            return refused
        job = tasks.district_export_start(user=user, district=district, year=year, title=_(
            "Attendance report: %(district)s, %(year)s") % {"district": district.name,
                                                           "year": _school_year_label(year)})
        return redirect("jobs:detail", pk=job.pk)
    report = reports.district_report(district, year)
    return render(request, "attendance/reports/district.html", {
        "report": report, "page": page_of(request, report.schools, SCHOOL_PAGE_SIZE), "year": year, "year_label": _school_year_label(year),
        "export_url": export_url(request), "export_job": True,
    })


def _district_xlsx(report):
    title = _("Attendance report: %(district)s, %(year)s") % {
        "district": report.district.name, "year": _school_year_label(report.year)}
    columns = [_("School"), _("Teachers in post"), _("Expected hours"), _("Attended hours"), _("Participation rate (%)"),
               _("Target met"), _("Credit forfeited"), _("At risk"), _("Exempt from assessment")]
    rows = [[school.organisation.name, school.teachers, school.expected_hours, school.attended_hours,
             percent_cell(school.participation), yes_cell(school.meets_target), school.forfeited, school.at_risk,
             school.exempt]
            for school in report.schools]
    summary = [(_("Teachers in post"), report.teachers), (_("Credit forfeited"), report.forfeited),
               (_("At risk"), report.at_risk)] + _participation_summary(report)
    return _xlsx(title, columns, rows, summary)

