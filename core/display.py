"""Display helpers for long tables built in Python (a presenter beside the view) rather
than by per-row template filters and tags, which cost a few milliseconds a page.

Each gives exactly what the template filter or tag gave (tests/test_core__display.py).
"""
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.urls import reverse
from django.utils.formats import get_format

_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(0, 7)}


def floatformat(value, places: int) -> str:
    """The template's ``value|floatformat:places`` for a Decimal or an int (places between
    -6 and 6): places < 0 shows that many decimals only when the value has a fraction."""
    return floatformatter()(value, places)


def floatformatter():
    """floatformat for a whole table: whether the language groups digits or writes a comma
    is looked up once (a few function calls a value otherwise)."""
    if settings.USE_THOUSAND_SEPARATOR or get_format("DECIMAL_SEPARATOR") != ".":
        return _django_floatformat  # grouping or a comma: Django's own
    return _plain_floatformat


def _django_floatformat(value, places: int) -> str:
    from django.template.defaultfilters import floatformat as django_floatformat

    return str(django_floatformat(value, places))


def _plain_floatformat(value, places: int) -> str:
    value = Decimal(value)
    if places <= 0 and value == value.to_integral_value():
        return "%d" % value
    rounded = value.quantize(_QUANTUM[abs(places)], ROUND_HALF_UP)
    return format(rounded if rounded else abs(rounded), "f")  # as floatformat: no sign on a zero


def unlocalize(value) -> str:
    """The template's ``value|unlocalize`` for a Decimal or an int (its str())."""
    return str(value)


# Stand-ins for the ids in a URL reversed once (the <int:…> converters accept them).
_STAND_INS = (918273645, 918273646, 918273647)


def url_maker(viewname: str = "", *, ids: int = 1, reversing=None):
    """(id, …) → reverse(viewname, args=ids), reversed once for a whole table with stand-ins
    for the ids, each row's own put in their place. reversing: another way to reverse
    (a flow node's own), called with the stand-ins."""
    reversing = reversing or (lambda *args: reverse(viewname, args=args))
    # reverse() percent-encodes braces, so the only ones in the template are ours.
    template = reversing(*_STAND_INS[:ids])
    for number, stand_in in enumerate(_STAND_INS[:ids]):
        template = template.replace(str(stand_in), "{%d}" % number)
    return template.format
