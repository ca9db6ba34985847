"""The workflow Site: viewflow's pages for every flow, each scoped (scoped_viewset.py)."""
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from plans.selectors import document_list_visible

from .flows import ReviewFlow
from .scoped_viewset import FlowScope, ScopedFlowViewset
from .selectors import task_list_visible, task_queue


class ReviewScope(FlowScope):
    """Processes and tasks of the documents the user may see."""

    def processes(self, user):
        return ReviewFlow.process_class.objects.filter(document__in=document_list_visible(user=user))

    def tasks(self, user):
        return task_list_visible(user=user)

    def queue(self, user):
        return task_queue(user=user)  # the one inbox's queue, not viewflow's permission scan


def _site():
    from credits.viewsets import declaration_viewset

    return Site(title=_("Teacher training plan approval"), viewsets=[
        ScopedFlowViewset(ReviewFlow, scope=ReviewScope(), icon="assignment"),
        declaration_viewset(),
    ])


site = _site()
