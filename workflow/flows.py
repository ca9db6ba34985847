"""The one review flow that every document kind goes through.

submit → 初审 → 专家会审 (one task per assigned expert, in parallel) → 备案,
with 退回修改 back to the author at each review step and 不予通过 (reject)
at 初审 and 备案. A resubmission starts the reviews again inside the same
process, so the trail of one document stays in one place.
"""
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.split import SplitActivation

from . import views
from .nodes import AssignedTaskMixin
from .models import Decision, ReviewProcess, Step
from .services import task_created_notify, task_set_due_date


class ExpertSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        # One expert_review task per expert assigned in this round; the
        # expert's id travels in task.data for .Assign() to read.
        node = self.flow_task._branches[0][0]
        for expert_id in self.process.current_expert_ids():
            self.next_tasks.append((node, {"expert_id": expert_id}))
        if not self.next_tasks:
            raise FlowRuntimeError("No experts assigned")


class ExpertSplit(flow.Split):
    activation_class = ExpertSplitActivation


class ReviewTask(AssignedTaskMixin, flow.View):
    """A human review step, claimed and released through our own pages.
    Tasks the flow assigns (expert review, revise) stay with their assignee."""

    index_view_class = views.TaskIndexView
    assign_view_class = views.ClaimTaskView
    unassign_view_class = views.ReleaseTaskView


def _assigned_expert(activation):
    return get_user_model().objects.get(pk=activation.task.data["expert_id"])


def _last_submitter(activation):
    return activation.process.document.versions.order_by("-number").first().submitted_by


def _decided(decision):
    return lambda activation: activation.process.decision == decision


def _approved_for_experts(activation):
    """Approved, and this district sends this kind of document to experts."""
    return _decided(Decision.APPROVE)(activation) and activation.process.needs_expert_review()


class ReviewFlow(flow.Flow):
    process_class = ReviewProcess
    process_title = _("Document review")
    process_description = _("Initial review, expert review and filing of training plans and proposals.")
    # Row lock on the process: of two reviewers acting on one task, the
    # second waits, then finds the task taken (SQLite: IMMEDIATE transactions).
    lock_impl = lock.SelectForUpdateLock(nowait=False)

    # The author submits from the document page (plans.services.document_submit).
    start = (
        flow.StartHandle(this.start_review)
        .Annotation(title=_("Submission"))
        .Next(this.initial_review)
    )

    # Training school (or bureau, for the training school's own documents).
    initial_review = (
        ReviewTask(views.InitialReviewView.as_view())
        .Annotation(title=_("Initial review"))
        .Permission("accounts.review_initial", obj=lambda process: process.coerced.initial_reviewer_org)
        .onCreate(this.on_task_created)
        .Next(this.after_initial_review)
    )

    after_initial_review = (
        flow.Switch()
        .Annotation(title=_("Initial review outcome"))
        .Case(this.expert_split, _approved_for_experts)
        .Case(this.filing, _decided(Decision.APPROVE))  # the district skips experts for this kind
        .Case(this.revise, _decided(Decision.RETURN))
        .Default(this.rejected)
    )

    expert_split = ExpertSplit().Annotation(title=_("Assign experts")).Next(this.expert_review)

    # Each assigned expert, in their own inbox.
    expert_review = (
        ReviewTask(views.ExpertReviewView.as_view())
        .Annotation(title=_("Expert review"))
        .Assign(_assigned_expert)
        .onCreate(this.on_task_created)
        .Next(this.expert_join)
    )

    expert_join = flow.Join().Annotation(title=_("All experts answered")).Next(this.after_expert_review)

    after_expert_review = (
        flow.If(lambda activation: activation.process.experts_all_agree())
        .Annotation(title=_("Expert review outcome"))
        .Then(this.filing)
        .Else(this.revise)
    )

    # Bureau officer files the document with a filing number.
    filing = (
        ReviewTask(views.FilingView.as_view())
        .Annotation(title=_("Filing"))
        .Permission("accounts.file_document", obj=lambda process: process.coerced.filing_org)
        .onCreate(this.on_task_created)
        .Next(this.after_filing)
    )

    after_filing = (
        flow.Switch()
        .Annotation(title=_("Filing outcome"))
        .Case(this.approved, _decided(Decision.APPROVE))
        .Case(this.revise, _decided(Decision.RETURN))
        .Default(this.rejected)
    )

    # Back to whoever submitted last: edit, then resubmit.
    revise = (
        ReviewTask(views.ReviseView.as_view())
        .Annotation(title=_("Revise and resubmit"))
        .Assign(_last_submitter)
        .onCreate(this.on_task_created)
        .Next(this.initial_review)
    )

    approved = flow.End().Annotation(title=_("Approved"))
    rejected = flow.End().Annotation(title=_("Rejected"))

    def start_review(self, activation, document):
        activation.process.document = document
        return activation.process

    def on_task_created(self, activation):
        """onCreate of every review task: its due date, then its notices."""
        task_set_due_date(task=activation.task, step=activation.flow_task.name)
        task_created_notify(task=activation.task)

    def has_view_permission(self, user, obj=None):
        """Scope every viewflow page: the app for reviewers and authors, a
        process only for those who may see its document."""
        from plans import rules

        if not user.is_authenticated:
            return False
        if obj is None:
            return user.is_superuser or rules.may_use_review_pages(user)
        return user.has_perm("plans.view_document", obj.coerced.document)

    def has_manage_permission(self, user, obj=None):
        return user.is_authenticated and user.is_superuser


STEP_OF_NODE = {
    "initial_review": Step.INITIAL_REVIEW,
    "expert_review": Step.EXPERT_REVIEW,
    "filing": Step.FILING,
    "revise": Step.REVISE,
}
