"""viewflow's own pages for the declaration flow (mounted on the Site in
config/workflow_site.py): a teacher sees their own declarations, a school its
teachers', the training school and bureau their district's; the queue holds
only tasks the user may claim (the school step has no owner permission, so
viewflow alone would offer it to everyone)."""
from workflow.scoped_viewset import FlowScope, ScopedFlowViewset
from workflow.selectors import task_queue

from .declarations import declaration_processes_visible, declaration_tasks_visible
from .flows import DeclarationFlow


class DeclarationScope(FlowScope):
    def processes(self, user):
        return declaration_processes_visible(user)

    def tasks(self, user):
        return declaration_tasks_visible(user=user)

    def queue(self, user):
        return task_queue(user=user)  # the one inbox's queue: every flow's, by each node's rule


def declaration_viewset():
    return ScopedFlowViewset(DeclarationFlow, scope=DeclarationScope(), icon="how_to_reg")


class RecognitionScope(FlowScope):
    def processes(self, user):
        from .recognition import recognition_processes_visible

        return recognition_processes_visible(user)

    def tasks(self, user):
        from .recognition import recognition_tasks_visible

        return recognition_tasks_visible(user)

    def queue(self, user):
        return task_queue(user=user)


def recognition_viewset():
    from .flows import RecognitionFlow

    return ScopedFlowViewset(RecognitionFlow, scope=RecognitionScope(), icon="verified")
