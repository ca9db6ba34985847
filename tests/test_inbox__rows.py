"""The inbox's rows as the view builds them (workflow.views._row_html): each row's links are
its own task's and subject's (one reverse() a page, the ids put in), and the unfiltered tab's
count is the one task_counts made (no second COUNT)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_proposal, make_school_plan
from tests.flow_helpers import open_task, submit, task_url
from workflow.selectors import INBOX_TABS

pytestmark = pytest.mark.django_db
INBOX = reverse("workflow:inbox")


@pytest.fixture
def documents(world, client_for):
    officer = client_for(world.school_officer)
    documents = [make_school_plan(world), make_proposal(world), make_proposal(world)]
    for document in documents:
        submit(officer, document)
    return documents


def test_each_row_links_its_own_task_and_subject(world, client_for, documents):
    trainer = client_for(world.training_officer)
    response = trainer.get(INBOX + "?tab=queue")
    html = response.content.decode()
    rows = {row["task"].pk: row for row in response.context["rows"]}
    assert len(rows) == 3
    for document in documents:
        task = open_task(document, "initial_review")
        row = rows[task.pk]
        assert row["action_url"] == task_url(task, "assign") and f'action="{row["action_url"]}"' in html
        assert row["subject_url"] == reverse("plans:detail", args=[document.pk])
        assert f'href="{row["subject_url"]}">{document.title}</a>' in html

    for document in documents[:2]:
        assert trainer.post(task_url(open_task(document, "initial_review"), "assign")).status_code == 302
    response = trainer.get(INBOX + "?tab=mine")
    html = response.content.decode()
    rows = {row["task"].pk: row for row in response.context["rows"]}
    assert len(rows) == 2
    for document in documents[:2]:
        task = open_task(document, "initial_review")
        row = rows[task.pk]
        assert row["action_url"] == task_url(task, "execute") and f'href="{row["action_url"]}"' in html
        assert row["release_url"] == task_url(task, "unassign") and f'action="{row["release_url"]}"' in html
        assert (f'name="task" value="{task.pk}"' in html) == bool(row["hand_over_to"])  # its hand-over form


def test_the_unfiltered_tab_is_counted_once(world, client_for, documents):
    trainer = client_for(world.training_officer)
    with CaptureQueriesContext(connection) as queries:
        response = trainer.get(INBOX + "?tab=queue")
    task_counts = [q["sql"] for q in queries.captured_queries
                   if "COUNT(" in q["sql"] and '"viewflow_task"' in q["sql"]]
    assert len(task_counts) == 1  # workflow.selectors.task_counts, shared by the paginator
    assert response.context["page"].paginator.count == 3 == response.context["counts"]["queue"]


@pytest.mark.parametrize("tab", ["mine", "queue", "done"])
def test_the_paginator_counts_the_tabs_list(world, client_for, documents, tab):
    trainer = client_for(world.training_officer)
    trainer.post(task_url(open_task(documents[0], "initial_review"), "assign"))
    response = trainer.get(INBOX, {"tab": tab})
    assert response.context["page"].paginator.count == INBOX_TABS[tab](user=world.training_officer).count()


def test_a_filtered_tab_counts_its_own_rows(world, client_for, documents):
    trainer = client_for(world.training_officer)
    response = trainer.get(INBOX, {"tab": "queue", "kind": documents[1].kind})
    assert response.context["page"].paginator.count == 2 == len(response.context["rows"])
    assert response.context["counts"]["queue"] == 3


def test_a_page_beyond_the_last_shows_the_last(world, client_for, documents):
    response = client_for(world.training_officer).get(INBOX, {"tab": "queue", "page": 40})
    assert response.status_code == 200
    assert response.context["page"].number == 1 and len(response.context["rows"]) == 3
