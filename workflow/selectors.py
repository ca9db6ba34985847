from django.db.models import QuerySet
from guardian.core import ObjectPermissionChecker
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import User
from plans.selectors import document_list_visible

OPEN_STATUSES = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]

TASK_RELATED = [
    "process__reviewprocess__document__organisation",
    "owner",
    "due",
]


def _human_tasks() -> QuerySet[Task]:
    # The document review flow's tasks; declarations have their own queue page.
    return Task.objects.filter(flow_task_type="HUMAN", process__reviewprocess__isnull=False).select_related(
        *TASK_RELATED)


def task_queue(*, user: User) -> QuerySet[Task]:
    """Unclaimed tasks of the steps the user's role may take at their organisation.

    Keyed on the same guardian grants viewflow checks on claim, but filtered
    by organisation here rather than by every permission the user holds.
    """
    if not user.organisation_id:
        return Task.objects.none()
    owner_perms = _organisation_perms(user)
    return _human_tasks().filter(
        status=STATUS.NEW,
        owner_permission__in=owner_perms,
        owner_permission_obj_pk=str(user.organisation_id),
    )


def _organisation_perms(user: User) -> list[str]:
    """The user's guardian permissions on their organisation, looked up once per request."""
    if not hasattr(user, "_organisation_perms"):
        perms = ObjectPermissionChecker(user).get_perms(user.organisation)
        user._organisation_perms = [f"accounts.{codename}" for codename in perms]
    return user._organisation_perms


def task_inbox(*, user: User) -> QuerySet[Task]:
    return _human_tasks().filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED])


def task_done(*, user: User) -> QuerySet[Task]:
    return _human_tasks().filter(owner=user, status=STATUS.DONE)


def task_filter(tasks: QuerySet[Task], *, kind="", organisation_id=None, year=None) -> QuerySet[Task]:
    prefix = "process__reviewprocess__document__"
    if kind:
        tasks = tasks.filter(**{prefix + "kind": kind})
    if organisation_id:
        tasks = tasks.filter(**{prefix + "organisation_id": organisation_id})
    if year:
        tasks = tasks.filter(**{prefix + "year": year})
    return tasks


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


def task_count(*, user: User, tab: str) -> int:
    """Tasks in one inbox tab, counted at most once per request (menu badge and inbox share it)."""
    counts = user.__dict__.setdefault("_task_counts", {})
    if tab not in counts:
        counts[tab] = INBOX_TABS[tab](user=user).count()
    return counts[tab]


def task_counts(*, user: User) -> dict[str, int]:
    return {tab: task_count(user=user, tab=tab) for tab in INBOX_TABS}
