"""Turning hours into credits by the district's rule set, with caps and bonuses."""
import datetime
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attendance import services as attendance
from attendance.models import AssessmentResult, Attendance, CompletionRules, Enrolment, Teacher
from core.prepared import PreparedQuery

from . import rules as credit_rules
from . import signals
from .models import Activity, Bonus, CategoryRequirement, ConversionRule, CreditEntry, Level, Recognition, RuleSet, Unit
from .rules import format_number as _number


def rule_family(district) -> str:
    return district.credit_rule_family or settings.DEFAULT_CREDIT_RULE_FAMILY


def rule_sets_of(district):
    """The versions a district counts by: its family's shared ones and its own."""
    return RuleSet.objects.filter(Q(district__isnull=True) | Q(district=district), family=rule_family(district))


# Latest first; on the same day, the district's own version before the shared one.
_IN_FORCE_ORDER = ("-valid_from", F("district").desc(nulls_last=True))


def district_rule_sets(district) -> list[RuleSet]:
    """Every version the district counts by, for rule_set_for(rule_sets=): a page that needs
    the versions of two days (today's and a credit year's) reads them in one query."""
    return list(rule_sets_of(district).order_by(*_IN_FORCE_ORDER))


def rule_set_for(district, day: datetime.date, rule_sets: list[RuleSet] | None = None) -> RuleSet:
    """The version of the district's rules in force on that day: the latest to start by then;
    on the same day, the district's own version before the shared one (``rule_sets``: the
    district's, from district_rule_sets, chosen from without a query)."""
    if rule_sets is None:
        rule_set = rule_sets_of(district).filter(valid_from__lte=day).order_by(*_IN_FORCE_ORDER).first()
    else:  # in _IN_FORCE_ORDER already
        rule_set = next((rule_set for rule_set in rule_sets if rule_set.valid_from <= day), None)
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
                                 new_teacher_extra=rule_set.new_teacher_extra,
                                 excellent_rating=rule_set.excellent_rating_minimum)


RULE_TEXT_MAX = CreditEntry._meta.get_field("rule_text").max_length


class Result:
    """An attendee's assessment result at the close of a project (合格 / 不合格 / 优秀学员)."""

    PASS = "pass"
    FAIL = "fail"
    EXCELLENT = "excellent"
    ALL = (PASS, FAIL, EXCELLENT)


def _content_key(content: str) -> str:
    """The same content, however it is spaced or cased."""
    return "".join((content or "").split()).casefold()[:200]


# The rule set's category minimums (CategoryRequirement.rule's fields) in their order, compiled
# once: the school credit page reads them on every request (issue 14 item 5).
_CATEGORIES = PreparedQuery(
    lambda rule_set: CategoryRequirement.objects.filter(rule_set_id=rule_set).order_by("order", "pk")
    .values_list("code", "name", "minimum", "surplus_to", "surplus_limit"),
    rule_set=int)


def categories_of(rule_set: RuleSet) -> list[credit_rules.Category]:
    return [credit_rules.Category(code=code, name=name, minimum=minimum, surplus_to=surplus_to,
                                  surplus_limit=surplus_limit)
            for code, name, minimum, surplus_to, surplus_limit in _CATEGORIES.rows(rule_set=rule_set.pk)]


def _category(rule_set: RuleSet, rule: ConversionRule | None, category: str) -> str:
    """The category a record counts towards: the one given (it must be one of the rule
    set's), else the conversion rule's."""
    if category:
        if not rule_set.categories.filter(code=category).exists():
            raise ValidationError(_("These rules have no category “%(category)s”.") % {"category": category})
        return category
    return rule.category if rule is not None else ""


def _hours(rule_set: RuleSet, hours, days) -> tuple[Decimal, str]:
    """The record's hours, from days where the certificate gives none (and the rules say how)."""
    if days is None:
        return Decimal(str(hours or 0)), ""
    if rule_set.hours_per_day is None:
        raise ValidationError(_("These rules do not count days without hours: give the hours."))
    return credit_rules.hours_from_days(days, rule_set.hours_per_day), _(
        "%(days)s days at %(per_day)s hours a day") % {"days": _number(days), "per_day": _number(rule_set.hours_per_day)}


@transaction.atomic
def ledger_add(*, teacher: Teacher, activity: str, level: str, hours=None, occurred_on: datetime.date,
               description: str, source: str, project=None, declaration=None,
               excellent_trainee: bool = False, passed: bool = True, category: str = "", content: str = "",
               subject_credits=None, days=None) -> list[CreditEntry]:
    """Add a record to the ledger: gather what the caps have already counted,
    convert and cap by credits.rules, write the entries with the explanation.

    passed=False: the trainee failed the assessment, a zero entry says so.
    excellent_trainee: the bonus the rules give (flat by level, or a percentage).
    category: what the record counts towards (else the conversion rule's category).
    content: what was taught, where the same content counts once a year.
    subject_credits: degree study where the rules count subject credits of the course plan.
    days: a certificate without hours, where the rules give hours a day."""
    Teacher.objects.select_for_update().filter(pk=teacher.pk).exists()  # caps are per teacher: one writer at a time
    if excellent_trainee and not passed:
        raise ValidationError(_("A trainee who failed the assessment cannot be an excellent trainee."))
    rule_set = rule_set_for(teacher.organisation.district, occurred_on)
    hours, from_days = _hours(rule_set, hours, days)
    year = rule_set.credit_year(occurred_on)
    first, last = rule_set.cycle_of(year)
    rule = conversion_for(rule_set, activity, level)
    content_key = _content_key(content) if rule is not None and rule.once_per_content else ""
    common = dict(teacher=teacher, credit_year=year, occurred_on=occurred_on, source=source, activity=activity,
                  level=level, description=description, hours=hours, rule_set=rule_set, project=project,
                  declaration=declaration, category=_category(rule_set, rule, category), content=content_key)
    rule_text = f"{rule_set.name}：{rule.text or _describe(rule)}" if rule is not None else str(rule_set)
    if not passed or rule is None:
        refused = credit_rules.award(hours, None, passed=passed)
        return _recorded(teacher, [CreditEntry.objects.create(
            **common, raw_credits=refused.raw, credits=refused.credits, rule_text=rule_text[:RULE_TEXT_MAX],
            note=refused.note)])
    quantity = hours
    if rule.unit == Unit.SUBJECT_CREDIT:
        if subject_credits is None:
            raise ValidationError(_("These rules count degree study by the subject credits of the course plan: "
                                    "give them."))
        quantity = Decimal(str(subject_credits))
        rule_text += _(" (%(quantity)s subject credits)") % {"quantity": _number(quantity)}
    if from_days:
        rule_text += f" ({from_days})"
    caps = []
    if rule.cap_per_item is not None:
        caps.append(credit_rules.Cap(credit_rules.PER_RECORD, rule.cap_per_item))
    # Provisional lines hold their place under the caps; refused ones count for nothing.
    earlier = CreditEntry.objects.filter(teacher=teacher, activity=activity).exclude(
        source=CreditEntry.Source.BONUS).exclude(recognition=Recognition.REFUSED)
    if rule.cap_per_year is not None:
        caps.append(credit_rules.Cap(credit_rules.KIND_YEAR, rule.cap_per_year,
                                     _sum(earlier.filter(credit_year=year))))
    if rule.cap_per_cycle is not None:
        caps.append(credit_rules.Cap(credit_rules.KIND_CYCLE, rule.cap_per_cycle,
                                     _sum(earlier.filter(credit_year__range=(first, last)))))
    same_content = _sum(earlier.filter(credit_year=year, content=content_key)) if content_key else None
    year_cap = _year_cap(teacher, rule_set, year)
    result = credit_rules.award(quantity, _conversion(rule), caps + year_cap, same_content=same_content)
    entries = [CreditEntry.objects.create(**common, raw_credits=result.raw, credits=result.credits,
                                          rule_text=rule_text[:RULE_TEXT_MAX], note=result.note)]
    if excellent_trainee:
        # The bonus comes after the record: the record's credits count against the yearly cap.
        counted = result.credits if source != CreditEntry.Source.EXEMPTION else 0
        entries.append(_bonus(common, rule_set, level, result.credits,
                              [credit_rules.Cap(cap.kind, cap.limit, cap.used + counted) for cap in year_cap]))
    return _recorded(teacher, entries)


def _recorded(teacher: Teacher, entries: list[CreditEntry]) -> list[CreditEntry]:
    """Tell the apps above (notices) of one record written to a teacher's ledger."""
    signals.credits_recorded.send(sender=CreditEntry, teacher=teacher, entries=entries)
    return entries


def _year_cap(teacher, rule_set, year) -> list[credit_rules.Cap]:
    """The yearly cap on everything (exemptions aside), with what it has counted so far."""
    if rule_set.annual_cap is None:
        return []
    used = _sum(CreditEntry.objects.filter(teacher=teacher, credit_year=year).exclude(
        source=CreditEntry.Source.EXEMPTION).exclude(recognition=Recognition.REFUSED))
    return [credit_rules.Cap(credit_rules.YEAR, rule_set.annual_cap, used)]


def bonus_for(rule_set: RuleSet, level: str) -> Bonus | None:
    """The excellent-trainee bonus at that level, or the one for any level."""
    bonuses = {b.level: b for b in rule_set.bonuses.filter(kind=Bonus.Kind.EXCELLENT_TRAINEE,
                                                           level__in=[level, Level.ANY])}
    return bonuses.get(level) or bonuses.get(Level.ANY)


def _bonus(common, rule_set, level, base, caps):
    bonus = bonus_for(rule_set, level)
    result = credit_rules.bonus_award(bonus.rule() if bonus else None, caps, base=base)
    if bonus is not None and bonus.percent is not None:
        described = _("excellent trainee: %(base)s credits raised by %(percent)s%%, rounded to a whole credit: "
                      "+%(credits)s") % {"base": _number(base), "percent": _number(bonus.percent),
                                         "credits": _number(result.raw)}
    else:
        described = _("excellent trainee, %(level)s level: +%(credits)s") % {
            "level": Level(level).label, "credits": _number(result.raw)}
    if bonus is not None and bonus.text:
        described = f"{bonus.text}（{described}）"
    return CreditEntry.objects.create(
        **{**common, "source": CreditEntry.Source.BONUS, "hours": 0, "content": ""},
        raw_credits=result.raw, credits=result.credits, rule_text=f"{rule_set.name}：{described}"[:RULE_TEXT_MAX],
        note=result.note,
    )


def _describe(rule: ConversionRule) -> str:
    if rule.flat:
        return _("%(activity)s: %(credits)s credits per record") % {
            "activity": Activity(rule.activity).label, "credits": _number(rule.credits)}
    return _("%(activity)s (%(level)s): %(hours)s %(unit)s = %(credits)s credits") % {
        "activity": Activity(rule.activity).label, "level": Level(rule.level).label,
        "hours": _number(rule.hours), "unit": Unit(rule.unit).label, "credits": _number(rule.credits)}


def exemption_add(*, teacher: Teacher, semester_start: datetime.date, reason: str,
                  months: int | None = None) -> CreditEntry:
    """Approved maternity or sick leave: a full semester's worth of credits (Hunan), or
    so many a month (Changsha, give months), counted towards the minimum."""
    rule_set = rule_set_for(teacher.organisation.district, semester_start)
    result = credit_rules.leave_exemption(per_semester=rule_set.leave_exemption_per_semester,
                                          per_month=rule_set.leave_exemption_per_month, months=months)
    if months is not None:
        described = _("approved leave exempts %(credits)s credits per month: %(months)s months") % {
            "credits": _number(rule_set.leave_exemption_per_month), "months": months}
    else:
        described = _("approved leave exempts %(credits)s credits per semester") % {
            "credits": _number(rule_set.leave_exemption_per_semester)}
    return _recorded(teacher, [CreditEntry.objects.create(
        teacher=teacher, credit_year=rule_set.credit_year(semester_start), occurred_on=semester_start,
        source=CreditEntry.Source.EXEMPTION, activity=Activity.LEAVE, level=Level.ANY, description=reason,
        raw_credits=result.raw, credits=result.credits, rule_set=rule_set, note=result.note,
        rule_text=f"{rule_set.name}：{described}",
    )])[0]


def year_rule_set(district, year: int, rule_sets: list[RuleSet] | None = None) -> RuleSet:
    """The rule set a credit year is counted by: its minimums and its cycle."""
    return rule_set_for(district, credit_rules.counting_day(year), rule_sets)


def teacher_totals(teacher: Teacher, year: int) -> dict:
    """This year's and this cycle's credits against the minimums, and what is missing:
    the cycle's total, each category's minimum, the yearly threshold for an 优秀 rating."""
    rule_set = year_rule_set(teacher.organisation.district, year)
    first, last = rule_set.cycle_of(year)
    # Only confirmed credits count (provisional ones wait for their route: credits.recognition).
    in_cycle = CreditEntry.objects.filter(teacher=teacher, credit_year__range=(first, last),
                                          recognition=Recognition.CONFIRMED).order_by()
    by_year = dict(in_cycle.values_list("credit_year").annotate(total=Sum("credits")))
    categories = categories_of(rule_set)
    by_category = dict(in_cycle.exclude(category="").values_list("category").annotate(total=Sum("credits"))) \
        if categories else {}
    figures = credit_rules.standing(year=year, cycle=(first, last), credits_by_year=by_year,
                                    minimums=minimums(rule_set), is_new_teacher=teacher.is_new_teacher,
                                    categories=categories, credits_by_category=by_category)
    return {
        "rule_set": rule_set, "year": year, "cycle": (first, last), "standing": figures,
        "year_total": figures.year_total, "year_required": figures.year_required,
        "year_missing": figures.year_missing,
        "cycle_total": figures.cycle_total, "cycle_required": figures.cycle_required,
        "cycle_missing": figures.cycle_missing,
        "categories": figures.categories, "categories_missing": figures.categories_missing,
        "completes_cycle": figures.completes_cycle,
        "excellent_minimum": figures.excellent_minimum, "may_be_rated_excellent": figures.may_be_rated_excellent,
    }


# --- automatic credits from attendance ----------------------------------------------

def _project_activity(project):
    return Activity.ONLINE if project.modes == ["online"] else Activity.CONCENTRATED


def _results(results, enrolled_ids) -> dict:
    """{teacher id: result}, checked: known results, attendees of the project only."""
    try:
        results = {int(teacher_id): value for teacher_id, value in (results or {}).items()}
    except (TypeError, ValueError):
        raise ValidationError(_("Assessment results can only be given for the project's confirmed attendees."))
    unknown = sorted({str(value) for value in results.values() if value not in Result.ALL})
    if unknown:
        raise ValidationError(_("Unknown assessment result: %(results)s.") % {"results": "、".join(unknown)})
    strangers = set(results) - set(enrolled_ids)
    if strangers:
        raise ValidationError(_("Assessment results can only be given for the project's confirmed attendees."))
    return results


def stored_results(project) -> dict:
    """{teacher id: result} as the organiser recorded them when closing the project."""
    return dict(AssessmentResult.objects.filter(enrolment__project=project).values_list(
        "enrolment__teacher_id", "result"))


def project_level(organiser) -> str:
    """The level a project's credits count at: its organiser's place in the chain (a school's
    own training, the county's, a city's or the province's)."""
    if organiser.is_school:
        return Level.SCHOOL
    return {"city": Level.CITY, "province": Level.PROVINCE}.get(organiser.level, Level.COUNTY)


@transaction.atomic
def credit_finished_project(project, results: dict | None = None) -> list[CreditEntry]:
    """Every confirmed attendee of a finished project: credits if they completed,
    a zero entry saying why if they did not. Safe to run twice.

    results: the organiser's assessment, {teacher id: Result.PASS | FAIL | EXCELLENT};
    an attendee not named passed. FAIL: a zero entry saying why (成绩不合格者不认定学分);
    EXCELLENT: the bonus the district's rules give (甘肃 +4/6/8/10 by level, 长沙 +20 %).
    results=None: the results the organiser recorded at the close (attendance.AssessmentResult)."""
    if results is None:
        results = stored_results(project)
    created = []
    level = project_level(project.organiser)
    last_day = project.sessions.order_by("-date").values_list("date", flat=True).first() or \
        datetime.date(project.year, project.end_month, 28)
    enrolments = list(Enrolment.objects.filter(project=project, status=Enrolment.Status.CONFIRMED).select_related(
        "teacher__organisation__district"))
    results = _results(results, [enrolment.teacher_id for enrolment in enrolments])
    for enrolment in enrolments:
        teacher = enrolment.teacher
        if CreditEntry.objects.filter(teacher=teacher, project=project, source=CreditEntry.Source.PROJECT).exists():
            continue
        outcome = results.get(teacher.pk, Result.PASS)
        attended = attendance.project_attendance(project, teacher)
        if attended["completed"]:
            created += ledger_add(teacher=teacher, activity=_project_activity(project), level=level,
                                  hours=attended["attended_hours"], occurred_on=last_day, description=project.name,
                                  source=CreditEntry.Source.PROJECT, project=project,
                                  passed=outcome != Result.FAIL, excellent_trainee=outcome == Result.EXCELLENT)
        else:
            rule_set = rule_set_for(teacher.organisation.district, last_day)
            created += _recorded(teacher, [CreditEntry.objects.create(
                teacher=teacher, credit_year=rule_set.credit_year(last_day), occurred_on=last_day,
                source=CreditEntry.Source.PROJECT, activity=_project_activity(project), level=level,
                description=project.name, hours=attended["attended_hours"], raw_credits=0, credits=0,
                rule_set=rule_set, project=project, rule_text=str(rule_set),
                note=_("Attendance %(share)s%% is below the %(needed)s%% needed to complete: no credits.") % {
                    "share": _number(attended["share"].quantize(Decimal("0.1"))),
                    "needed": attendance.project_run(project).min_attendance_percent},
            )])
    _recognition_open(created, title=project.name)
    return created


def _recognition_open(entries, **kwargs) -> None:
    """Under a recognition route the credits just written wait, provisional (credits.recognition)."""
    from .recognition import recognition_open

    if entries:
        recognition_open(entries, **kwargs)


@transaction.atomic
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
            created += _recorded(teacher, [CreditEntry.objects.create(
                teacher=teacher, credit_year=rule_set.credit_year(spring_end), occurred_on=spring_end,
                source=CreditEntry.Source.SCHOOL_BASED, activity=Activity.SCHOOL_BASED, level=Level.SCHOOL,
                description=description, hours=hours, raw_credits=0, credits=0, rule_set=rule_set,
                rule_text=str(rule_set),
                note=_("Absent %(limit)s hours or more in a semester: no school-based credits this year.")
                % {"limit": _number(rules.school_absence_limit_hours)},
            )])
            continue
        created += ledger_add(teacher=teacher, activity=Activity.SCHOOL_BASED, level=Level.SCHOOL, hours=hours,
                              occurred_on=spring_end, description=description,
                              source=CreditEntry.Source.SCHOOL_BASED)
    _recognition_open(created, title=f"{organisation.name}：{description}")
    return created


def overlapping_entries(teacher: Teacher, start: datetime.date, end: datetime.date):
    """Credited declarations whose dates overlap [start, end]."""
    return CreditEntry.objects.filter(
        Q(declaration__start_date__lte=end) & Q(declaration__end_date__gte=start), teacher=teacher)


# --- closing a cycle: 准予结业 --------------------------------------------------------

def cycle_fingerprint(rows) -> str:
    """What the confirming officer saw: each teacher's cycle total, requirement and categories."""
    import hashlib

    text = ";".join(
        f"{row.teacher.pk}:{row.cycle_total:.2f}:{row.cycle_required:.1f}:"
        + ",".join(f"{c.code}={c.counted:.2f}/{c.minimum:.1f}" for c in row.categories)
        for row in rows)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def closure_missing(row) -> str:
    """What a teacher lacks to complete the cycle, in words: the total, each category."""
    parts = []
    if row.short_cycle:
        parts.append(_("cycle total: %(missing)s missing") % {"missing": _number(row.cycle_missing)})
    parts += [_("%(category)s: %(missing)s missing") % {"category": c.name, "missing": _number(c.missing)}
              for c in row.categories_missing]
    return "；".join(parts)[:300]


ERROR_CYCLE_CLOSED = gettext_lazy("This cycle has already been confirmed for this school.")


def may_confirm_cycle(user, organisation) -> bool:
    """A bureau officer of the school's district."""
    return user.is_bureau_officer and user.district_id == organisation.district_id


@transaction.atomic
def cycle_close(*, organisation, year: int, user, figures: str, progress=None) -> list:
    """准予结业: the bureau confirms, once per school and cycle, who completed the cycle
    that holds `year`: the cycle's total and every category minimum of the rules (the
    rules of its last year). `figures` is the fingerprint of the page the officer saw.
    Run by a job (credits.tasks.cycle_close_start); `progress(done)` is told of its steps
    (1: the school locked, 2: every teacher counted) and may stop it before anything is written."""
    from django.core.exceptions import PermissionDenied

    from . import selectors
    from .models import CycleClosure

    progress = progress or (lambda done: None)
    if not may_confirm_cycle(user, organisation):
        raise PermissionDenied
    # One confirmation per school at a time: the school's teachers, locked.
    # No default ordering: it joins Organisation → District (nullable), and PostgreSQL refuses
    # FOR UPDATE on the nullable side of an outer join.
    list(Teacher.objects.select_for_update().filter(organisation=organisation).order_by("pk")
         .values_list("pk", flat=True))
    progress(1)
    _first, last = year_rule_set(organisation.district, year).cycle_of(year)
    report = selectors.school_credits(organisation, last)
    first = report.cycle[0]
    if CycleClosure.objects.filter(teacher__organisation=organisation, first_year=first).exists():
        raise ValidationError(ERROR_CYCLE_CLOSED, code="closed")
    if figures != cycle_fingerprint(report.rows):
        raise ValidationError(_("The figures changed since the page was shown. Check them and confirm again."),
                              code="changed")
    progress(2)
    return CycleClosure.objects.bulk_create([
        CycleClosure(teacher=row.teacher, first_year=first,
                     total=row.cycle_total.quantize(Decimal("0.1"), ROUND_DOWN), required=row.cycle_required,
                     passed=row.completes_cycle, missing=closure_missing(row), confirmed_by=user)
        for row in report.rows])
