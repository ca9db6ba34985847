"""考勤统计: attendance figures for a session, a project, a school, a teacher and a district.

Selectors only. Each runs a fixed number of queries however many teachers,
sessions and marks there are: sums are taken in the database, grouped by
teacher (or school), and the rows are put together in Python.

The figures are gathered as attendance.services gathers one teacher's, and
judged by the same rules (attendance.rules):

* attended means present, late or left early (Attendance.ATTENDED);
* the absence that costs school-based credit is the hours of school-based
  sessions marked "absent" (approved leave is not absence), per semester of
  the school year (rules.semesters), and it forfeits the year's credit
  from the limit itself upwards (rules.school_based_forfeiture);
* women of 50 and men of 55 by 31 December attend but are not assessed
  (rules.is_exempt, through services.is_exempt): never forfeited nor at risk;
* a project is completed at min_attendance_percent of all its sessions' hours,
  counting the hours of missed sessions made up (补学, MakeUp) that the teacher
  did not attend after all (services.project_run, services.made_up_hours,
  rules.project_completion);
* a session nobody marked is neither attended nor absent ("not recorded"), and
  every scheduled session counts as expected, including those not held yet.
"""
import datetime
from functools import cached_property
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import District, Organisation
from core.prepared import PreparedQuery
from schedule.models import ScheduledProject

from . import rules as attendance_rules
from .models import Attendance, CompletionRules, Enrolment, MakeUp, ProjectRun, Session, Teacher
from .rules import school_year_of, semesters  # noqa: F401 (school_year_of: report_views)
from .services import MISSED, is_exempt, project_run, roster

ZERO = Decimal(0)
UNRECORDED = "unrecorded"
UNRECORDED_LABEL = _("Not recorded")
SCHOOL_KINDS = [Organisation.Kind.SCHOOL, Organisation.Kind.KINDERGARTEN]

# Attendance statuses as the coloured .status labels of app.css.
STATUS_CSS = {
    Attendance.Status.PRESENT: "status-approved",
    Attendance.Status.LATE: "status-returned",
    Attendance.Status.LEFT_EARLY: "status-returned",
    Attendance.Status.ABSENT: "status-rejected",
    Attendance.Status.LEAVE: "status-initial_review",
    UNRECORDED: "status-draft",
}


def status_label(status: str):
    return UNRECORDED_LABEL if status == UNRECORDED else Attendance.Status(status).label


def percent(part, whole) -> Decimal | None:
    """part as a percentage of whole; None when there is nothing to divide by."""
    if not whole:
        return None
    return Decimal(part) / Decimal(whole) * 100


def school_year_range(year: int) -> tuple[datetime.date, datetime.date]:
    terms = semesters(year)
    return terms[0][0], terms[-1][1]


def _meets(rate, target) -> bool:
    return rate is not None and rate >= target


# --- one session ------------------------------------------------------------------

class _MarkedStatus:
    """A row with an attendance status (an Attendance.Status value, or UNRECORDED)."""

    status: str

    @property
    def label(self):
        return status_label(self.status)

    @property
    def css(self):
        return STATUS_CSS[self.status]

    @property
    def attended(self) -> bool:
        return self.status in Attendance.ATTENDED


@dataclass
class SessionRow(_MarkedStatus):
    teacher: Teacher
    status: str


@dataclass
class SessionReport:
    session: Session
    rows: list[SessionRow]
    counts: dict[str, int]

    @property
    def expected(self) -> int:
        return len(self.rows)

    @property
    def attended(self) -> int:
        return sum(row.attended for row in self.rows)

    @property
    def participation(self) -> Decimal | None:
        return percent(self.attended, self.expected)


def session_report(session: Session) -> SessionReport:
    """Each teacher on the session's roster with their mark (未记录 when unmarked). Two queries."""
    marks = dict(Attendance.objects.filter(session=session).values_list("teacher_id", "status"))
    rows = [SessionRow(teacher, marks.get(teacher.pk, UNRECORDED))
            for teacher in roster(session).select_related("organisation")]
    counts = Counter(row.status for row in rows)
    return SessionReport(session=session, rows=rows,
                         counts={status: counts.get(status, 0) for status in STATUS_CSS})


# --- one project ------------------------------------------------------------------

@dataclass
class ProjectRow:
    teacher: Teacher
    sessions_attended: int
    attended_hours: Decimal
    total_hours: Decimal
    share: Decimal  # of the project's hours, as services.project_attendance
    completed: bool
    exempt: bool
    made_up_hours: Decimal = ZERO  # missed sessions made up (补学), counted towards the share
    sessions_made_up: int = 0


@dataclass
class ProjectReport:
    project: ScheduledProject
    run: ProjectRun
    rules: CompletionRules
    sessions: list[Session]
    total_hours: Decimal
    rows: list[ProjectRow]

    @property
    def min_attendance_percent(self) -> int:
        return self.run.min_attendance_percent

    @property
    def expected_hours(self) -> Decimal:
        return self.total_hours * len(self.rows)

    @property
    def attended_hours(self) -> Decimal:
        return sum((row.attended_hours for row in self.rows), ZERO)

    @property
    def participation(self) -> Decimal | None:
        return percent(self.attended_hours, self.expected_hours)

    @property
    def target(self) -> int:
        return self.rules.participation_target_percent

    @property
    def meets_target(self) -> bool:
        return _meets(self.participation, self.target)

    @property
    def completed_count(self) -> int:
        return sum(row.completed for row in self.rows)

    @property
    def exempt_count(self) -> int:
        return sum(row.exempt for row in self.rows)


def project_report(project: ScheduledProject) -> ProjectReport:
    """Each teacher on the project's roster (confirmed enrolments): sessions and hours
    attended, share of the project's hours, completed, exempt; and the participation rate."""
    run = project_run(project)
    rules = CompletionRules.for_district(project.district_id)
    sessions = list(project.sessions.all())
    total = sum((session.hours for session in sessions), ZERO)
    teachers = list(Teacher.objects.filter(enrolments__project=project, enrolments__status=Enrolment.Status.CONFIRMED)
                    .select_related("organisation").order_by("organisation__name", "name", "pk"))
    # One pass over the marks: attended, and missed but made up (补学) as services.made_up_hours counts them.
    attended, made_up = Q(status__in=Attendance.ATTENDED), Q(status__in=MISSED, made_up=True)
    figures_by_teacher = {
        row["teacher_id"]: row for row in
        Attendance.objects.filter(session__project=project)
        .alias(made_up=Exists(MakeUp.objects.filter(session_id=OuterRef("session_id"),
                                                    teacher_id=OuterRef("teacher_id"))))
        .order_by().values("teacher_id")
        .annotate(hours=Sum("session__hours", filter=attended), sessions=Count("pk", filter=attended),
                  made_up_hours=Sum("session__hours", filter=made_up), made_up_sessions=Count("pk", filter=made_up))
    }
    rows = []
    for teacher in teachers:
        figures = figures_by_teacher.get(teacher.pk, {})
        completion = attendance_rules.project_completion(attended_hours=figures.get("hours"), total_hours=total,
                                                         needed_percent=run.min_attendance_percent,
                                                         made_up_hours=figures.get("made_up_hours"))
        rows.append(ProjectRow(
            teacher=teacher, sessions_attended=figures.get("sessions", 0), attended_hours=completion.attended_hours,
            total_hours=total, share=completion.share, completed=completion.completed,
            exempt=is_exempt(teacher, project.year, rules),
            made_up_hours=completion.made_up_hours, sessions_made_up=figures.get("made_up_sessions", 0),
        ))
    return ProjectReport(project=project, run=run, rules=rules, sessions=sessions, total_hours=total, rows=rows)


# --- make-up (补学) of one project -------------------------------------------------------

@dataclass
class MissedSession(_MarkedStatus):
    session: Session
    status: str  # absent or on leave
    make_up: MakeUp | None
    over: bool  # leave is marked ahead of the session; a make-up waits until it is over

    @property
    def can_make_up(self) -> bool:
        return self.make_up is None and self.over


@dataclass
class MakeUpRow:
    """A teacher of the roster who missed sessions: each of them, made up or not,
    and where the teacher stands (the project report's row, make-ups counted)."""

    standing: ProjectRow
    missed: list[MissedSession]

    @property
    def teacher(self) -> Teacher:
        return self.standing.teacher

    @property
    def open(self) -> list[MissedSession]:
        return [missed for missed in self.missed if missed.make_up is None]


def make_up_rows(report: ProjectReport, now=None) -> list[MakeUpRow]:
    """Every teacher of the project's roster with a session marked absent or on leave,
    in the report's order. Two queries."""
    now = now or timezone.now()
    roster_rows = {row.teacher.pk: row for row in report.rows}
    make_ups = {(m.session_id, m.teacher_id): m for m in
                MakeUp.objects.filter(session__project=report.project).select_related("accepted_by")}
    missed = defaultdict(list)
    for mark in (Attendance.objects.filter(session__project=report.project, teacher_id__in=roster_rows,
                                           status__in=[Attendance.Status.ABSENT, Attendance.Status.LEAVE])
                 .select_related("session").order_by("session__date", "session__start_time", "session_id")):
        missed[mark.teacher_id].append(MissedSession(
            session=mark.session, status=mark.status, make_up=make_ups.get((mark.session_id, mark.teacher_id)),
            over=mark.session.ends_at() <= now))
    return [MakeUpRow(standing=row, missed=missed[pk]) for pk, row in roster_rows.items() if missed[pk]]


# --- a school year, teacher by teacher (school, district and teacher reports) ----------

@dataclass
class TeacherYearRow:
    teacher: Teacher
    absence: list[Decimal]  # school-based hours absent, one per semester
    limit: Decimal
    exempt: bool
    school_based_hours: Decimal  # attended, own school's school-based sessions
    project_hours: Decimal  # attended, projects the teacher is on the roster of
    expected_hours: Decimal

    @cached_property  # read by forfeited, at_risk and max_absence, for every row
    def forfeiture(self) -> attendance_rules.Forfeiture:
        # The figures are Decimals already (_year_rows): no conversion per row and semester.
        return attendance_rules.Forfeiture(absence=tuple(self.absence), limit=self.limit, exempt=self.exempt)

    @property
    def max_absence(self) -> Decimal:
        return self.forfeiture.worst

    @property
    def forfeited(self) -> bool:
        return self.forfeiture.forfeited

    @property
    def at_risk(self) -> bool:
        return self.forfeiture.at_risk

    @property
    def attended_hours(self) -> Decimal:
        return self.school_based_hours + self.project_hours

    @property
    def participation(self) -> Decimal | None:
        return percent(self.attended_hours, self.expected_hours)


# What _year_rows reads of a teacher (services.is_exempt: gender, birth date), for light rows.
LIGHT_TEACHER_FIELDS = ("pk", "organisation_id", "name", "gender", "birth_date")


@dataclass
class _YearFigures:
    """The database's sums of a school year for a set of teachers, by teacher (marks: absence
    per semester and hours attended) and by school (school-based hours expected)."""

    year: int
    rules: CompletionRules
    limit: Decimal
    terms: int  # semesters
    marks: dict  # teacher pk → (absent hours a semester…, school-based hours, project hours), None for 0
    school_hours: dict
    project_hours: dict

    def row(self, teacher) -> TeacherYearRow:
        terms = self.terms
        figures = self.marks.get(teacher.pk) or (None,) * (terms + 2)
        return TeacherYearRow(
            teacher=teacher,
            absence=[hours or ZERO for hours in figures[:terms]],
            limit=self.limit,
            exempt=is_exempt(teacher, self.year, self.rules),
            school_based_hours=figures[terms] or ZERO,
            project_hours=figures[terms + 1] or ZERO,
            expected_hours=self.expected_hours(teacher),
        )

    def expected_hours(self, teacher) -> Decimal:
        return (self.school_hours.get(teacher.organisation_id) or ZERO) + (self.project_hours.get(teacher.pk) or ZERO)

    def sums(self, teachers) -> "YearSums":
        """YearTotals' sums over ``teachers`` (light records will do) without a row object a
        teacher: the figures judged as TeacherYearRow judges them, each different absence once
        (rules.Forfeiture), the exemption by birth-date cut-offs (rules.exempt_if_born_by:
        rules.is_exempt for many)."""
        sums = YearSums(teachers=len(teachers))
        born_by = attendance_rules.exempt_if_born_by(year=self.year, women_from=self.rules.exempt_age_women,
                                                     men_from=self.rules.exempt_age_men)
        female, terms, marks = Teacher.Gender.FEMALE, self.terms, self.marks
        no_absence = (ZERO,) * terms
        judged = {}  # (absence a semester, exempt) → (forfeited, at risk)
        expected = attended = ZERO
        for teacher in teachers:
            exempt = teacher.birth_date <= born_by[teacher.gender == female]
            figures = marks.get(teacher.pk)
            if figures is None:
                absence = no_absence
            else:
                attended += (figures[terms] or ZERO) + (figures[terms + 1] or ZERO)
                absence = tuple([hours or ZERO for hours in figures[:terms]])
            if (absence, exempt) not in judged:
                forfeiture = attendance_rules.Forfeiture(absence=absence, limit=self.limit, exempt=exempt)
                judged[absence, exempt] = forfeiture.forfeited, forfeiture.at_risk
            forfeited, at_risk = judged[absence, exempt]
            expected += self.expected_hours(teacher)
            sums.forfeited += forfeited
            sums.at_risk += at_risk
            sums.exempt += exempt
        sums.expected_hours, sums.attended_hours = expected, attended
        return sums


def _marks_query(teacher_pks: QuerySet, terms: list, start, end) -> QuerySet:
    """Rows (teacher pk, hours absent from school-based sessions in each of ``terms``…, hours
    attended at their own school's school-based sessions, hours attended at the sessions of
    the projects they are on the roster of), None for none, within start–end."""
    school_based = Q(session__school_plan__isnull=False)
    own_school_based = school_based & Q(session__organisation_id=F("teacher__organisation_id"))
    attended = Q(status__in=Attendance.ATTENDED)
    sums = {f"absent_{n}": Sum("session__hours", filter=school_based & Q(status=Attendance.Status.ABSENT,
                                                                          session__date__range=term))
            for n, term in enumerate(terms)}
    sums["school_based"] = Sum("session__hours", filter=own_school_based & attended)
    sums["project"] = Sum("session__hours", filter=Q(session__project__isnull=False, on_roster=True) & attended)
    return (
        Attendance.objects.filter(session__date__range=(start, end), teacher__in=teacher_pks)
        # The teacher filter inside the subquery keeps PostgreSQL from scanning
        # every enrolment in the province (bench/bench_scale.py).
        .alias(on_roster=Exists(Enrolment.objects.filter(
            teacher__in=teacher_pks,
            project_id=OuterRef("session__project_id"), teacher_id=OuterRef("teacher_id"),
            status=Enrolment.Status.CONFIRMED)))
        .order_by().values("teacher_id").annotate(**sums).values_list("teacher_id", *sums))


# Expected: every school-based session of the teacher's school, and every session
# of the projects they are on the roster of, within the school year.

def _school_hours_query(organisation_ids, start, end) -> QuerySet:
    """Rows (school pk, hours of its school-based sessions within start–end)."""
    return (Session.objects.filter(school_plan__isnull=False, date__range=(start, end),
                                   organisation_id__in=organisation_ids)
            .order_by().values_list("organisation_id").annotate(hours=Sum("hours")))


def _project_hours_query(teacher_pks: QuerySet, start, end) -> QuerySet:
    """Rows (teacher pk, hours of the sessions within start–end of the projects they are on
    the roster of)."""
    return (Session.objects.filter(date__range=(start, end), project__enrolments__teacher__in=teacher_pks,
                                   project__enrolments__status=Enrolment.Status.CONFIRMED)
            .order_by().values_list("project__enrolments__teacher_id").annotate(hours=Sum("hours")))


def _in_post(school) -> QuerySet:
    return Teacher.objects.filter(organisation_id=school, active=True).order_by().values("pk")


# The same three queries for the teachers in post of one school (its pk: school), compiled
# once: the school report's page runs them on every request, and building them in the ORM
# cost more than running them (issue 14 item 5). The two semesters: start–autumn_end,
# spring_start–end (rules.semesters).
_SCHOOL_YEAR = {"school": int, "start": datetime.date, "autumn_end": datetime.date,
                "spring_start": datetime.date, "end": datetime.date}
_SCHOOL_MARKS = PreparedQuery(
    lambda school, start, autumn_end, spring_start, end: _marks_query(
        _in_post(school), [(start, autumn_end), (spring_start, end)], start, end),
    **_SCHOOL_YEAR)
_SCHOOL_HOURS = PreparedQuery(
    lambda school, start, end: _school_hours_query([school], start, end),
    school=int, start=datetime.date, end=datetime.date)
_SCHOOL_PROJECT_HOURS = PreparedQuery(
    lambda school, start, end: _project_hours_query(_in_post(school), start, end),
    school=int, start=datetime.date, end=datetime.date)


def _year_figures(teachers: list, year: int, rules: CompletionRules, *, teacher_pks: QuerySet | None = None,
                  school: int | None = None) -> _YearFigures:
    """Three queries; ``teachers``: the teachers (or light records), and either
    ``teacher_pks``, a values("pk") queryset of them, or ``school``: they are the teachers in
    post of that school (its pk)."""
    terms = semesters(year)
    start, end = terms[0][0], terms[-1][1]
    if school is None:
        marks = _marks_query(teacher_pks, terms, start, end)
        school_hours = _school_hours_query({teacher.organisation_id for teacher in teachers}, start, end)
        project_hours = _project_hours_query(teacher_pks, start, end)
    else:
        (_, autumn_end), (spring_start, _) = terms
        marks = _SCHOOL_MARKS.rows(school=school, start=start, autumn_end=autumn_end, spring_start=spring_start,
                                   end=end)
        school_hours = _SCHOOL_HOURS.rows(school=school, start=start, end=end)
        project_hours = _SCHOOL_PROJECT_HOURS.rows(school=school, start=start, end=end)
    return _YearFigures(year=year, rules=rules, limit=Decimal(rules.school_absence_limit_hours),
                        terms=len(terms), marks={row[0]: row[1:] for row in marks},
                        school_hours=dict(school_hours), project_hours=dict(project_hours))


def _year_rows(teachers, year: int, rules: CompletionRules,
               organisations: dict | None = None) -> list[TeacherYearRow]:
    """The school year's figures for a queryset of teachers, in four queries (five without
    ``organisations``, {pk: Organisation} of every school the teachers belong to)."""
    teacher_pks = teachers.order_by().values("pk")
    # Not a join: a school's 500 rows share one Organisation object.
    teachers = list(teachers if organisations else teachers.prefetch_related("organisation"))
    if organisations:
        for teacher in teachers:
            Teacher.organisation.field.set_cached_value(teacher, organisations[teacher.organisation_id])
    if not teachers:
        return []
    figures = _year_figures(teachers, year, rules, teacher_pks=teacher_pks)
    return [figures.row(teacher) for teacher in teachers]


@dataclass
class YearSums:
    teachers: int = 0
    expected_hours: Decimal = ZERO
    attended_hours: Decimal = ZERO
    forfeited: int = 0
    at_risk: int = 0
    exempt: int = 0


@dataclass
class YearTotals:
    rows: list[TeacherYearRow]
    target: int
    counted: YearSums | None = None  # the sums, where they were counted without rows (school_report_page)

    @cached_property
    def _sums(self) -> YearSums:
        """The totals in one pass over the rows, once (a page reads the participation three times)."""
        if self.counted is not None:
            return self.counted
        sums = YearSums(teachers=len(self.rows))
        for row in self.rows:
            sums.expected_hours += row.expected_hours
            sums.attended_hours += row.school_based_hours + row.project_hours
            judged = row.forfeiture
            sums.forfeited += judged.forfeited
            sums.at_risk += judged.at_risk
            sums.exempt += row.exempt
        return sums

    @property
    def teachers(self) -> int:
        return self._sums.teachers

    @property
    def expected_hours(self) -> Decimal:
        return self._sums.expected_hours

    @property
    def attended_hours(self) -> Decimal:
        return self._sums.attended_hours

    @property
    def participation(self) -> Decimal | None:
        return percent(self.attended_hours, self.expected_hours)

    @property
    def meets_target(self) -> bool:
        return _meets(self.participation, self.target)

    @property
    def forfeited(self) -> int:
        return self._sums.forfeited

    @property
    def at_risk(self) -> int:
        return self._sums.at_risk

    @property
    def exempt(self) -> int:
        return self._sums.exempt


@dataclass
class SchoolReport(YearTotals):
    organisation: Organisation = None
    year: int = 0
    rules: CompletionRules = None
    semesters: list = field(default_factory=list)

    @property
    def limit(self) -> Decimal:
        return Decimal(self.rules.school_absence_limit_hours)

    @property
    def at_risk_from(self) -> Decimal:
        return attendance_rules.at_risk_from(self.limit)


def school_report(organisation: Organisation, year: int) -> SchoolReport:
    """Each teacher in post at the school, for the school year starting in autumn `year`:
    school-based absence per semester, forfeited, at risk, exempt, hours attended."""
    rules = CompletionRules.for_district(organisation.district_id)
    teachers = Teacher.objects.filter(organisation=organisation, active=True).order_by("name", "pk")
    rows = _year_rows(teachers, year, rules, {organisation.pk: organisation})
    return SchoolReport(rows=rows, target=rules.participation_target_percent, organisation=organisation,
                        year=year, rules=rules, semesters=semesters(year))


class ListedTeacher(NamedTuple):
    """A row of school_report_page's report: the teacher's light record (LIGHT_TEACHER_FIELDS);
    their figures are in the report's totals, and in the page's rows for the page's teachers."""

    teacher: tuple


def school_report_page(organisation: Organisation, year: int, number: int, per_page: int) -> tuple[SchoolReport, Page]:
    """The school report's page: its totals over every teacher in post, counted from light
    records (no model object nor row object a teacher: _YearFigures.sums), and page ``number``
    of the rows (a number beyond the end: the last page), whose teacher is the light record
    too (pk, name and what the exemption reads: the page shows no more of a teacher). As many
    queries as school_report."""
    rules = CompletionRules.for_district(organisation.district_id)
    teachers = Teacher.objects.filter(organisation=organisation, active=True).order_by("name", "pk")
    light = list(teachers.values_list(*LIGHT_TEACHER_FIELDS, named=True))
    figures = _year_figures(light, year, rules, school=organisation.pk) if light else None
    report = SchoolReport(rows=[ListedTeacher(record) for record in light], target=rules.participation_target_percent,
                          counted=figures.sums(light) if figures else YearSums(), organisation=organisation,
                          year=year, rules=rules, semesters=semesters(year))
    paginator = Paginator(light, per_page)
    page = paginator.page(min(number, paginator.num_pages))
    page.object_list = [figures.row(record) for record in page.object_list]
    return report, page


# --- a district ----------------------------------------------------------------------

@dataclass
class DistrictReport(YearTotals):
    district: District = None
    year: int = 0
    rules: CompletionRules = None
    schools: list[SchoolReport] = field(default_factory=list)  # without semesters


def district_report(district: District, year: int) -> DistrictReport:
    """Each school and kindergarten of the district: teachers, participation, forfeited, at risk."""
    rules = CompletionRules.for_district(district.pk)
    schools = list(Organisation.objects.filter(district=district, kind__in=SCHOOL_KINDS).order_by("kind", "name"))
    teachers = Teacher.objects.filter(organisation__district=district, organisation__kind__in=SCHOOL_KINDS,
                                      active=True).order_by("name", "pk")
    rows = _year_rows(teachers, year, rules, {school.pk: school for school in schools})
    by_school = defaultdict(list)
    for row in rows:
        by_school[row.teacher.organisation_id].append(row)
    target = rules.participation_target_percent
    return DistrictReport(
        rows=rows, target=target, district=district, year=year, rules=rules,
        schools=[SchoolReport(rows=by_school[school.pk], target=target, organisation=school, year=year, rules=rules)
                 for school in schools],
    )


# --- one teacher ---------------------------------------------------------------------

@dataclass
class TeacherSessionRow(_MarkedStatus):
    session: Session
    status: str

    @property
    def hours(self) -> Decimal:
        return self.session.hours

    @property
    def school_based(self) -> bool:
        return self.session.is_school_based


@dataclass
class TeacherReport:
    teacher: Teacher
    year: int | None
    rows: list[TeacherSessionRow]
    standing: TeacherYearRow | None  # the school year's absence and flags, when a year is asked for
    semesters: list = field(default_factory=list)

    def _hours(self, *statuses) -> Decimal:
        return sum((row.hours for row in self.rows if row.status in statuses), ZERO)

    @property
    def expected_hours(self) -> Decimal:
        return sum((row.hours for row in self.rows), ZERO)

    @property
    def attended_hours(self) -> Decimal:
        return self._hours(*Attendance.ATTENDED)

    @property
    def absent_hours(self) -> Decimal:
        return self._hours(Attendance.Status.ABSENT)

    @property
    def leave_hours(self) -> Decimal:
        return self._hours(Attendance.Status.LEAVE)

    @property
    def unrecorded_hours(self) -> Decimal:
        return self._hours(UNRECORDED)

    @property
    def participation(self) -> Decimal | None:
        return percent(self.attended_hours, self.expected_hours)


def teacher_report(teacher: Teacher, year: int | None = None) -> TeacherReport:
    """Every session the teacher was expected at (their school's school-based sessions,
    and the sessions of projects they are confirmed on), with the mark and hours;
    limited to the school year starting in autumn `year` when one is given."""
    on_roster = Exists(Enrolment.objects.filter(project_id=OuterRef("project_id"), teacher_id=teacher.pk,
                                                status=Enrolment.Status.CONFIRMED))
    marked = Exists(Attendance.objects.filter(session_id=OuterRef("pk"), teacher_id=teacher.pk))
    school_based = Q(school_plan__isnull=False, organisation_id=teacher.organisation_id)
    if not teacher.active:  # no longer on the school's roster: only what was marked
        school_based &= Q(marked=True)
    sessions = Session.objects.alias(on_roster=on_roster, marked=marked).filter(
        school_based | Q(project__isnull=False, on_roster=True))
    marks = Attendance.objects.filter(teacher_id=teacher.pk)
    if year is not None:
        sessions = sessions.filter(date__range=school_year_range(year))
        marks = marks.filter(session__date__range=school_year_range(year))
    marks = dict(marks.values_list("session_id", "status"))
    rows = [TeacherSessionRow(session, marks.get(session.pk, UNRECORDED))
            for session in sessions.select_related("project", "organisation")]
    standing = None
    if year is not None:
        rules = CompletionRules.for_district(teacher.organisation.district_id)
        standing = next(iter(_year_rows(Teacher.objects.filter(pk=teacher.pk), year, rules)), None)
    return TeacherReport(teacher=teacher, year=year, rows=rows, standing=standing,
                         semesters=semesters(year) if year is not None else [])
