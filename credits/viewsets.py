"""viewflow's own pages for the declaration flow, scoped like workflow/viewsets.py.

Out of the box they list every process and task once a user may use the flow
at all, and the process detail has no object check (viewflow #505). Here a
teacher sees their own declarations, a school its teachers', the training
school and bureau their district's; the queue holds only tasks the user may
claim (the school step has no owner permission, so viewflow would offer it
to everyone). Mounted on the Site in workflow/viewsets.py.
"""
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.flow.viewset import FlowAppViewset
from viewflow.workflow.status import STATUS

from .declarations import declaration_processes_visible, declaration_task_queue, declaration_tasks_visible
from .flows import DeclarationFlow


class ScopedTaskListMixin:
    def get_queryset(self):
        return super().get_queryset().filter(pk__in=declaration_tasks_visible(user=self.request.user).values("pk"))


class ScopedDashboardView(flow_views.DashboardView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visible = declaration_tasks_visible(user=self.request.user).select_related("process")
        for column in context["columns"]:
            column["tasks"] = visible.filter(
                Q(finished__isnull=True) | Q(status=STATUS.ERROR), flow_task=column["node"],
            )[: self.MAX_ROWS]
        context["finished"] = visible.filter(
            finished__isnull=False, flow_task__in=context["end_nodes"],
        )[: self.MAX_ROWS]
        return context


class ScopedProcessListView(flow_views.DashboardProcessListView):
    def get_queryset(self):
        return super().get_queryset().filter(
            pk__in=declaration_processes_visible(self.request.user).values("pk")).order_by("-created", "-pk")


class ScopedProcessDetailView(flow_views.DetailProcessView):
    def get_queryset(self):
        return declaration_processes_visible(self.request.user)


class ScopedTaskListView(ScopedTaskListMixin, flow_views.DashboardTaskListView):
    pass


class ScopedInboxView(ScopedTaskListMixin, flow_views.FlowInboxListView):
    pass


class ScopedQueueView(flow_views.FlowQueueListView):
    def get_queryset(self):
        return super().get_queryset().filter(pk__in=declaration_task_queue(user=self.request.user).values("pk"))


class ScopedArchiveView(ScopedTaskListMixin, flow_views.FlowArchiveListView):
    pass


class ScopedChartView(flow_views.FlowChartView):
    def dispatch(self, request, *args, **kwargs):
        process_pk = kwargs.get("process_pk")
        if process_pk is not None and not declaration_processes_visible(request.user).filter(pk=process_pk).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class DeclarationFlowViewset(FlowAppViewset):
    dashboard_view_class = ScopedDashboardView
    process_list_view_class = ScopedProcessListView
    process_detail_view_class = ScopedProcessDetailView
    task_list_view_class = ScopedTaskListView
    inbox_view_class = ScopedInboxView
    queue_view_class = ScopedQueueView
    archive_view_class = ScopedArchiveView
    chart_view_class = ScopedChartView


def declaration_viewset():
    return DeclarationFlowViewset(DeclarationFlow, icon="how_to_reg")
