"""The review kit's nodes: one human-task node for every flow's human steps,
and the decision gateway they share."""
from types import SimpleNamespace

from django.db.models import Q
from guardian.shortcuts import get_users_with_perms
from viewflow.workflow import flow
from viewflow.workflow.nodes.view import ViewActivation

from accounts.models import Organisation, User

from . import kit, services, signals, views
from .kit import Decision


class AssignedTaskMixin:
    """A task the flow gives to one named person (``.Assign()`` without
    ``.Permission()``: an expert's review, an author's revision) stays theirs.

    Out of the box viewflow lets its owner release such a task, and then lets
    *anyone* claim it (``can_assign`` allows every user when the node has no
    owner permission). Here such a task cannot be released, and should it ever
    be left without an owner (data from before this rule, an admin's edit),
    only the person the flow assigns it to may claim it again.
    Nodes with an owner permission (queues) keep viewflow's rules.
    """

    def assigned_by_flow(self) -> bool:
        return self._owner is not None and not self._owner_permission

    def intended_owner(self, task):
        """Whom the flow assigns this task to (its .Assign() rule, asked again)."""
        activation = SimpleNamespace(task=task, process=task.process.coerced, flow_task=self)
        return self.calc_owner(activation)

    def can_assign(self, user, task):
        if not self.assigned_by_flow():
            return super().can_assign(user, task)
        if task.owner_id or user is None or not user.is_authenticated:
            return False
        owner = self.intended_owner(task)
        return owner is not None and owner.pk == user.pk

    def can_unassign(self, user, task):
        if self.assigned_by_flow():
            return False
        return super().can_unassign(user, task)


class HumanTaskActivation(ViewActivation):
    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        activation = super().create(flow_task, prev_activation, token, data=data, seed=seed)
        flow_task.on_created(activation)
        return activation


class HumanTask(AssignedTaskMixin, flow.View):
    """A human step of any flow built on the kit.

    On creation (its onCreate hook, after any .onCreate() of the flow's own):
    a due date from StepDeadline or settings.REVIEW_STEP_DAYS, then the
    workflow.signals.task_created signal (notices tells the owner, or everyone
    who may claim it). Claimed, released and opened through the kit's pages;
    handed over (转办) to another candidate; batch-approved from the inbox
    when the flow gives it .Batch(approve).

    announce=False: no task_created notice is wanted (the document's author has
    just been told it was returned).
    """

    activation_class = HumanTaskActivation

    def __init__(self, view, *, announce: bool = True, **kwargs):
        super().__init__(view, **kwargs)
        self.announce = announce
        self.batch_approve = None

    # viewflow's task pages, in the kit's layout.
    index_view_class = views.TaskIndexView
    assign_view_class = views.ClaimTaskView
    unassign_view_class = views.ReleaseTaskView

    def Batch(self, approve):
        """Tasks of this step can be approved several at once from the inbox:
        approve(activation=, user=, comment=, experts=) decides one of them."""
        self.batch_approve = approve
        return self

    def _ready(self):
        super()._ready()
        kit.register_node(self)

    def on_created(self, activation) -> None:
        services.task_set_due_date(task=activation.task, step=self.name)
        signals.task_created.send(sender=self.flow_class, task=activation.task, node=self)

    # Who may take this step ---------------------------------------------------------

    def queue_filter(self, user) -> Q | None:
        """Unclaimed tasks of this step the user may claim, where the owner
        permission (matched for every node by workflow.selectors.task_queue)
        does not say it: None unless a node claims by a rule of its own."""
        return None

    def candidates_key(self, task):
        """Tasks with the same key have the same candidates (one look-up per key on a page)."""
        return (self.flow_class, self.name, task.owner_permission, task.owner_permission_obj_pk)

    def candidates(self, task) -> list:
        """Everyone who may take this step (claim it from the queue, or receive it
        in a hand-over): holders of the owner permission at its organisation."""
        if not task.owner_permission or not task.owner_permission_obj_pk:
            return []
        organisation = Organisation.objects.get(pk=int(task.owner_permission_obj_pk))
        codename = task.owner_permission.split(".", 1)[-1]
        return list(
            get_users_with_perms(organisation, only_with_perms_in=[codename], with_group_users=True)
            .filter(is_active=True, organisation=organisation).order_by("full_name", "pk")
        )

    def may_hand_over(self) -> bool:
        """Queue steps may change hands; a task the flow assigns to one person may not."""
        return not self.assigned_by_flow()


class SchoolReviewTask(HumanTask):
    """学校审核: the principal(s) of the document's own school sign it off before it
    leaves the school. No organisation permission exists for it (principals hold
    none), so the rule is here: only an active principal of that school may claim,
    execute or receive it; viewflow's owner check still applies to execute."""

    @staticmethod
    def _organisation_id(task):
        return task.process.coerced.document.organisation_id

    def _may_sign_off(self, user, task) -> bool:
        return (user is not None and user.is_authenticated and user.is_active
                and user.is_principal_of(self._organisation_id(task)))

    def can_assign(self, user, task):
        if task.owner_id:
            return False
        return self._may_sign_off(user, task)

    def can_execute(self, user, task):
        return super().can_execute(user, task) and self._may_sign_off(user, task)

    def queue_filter(self, user):
        if not user.is_principal:
            return None
        return Q(process__reviewprocess__document__organisation_id=user.organisation_id)

    def candidates_key(self, task):
        return (self.flow_class, self.name, self._organisation_id(task))

    def candidates(self, task):
        return list(User.objects.filter(role=User.Role.PRINCIPAL, organisation_id=self._organisation_id(task),
                                        is_active=True).order_by("full_name", "pk"))


def decided(decision):
    """A gateway condition: the decision just taken was this one."""
    return lambda activation: activation.process.decision == decision


def decision_switch(title, *, approve, revise, reject, cases=()):
    """The gateway after a review step: approved → approve, returned → revise,
    anything else (rejected) → reject. cases: (node, condition) pairs tried first."""
    switch = flow.Switch().Annotation(title=title)
    for node, condition in cases:
        switch = switch.Case(node, condition)
    return switch.Case(approve, decided(Decision.APPROVE)).Case(revise, decided(Decision.RETURN)).Default(reject)
