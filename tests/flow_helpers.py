"""Drive the review flow through its real URLs, as a browser would."""
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

OPEN = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]


def open_tasks(document, node):
    return Task.objects.filter(
        process__reviewprocess__document=document, flow_task_type="HUMAN", status__in=OPEN,
    ).filter(flow_task=_node(node)).order_by("pk")


def open_task(document, node, owner=None):
    tasks = open_tasks(document, node)
    if owner is not None:
        tasks = tasks.filter(owner=owner)
    return tasks.get()


def task_url(task, action):
    return task.flow_task.reverse(action, args=[task.process_id, task.pk])


def _node(name):
    from workflow.flows import ReviewFlow

    return getattr(ReviewFlow, name)


def submit(client, document):
    return client.post(reverse("plans:submit", args=[document.pk]))


def claim_and_decide(client, document, node, data):
    task = open_task(document, node)
    response = client.post(task_url(task, "assign"))
    assert response.status_code == 302, response
    return client.post(task_url(task, "execute"), data)


def expert_answer(client, document, expert, opinion, score=85, comment="内容完整，可行。"):
    task = open_task(document, "expert_review", owner=expert)
    return client.post(task_url(task, "execute"), {"opinion": opinion, "score": score, "comment": comment})
