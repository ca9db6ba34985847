"""viewflow's own pages for the review flow, scoped (scoped_viewset.py); the
Site that mounts every flow's pages is config/workflow_site.py."""
from plans.scopes import document_list_visible

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


def review_viewset():
    return ScopedFlowViewset(ReviewFlow, scope=ReviewScope(), icon="assignment")
