"""viewflow's own pages for one flow, narrowed to what a scope lets the user see.

Out of the box viewflow lists every process and task once a user may use the
flow at all, and its process detail has no object check (viewflow #505). Each
flow mounted on the Site says what a user may see through a FlowScope; the
views below ask it on every list, detail, chart and queue.
"""
import functools

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import URLResolver
from viewflow.utils import viewprop
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.flow.views.filters import DashboardTaskListViewFilter
from viewflow.workflow.flow.viewset import FlowAppViewset
from viewflow.workflow.status import STATUS


def _task_owned_by_url_process(view):
    """viewflow's task views lock the process whose id is in the URL, not the task's
    own: under another process's id two requests on one task would both pass the
    lock. A task URL must name the task's own process (404 otherwise)."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        from viewflow.workflow.models import Task

        if not Task.objects.filter(pk=kwargs.get("task_pk"), process_id=kwargs.get("process_pk")).exists():
            raise Http404
        return view(request, *args, **kwargs)

    guarded.task_owned_by_url_process = True
    return guarded


def is_task_url_guarded(view) -> bool:
    return getattr(view, "task_owned_by_url_process", False)


def guard_task_urls(patterns) -> None:
    """Put the guard on every URL pattern naming both a process and a task."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            guard_task_urls(pattern.url_patterns)
        elif ({"process_pk", "task_pk"} <= set(getattr(pattern.pattern, "converters", {}))
              and not is_task_url_guarded(pattern.callback)):
            pattern.callback = _task_owned_by_url_process(pattern.callback)


class FlowScope:
    """What one user may see of a flow, and claim from its queue."""

    def processes(self, user) -> QuerySet:
        raise NotImplementedError

    def tasks(self, user) -> QuerySet:
        raise NotImplementedError

    def queue(self, user) -> QuerySet | None:
        """Claimable tasks, where viewflow's own queue (owner permissions) is not enough."""
        return None


class _Scoped:
    scope: FlowScope = None  # set by ScopedFlowViewset.filter_kwargs


class ScopedTaskListMixin(_Scoped):
    def scoped(self, queryset):
        visible = self.scope.tasks(self.request.user)
        try:
            # The scope's filter joined in (on PostgreSQL the page's COUNT took half the time of
            # "pk IN (the visible tasks)", bench/bench_scale.py data at scale 0.1).
            return queryset & visible
        except TypeError:  # a distinct or sliced list cannot be combined: the subquery then
            return queryset.filter(pk__in=visible.values("pk"))

    def get_queryset(self):
        # viewflow's columns read each row's owner and process, as the flow's own process
        # model (process.coerced, for its brief): joined here, not two queries a row.
        process_model = self.flow_class.process_class
        coerced = f"process__{process_model._meta.model_name}"
        subject = getattr(process_model, "subject_field", None)
        queryset = self.scoped(super().get_queryset())
        return queryset.select_related(f"{coerced}__{subject}" if subject else coerced, "owner")


class FlowNodesTaskListFilter(DashboardTaskListViewFilter):
    """viewflow's task list filter, its step choices taken from the flow's nodes: viewflow
    reads them with a SELECT DISTINCT over every task of the flow in the installation (every
    district's), the slowest query of its page (bench/profile_pages.py)."""

    def __init__(self, *args, flow_class, **kwargs):
        # django-filter's FilterSet.__init__, not viewflow's (which runs that query).
        super(DashboardTaskListViewFilter, self).__init__(*args, **kwargs)
        refs = sorted((get_task_ref(node), node) for node in flow_class.instance.nodes())
        self.filters["flow_task"].field.choices = [
            (ref, "{}/{}".format(flow_class.process_title, node.name.title())) for ref, node in refs]


class ScopedDashboardView(_Scoped, flow_views.DashboardView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visible = self.scope.tasks(self.request.user).select_related("process")
        for column in context["columns"]:
            column["tasks"] = visible.filter(
                Q(finished__isnull=True) | Q(status=STATUS.ERROR), flow_task=column["node"],
            )[: self.MAX_ROWS]
        context["finished"] = visible.filter(
            finished__isnull=False, flow_task__in=context["end_nodes"],
        )[: self.MAX_ROWS]
        return context


class ScopedProcessListView(_Scoped, flow_views.DashboardProcessListView):
    def get_queryset(self):
        return super().get_queryset().filter(
            pk__in=self.scope.processes(self.request.user).values("pk")).order_by("-created", "-pk")


class ScopedProcessDetailView(_Scoped, flow_views.DetailProcessView):
    def get_queryset(self):
        return self.scope.processes(self.request.user)


class ScopedTaskListView(ScopedTaskListMixin, flow_views.DashboardTaskListView):
    filterset_class = FlowNodesTaskListFilter

    @viewprop
    def queryset(self):
        # The flow's tasks whose process the scope shows: one semi-join on the task's indexed
        # process_id, so the page's COUNT reads the tasks alone, as the stock page's does,
        # instead of joining the process twice and its subject (bench/profile_pages.py).
        processes = self.scope.processes(self.request.user).filter(flow_class=self.flow_class)
        return self.model._default_manager.filter(process_id__in=processes.values("pk")).select_related("process")

    def scoped(self, queryset):
        return queryset  # scoped already, from the start (queryset above)

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "flow_class": self.flow_class}


class ScopedInboxView(ScopedTaskListMixin, flow_views.FlowInboxListView):
    pass


class ScopedQueueView(ScopedTaskListMixin, flow_views.FlowQueueListView):
    def get_queryset(self):
        queue = self.scope.queue(self.request.user)
        queryset = super().get_queryset()
        return queryset if queue is None else queryset.filter(pk__in=queue.values("pk"))


class ScopedArchiveView(ScopedTaskListMixin, flow_views.FlowArchiveListView):
    pass


class ScopedChartView(_Scoped, flow_views.FlowChartView):
    def dispatch(self, request, *args, **kwargs):
        process_pk = kwargs.get("process_pk")
        if process_pk is not None and not self.scope.processes(request.user).filter(pk=process_pk).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class _CheckedBulkIds:
    """viewflow's bulk claim/release read the chosen task ids in a form it evaluates
    unguarded: an empty, non-numeric or too large id is a 400 here, not a 500 there."""

    def dispatch(self, request, *args, **kwargs):
        from core.params import parse_ids

        if request.method == "POST":
            parse_ids(request.POST.getlist("pk"))
        return super().dispatch(request, *args, **kwargs)


class CheckedBulkAssignView(_CheckedBulkIds, flow_views.BulkAssignTasksActionView):
    pass


class CheckedBulkUnassignView(_CheckedBulkIds, flow_views.BulkUnassignTasksActionView):
    pass


class ScopedFlowViewset(FlowAppViewset):
    tasks_assign_view_class = CheckedBulkAssignView
    tasks_unassign_view_class = CheckedBulkUnassignView
    dashboard_view_class = ScopedDashboardView
    process_list_view_class = ScopedProcessListView
    process_detail_view_class = ScopedProcessDetailView
    task_list_view_class = ScopedTaskListView
    inbox_view_class = ScopedInboxView
    queue_view_class = ScopedQueueView
    archive_view_class = ScopedArchiveView
    chart_view_class = ScopedChartView

    def __init__(self, flow_class, *, scope: FlowScope, **kwargs):
        self.scope = scope
        super().__init__(flow_class, **kwargs)

    def filter_kwargs(self, view_class, **kwargs):
        return super().filter_kwargs(view_class, scope=self.scope, **kwargs)

    def _get_urls(self):
        patterns = super()._get_urls()
        guard_task_urls(patterns)
        return patterns
