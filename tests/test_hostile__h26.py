"""A hostile user's review of the work merged for issues #13 and #14 (helper h26).

Each test guards one defect found by attacking the new surfaces: other users'
URLs, forged parameters, pages where an expert could read the other opinions of
the current round.
"""
import pytest
from django.urls import reverse
from django.utils.translation import gettext
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from tests.factories import make_school_plan
from tests.flow_helpers import claim_and_decide, expert_answer, submit, task_url
from workflow.models import Decision

pytestmark = pytest.mark.django_db

HIDDEN = "钱丽的意见：目标不够具体。"


def _to_experts(world, client_for, document, experts):
    assert submit(client_for(document.created_by), document).status_code == 302
    assert claim_and_decide(client_for(world.training_officer), document, "initial_review", {
        "decision": "approve", "experts": [e.pk for e in experts], "comment": ""}).status_code == 302


def test_an_expert_reads_no_other_opinion_of_the_round_on_any_page(world, client_for):
    """viewflow's process and task pages showed the process's last decision (处理结果),
    i.e. another expert's opinion of the current round, to an expert who had not answered."""
    document = make_school_plan(world)
    _to_experts(world, client_for, document, [world.expert1, world.expert2])
    assert expert_answer(client_for(world.expert2), document, world.expert2, "disagree", score=41,
                         comment=HIDDEN).status_code == 302
    done = Task.objects.get(process__reviewprocess__document=document, owner=world.expert2,
                            flow_task_type="HUMAN", status=STATUS.DONE)
    viewflow_pages = [reverse("review:process_detail", kwargs={"process_pk": done.process_id}),
                      task_url(done, "detail")]
    urls = viewflow_pages + [
        reverse("process_board:detail", args=[done.process_id]),
        reverse("process_board:index") + "?state=all",
        reverse("workflow:inbox") + "?tab=all",
        reverse("notices:list"),
        reverse("plans:list"),
        reverse("review:process_list"), reverse("review:task_list"), reverse("review:archive"),
        reverse("review:queue"), reverse("review:inbox"),
    ]
    opinion = str(Decision.DISAGREE.label)
    client = client_for(world.expert1)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert HIDDEN not in page, url
        assert opinion not in page, url
    # The reviewers still read the process's decision there.
    page = client_for(world.training_officer).get(viewflow_pages[0]).content.decode()
    assert opinion in page
