"""Turning hours into credits by the district's rule set, with caps and bonuses."""
import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from attendance import services as attendance
from attendance.models import Attendance, CompletionRules, Enrolment, Teacher

from .models import Activity, Bonus, ConversionRule, CreditEntry, Level, RuleSet

CENT = Decimal("0.01")


def rule_family(district) -> str:
    return district.credit_rule_family or settings.DEFAULT_CREDIT_RULE_FAMILY


def rule_set_for(district, day: datetime.date) -> RuleSet:
    """The version of the district's rules in force on that day."""
    rule_set = RuleSet.objects.filter(family=rule_family(district), valid_from__lte=day).order_by("-valid_from").first()
    if rule_set is None:
        raise ValidationError(_("No credit rules are in force for %(day)s.") % {"day": day})
    return rule_set


def conversion_for(rule_set: RuleSet, activity: str, level: str) -> ConversionRule | None:
    rules = {r.level: r for r in rule_set.conversions.filter(activity=activity, level__in=[level, Level.ANY])}
    return rules.get(level) or rules.get(Level.ANY)


def _sum(entries) -> Decimal:
    return entries.aggregate(total=Sum("credits"))["total"] or Decimal(0)


def _cut(credits: Decimal, room: Decimal | None, message: str, notes: list) -> Decimal:
    if room is None or credits <= room:
        return credits
    room = max(room, Decimal(0))
    notes.append(message % {"cap": _number(room + 0), "cut": _number(credits - room)})
    return room


def _number(value) -> str:
    value = Decimal(value)
    return format(value.normalize(), "f") if value == value.to_integral() else format(value.quantize(CENT), "f")


@transaction.atomic
def ledger_add(*, teacher: Teacher, activity: str, level: str, hours, occurred_on: datetime.date,
               description: str, source: str, project=None, declaration=None,
               excellent_trainee: bool = False) -> list[CreditEntry]:
    """Add a record to the ledger: convert, apply every cap in order, explain."""
    Teacher.objects.select_for_update().filter(pk=teacher.pk).exists()  # caps are per teacher: one writer at a time
    hours = Decimal(str(hours))
    rule_set = rule_set_for(teacher.organisation.district, occurred_on)
    year = rule_set.credit_year(occurred_on)
    first, last = rule_set.cycle_of(year)
    rule = conversion_for(rule_set, activity, level)
    common = dict(teacher=teacher, credit_year=year, occurred_on=occurred_on, source=source, activity=activity,
                  level=level, description=description, hours=hours, rule_set=rule_set, project=project,
                  declaration=declaration)
    if rule is None:
        return [CreditEntry.objects.create(**common, raw_credits=0, credits=0, rule_text=str(rule_set),
                                           note=_("These rules give no credits for this kind of training."))]
    raw = rule.credits if rule.flat else hours * rule.credits / rule.hours
    raw = raw.quantize(CENT, ROUND_HALF_UP)
    notes: list[str] = []
    credits = _cut(raw, rule.cap_per_item, _("at most %(cap)s credits per record: %(cut)s cut"), notes)
    earlier = CreditEntry.objects.filter(teacher=teacher, activity=activity).exclude(source=CreditEntry.Source.BONUS)
    if rule.cap_per_year is not None:
        credits = _cut(credits, rule.cap_per_year - _sum(earlier.filter(credit_year=year)),
                       _("at most %(cap)s credits of this kind left this year: %(cut)s cut"), notes)
    if rule.cap_per_cycle is not None:
        credits = _cut(credits, rule.cap_per_cycle - _sum(earlier.filter(credit_year__range=(first, last))),
                       _("at most %(cap)s credits of this kind left this cycle: %(cut)s cut"), notes)
    credits = _cap_year(teacher, rule_set, year, credits, notes)
    entries = [CreditEntry.objects.create(**common, raw_credits=raw, credits=credits,
                                          rule_text=f"{rule_set.name}：{rule.text or _describe(rule)}",
                                          note="；".join(notes))]
    if excellent_trainee:
        entries.append(_bonus(common, rule_set, year, level))
    return entries


def _cap_year(teacher, rule_set, year, credits, notes):
    if rule_set.annual_cap is None:
        return credits
    used = _sum(CreditEntry.objects.filter(teacher=teacher, credit_year=year).exclude(
        source=CreditEntry.Source.EXEMPTION))
    return _cut(credits, rule_set.annual_cap - used, _("at most %(cap)s credits left this year: %(cut)s cut"), notes)


def _bonus(common, rule_set, year, level):
    bonus = Bonus.objects.filter(rule_set=rule_set, kind=Bonus.Kind.EXCELLENT_TRAINEE, level=level).first()
    notes: list[str] = []
    raw = bonus.credits if bonus else Decimal(0)
    credits = _cap_year(common["teacher"], rule_set, year, raw, notes)
    return CreditEntry.objects.create(
        **{**common, "source": CreditEntry.Source.BONUS, "hours": 0},
        raw_credits=raw, credits=credits,
        rule_text=f"{rule_set.name}：" + (_("excellent trainee, %(level)s level: +%(credits)s")
                                         % {"level": Level(level).label, "credits": _number(raw)}),
        note="；".join(notes) if bonus else _("These rules give no bonus at this level."),
    )


def _describe(rule: ConversionRule) -> str:
    if rule.flat:
        return _("%(activity)s: %(credits)s credits per record") % {
            "activity": Activity(rule.activity).label, "credits": _number(rule.credits)}
    return _("%(activity)s (%(level)s): %(hours)s hours = %(credits)s credits") % {
        "activity": Activity(rule.activity).label, "level": Level(rule.level).label,
        "hours": _number(rule.hours), "credits": _number(rule.credits)}


def exemption_add(*, teacher: Teacher, semester_start: datetime.date, reason: str) -> CreditEntry:
    """Approved maternity or sick leave: a semester's worth of credits counted towards the minimum."""
    rule_set = rule_set_for(teacher.organisation.district, semester_start)
    credits = rule_set.leave_exemption_per_semester
    return CreditEntry.objects.create(
        teacher=teacher, credit_year=rule_set.credit_year(semester_start), occurred_on=semester_start,
        source=CreditEntry.Source.EXEMPTION, activity=Activity.LEAVE, level=Level.ANY, description=reason,
        raw_credits=credits, credits=credits, rule_set=rule_set,
        rule_text=f"{rule_set.name}：" + _("approved leave exempts %(credits)s credits per semester")
        % {"credits": _number(credits)},
    )


def teacher_totals(teacher: Teacher, year: int) -> dict:
    """This year's and this cycle's credits against the minimums, and what is missing."""
    rule_set = rule_set_for(teacher.organisation.district, datetime.date(year, 12, 31))
    first, last = rule_set.cycle_of(year)
    entries = CreditEntry.objects.filter(teacher=teacher)
    year_total = _sum(entries.filter(credit_year=year))
    cycle_total = _sum(entries.filter(credit_year__range=(first, last)))
    cycle_required = rule_set.cycle_minimum + (rule_set.new_teacher_extra if teacher.is_new_teacher else 0)
    return {
        "rule_set": rule_set, "year": year, "cycle": (first, last),
        "year_total": year_total, "year_required": rule_set.annual_minimum,
        "year_missing": max(rule_set.annual_minimum - year_total, Decimal(0)),
        "cycle_total": cycle_total, "cycle_required": cycle_required,
        "cycle_missing": max(cycle_required - cycle_total, Decimal(0)),
    }


# --- automatic credits from attendance ----------------------------------------------

def _project_activity(project):
    return Activity.ONLINE if project.modes == ["online"] else Activity.CONCENTRATED


def credit_finished_project(project) -> list[CreditEntry]:
    """Every confirmed attendee of a finished project: credits if they completed,
    a zero entry saying why if they did not. Safe to run twice."""
    created = []
    level = Level.SCHOOL if project.organiser.is_school else Level.COUNTY
    last_day = project.sessions.order_by("-date").values_list("date", flat=True).first() or \
        datetime.date(project.year, project.end_month, 28)
    enrolments = Enrolment.objects.filter(project=project, status=Enrolment.Status.CONFIRMED).select_related(
        "teacher__organisation__district")
    for enrolment in enrolments:
        teacher = enrolment.teacher
        if CreditEntry.objects.filter(teacher=teacher, project=project, source=CreditEntry.Source.PROJECT).exists():
            continue
        result = attendance.project_attendance(project, teacher)
        if result["completed"]:
            created += ledger_add(teacher=teacher, activity=_project_activity(project), level=level,
                                  hours=result["attended_hours"], occurred_on=last_day, description=project.name,
                                  source=CreditEntry.Source.PROJECT, project=project)
        else:
            rule_set = rule_set_for(teacher.organisation.district, last_day)
            created.append(CreditEntry.objects.create(
                teacher=teacher, credit_year=rule_set.credit_year(last_day), occurred_on=last_day,
                source=CreditEntry.Source.PROJECT, activity=_project_activity(project), level=level,
                description=project.name, hours=result["attended_hours"], raw_credits=0, credits=0,
                rule_set=rule_set, project=project, rule_text=str(rule_set),
                note=_("Attendance %(share)s%% is below the %(needed)s%% needed to complete: no credits.") % {
                    "share": _number(result["share"].quantize(Decimal("0.1"))),
                    "needed": attendance.project_run(project).min_attendance_percent},
            ))
    return created


def credit_school_based_year(*, organisation, year: int) -> list[CreditEntry]:
    """Close a school year of school-based training: attended hours become
    credits, unless the teacher's absences forfeit the year (seed 003)."""
    rules = CompletionRules.for_district(organisation.district_id)
    (autumn_start, _autumn_end), (_spring_start, spring_end) = attendance.semesters(year)
    description = _("School-based training, %(start)s–%(end)s school year") % {"start": year, "end": year + 1}
    created = []
    for teacher in Teacher.objects.filter(organisation=organisation, active=True).select_related(
            "organisation__district"):
        if CreditEntry.objects.filter(teacher=teacher, source=CreditEntry.Source.SCHOOL_BASED,
                                      occurred_on=spring_end).exists():
            continue
        hours = Attendance.objects.filter(
            teacher=teacher, status__in=Attendance.ATTENDED, session__school_plan__isnull=False,
            session__date__range=(autumn_start, spring_end),
        ).aggregate(h=Sum("session__hours"))["h"] or Decimal(0)
        if attendance.school_based_credit_forfeited(teacher, year, rules):
            rule_set = rule_set_for(organisation.district, spring_end)
            created.append(CreditEntry.objects.create(
                teacher=teacher, credit_year=rule_set.credit_year(spring_end), occurred_on=spring_end,
                source=CreditEntry.Source.SCHOOL_BASED, activity=Activity.SCHOOL_BASED, level=Level.SCHOOL,
                description=description, hours=hours, raw_credits=0, credits=0, rule_set=rule_set,
                rule_text=str(rule_set),
                note=_("Absent %(limit)s hours or more in a semester: no school-based credits this year.")
                % {"limit": _number(rules.school_absence_limit_hours)},
            ))
            continue
        created += ledger_add(teacher=teacher, activity=Activity.SCHOOL_BASED, level=Level.SCHOOL, hours=hours,
                              occurred_on=spring_end, description=description,
                              source=CreditEntry.Source.SCHOOL_BASED)
    return created


def overlapping_entries(teacher: Teacher, start: datetime.date, end: datetime.date):
    """Credited declarations whose dates overlap [start, end]."""
    return CreditEntry.objects.filter(
        Q(declaration__start_date__lte=end) & Q(declaration__end_date__gte=start), teacher=teacher)
