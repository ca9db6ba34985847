"""core.display gives exactly what the template filters and tags it replaces gave (issue 14:
the school credit and attendance tables are built in Python)."""
import random
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from core import display

VALUES = [Decimal(text) for text in (
    "0", "-0", "0.00", "-0.00", "1", "10", "30.00", "72", "3.001", "3.005", "3.015", "-3.005", "2.5", "2.45",
    "2.449", "0.04", "0.05", "-0.04", "-0.05", "99.995", "1234567.891", "1E+1", "1E+3", "66.6666666666666666667",
    "33.33333333333333333333333333", "100", "0.1", "12.3456",
)] + [0, 7, -3, 1000]


def _template(value, places):
    return Template("{% load l10n %}{{ value|floatformat:places }}|{{ value|unlocalize }}").render(
        Context({"value": value, "places": str(places)}))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_floatformat_and_unlocalize_are_the_template_filters(language):
    rng = random.Random(14)
    values = VALUES + [Decimal(rng.randint(-10 ** 7, 10 ** 7)).scaleb(-rng.randint(0, 4)) for _ in range(400)]
    values += [Decimal(rng.randint(0, 10 ** 9)) / Decimal(rng.randint(1, 10 ** 4)) * 100 for _ in range(200)]
    with translation.override(language):
        for value in values:
            for places in (-2, -1, 1, 2):
                assert f"{display.floatformat(value, places)}|{display.unlocalize(value)}" == _template(value, places), (
                    value, places)


def test_url_maker_is_reverse():
    url = display.url_maker("credits:teacher_credits")
    for pk in (1, 9, 918273645, 123456789012):
        assert url(pk) == reverse("credits:teacher_credits", args=[pk])


def test_floatformat_with_a_thousand_separator_is_djangos(settings):
    settings.USE_THOUSAND_SEPARATOR = True
    for value in VALUES:
        for places in (-2, 1):
            assert display.floatformat(value, places) == _template(value, places).split("|")[0]


@pytest.mark.parametrize("language", ["zh-hans", "en", "de"])
def test_floatformatter_is_floatformat_in_each_language(language, settings):
    for grouping in (False, True):
        settings.USE_THOUSAND_SEPARATOR = grouping
        with translation.override(language):
            formatter = display.floatformatter()
            for value in VALUES:
                for places in (-2, -1, 1, 2):
                    assert formatter(value, places) == display.floatformat(value, places) == _template(
                        value, places).split("|")[0], (language, grouping, value, places)
