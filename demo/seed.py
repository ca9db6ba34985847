"""The demo's seed texts and tables (demo/data/*.toml), read as plain values.

Dates and times are TOML dates and times; amounts are strings ("5500"), which
the models' validation turns into decimals; choices are their stored values.

The data is written for one year, DATA_YEAR (the seed 004 plan is the year
before it); `shift` moves every date, year and year in a text by whole years,
so the demo can be built around any "today" (demo/scenario.py).
"""
import datetime
import re
import tomllib
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

# "This year" of the data files: the current project runs in its December, the
# school-based year before it has just closed, the seed 004 plan is the year before.
DATA_YEAR = 2025

# Keys whose integer values are years.
YEAR_KEYS = {"year", "start_year"}
# A year in a text: 2024年, 2024—2025学年 (not a cited document number such as 〔2023〕).
YEAR_IN_TEXT = re.compile(r"(?<![\d〔])(20\d\d)(?=年|—20\d\d)|(?<=—)(20\d\d)(?=学年)")


def load(name: str) -> dict:
    """demo/data/<name>.toml, fresh on every call (callers may change what they get)."""
    with open(DATA / f"{name}.toml", "rb") as file:
        return tomllib.load(file)


def years_for(today: datetime.date) -> int:
    """How many years to move the data so its "this year" is today's (calendar) year."""
    return today.year - DATA_YEAR


def _move_date(value, years):
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February into a common year
        return value.replace(year=value.year + years, day=28)


def shift(value, years: int, key: str = ""):
    """value with every date, year field and year in a text moved by `years`."""
    if not years:
        return value
    if isinstance(value, dict):
        return {k: shift(v, years, k) for k, v in value.items()}
    if isinstance(value, list):
        return [shift(v, years, key) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return _move_date(value, years)
    if isinstance(value, int) and not isinstance(value, bool) and key in YEAR_KEYS:
        return value + years
    if isinstance(value, str):
        return YEAR_IN_TEXT.sub(lambda m: str(int(m.group(0)) + years), value)
    return value
