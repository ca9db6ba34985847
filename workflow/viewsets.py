"""viewflow's own pages, scoped to what the user may see.

Out of the box they list every process and task once a user may use the
flow at all (and the process detail has no object check: viewflow #505).
Each list here is narrowed to tasks and processes of visible documents.
"""
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from viewflow.urls import Site
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.flow.viewset import FlowAppViewset
from viewflow.workflow.status import STATUS

from plans.selectors import document_list_visible

from .flows import ReviewFlow
from .selectors import task_list_visible


def _visible_processes(user):
    return ReviewFlow.process_class.objects.filter(document__in=document_list_visible(user=user))


class ScopedTaskListMixin:
    def get_queryset(self):
        return super().get_queryset().filter(pk__in=task_list_visible(user=self.request.user).values("pk"))


class ScopedDashboardView(flow_views.DashboardView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visible = task_list_visible(user=self.request.user).select_related("process")
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
            pk__in=_visible_processes(self.request.user).values("pk")).order_by("-created", "-pk")


class ScopedProcessDetailView(flow_views.DetailProcessView):
    def get_queryset(self):
        return _visible_processes(self.request.user)


class ScopedTaskListView(ScopedTaskListMixin, flow_views.DashboardTaskListView):
    pass


class ScopedInboxView(ScopedTaskListMixin, flow_views.FlowInboxListView):
    pass


class ScopedQueueView(ScopedTaskListMixin, flow_views.FlowQueueListView):
    pass


class ScopedArchiveView(ScopedTaskListMixin, flow_views.FlowArchiveListView):
    pass


class ScopedChartView(flow_views.FlowChartView):
    def dispatch(self, request, *args, **kwargs):
        process_pk = kwargs.get("process_pk")
        if process_pk is not None and not _visible_processes(request.user).filter(pk=process_pk).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ReviewFlowViewset(FlowAppViewset):
    dashboard_view_class = ScopedDashboardView
    process_list_view_class = ScopedProcessListView
    process_detail_view_class = ScopedProcessDetailView
    task_list_view_class = ScopedTaskListView
    inbox_view_class = ScopedInboxView
    queue_view_class = ScopedQueueView
    archive_view_class = ScopedArchiveView
    chart_view_class = ScopedChartView


from credits.viewsets import declaration_viewset  # noqa: E402  (declared training registration)

site = Site(title="培训计划审批", viewsets=[ReviewFlowViewset(ReviewFlow, icon="assignment"),
                                       declaration_viewset()])
