"""The ranges a district's numbers and dates may take, in one place.

Every model field a user can type into has a validator built from these
(forms show a Chinese message) and, for the key ones, a database check
constraint (a direct ORM write or a bulk import cannot slip past the forms).
The bounds are generous for real districts and stop only absurd values:

* years 2000–2100 (``core.params``: the years the system serves); dates inside them;
* project hours at most 1,000: the longest programmes in the seeds are a five-year
  cycle's 360 hours and "two months or more of full-time training"; a session is
  one day of at most 12 hours (sessions drafted from a project's hours: at most ~170);
* declared outside training at most 1,000 hours (and 10 a day, credits.declarations);
* headcounts, places and quotas at most 100,000 (the seeds' largest is 600; a
  province-wide online course is tens of thousands);
* budgets at most 100,000,000 yuan (seed 003: 5,500 yuan a year);
* teachers born from 1940 and at least 16 years old;
* credit rules: amounts at most 1,000 credits (seed 002: 30 a year, 360 a cycle,
  +150 for new teachers, 72 flat for support teaching), at most 10 credits an hour
  (the highest rate in the seeds is 5), so a ledger line always fits its column
  (CreditEntry.credits holds 999,999.99: a record's 99,999.9 hours at 10 an hour).
"""
import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import CheckConstraint, Q
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from core.params import MAX_YEAR, MIN_YEAR

MIN_DATE = datetime.date(MIN_YEAR, 1, 1)
MAX_DATE = datetime.date(MAX_YEAR, 12, 31)

MAX_HEADCOUNT = 100_000
MAX_PROJECT_HOURS = 1_000
MAX_YEARLY_HOURS = 1_000  # a school plan's hours per teacher and per school year
MIN_SESSION_HOURS, MAX_SESSION_HOURS = Decimal("0.5"), Decimal("12")
MAX_DECLARATION_HOURS = 1_000
MAX_BUDGET = 100_000_000
MAX_SEQUENCE = 999  # rows of one plan's table

MIN_BIRTH_DATE = datetime.date(1940, 1, 1)
MIN_TEACHER_AGE = 16
# The database cannot ask "today": its bound is the youngest teacher the system's last year can have.
MAX_BIRTH_DATE = datetime.date(MAX_YEAR - MIN_TEACHER_AGE, 12, 31)
MIN_EXEMPT_AGE, MAX_EXEMPT_AGE = 40, 70

MAX_RULE_CREDITS = Decimal("1000")
MAX_RULE_HOURS = Decimal("1000")
MAX_CREDITS_PER_HOUR = 10
MAX_RULE_YEARS = 10  # years per cycle, years new teachers have
MAX_MINUTES = 720  # sign-in windows: half a day
MAX_ABSENCE_HOURS = Decimal("100")
MAX_DEADLINE_DAYS = 365

ERROR_RANGE = _("Enter a value between %(low)s and %(high)s.")
ERROR_YEAR = _("Enter a year between %(low)s and %(high)s.")
ERROR_DATE = _("Enter a date between %(low)s and %(high)s.")
ERROR_HOURS = _("Enter hours between %(low)s and %(high)s.")
ERROR_HOURS_MAX = _("Hours can be at most %(high)s.")
ERROR_HEADCOUNT = _("Enter a number of people between %(low)s and %(high)s.")
ERROR_HEADCOUNT_MAX = _("The number of people can be at most %(high)s.")
ERROR_AMOUNT_MAX = _("The amount can be at most %(high)s yuan.")
ERROR_CREDITS = _("Enter credits between %(low)s and %(high)s.")
ERROR_PERCENT = _("Enter a percentage between %(low)s and %(high)s.")
ERROR_AGE = _("Enter an age between %(low)s and %(high)s.")
ERROR_MINUTES = _("Enter minutes between %(low)s and %(high)s.")
ERROR_BIRTH_DATE = _("Enter a birth date between %(low)s and %(high)s (a teacher is at least 16).")


def _show(value) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = value.normalize() if value == value.to_integral() else value
        return format(value, "f")
    return str(value)


@deconstructible
class Between:
    """low ≤ value ≤ high (either may be None); empty values are left to ``blank``/``null``."""

    code = "range"

    def __init__(self, low=None, high=None, message=ERROR_RANGE):
        self.low, self.high, self.message = low, high, message

    def bounds(self):
        return self.low, self.high

    def __call__(self, value):
        if value is None or value == "":
            return
        low, high = self.bounds()
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValidationError(self.message, code=self.code,
                                  params={"low": _show(low), "high": _show(high), "value": value})

    def __eq__(self, other):
        return (isinstance(other, self.__class__)
                and (self.low, self.high, str(self.message)) == (other.low, other.high, str(other.message)))


@deconstructible
class BirthDate(Between):
    """From 1940 to today minus 16 years (the upper bound moves with the calendar)."""

    def __init__(self):
        super().__init__(MIN_BIRTH_DATE, None, ERROR_BIRTH_DATE)

    def bounds(self):
        today = timezone.localdate()
        try:
            youngest = today.replace(year=today.year - MIN_TEACHER_AGE)
        except ValueError:  # 29 February
            youngest = today.replace(year=today.year - MIN_TEACHER_AGE, day=28)
        return self.low, min(youngest, MAX_BIRTH_DATE)


def year_range():
    return [Between(MIN_YEAR, MAX_YEAR, ERROR_YEAR)]


def date_range():
    return [Between(MIN_DATE, MAX_DATE, ERROR_DATE)]


# --- the same bounds as database check constraints ------------------------------------------

def q_between(field, low, high, *, nullable=False):
    """Q(low ≤ field ≤ high), or NULL when the column may be empty."""
    condition = Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return condition | Q(**{f"{field}__isnull": True}) if nullable else condition


def check_between(field, low, high, *, name, nullable=False, message=None):
    """The database's copy of a field's range (the field validator gives the form its message)."""
    extra = {"violation_error_message": message} if message else {}
    return CheckConstraint(condition=q_between(field, low, high, nullable=nullable), name=name, **extra)
