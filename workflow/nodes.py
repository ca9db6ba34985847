"""Human-node rules shared by every flow of the project."""
from types import SimpleNamespace


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
