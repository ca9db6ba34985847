"""Reading request parameters safely.

A parameter a user can type (query string, form field outside a Django form,
a hidden input) goes through one of these. A malformed value is either
ignored (optional filters) or refused with ``BadParameter``, which Django
answers with 400 and ``templates/400.html`` (a Chinese message), never 500.
"""
import datetime

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _

# PostgreSQL integer / bigint bounds: a larger id cannot exist, so refuse it
# before the database raises DataError.
MAX_ID = 2**63 - 1
MIN_YEAR, MAX_YEAR = 2000, 2100


class BadParameter(BadRequest):
    """A request parameter that cannot be what its name says (answered with 400)."""


def parse_int(value, *, default=None, minimum=None, maximum=None, required=False):
    """An integer within [minimum, maximum], else ``default`` (or BadParameter when required)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        if required:
            raise BadParameter(_("A number was expected."))
        return default
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        if required:
            raise BadParameter(_("The number is out of range."))
        return default
    return number


def parse_id(value, *, required=True):
    """A database id (a positive integer that fits the column)."""
    return parse_int(value, minimum=1, maximum=MAX_ID, required=required)


def parse_ids(values) -> list[int]:
    """Several ids (``request.POST.getlist(...)``); any malformed one refuses the whole list."""
    return [parse_id(value) for value in values]


def parse_year(value, *, default=None, required=False):
    return parse_int(value, default=default, minimum=MIN_YEAR, maximum=MAX_YEAR, required=required)


def parse_date(value, *, default=None, required=False):
    """An ISO date (YYYY-MM-DD) within the years the system serves."""
    try:
        date = datetime.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        date = None
    if date is None or not (MIN_YEAR <= date.year <= MAX_YEAR):
        if required:
            raise BadParameter(_("A date was expected (YYYY-MM-DD)."))
        return default
    return date


# Search words and identifiers typed into a filter: refused, not cut, when they are
# too long or carry control characters (PostgreSQL refuses NUL in a string).
MAX_SEARCH_LENGTH = 100


def parse_text(value, *, max_length=MAX_SEARCH_LENGTH) -> str:
    """Free text of a search box, stripped ("" when absent)."""
    if value is None:
        return ""
    text = str(value).strip()
    if len(text) > max_length:
        raise BadParameter(_("The search text is too long (at most %(max)s characters).") % {"max": max_length})
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise BadParameter(_("The search text contains characters that cannot be searched for."))
    return text


def parse_choice(value, choices, *, default=""):
    """One of the values of ``choices`` (a TextChoices' ``.choices`` or ``.values``);
    empty or missing is ``default``; anything else is a bad request (a filter link
    can only offer the choices, so another value was typed or forged)."""
    if value is None or str(value).strip() == "":
        return default
    value = str(value).strip()
    allowed = {c[0] if isinstance(c, (tuple, list)) else c for c in choices}
    if value not in allowed:
        raise BadParameter(_("“%(value)s” is not one of the values this filter offers.") % {"value": value[:20]})
    return value
