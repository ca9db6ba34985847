"""The attendance rules of seeds 003 and 001 as pure functions: plain values in, plain values out.

No database and no models here (only the standard library): attendance.services
gathers one teacher's figures with queries, attendance.reports a whole school's
in a fixed number of queries, and both judge them here, so they cannot disagree.

* the school year and its two semesters;
* exemption by age: women of 50 and men of 55 by 31 December attend but are not
  assessed;
* school-based forfeiture: absences adding up to the limit (5 hours) or more in a
  semester forfeit the year's school-based credit (累计缺席5个学时以上: in Chinese
  rules 以上 includes the number itself); from a share of the limit a teacher is
  at risk;
* project completion: attended hours, plus the hours of missed sessions made up
  (补学) with the organiser's acceptance, as a share of all the project's hours,
  against the organiser's threshold. Approved leave (请假) is neither attended
  nor absence: it costs completion hours until made up, and never school-based
  credit (only hours marked 缺席 count towards forfeiture).
"""
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)
# A teacher is at risk from this share of the absence limit up to (not including) the limit.
AT_RISK_SHARE = Decimal("0.6")


# --- the school year ------------------------------------------------------------------

def semesters(year: int) -> list[tuple[datetime.date, datetime.date]]:
    """The two semesters of the school year starting in autumn `year`."""
    return [(datetime.date(year, 8, 1), datetime.date(year + 1, 1, 31)),
            (datetime.date(year + 1, 2, 1), datetime.date(year + 1, 7, 31))]


def school_year_of(day: datetime.date) -> int:
    """The school year a day falls in, named by the autumn it starts (see semesters)."""
    return day.year if day.month >= 8 else day.year - 1


# --- exemption by age -------------------------------------------------------------------

def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def is_exempt(*, female: bool, birth_date: datetime.date, year: int, women_from: int = 50,
              men_from: int = 55) -> bool:
    """Women who are `women_from` and men who are `men_from` by 31 December of `year`
    attend but are not assessed."""
    return age_on(birth_date, datetime.date(year, 12, 31)) >= (women_from if female else men_from)


def exempt_if_born_by(*, year: int, women_from: int = 50, men_from: int = 55) -> dict[bool, datetime.date]:
    """is_exempt for a whole list at once: {female: the last birth date that is exempt}; a
    teacher is exempt when born on or before it (31 December: a birthday in the year counts)."""
    return {True: datetime.date(year - women_from, 12, 31), False: datetime.date(year - men_from, 12, 31)}


# --- school-based forfeiture -----------------------------------------------------------------

@dataclass(frozen=True)
class Forfeiture:
    """A teacher's school-based absence in a school year, judged."""

    absence: tuple[Decimal, ...]   # hours absent, one figure per semester
    limit: Decimal                 # forfeits from this many hours in one semester (inclusive)
    exempt: bool = False

    @property
    def worst(self) -> Decimal:
        return max(self.absence, default=ZERO)

    @property
    def forfeited(self) -> bool:
        return not self.exempt and self.worst >= self.limit

    @property
    def at_risk(self) -> bool:
        return not self.exempt and not self.forfeited and self.worst >= at_risk_from(self.limit)


def at_risk_from(limit) -> Decimal:
    return Decimal(limit) * AT_RISK_SHARE


def school_based_forfeiture(absence_by_semester: Sequence, limit, exempt: bool = False) -> Forfeiture:
    """Absences add up within a semester, never across semesters."""
    return Forfeiture(absence=tuple(Decimal(hours or 0) for hours in absence_by_semester), limit=Decimal(limit),
                      exempt=exempt)


# --- project completion -----------------------------------------------------------------------

@dataclass(frozen=True)
class Completion:
    attended_hours: Decimal
    total_hours: Decimal
    needed_percent: Decimal   # the organiser's threshold
    # Hours of missed sessions (leave or absence) made up with an accepted 补学 record.
    # The caller passes only sessions the teacher did not attend; the count is capped
    # at the project's hours all the same.
    made_up_hours: Decimal = ZERO

    @property
    def counted_hours(self) -> Decimal:
        """Attended and made-up hours, never more than the project has."""
        return min(self.attended_hours + self.made_up_hours, self.total_hours)

    @property
    def share(self) -> Decimal:
        """Counted hours as a percentage of all the project's hours (0 when it has none)."""
        return self.counted_hours / self.total_hours * 100 if self.total_hours else ZERO

    @property
    def completed(self) -> bool:
        return bool(self.total_hours) and self.share >= self.needed_percent


def project_completion(*, attended_hours, total_hours, needed_percent, made_up_hours=None) -> Completion:
    return Completion(attended_hours=Decimal(attended_hours or 0), total_hours=Decimal(total_hours or 0),
                      needed_percent=Decimal(needed_percent), made_up_hours=Decimal(made_up_hours or 0))
