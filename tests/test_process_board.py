"""流程看板 (issue #13): the app's own board of reviews, in the app's look and in
words, scoped like the inbox; no link to viewflow's own (purple) pages."""
import re

import pytest
from django.urls import reverse
from django.utils.translation import gettext, pgettext

from plans.models import Document
from tests.factories import make_district, make_school_plan
from tests.flow_helpers import open_task, submit, task_url
from workflow.flows import ReviewFlow

pytestmark = pytest.mark.django_db

BOARD = reverse("process_board:index")
RAW = re.compile(r"school_plan|annual_plan|initial_review|expert_review|training_school|"
                 r"\b(NEW|ASSIGNED|STARTED|DONE|CANCELED)\b|#\d+/\d+")


def detail(process_id):
    return reverse("process_board:detail", args=[process_id])


def visible_text(html: str) -> str:
    """The page's text without tags and attributes (codes may sit in attributes)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def plans(world, client_for):
    """School A's plan in initial review (claimed by the training school), the other school's queued."""
    own = make_school_plan(world, title="实验小学校本培训计划")
    other = make_school_plan(world, school=world.other_school, author=world.other_school_officer,
                             title="第一初中校本培训计划")
    submit(client_for(world.school_officer), own)
    submit(client_for(world.other_school_officer), other)
    task = open_task(own, "initial_review")
    client_for(world.training_officer).post(task_url(task, "assign"))
    return own, other


def process_of(document):
    return ReviewFlow.process_class.objects.get(document=document).pk


def test_the_board_says_where_each_review_stands_in_words(world, client_for, plans):
    own, _other = plans
    page = client_for(world.training_officer).get(BOARD)
    assert page.status_code == 200
    html = page.content.decode()
    text = visible_text(html)
    assert "实验小学校本培训计划" in text and "第一初中校本培训计划" in text  # the district's reviews
    assert str(Document.Kind.SCHOOL_PLAN.label) in text
    assert world.school.name in text
    assert gettext("Initial review") in text or str(ReviewFlow.initial_review.task_title) in text
    assert world.training_officer.display_name in text  # who holds it
    assert gettext("Waiting to be claimed") in text  # the other one waits in the queue
    assert not RAW.search(text), RAW.search(text)
    # The app's own look, and no way into viewflow's pages.
    assert 'class="top"' in html or "<header" in html
    assert "/workflow/" not in html.replace(task_url(open_task(own, "initial_review"), "index"), "")
    assert reverse("plans:detail", args=[own.pk]) in html


def test_a_school_sees_only_its_own_reviews(world, client_for, plans):
    own, other = plans
    text = visible_text(client_for(world.school_officer).get(BOARD).content.decode())
    assert "实验小学校本培训计划" in text and "第一初中校本培训计划" not in text
    assert client_for(world.school_officer).get(detail(process_of(other))).status_code == 404
    page = client_for(world.school_officer).get(detail(process_of(own)))
    assert page.status_code == 200
    assert not RAW.search(visible_text(page.content.decode()))


def test_another_district_sees_none_and_its_urls_are_refused(world, client_for, plans):
    own, other = plans
    elsewhere = make_district(name="魏都区", prefix="魏教师备", suffix="_wd")
    for user in (elsewhere.bureau_officer, elsewhere.training_officer, elsewhere.school_officer):
        text = visible_text(client_for(user).get(BOARD).content.decode())
        assert "实验小学校本培训计划" not in text and "第一初中校本培训计划" not in text
        for document in (own, other):
            assert client_for(user).get(detail(process_of(document))).status_code == 404
            # Filtering by the other district's school shows nothing either.
            assert "实验小学校本培训计划" not in client_for(user).get(
                BOARD, {"organisation": world.school.pk}).content.decode()


def test_an_expert_sees_only_what_is_assigned_to_them(world, client_for, plans):
    own, other = plans
    client_for(world.training_officer).post(task_url(open_task(own, "initial_review"), "execute"),
                                            {"decision": "approve", "experts": [world.expert1.pk], "comment": ""})
    assert open_task(own, "expert_review").owner == world.expert1
    text = visible_text(client_for(world.expert1).get(BOARD).content.decode())
    assert "实验小学校本培训计划" in text and "第一初中校本培训计划" not in text
    assert client_for(world.expert2).get(detail(process_of(own))).status_code == 404
    assert "实验小学校本培训计划" not in client_for(world.expert2).get(BOARD).content.decode()


def test_finished_reviews_are_on_their_own_tab(world, client_for, plans):
    own, _other = plans
    task = open_task(own, "initial_review")
    client_for(world.training_officer).post(task_url(task, "execute"), {"decision": "reject", "comment": "不予通过。"})
    officer = client_for(world.training_officer)
    assert "实验小学校本培训计划" not in officer.get(BOARD).content.decode()
    done = visible_text(officer.get(BOARD, {"state": "done"}).content.decode())
    assert "实验小学校本培训计划" in done and str(Document.Status.REJECTED.label) in done
    steps = visible_text(officer.get(detail(process_of(own))).content.decode())
    assert world.training_officer.display_name in steps and pgettext("STATUS", "Done") not in ("",)
    assert not RAW.search(steps)


def test_malformed_filters_are_ignored_as_in_the_inbox(world, client_for):
    assert client_for(world.training_officer).get(BOARD, {"organisation": "abc", "year": "x"}).status_code == 200
    assert client_for(world.training_officer).get(BOARD, {"state": "nonsense", "kind": "x"}).status_code == 200


def test_the_menu_links_the_board_not_viewflows_pages(world, client_for):
    html = client_for(world.bureau_officer).get(reverse("plans:list")).content.decode()
    assert BOARD in html and "/workflow/" not in html


def test_a_task_link_for_a_task_one_cannot_handle_leads_to_its_document(world, client_for, plans):
    """A notice's link to a task someone else took: the document's page, not viewflow's task page."""
    own, _other = plans
    task = open_task(own, "initial_review")
    response = client_for(world.bureau_officer).get(task_url(task, "index"))
    assert response.status_code == 302 and response["Location"] == reverse("plans:detail", args=[own.pk])
