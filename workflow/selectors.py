"""A user's tasks in every flow built on the review kit (documents, declarations, …):
the one inbox's tabs, counts and filters, and the reminders' and lists' queries."""
import functools
import operator

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, Q, QuerySet
from guardian.core import ObjectPermissionChecker
from guardian.models import GroupObjectPermission, UserObjectPermission
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import Organisation, User
from plans.scopes import document_list_visible

from . import kit

OPEN_STATUSES = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]
# The inbox tabs' statuses: each tab's condition (_tab_conditions) includes its own, and no two tabs
# share one, so a task found by the tabs' conditions is in the tab of its status.
TAB_STATUSES = {"mine": [STATUS.ASSIGNED, STATUS.STARTED], "queue": [STATUS.NEW], "done": [STATUS.DONE]}


def _prefix(model) -> str:
    """The path from Task to a kit process model (multi-table inheritance: a reverse one-to-one)."""
    return f"process__{model._meta.model_name}"


@functools.cache
def task_related() -> list[str]:
    """select_related for task lists: each flow's process and its subject, so a
    row's process (kit.task_process) and subject cost no query."""
    related = ["owner", "due"]
    for model in kit.process_models():
        related += [f"{_prefix(model)}__{path}" for path in model.subject_related] or [_prefix(model)]
    return related


def _of_a_kit_flow() -> Q:
    """Tasks of the kit's flows' human steps."""
    return Q(flow_task__in=_kit_flow_tasks())


@functools.cache
def _kit_flow_tasks() -> list[str]:
    """The human nodes of every flow on the kit, as Task.flow_task names them. A task is a node
    of its process's flow, so this finds the tasks whose process is a kit process model without
    joining the process and the kit's process tables (three outer joins on every page's badge)."""
    process_models = tuple(kit.process_models())
    flows = {node.flow_class for node in kit.human_nodes() if issubclass(node.flow_class.process_class, process_models)}
    return sorted(get_task_ref(node) for flow_class in flows for node in flow_class.instance.nodes()
                  if node.task_type == "HUMAN")


def _human_tasks() -> QuerySet[Task]:
    """The human tasks of every flow on the kit."""
    return Task.objects.filter(_of_a_kit_flow(), flow_task_type="HUMAN").select_related(*task_related())


def task_queue(*, user: User) -> QuerySet[Task]:
    """Unclaimed tasks the user may claim, in every flow: the steps the user's
    role may take at their organisation (keyed on the same guardian grants
    viewflow checks on claim, filtered by organisation here rather than by every
    permission the user holds), and steps whose nodes claim by a rule of their
    own (a school's verification of its teachers' declarations).
    """
    condition = _queue_condition(user)
    return Task.objects.none() if condition is None else _human_tasks().filter(condition)


def _queue_condition(user: User) -> Q | None:
    """task_queue's filter on human tasks of the kit's flows (None: nothing to claim), built once
    per request (the badge's count and the inbox's queue both filter by it)."""
    if "_queue_condition" not in user.__dict__:
        user.__dict__["_queue_condition"] = _build_queue_condition(user)
    return user.__dict__["_queue_condition"]


def _build_queue_condition(user: User) -> Q | None:
    if not user.is_authenticated or not user.organisation_id:
        return None
    claimable = []
    owner_perms = _organisation_perms(user)
    if owner_perms:
        claimable.append(Q(owner_permission__in=owner_perms, owner_permission_obj_pk=str(user.organisation_id)))
    for node in kit.human_nodes():
        condition = node.queue_filter(user)
        if condition is not None:
            claimable.append(Q(flow_task=node) & condition)
    if not claimable:
        return None
    return functools.reduce(operator.or_, claimable) & Q(status=STATUS.NEW)


def _organisation_perms(user: User) -> list[str]:
    """The user's guardian permissions on their organisation, looked up once per request."""
    if not hasattr(user, "_organisation_perms"):
        if not user.is_active or user.is_superuser:
            perms = ObjectPermissionChecker(user).get_perms(user.organisation)
        else:
            # guardian's get_perms asks twice (the user's grants, then their groups'): one UNION
            # here, on every page (the menu's badge counts the queue), written out rather than
            # built by the ORM each time.
            organisation_type = ContentType.objects.get_for_model(Organisation).pk
            grant = [organisation_type, str(user.organisation_id), user.pk]
            with connection.cursor() as cursor:
                cursor.execute(_organisation_grants_sql(), grant + grant)
                perms = [codename for codename, in cursor.fetchall()]
        user._organisation_perms = [f"accounts.{codename}" for codename in perms]
    return user._organisation_perms


@functools.cache
def _organisation_grants_sql() -> str:
    """_organisation_perms' query: the codenames of a user's grants on an organisation (content
    type, object pk, user id), their own and their groups', as guardian's get_perms finds them."""
    permissions = Permission._meta.db_table
    user_grants, group_grants = UserObjectPermission._meta.db_table, GroupObjectPermission._meta.db_table
    memberships = User.groups.through._meta.db_table
    return (
        f"SELECT p.codename FROM {permissions} p INNER JOIN {user_grants} g ON g.permission_id = p.id"
        " WHERE p.content_type_id = g.content_type_id AND g.content_type_id = %s AND g.object_pk = %s"
        " AND g.user_id = %s"
        f" UNION SELECT p.codename FROM {permissions} p INNER JOIN {group_grants} g ON g.permission_id = p.id"
        f" INNER JOIN {memberships} m ON m.group_id = g.group_id"
        " WHERE p.content_type_id = g.content_type_id AND g.content_type_id = %s AND g.object_pk = %s"
        " AND m.user_id = %s"
    )


def task_inbox(*, user: User) -> QuerySet[Task]:
    return _human_tasks().filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED])


def task_done(*, user: User) -> QuerySet[Task]:
    return _human_tasks().filter(owner=user, status=STATUS.DONE)


def task_filter(tasks: QuerySet[Task], *, kind="", organisation_id=None, year=None, query="",
                filing_number="") -> QuerySet[Task]:
    """The inbox filters and search (words in the title or content, filing number),
    each flow answering for its subjects (kit.ReviewProcessBase.subject_filter)."""
    if not (kind or organisation_id or year or query or filing_number):
        return tasks
    matching = Q(pk__in=[])
    for model in kit.process_models():
        condition = model.subject_filter(_prefix(model), kind=kind, organisation_id=organisation_id, year=year,
                                         query=query, filing_number=filing_number)
        if condition is not None:
            matching |= condition
    return tasks.filter(matching)


# Columns no inbox row reads: viewflow's bookkeeping on the task and its process (the row
# reads the task's step, status, dates, owner and permission; the process's flow and subject).
_UNREAD_TASK_FIELDS = ("data", "token", "external_task_id", "seed_content_type", "seed_object_id",
                       "artifact_content_type", "artifact_object_id", "scheduled", "assigned", "started")
_UNREAD_PROCESS_FIELDS = ("data", "seed_content_type", "seed_object_id", "artifact_content_type",
                          "artifact_object_id", "parent_task", "status", "created", "finished")


@functools.cache
def _inbox_deferred() -> list[str]:
    deferred = list(_UNREAD_TASK_FIELDS) + [f"process__{name}" for name in _UNREAD_PROCESS_FIELDS]
    for model in kit.process_models():
        deferred += [f"{_prefix(model)}__{name}" for name in [*_UNREAD_PROCESS_FIELDS, *model.inbox_unread]]
    return deferred


def inbox_page_tasks(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """An inbox tab's tasks as its rows read them: the processes and subjects joined
    (task_related) but not the owner (a row compares owner_id), without the unread columns."""
    related = [path for path in task_related() if path != "owner"]
    return tasks.select_related(None).select_related(*related).defer(*_inbox_deferred())


def inbox_kinds() -> list[tuple[str, str]]:
    """The inbox's kind filter: document kinds, declared training, …"""
    return [kind for model in kit.process_models() for kind in model.inbox_kinds()]


def task_list_visible(*, user: User) -> QuerySet[Task]:
    """All tasks of documents the user may see (for viewflow's own lists)."""
    return Task.objects.filter(
        process__reviewprocess__document__in=document_list_visible(user=user)
    )


INBOX_TABS = {
    "mine": task_inbox,
    "queue": task_queue,
    "done": task_done,
}


def _tab_conditions(user: User) -> dict[str, Q | None]:
    """Each tab's filter on human tasks of the kit's flows, as INBOX_TABS' selectors filter."""
    return {
        "mine": Q(owner=user, status__in=TAB_STATUSES["mine"]),
        "queue": _queue_condition(user),  # status NEW
        "done": Q(owner=user, status=STATUS.DONE),
    }


def task_count(*, user: User, tab: str) -> int:
    """Tasks in one inbox tab, counted at most once per request (menu badge and inbox share it)."""
    return task_counts(user=user, tabs=(tab,))[tab]


def task_counts(*, user: User, tabs=tuple(INBOX_TABS)) -> dict[str, int]:
    """Tasks in the given inbox tabs, counted at most once per request, all in one query
    (the menu's badge on every page counts two tabs, the inbox three): the tasks any of the tabs
    finds, each counted in its status's tab (TAB_STATUSES; cheaper to build than each tab's
    whole condition again)."""
    counts = user.__dict__.setdefault("_task_counts", {})
    wanted = [tab for tab in tabs if tab not in counts]
    if wanted:
        conditions = {tab: condition for tab, condition in _tab_conditions(user).items()
                      if tab in wanted and condition is not None}
        counts.update({tab: 0 for tab in wanted})
        if conditions:
            any_tab = functools.reduce(operator.or_, conditions.values())
            counts.update(Task.objects.filter(_of_a_kit_flow(), any_tab, flow_task_type="HUMAN").aggregate(
                **{tab: Count("pk", filter=Q(status__in=TAB_STATUSES[tab])) for tab in conditions}))
    return {tab: counts[tab] for tab in tabs}
