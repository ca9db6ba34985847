"""The roll-ups as a city officer reads them (issue #15, review h40): on a phone, and in the
exported spreadsheet checked by hand."""
import io
import re

import pytest
from django.urls import reverse
from django.utils.translation import gettext, pgettext

from tests.test_oversight import YEAR, chain, rules, small  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_the_xlsx_has_the_counts_behind_its_rates_and_its_totals_add_up(chain, client_for):  # noqa: F811
    """A rate alone cannot be checked, nor a total rate summed: the export carries the counts
    (participants, registered, completed, projects held, spot-checked) next to the rates."""
    from openpyxl import load_workbook

    region, *_rest = chain
    response = client_for(region.city_officer).get(reverse("oversight:city", args=[region.city.pk]),
                                                    {"year": YEAR, "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = list(rows[1])
    col = {name: header.index(name) for name in header if name}
    teachers = col[pgettext("roll-up column", "Teachers")]
    counts = [gettext("Participants"), gettext("Teachers registered"), gettext("Teachers completed"),
              gettext("Projects held"), gettext("Projects spot-checked"), gettext("Plans due"),
              pgettext("roll-up column", "Teachers")]
    districts = [row for row in rows[2:] if row[0] in ("建安区", "魏都区")]
    total = next(row for row in rows if row[0] == gettext("Total"))
    assert len(districts) == 2
    for name in counts:
        assert total[col[name]] == sum(row[col[name]] for row in districts), name
    for row in districts + [total]:
        for count, rate in ((gettext("Participants"), gettext("Participation rate (%)")),
                            (gettext("Teachers registered"), gettext("Registration rate (%)")),
                            (gettext("Teachers completed"), gettext("Completion rate (%)"))):
            assert row[col[rate]] == pytest.approx(round(100 * row[col[count]] / row[teachers], 1)), (row[0], rate)
    assert total[col[gettext("Teachers registered")]] > 0


def test_the_figures_stay_whole_on_a_phone(chain, client_for):  # noqa: F811
    """On a phone the table was squeezed to the screen and "100.0 %" broke into "100." / "0 %":
    every figure cell keeps its line (the table scrolls inside its card)."""
    region, jianan, *_ = chain
    for url in (reverse("oversight:city", args=[region.city.pk]),
                reverse("oversight:district", args=[jianan.district.pk])):
        body = client_for(region.city_officer).get(url, {"year": YEAR}).content.decode()
        cells = re.findall(r"<td([^>]*)data-col=", body)
        assert cells and all("white-space:nowrap" in attrs for attrs in cells), url
        # ... and the names are not squeezed to one character a line beside them.
        names = re.findall(r'<tr data-row="[^"]*" data-name="[^"]*">\s*<td([^>]*)>', body)
        assert names and all("min-width" in attrs for attrs in names), url
