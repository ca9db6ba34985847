"""Turning hours into credits by the district's rule set, with caps and bonuses."""
import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from attendance import services as attendance
from attendance.models import Attendance, CompletionRules, Enrolment, Teacher

from . import rules as credit_rules
from .models import Activity, Bonus, ConversionRule, CreditEntry, Level, RuleSet
from .rules import format_number as _number


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


def _conversion(rule: ConversionRule) -> credit_rules.Conversion:
    return credit_rules.Conversion(credits=rule.credits, unit_hours=rule.hours, flat=rule.flat)


def minimums(rule_set: RuleSet) -> credit_rules.Minimums:
    return credit_rules.Minimums(annual=rule_set.annual_minimum, cycle=rule_set.cycle_minimum,
                                 new_teacher_extra=rule_set.new_teacher_extra)


@transaction.atomic
def ledger_add(*, teacher: Teacher, activity: str, level: str, hours, occurred_on: datetime.date,
               description: str, source: str, project=None, declaration=None,
               excellent_trainee: bool = False) -> list[CreditEntry]:
    """Add a record to the ledger: gather what the caps have already counted,
    convert and cap by credits.rules, write the entries with the explanation."""
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
        refused = credit_rules.award(hours, None)
        return [CreditEntry.objects.create(**common, raw_credits=refused.raw, credits=refused.credits,
                                           rule_text=str(rule_set), note=refused.note)]
    caps = []
    if rule.cap_per_item is not None:
        caps.append(credit_rules.Cap(credit_rules.PER_RECORD, rule.cap_per_item))
    earlier = CreditEntry.objects.filter(teacher=teacher, activity=activity).exclude(source=CreditEntry.Source.BONUS)
    if rule.cap_per_year is not None:
        caps.append(credit_rules.Cap(credit_rules.KIND_YEAR, rule.cap_per_year,
                                     _sum(earlier.filter(credit_year=year))))
    if rule.cap_per_cycle is not None:
        caps.append(credit_rules.Cap(credit_rules.KIND_CYCLE, rule.cap_per_cycle,
                                     _sum(earlier.filter(credit_year__range=(first, last)))))
    year_cap = _year_cap(teacher, rule_set, year)
    result = credit_rules.award(hours, _conversion(rule), caps + year_cap)
    entries = [CreditEntry.objects.create(**common, raw_credits=result.raw, credits=result.credits,
                                          rule_text=f"{rule_set.name}：{rule.text or _describe(rule)}",
                                          note=result.note)]
    if excellent_trainee:
        # The bonus comes after the record: the record's credits count against the yearly cap.
        counted = result.credits if source != CreditEntry.Source.EXEMPTION else 0
        entries.append(_bonus(common, rule_set, level,
                              [credit_rules.Cap(cap.kind, cap.limit, cap.used + counted) for cap in year_cap]))
    return entries


def _year_cap(teacher, rule_set, year) -> list[credit_rules.Cap]:
    """The yearly cap on everything (exemptions aside), with what it has counted so far."""
    if rule_set.annual_cap is None:
        return []
    used = _sum(CreditEntry.objects.filter(teacher=teacher, credit_year=year).exclude(
        source=CreditEntry.Source.EXEMPTION))
    return [credit_rules.Cap(credit_rules.YEAR, rule_set.annual_cap, used)]


def _bonus(common, rule_set, level, caps):
    bonus = Bonus.objects.filter(rule_set=rule_set, kind=Bonus.Kind.EXCELLENT_TRAINEE, level=level).first()
    result = credit_rules.bonus_award(credit_rules.BonusRule(bonus.credits) if bonus else None, caps)
    return CreditEntry.objects.create(
        **{**common, "source": CreditEntry.Source.BONUS, "hours": 0},
        raw_credits=result.raw, credits=result.credits,
        rule_text=f"{rule_set.name}：" + (_("excellent trainee, %(level)s level: +%(credits)s")
                                         % {"level": Level(level).label, "credits": _number(result.raw)}),
        note=result.note,
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


def year_rule_set(district, year: int) -> RuleSet:
    """The rule set a credit year is counted by: its minimums and its cycle."""
    return rule_set_for(district, credit_rules.counting_day(year))


def teacher_totals(teacher: Teacher, year: int) -> dict:
    """This year's and this cycle's credits against the minimums, and what is missing."""
    rule_set = year_rule_set(teacher.organisation.district, year)
    first, last = rule_set.cycle_of(year)
    by_year = dict(CreditEntry.objects.filter(teacher=teacher, credit_year__range=(first, last))
                   .order_by().values_list("credit_year").annotate(total=Sum("credits")))
    figures = credit_rules.standing(year=year, cycle=(first, last), credits_by_year=by_year,
                                    minimums=minimums(rule_set), is_new_teacher=teacher.is_new_teacher)
    return {
        "rule_set": rule_set, "year": year, "cycle": (first, last),
        "year_total": figures.year_total, "year_required": figures.year_required,
        "year_missing": figures.year_missing,
        "cycle_total": figures.cycle_total, "cycle_required": figures.cycle_required,
        "cycle_missing": figures.cycle_missing,
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
