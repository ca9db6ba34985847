"""Exports that start a background job answer only POST (issue 14): a GET (a link followed,
a reload, a browser's prefetch, a crawler) is a 405 and starts no job; the pages offer a
button in a POST form with its CSRF token, keeping the page's filters. Direct downloads
that only read (a school's report, the schedule, the roster) stay links."""
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from jobs.models import Job
from tests.job_helpers import started_job

pytestmark = pytest.mark.django_db

# (name, the URL the page's button POSTs to, the page that shows the button)
EXPORTS = [
    ("attendance district", lambda: reverse("attendance:report_district") + "?year=2024&format=xlsx",
     lambda: reverse("attendance:report_district") + "?year=2024"),
    ("credits district", lambda: reverse("credits:district_credits") + "?year=2024&format=xlsx",
     lambda: reverse("credits:district_credits") + "?year=2024"),
    ("audit xlsx", lambda: reverse("audit:export", args=["xlsx"]) + "?date_from=2024-03-01",
     lambda: reverse("audit:list") + "?date_from=2024-03-01"),
    ("audit csv", lambda: reverse("audit:export", args=["csv"]) + "?date_from=2024-03-01",
     lambda: reverse("audit:list") + "?date_from=2024-03-01"),
    ("exchange", lambda: reverse("exchange:export") + "?year=2024", lambda: reverse("exchange:home")),
]


@pytest.fixture
def bureau(world, client_for):
    call_command("loaddata", "credit_rules", verbosity=0)
    world.district.credit_rule_family = "hunan"
    world.district.save()
    return client_for(world.bureau_officer)


@pytest.mark.parametrize("name,export,page", EXPORTS, ids=[e[0] for e in EXPORTS])
def test_a_get_of_an_export_that_starts_a_job_is_refused_and_starts_nothing(bureau, name, export, page):
    for method in ("get", "head"):
        response = getattr(bureau, method)(export())
        assert response.status_code == 405, (method, response.status_code)
        assert response["Allow"] == "POST"
    assert Job.objects.count() == 0
    job = started_job(bureau.post(export(), {"year": 2024} if name == "exchange" else {}))
    assert Job.objects.count() == 1 and job.state == Job.State.DONE, (job.state, job.error)


@pytest.mark.parametrize("name,export,page", EXPORTS, ids=[e[0] for e in EXPORTS])
def test_the_page_offers_the_export_as_a_post_form_keeping_its_filters(bureau, name, export, page):
    html = bureau.get(page()).content.decode()
    forms = re.findall(r"<form\b([^>]*)>(.*?)</form>", html, re.S)
    posting = [(attrs, body) for attrs, body in forms if 'method="post"' in attrs
               and 'name="csrfmiddlewaretoken"' in body]
    # The URL the button sends: the form's action, or a button's formaction (the audit's CSV).
    targets = [a.replace("&amp;", "&") for attrs, body in posting
               for a in re.findall(r'(?:action|formaction)="([^"]*)"', attrs + body)]
    path = export().split("?")[0]
    assert any(t.split("?")[0] == path and (name == "exchange" or t == export()) for t in targets), targets
    # No link left that would start it.
    links = [href.replace("&amp;", "&") for href in re.findall(r'<a\b[^>]*href="([^"]*)"', html)]
    assert not [href for href in links if href.split("?")[0] == path and (
        "format=xlsx" in href or path != page().split("?")[0])], links
    if name == "exchange":  # its year is a field of the form
        assert 'name="year"' in next(body for attrs, body in posting if path in attrs)


def test_direct_downloads_that_only_read_stay_links(world, client_for):
    school = client_for(world.school_officer)
    html = school.get(reverse("attendance:report_school") + "?year=2024").content.decode()
    assert re.search(r'<a class="btn secondary" data-testid="export-xlsx" href="[^"]*format=xlsx', html)
    response = school.get(reverse("attendance:report_school") + "?year=2024&format=xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert Job.objects.count() == 0
