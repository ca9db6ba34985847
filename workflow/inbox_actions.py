"""Inbox power features: hand a task over, copy a document for information,
approve several tasks of one step at once."""
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import assign_perm
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from plans.models import Document

from . import services, signals
from .models import Decision, DocumentCopy, Step

User = get_user_model()

ERROR_NOT_YOURS = _("Only the person who holds a task can hand it over.")
ERROR_NOT_ELIGIBLE = _("%(name)s may not handle this step.")
ERROR_MIXED_STEPS = _("Choose tasks of one step only.")
ERROR_NOT_IN_QUEUE = _("Some of the chosen tasks are not yours to approve.")
ERROR_ALREADY_COPIED = _("%(name)s already has a copy.")
ERROR_COPY_RECIPIENT = _("Copies go to staff of the same district who cannot already see the document.")


@transaction.atomic
def task_hand_over(*, task: Task, user, to) -> Task:
    """Reassign (转办) a claimed task, of any flow, to a colleague who may take the same step."""
    flow_task = task.flow_task
    with flow_task.flow_class.lock(task.process_id):
        task = Task.objects.get(pk=task.pk)
        if task.owner_id != user.pk or task.status not in (STATUS.ASSIGNED, STATUS.STARTED):
            raise PermissionDenied(ERROR_NOT_YOURS)
        if not flow_task.may_hand_over() or to.pk == user.pk or to not in flow_task.candidates(task):
            raise ValidationError(ERROR_NOT_ELIGIBLE % {"name": to.display_name})
        task.owner = to
        task.status = STATUS.ASSIGNED
        task.save(update_fields=["owner", "status"])
        task.process.coerced.trail_record(
            step=flow_task.name, decision=Decision.REASSIGN, actor=user, task=task,
            comment=str(_("Handed over to %(name)s") % {"name": to.display_name}))
        signals.task_handed_over.send(sender=flow_task.flow_class, task=task, actor=user)
    return task


def may_copy(user, document: Document) -> bool:
    """抄送 is the district's reviewers' (training school and bureau of the document's
    district): not the author's school, not experts or principals."""
    return bool(
        user.is_authenticated and user.is_active and user.is_district_reviewer_of(document.organisation.district_id)
        and user.has_perm("plans.view_document", document)
    )


def copy_recipients(document: Document, sender) -> "list[User]":
    """District staff who cannot see the document yet (two queries); none for
    a user who may not copy."""
    from plans.models import DocumentUserObjectPermission
    from plans.scopes import document_may_view

    if not may_copy(sender, document):
        return []
    granted = DocumentUserObjectPermission.objects.filter(content_object=document).values("user_id")
    candidates = User.objects.filter(organisation__district_id=document.organisation.district_id,
                                     is_active=True).exclude(role__in=["", User.Role.TEACHER]).exclude(
        pk=sender.pk).exclude(pk__in=granted).select_related("organisation").order_by("organisation__name",
                                                                                        "full_name")
    return [user for user in candidates if not document_may_view(user, document)]


@transaction.atomic
def document_copy(*, document: Document, sender, recipient, note: str = "") -> DocumentCopy:
    """抄送: the recipient may read the document (a guardian grant) but takes no step."""
    if not may_copy(sender, document):
        raise PermissionDenied
    if DocumentCopy.objects.filter(document=document, recipient=recipient).exists():
        raise ValidationError(ERROR_ALREADY_COPIED % {"name": recipient.display_name})
    if recipient not in copy_recipients(document, sender):
        raise ValidationError(ERROR_COPY_RECIPIENT)
    copy = DocumentCopy.objects.create(document=document, recipient=recipient, sender=sender, note=note)
    assign_perm("plans.view_document", recipient, document)
    services.trail_record(document=document, step=Step.SUBMIT if document.status == "draft" else _current_step(document),
                          decision=Decision.COPY, actor=sender,
                          comment=str(_("Copied to %(name)s") % {"name": recipient.display_name}) +
                          (f"：{note}" if note else ""))
    signals.document_copied.send(sender=Document, document=document, copy=copy)
    return copy


def _current_step(document):
    return {
        Document.Status.SCHOOL_REVIEW: Step.SCHOOL_REVIEW,
        Document.Status.INITIAL_REVIEW: Step.INITIAL_REVIEW, Document.Status.EXPERT_REVIEW: Step.EXPERT_REVIEW,
        Document.Status.FILING: Step.FILING, Document.Status.RETURNED: Step.REVISE,
        Document.Status.CHANGES_CHECK: Step.CONFIRM_CHANGES,
    }.get(document.status, Step.FILING)


def tasks_batch_approve(*, user, task_ids: list[int], comment: str = "", experts=()) -> int:
    """Approve several tasks of one step together, all or none: any flow's step
    with .Batch() (初审, 备案, the declarations' three steps). Each is decided as
    its own task page would (services.task_perform → the step's approval)."""
    tasks = list(Task.objects.filter(pk__in=task_ids, flow_task_type="HUMAN").select_related("process"))
    if not tasks or len(tasks) != len(set(task_ids)):
        raise ValidationError(ERROR_NOT_IN_QUEUE)
    nodes = {task.flow_task for task in tasks}
    if len(nodes) != 1:
        raise ValidationError(ERROR_MIXED_STEPS)
    node = nodes.pop()
    if getattr(node, "batch_approve", None) is None:
        raise ValidationError(ERROR_MIXED_STEPS)
    for task in tasks:
        allowed = (task.owner_id == user.pk and task.status in (STATUS.ASSIGNED, STATUS.STARTED)) or (
            task.status == STATUS.NEW and node.can_assign(user, task))
        if not allowed:
            raise ValidationError(ERROR_NOT_IN_QUEUE)
    with transaction.atomic():
        for task in sorted(tasks, key=lambda t: t.pk):
            services.task_perform(task=task, user=user, decide=node.batch_approve, comment=comment,
                                  experts=list(experts), held_elsewhere=ValidationError(ERROR_NOT_IN_QUEUE))
    return len(tasks)
