"""What a bulletin and a commendation list say: their figures, as plain JSON-able dicts.

The dicts are kept with the issued document (Issued.content), so the PDF can be rendered
again, identical, from what was issued, whatever the figures are today.

* bulletin: each school's figures for the year, their rates and seed 001's targets (100 %
  registration, 94 % participation) come from oversight.metrics (the roll-ups' one
  definition); the bulletin only orders, praises and names.
* commendation: every teacher of the city's districts who completed the cycle (credits:
  rules.Standing.completes_cycle, counted by credits.selectors.teacher_credit_rows for the
  cycle's last year under each district's own rules), by district and school.
"""
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import City, District, Organisation
from accounts.regions import chain_label
from attendance.models import Teacher
from credits.selectors import SCHOOL_KINDS, current_credit_year, teacher_credit_rows
from credits.services import year_rule_set
from oversight import metrics


def rate_text(value) -> str | None:
    """A rate as kept in the content: "95.5" (one decimal), None when there is no one to count."""
    if value is None:
        return None
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def target_text(value) -> str:
    """A target as written in a document: 94, 100, 97.5."""
    return f"{Decimal(value).normalize():f}"


def _rate(value) -> Decimal:
    return Decimal(value) if value is not None else Decimal(-1)


# --- the annual bulletin ----------------------------------------------------------------------

def _figures_row(name, figures: metrics.Figures) -> dict:
    return {
        "school": name,
        "teachers": figures.teachers,
        "participants": figures.participants,
        "registered": figures.registered,
        "completed": figures.completed,
        "registration_rate": rate_text(figures.registration_rate),
        "completion_rate": rate_text(figures.completion_rate),
        "participation_rate": rate_text(figures.participation_rate),
        "registration_below_target": figures.registration_below_target,
        "participation_below_target": figures.participation_below_target,
    }


def bulletin_content(district: District, year: int) -> dict:
    """The year's bulletin of the district's schools: rows ordered by registration rate, then
    completion rate (best first); schools at 100 % registration praised, those below named."""
    schools = {o.pk: o for o in Organisation.objects.filter(district=district, kind__in=SCHOOL_KINDS)}
    by_school = {pk: figures for pk, figures in metrics.school_figures(year, district).items()
                 if pk in schools and figures.teachers}
    rows = [_figures_row(schools[pk].name, figures) for pk, figures in by_school.items()]
    rows.sort(key=lambda r: (-_rate(r["registration_rate"]), -_rate(r["completion_rate"]), r["school"]))
    for index, row in enumerate(rows, 1):
        row["rank"] = index
    # district_figures is the sum of school_figures: summed here rather than counted twice.
    totals = _figures_row(district.name, sum(by_school.values(), metrics.Figures()))
    return {
        "kind": "bulletin", "year": year, "district": district.name, "chain": chain_label(district),
        "registration_target": target_text(metrics.TARGET_REGISTRATION),
        "participation_target": target_text(metrics.TARGET_PARTICIPATION),
        "rows": rows,
        "praised": [r["school"] for r in rows if not r["registration_below_target"]],
        "named": [r["school"] for r in rows if r["registration_below_target"]],
        "low_participation": [r["school"] for r in rows if r["participation_below_target"]],
        "totals": totals, "as_of": timezone.localdate().isoformat(),
    }


# --- the commendation list --------------------------------------------------------------------

def city_cycles(city: City, today=None) -> list[tuple[int, int]]:
    """The cycles a city may commend: the current and the previous cycle of each of its
    districts' rules (most recent first)."""
    cycles = set()
    for district in District.objects.filter(city=city):
        try:
            year = current_credit_year(district, today)
            rule_set = year_rule_set(district, year)
            first, last = rule_set.cycle_of(year)
            cycles.add((first, last))
            cycles.add(year_rule_set(district, first - 1).cycle_of(first - 1))
        except ValidationError:  # a district without rules in force has no cycle
            continue
    return sorted(cycles, reverse=True)


def cycle_over(city: City, cycle: tuple[int, int], today=None) -> bool:
    """Whether the cycle has ended for the city: the current credit year of each of its districts
    with rules in force is past the cycle's last year (一周期一表彰: a cycle is commended once it
    is over; before then its list would commend only those who finished early)."""
    years = []
    for district in District.objects.filter(city=city):
        try:
            years.append(current_credit_year(district, today))
        except ValidationError:  # a district without rules in force has no cycle
            continue
    return bool(years) and min(years) > cycle[1]


def commendation_content(city: City, cycle: tuple[int, int]) -> dict:
    """Every teacher in post in the city's districts who completed the cycle (准予结业: the
    cycle's total and every category minimum), by district and school; schools and
    districts where every teacher did. A district whose rules count another cycle is listed
    apart, not judged by a cycle it does not have."""
    first, last = cycle
    districts, other_cycle = [], []
    for district in District.objects.filter(city=city).order_by("name"):
        try:
            rule_set = year_rule_set(district, last)
        except ValidationError:
            other_cycle.append(district.name)
            continue
        if rule_set.cycle_of(last) != (first, last):
            other_cycle.append(district.name)
            continue
        schools = {o.pk: o for o in Organisation.objects.filter(district=district, kind__in=SCHOOL_KINDS)}
        teachers = Teacher.objects.filter(organisation__in=list(schools), active=True)
        by_school = defaultdict(list)
        for row in teacher_credit_rows(teachers, rule_set, last, schools):
            by_school[row.teacher.organisation_id].append(row)
        school_entries = []
        for school in sorted(schools.values(), key=lambda o: (o.kind, o.name)):
            rows = by_school.get(school.pk, [])
            if not rows:
                continue
            done = [row for row in rows if row.completes_cycle]
            school_entries.append({
                "school": school.name, "teachers": len(rows), "completed": len(done),
                "completion_rate": rate_text(metrics.rate(len(done), len(rows))),
                "names": [row.teacher.name for row in done],
            })
        teachers_count = sum(s["teachers"] for s in school_entries)
        completed = sum(s["completed"] for s in school_entries)
        districts.append({
            "district": district.name, "teachers": teachers_count, "completed": completed,
            "completion_rate": rate_text(metrics.rate(completed, teachers_count)),
            "schools": school_entries,
        })
    full_schools = [f"{d['district']}{s['school']}" for d in districts for s in d["schools"]
                    if s["teachers"] and s["completed"] == s["teachers"]]
    full_districts = [d["district"] for d in districts if d["teachers"] and d["completed"] == d["teachers"]]
    return {
        "kind": "commendation", "first_year": first, "last_year": last, "city": city.name,
        "province": city.province.name, "districts": districts, "full_schools": full_schools,
        "full_districts": full_districts, "other_cycle": other_cycle,
        "commended": sum(d["completed"] for d in districts),
        "as_of": timezone.localdate().isoformat(),
    }


def bulletin_title(year: int) -> str:
    return _("Bulletin on the registration of teachers' continuing-education credits in %(year)s") % {"year": year}


def commendation_title(city_name: str, cycle: tuple[int, int]) -> str:
    return _("List of teachers of %(city)s commended for completing the %(first)s–%(last)s continuing-education "
             "cycle") % {"city": city_name, "first": cycle[0], "last": cycle[1]}
