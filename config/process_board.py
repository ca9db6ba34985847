"""流程看板: the app's own board of review processes (documents, declared
training), in the app's look, instead of viewflow's own pages.

Scoped like the inbox: each flow mounted on the workflow Site says, through its
FlowScope, which processes a user may see (a school its own, an expert what is
assigned to them, the training school and bureau their district's); the board
shows no other, and a process page outside that scope is a 404. It lives in
config because it reads every flow on the Site (config/workflow_site.py).
"""
import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from accounts.models import Organisation
from config.workflow_site import site
from core.params import parse_id, parse_year
from workflow import kit, selectors

STATES = {
    "open": (_("In progress"), Q(status=PROCESS.NEW)),
    "done": (pgettext_lazy("process board", "Finished"), ~Q(status=PROCESS.NEW)),
    "all": (_("All"), Q()),
}
OPEN_TASKS = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]


def processes_visible(user) -> QuerySet[Process]:
    """Every flow's processes the user may see, as viewflow's base Process rows."""
    visible = Q(pk__in=[])
    for viewset in site.viewsets:
        scope = getattr(viewset, "scope", None)
        if scope is not None:
            visible |= Q(pk__in=scope.processes(user).values("pk"))
    related = []
    for model in kit.process_models():
        name = model._meta.model_name
        related += [f"{name}__{path}" for path in model.subject_related] or [name]
    return Process.objects.filter(visible).select_related(*related)


def process_filter(processes, *, kind="", organisation_id=None, year=None):
    """The inbox's filters, each flow answering for its subjects (kit.ReviewProcessBase.subject_filter)."""
    if not (kind or organisation_id or year):
        return processes
    matching = Q(pk__in=[])
    for model in kit.process_models():
        condition = model.subject_filter(model._meta.model_name, kind=kind, organisation_id=organisation_id, year=year)
        if condition is not None:
            matching |= condition
    return processes.filter(matching)


def concrete(process: Process):
    """The kit process (ReviewProcess, DeclarationProcess…) of a base Process row."""
    for model in kit.process_models():
        try:
            return getattr(process, model._meta.model_name)
        except model.DoesNotExist:
            continue
    return None


def age_text(since: datetime.datetime, now: datetime.datetime) -> str:
    days = (timezone.localdate(now) - timezone.localdate(since)).days
    if days <= 0:
        return str(_("Today"))
    return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}


def holder_text(task: Task) -> str:
    if task.owner_id:
        return task.owner.display_name
    return str(_("Waiting to be claimed"))


def subject_status(subject) -> str:
    display = getattr(subject, "get_status_display", None)
    return str(display()) if display else ""


def board_rows(processes, now) -> list[dict]:
    processes = list(processes)
    open_tasks = {}
    for task in (Task.objects.filter(process__in=[p.pk for p in processes], flow_task_type="HUMAN",
                                     status__in=OPEN_TASKS).select_related("owner").order_by("pk")):
        open_tasks.setdefault(task.process_id, []).append(task)
    kit_processes = [concrete(process) for process in processes]
    kit.load_subjects(kit_processes)  # e.g. the recognitions' bureaus: one query a page, not one a row
    rows = []
    for process, kit_process in zip(processes, kit_processes):
        if kit_process is None:
            continue
        tasks = open_tasks.get(process.pk, [])
        rows.append({
            "process": process,
            "title": kit_process.subject_title,
            "url": kit_process.subject_url,
            "kind": kit_process.subject_kind_label,
            "organisation": kit_process.subject_organisation,
            "status": subject_status(kit_process.subject),
            "steps": [{"step": task.flow_task.task_title, "holder": holder_text(task),
                       "since": age_text(task.created, now)} for task in tasks],
            "age": age_text(process.created, now),
            "finished": process.status != PROCESS.NEW,
        })
    return rows


@login_required
def board(request):
    state = request.GET.get("state") if request.GET.get("state") in STATES else "open"
    kinds = selectors.inbox_kinds()
    kind = request.GET.get("kind", "")
    kind = kind if kind in {code for code, _label in kinds} else ""
    organisation_id = parse_id(request.GET.get("organisation"), required=False)
    year = parse_year(request.GET.get("year"))
    processes = process_filter(processes_visible(request.user), kind=kind, organisation_id=organisation_id,
                               year=year).filter(STATES[state][1]).order_by("-created", "-pk")
    page = Paginator(processes, 25).get_page(request.GET.get("page"))
    now = timezone.now()
    today = timezone.localdate()
    user = request.user
    schools = Organisation.objects.none()
    if user.is_district_reviewer:
        schools = Organisation.objects.filter(district_id=user.organisation.district_id).exclude(
            kind=Organisation.Kind.EXPERT_POOL).order_by("kind", "name")
    return render(request, "process_board/board.html", {
        "schools": schools, "organisation_id": organisation_id,
        "rows": board_rows(page, now), "page": page, "state": state,
        "states": [(code, label) for code, (label, _condition) in STATES.items()],
        "kinds": kinds, "kind": kind, "year": year, "years": range(today.year + 1, today.year - 5, -1),
    })


@login_required
def process_detail(request, pk):
    """One process: its subject, and every step with who held it and when."""
    process = get_object_or_404(processes_visible(request.user), pk=pk)
    kit_process = concrete(process)
    now = timezone.now()
    tasks = (Task.objects.filter(process=process, flow_task_type="HUMAN").select_related("owner")
             .order_by("created", "pk"))
    steps = [{
        "step": task.flow_task.task_title,
        "holder": holder_text(task) if task.status in OPEN_TASKS else (task.owner.display_name if task.owner_id else ""),
        "created": task.created, "finished": task.finished,
        "state": (pgettext_lazy("process board", "Done") if task.status == STATUS.DONE
                  else pgettext_lazy("process board", "Cancelled") if task.status == STATUS.CANCELED
                  else _("In progress")),
        "open": task.status in OPEN_TASKS,
    } for task in tasks]
    return render(request, "process_board/detail.html", {
        "process": process, "title": kit_process.subject_title, "url": kit_process.subject_url,
        "kind": kit_process.subject_kind_label, "organisation": kit_process.subject_organisation,
        "status": subject_status(kit_process.subject), "age": age_text(process.created, now), "steps": steps,
    })
