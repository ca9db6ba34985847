"""The one review flow that every document kind goes through.

submit → [学校审核] → 初审 → 专家会审 (one task per assigned expert, in parallel) → 备案,
with 退回修改 back to the author at each review step and 不予通过 (reject)
at 初审 and 备案. A resubmission starts the reviews again inside the same
process, so the trail of one document stays in one place.

- 学校审核 (school_review): where the district's route asks for it, a school's
  document goes first to its own principal; approved → 初审, returned → author.
- The expert round's outcome (ReviewProcess.expert_round_outcome): all agree →
  备案; any 不同意 → author, then 初审 and a new round; otherwise any 修改后同意 →
  author with the experts' comments, then the initial reviewer confirms the
  changes (confirm_changes: confirmed → 备案, not confirmed → author again),
  without another expert round.
"""
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.split import SplitActivation

from . import services, views
from .models import Decision, ReviewProcess
from .nodes import HumanTask, SchoolReviewTask, decided, decision_switch


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


def _assigned_expert(activation):
    return get_user_model().objects.get(pk=activation.task.data["expert_id"])


def _last_submitter(activation):
    return activation.process.document.versions.order_by("-number").first().submitted_by


def _needs_school_review(activation):
    return activation.process.needs_school_review()


def _changes_requested(activation):
    return activation.process.changes_requested


def _round_outcome_is(outcome):
    return lambda activation: activation.process.expert_round_outcome() == outcome


def _approved_for_experts(activation):
    """Approved, and this district sends this kind of document to experts."""
    return decided(Decision.APPROVE)(activation) and activation.process.needs_expert_review()


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
        .Next(this.after_submission)
    )

    # A school's document goes first to its principal where the district asks for it.
    after_submission = (
        flow.If(_needs_school_review)
        .Annotation(title=_("Principal sign-off required?"))
        .Then(this.school_review)
        .Else(this.initial_review)
    )

    # 学校审核: a principal of the document's own school.
    school_review = (
        SchoolReviewTask(views.SchoolReviewView.as_view())
        .Annotation(title=_("School sign-off"))
        .Next(this.after_school_review)
    )

    after_school_review = (
        flow.If(decided(Decision.APPROVE))
        .Annotation(title=_("School sign-off outcome"))
        .Then(this.initial_review)
        .Else(this.revise)
    )

    # Training school (or bureau, for the training school's own documents).
    initial_review = (
        HumanTask(views.InitialReviewView.as_view())
        .Annotation(title=_("Initial review"))
        .Permission("accounts.review_initial", obj=lambda process: process.coerced.initial_reviewer_org)
        .Batch(services.initial_review_approve)
        .Next(this.after_initial_review)
    )

    # Approved: to the experts, or straight to filing where the district skips them for this kind.
    after_initial_review = decision_switch(
        _("Initial review outcome"), approve=this.filing, revise=this.revise, reject=this.rejected,
        cases=[(this.expert_split, _approved_for_experts)],
    )

    expert_split = ExpertSplit().Annotation(title=_("Assign experts")).Next(this.expert_review)

    # Each assigned expert, in their own inbox.
    expert_review = (
        HumanTask(views.ExpertReviewView.as_view())
        .Annotation(title=_("Expert review"))
        .Assign(_assigned_expert)
        .Next(this.expert_join)
    )

    expert_join = flow.Join().Annotation(title=_("All experts answered")).Next(this.after_expert_review)

    # Agree → filing; agree with changes or disagree → the author (who revises for
    # the initial reviewer's confirmation, or for a new review: process.changes_requested).
    after_expert_review = (
        flow.Switch()
        .Annotation(title=_("Expert review outcome"))
        .Case(this.filing, _round_outcome_is(Decision.AGREE))
        .Default(this.revise)
    )

    # 修改后同意: the initial reviewer checks the revision against the experts' comments.
    confirm_changes = (
        HumanTask(views.ConfirmChangesView.as_view())
        .Annotation(title=_("Confirmation of changes"))
        .Permission("accounts.review_initial", obj=lambda process: process.coerced.initial_reviewer_org)
        .Next(this.after_confirm_changes)
    )

    after_confirm_changes = (
        flow.If(decided(Decision.APPROVE))
        .Annotation(title=_("Confirmation outcome"))
        .Then(this.filing)
        .Else(this.revise)
    )

    # Bureau officer files the document with a filing number.
    filing = (
        HumanTask(views.FilingView.as_view())
        .Annotation(title=_("Filing"))
        .Permission("accounts.file_document", obj=lambda process: process.coerced.filing_org)
        .Batch(services.filing_approve)
        .Next(this.after_filing)
    )

    after_filing = decision_switch(_("Filing outcome"), approve=this.approved, revise=this.revise,
                                   reject=this.rejected)

    # Back to whoever submitted last: edit, then resubmit. Not announced as a new
    # task: the author has just been told the document was returned.
    revise = (
        HumanTask(views.ReviseView.as_view(), announce=False)
        .Annotation(title=_("Revise and resubmit"))
        .Assign(_last_submitter)
        .Next(this.after_revise)
    )

    # The revision goes where the return came from: changes the experts asked for
    # to their confirmation; anything else through the reviews again.
    after_revise = (
        flow.Switch()
        .Annotation(title=_("Where the revision goes"))
        .Case(this.confirm_changes, _changes_requested)
        .Case(this.school_review, _needs_school_review)
        .Default(this.initial_review)
    )

    approved = flow.End().Annotation(title=_("Approved"))
    rejected = flow.End().Annotation(title=_("Rejected"))

    def start_review(self, activation, document):
        activation.process.document = document
        services.document_enter_review(document=document)
        return activation.process

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

