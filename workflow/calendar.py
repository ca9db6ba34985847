"""Working days on the Chinese calendar: 法定节假日 are skipped, 调休 make-up
working days (a Saturday or Sunday worked instead) count.

chinesecalendar knows the State Council's holiday schedule year by year; for a
year it does not know yet, we fall back to Monday–Friday.
"""
import datetime

import chinese_calendar


def is_working_day(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package has no schedule for
        return day.weekday() < 5


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
