"""Search (issue 13, "Oversight the bureau expects"): the document list and the task
inbox find by keyword (title and content), organisation (the choices the user may
see, never another district's names) and filing number (exact or partial,
compared normalised). Bad values answer a Chinese 400; queries stay constant."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext

from plans.models import Document, SchoolPlan
from tests.factories import make_annual_plan, make_district, make_proposal, make_school_plan
from tests.url_world import expert, filing, initial
from workflow.submission import document_submit

pytestmark = pytest.mark.django_db
LIST = reverse("plans:list")
INBOX = reverse("workflow:inbox")


@pytest.fixture
def docs(world):
    """District A: a school plan about 信息技术 (in its content only), a filed proposal of the
    other school, the annual plan with a 班主任 row. District B: the same words and number."""
    w = world
    w.plan = make_school_plan(w, year=2026)
    SchoolPlan.objects.filter(pk=w.plan.pk).update(significance="推进信息技术与教学深度融合。")
    w.proposal = make_proposal(w, organisation=w.other_school, year=2026)
    Document.objects.filter(pk=w.proposal.pk).update(status=Document.Status.APPROVED,
                                                      filing_number="建教师备〔2026〕12号")
    w.annual = make_annual_plan(w, year=2026)
    w.annual.annual_plan.projects.filter(sequence=2).update(name="新任班主任能力提升培训")
    w.b = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    w.b_plan = make_school_plan(w.b, year=2026)
    SchoolPlan.objects.filter(pk=w.b_plan.pk).update(significance="推进信息技术与教学深度融合。")
    w.b_proposal = make_proposal(w.b, year=2026)
    Document.objects.filter(pk=w.b_proposal.pk).update(status=Document.Status.APPROVED,
                                                        filing_number="魏教师备〔2026〕12号")
    return w


def found(client, url=LIST, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content.decode()[:500]
    return {d.pk for d in response.context["page"]}


def test_keyword_finds_title_content_and_table_rows_of_visible_documents_only(docs, client_for):
    w = docs
    trainer = client_for(w.training_officer)
    assert found(trainer, q="信息技术") == {w.plan.pk}                 # content, not district B's copy
    assert found(trainer, q="班主任") == {w.annual.pk}                 # a row of the project table
    assert found(trainer, q="语文 素养") == {w.proposal.pk}             # every word, in the title
    assert found(trainer, q="语文 信息技术") == set()
    assert found(trainer, q="  信息技术  ", kind="school_plan", year="2026") == {w.plan.pk}
    # A school sees its own documents only, whatever it searches for.
    assert found(client_for(w.school_officer), q="语文") == set()
    assert found(client_for(w.other_school_officer), q="语文") == {w.proposal.pk}
    assert found(client_for(w.b.bureau_officer), q="信息技术") == {w.b_plan.pk}


def test_filing_number_exact_partial_and_full_width(docs, client_for):
    w = docs
    bureau = client_for(w.bureau_officer)
    assert found(bureau, filing_number="建教师备〔2026〕12号") == {w.proposal.pk}
    assert found(bureau, filing_number="〔2026〕12") == {w.proposal.pk}  # not 魏教师备〔2026〕12号
    assert found(bureau, filing_number="２０２６〕１２") == {w.proposal.pk}  # full-width digits typed
    assert found(bureau, filing_number="〔2026〕13") == set()
    assert found(client_for(w.school_officer), filing_number="12号") == set()


def test_organisation_filter_offers_only_what_the_user_may_see(docs, client_for):
    w = docs
    response = client_for(w.bureau_officer).get(LIST)
    offered = {o.pk for o in response.context["organisations"]}
    assert {w.school.pk, w.other_school.pk, w.training_school.pk} <= offered
    assert offered.isdisjoint({w.b.school.pk, w.b.other_school.pk, w.b.training_school.pk})
    assert "魏都区" not in response.content.decode()
    assert found(client_for(w.bureau_officer), organisation=w.other_school.pk) == {w.proposal.pk}
    # A school's staff see one organisation: no select to choose from.
    assert not client_for(w.school_officer).get(LIST).context["organisations"]


@pytest.mark.parametrize("url", [LIST, INBOX])
def test_another_districts_organisation_is_a_400_naming_nothing(docs, client_for, url):
    w = docs
    for actor, organisation in ((w.bureau_officer, w.b.school.pk), (w.school_officer, w.other_school.pk)):
        response = client_for(actor).get(url, {"organisation": organisation})
        assert response.status_code == 400
        page = response.content.decode()
        assert gettext("This organisation is not one you can filter by.") in page
        assert w.b.school.name not in page and w.other_school.name not in page


@pytest.mark.parametrize("url", [LIST, INBOX])
@pytest.mark.parametrize("params, message", [
    ({"q": "x" * 101}, "The search text is too long (at most %(max)s characters)."),
    ({"q": "信息\x00技术"}, "The search text contains characters that cannot be searched for."),
    ({"filing_number": "建\x01"}, "The search text contains characters that cannot be searched for."),
    ({"filing_number": "9" * 51}, "The search text is too long (at most %(max)s characters)."),
    ({"organisation": "abc"}, "A number was expected."),
    ({"organisation": "99999999999999999999"}, "The number is out of range."),
])
def test_bad_search_values_are_a_chinese_400(docs, client_for, url, params, message):
    response = client_for(docs.bureau_officer).get(url, params)
    assert response.status_code == 400
    expected = gettext(message) % {"max": 100 if "q" in params else 50} if "%" in message else gettext(message)
    assert expected in response.content.decode()


def test_document_search_queries_do_not_grow_with_documents(docs, client_for):
    w = docs
    client = client_for(w.bureau_officer)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            client.get(LIST, {"q": "培训", "filing_number": "2026", "organisation": w.other_school.pk})
        return len(captured.captured_queries)

    few = queries()
    for _n in range(20):
        document = make_proposal(w, organisation=w.other_school, year=2026)
        Document.objects.filter(pk=document.pk).update(
            status=Document.Status.APPROVED, filing_number=f"建教师备〔2026〕{document.pk + 100}号")
    assert queries() == few


# The inbox -------------------------------------------------------------------------------

def inbox_titles(client, **params):
    response = client.get(INBOX, params)
    assert response.status_code == 200, response.content.decode()[:500]
    return {row["task"].process.reviewprocess.document_id for row in response.context["rows"]}


def test_inbox_finds_by_keyword_organisation_and_filing_number(docs, client_for):
    w = docs
    own_proposal = make_proposal(w, year=2026)
    for document in (w.plan, own_proposal):
        document_submit(document=document, user=w.school_officer)
    other = make_proposal(w, organisation=w.other_school, year=2026)
    document_submit(document=other, user=w.other_school_officer)
    trainer = client_for(w.training_officer)
    assert inbox_titles(trainer, tab="queue", q="信息技术") == {w.plan.pk}
    assert inbox_titles(trainer, tab="queue", q="语文", organisation=w.other_school.pk) == {other.pk}
    assert inbox_titles(trainer, tab="queue", organisation=w.school.pk) == {w.plan.pk, own_proposal.pk}
    # District B's training school has its own queue: the same words find nothing of ours.
    b_plan = w.b_plan
    document_submit(document=b_plan, user=w.b.school_officer)
    assert inbox_titles(client_for(w.b.training_officer), tab="queue", q="信息技术") == {b_plan.pk}
    # Filed: the bureau finds its filing task by the number it gave (exact or partial).
    initial(w.plan, w.training_officer, experts=[w.expert1])
    expert(w.plan, w.expert1)
    filing(w.plan, w.bureau_officer)
    number = Document.objects.get(pk=w.plan.pk).filing_number
    bureau = client_for(w.bureau_officer)
    assert inbox_titles(bureau, tab="done", filing_number=number) == {w.plan.pk}
    assert inbox_titles(bureau, tab="done", filing_number=number[-4:]) == {w.plan.pk}
    assert inbox_titles(bureau, tab="done", filing_number="魏教师备") == set()
    page = bureau.get(INBOX, {"tab": "done", "filing_number": number}).content.decode()
    assert 'name="filing_number"' in page and "魏都区" not in page


def test_inbox_search_queries_do_not_grow_with_tasks(docs, client_for):
    w = docs
    trainer = client_for(w.training_officer)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            trainer.get(INBOX, {"tab": "queue", "q": "语文", "organisation": w.school.pk})
        return len(captured.captured_queries)

    document_submit(document=make_proposal(w, year=2026), user=w.school_officer)
    few = queries()
    for _n in range(10):
        document_submit(document=make_proposal(w, year=2026), user=w.school_officer)
    assert queries() == few
