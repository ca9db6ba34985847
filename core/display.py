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
    if settings.USE_THOUSAND_SEPARATOR or get_format("DECIMAL_SEPARATOR") != ".":
        from django.template.defaultfilters import floatformat as django_floatformat

        return str(django_floatformat(value, places))  # grouping or a comma: Django's own
    value = Decimal(value)
    if places <= 0 and value == value.to_integral_value():
        return "%d" % value
    rounded = value.quantize(_QUANTUM[abs(places)], ROUND_HALF_UP)
    return format(rounded if rounded else abs(rounded), "f")  # as floatformat: no sign on a zero


def unlocalize(value) -> str:
    """The template's ``value|unlocalize`` for a Decimal or an int (its str())."""
    return str(value)


def url_maker(viewname: str):
    """pk → reverse(viewname, args=[pk]), reversed once for a whole table."""
    marker = 918273645
    before, after = reverse(viewname, args=[marker]).split(str(marker))
    return lambda pk: f"{before}{pk}{after}"
