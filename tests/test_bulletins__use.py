"""Bulletins and commendation lists as a city officer and a district bureau use them (issue #15,
review h40): what they would trip on."""
import re

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from bulletins import content as contents
from bulletins.models import Issued
from bulletins.services import ERROR_CYCLE_NOT_OVER
from tests.race_helpers import logged_in
from tests.test_bulletins import CYCLE, chain, issue_commendation, teachers  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_a_cycle_in_progress_cannot_be_commended(chain, teachers):  # noqa: F811
    """一周期一表彰: the list of a cycle that has not ended would commend only the teachers who
    finished early (in the demo: "0 teachers commended" in the cycle's first year)."""
    region, *_ = chain
    current = contents.city_cycles(region.city)[0]
    assert not contents.cycle_over(region.city, current)
    response = issue_commendation(region.city_officer, current)
    assert response.status_code == 200
    assert str(ERROR_CYCLE_NOT_OVER % {"first": current[0], "last": current[1]}) in response.content.decode()
    assert gettext("The %(first)s–%(last)s cycle is not over yet: its commendation list is issued once the "
                   "cycle has ended.") % {"first": current[0], "last": current[1]} in response.content.decode()
    assert not Issued.objects.exists()


def test_the_form_offers_the_last_ended_cycle_first(chain, teachers):  # noqa: F811
    region, *_ = chain
    client = logged_in(region.city_officer)
    response = client.get(reverse("bulletins:commendation_new"))
    ended = [cycle for cycle in contents.city_cycles(region.city) if contents.cycle_over(region.city, cycle)]
    assert ended and ended[0] == CYCLE
    assert response.context["form"]["cycle"].value() == CYCLE[0]
    body = response.content.decode()
    assert f'<option value="{CYCLE[0]}" selected>' in body  # the draft's cycle too
    assert issue_commendation(region.city_officer, CYCLE).status_code == 302
    assert Issued.objects.get().cycle == CYCLE


def _tables_past_the_page(context) -> list[float]:
    """How far (px) each table of the rendered document reaches past the page's content box."""
    from django.utils import translation
    from weasyprint import HTML

    from bulletins.services import TEMPLATE
    from core.pdf import print_html, stylesheet_path

    with translation.override("zh-hans"):
        html = print_html(TEMPLATE, context)
    document = HTML(string=html, base_url=str(stylesheet_path().parent)).render()

    def boxes(box):
        yield box
        for child in getattr(box, "children", []):
            yield from boxes(child)

    overflows = []
    for page in document.pages:
        page_box = page._page_box
        right = page_box.content_box_x() + page_box.width  # the right margin's edge
        for box in boxes(page_box):
            if type(box).__name__ == "TableBox":
                overflows.append(box.position_x + box.margin_width() - right)
    return overflows


def test_the_bulletin_and_the_list_fit_the_page_width(chain, teachers):  # noqa: F811
    """The appendix's headers did not wrap (white-space: nowrap): the table ran past the page's
    right edge and its last column (participation) was cut off in the PDF."""
    from bulletins import services

    region, jianan, *_ = chain
    for context in (services.bulletin_draft(user=jianan.bureau_officer, year=2024),
                    services.commendation_draft(user=region.city_officer, cycle=CYCLE)):
        overflows = _tables_past_the_page(context)
        assert overflows and max(overflows) <= 0.5, (context["kind"], overflows)


def test_a_list_with_nobody_to_commend_says_so(chain, teachers):  # noqa: F811
    """The demo's list read "0 teachers ... completed ... They are hereby commended; their names
    follow." with no names after it."""
    from django.utils import translation

    from bulletins import services
    from core.pdf import print_html

    region, *_ = chain
    current = contents.city_cycles(region.city)[0]  # in progress: nobody has completed it yet
    context = services.commendation_draft(user=region.city_officer, cycle=current)
    assert context["c"]["commended"] == 0
    with translation.override("zh-hans"):
        html = print_html(services.TEMPLATE, context)
        nobody = gettext("In the %(first)s–%(last)s continuing-education cycle, no teacher of %(city)s completed "
                         "the credits the cycle requires: there is no one to commend.") % {
            "first": current[0], "last": current[1], "city": region.city.name}
    assert re.search(r'<p data-testid="commended">(.*?)</p>', html).group(1) == nobody
    with translation.override("zh-hans"):
        html = print_html(services.TEMPLATE, services.commendation_draft(user=region.city_officer, cycle=CYCLE))
        some = gettext("In the %(first)s–%(last)s continuing-education cycle, %(count)s teachers of %(city)s "
                       "completed the credits the cycle requires. They are hereby commended; their names "
                       "follow.") % {"first": CYCLE[0], "last": CYCLE[1], "count": 2, "city": region.city.name}
    assert re.search(r'<p data-testid="commended">(.*?)</p>', html).group(1) == some
