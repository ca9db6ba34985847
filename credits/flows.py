"""Registration of self-declared outside training (seed 002).

teacher submits → 学校审核 (the teacher's school) → 进修学校登记 (the district's
training school) → 教育局确认 (the bureau; credits go to the ledger). At each
review step: approve, return to the teacher (who edits and resubmits, back to
the school), or reject. Declaration.status follows every transition (the
services in credits.declarations set it).
"""
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from workflow.nodes import AssignedTaskMixin
from workflow.views import TaskIndexView

from . import registration_views as views
from .declarations import school_may_verify
from .models import DeclarationDecision, DeclarationProcess

Decision = DeclarationDecision.Decision


class DeclarationTask(AssignedTaskMixin, flow.View):
    """A human step, claimed and released through our own pages. A task the flow
    assigns (the teacher's revise) cannot be released, and only its assignee may claim it."""

    index_view_class = TaskIndexView
    assign_view_class = views.ClaimTaskView
    unassign_view_class = views.ReleaseTaskView


class SchoolVerifyTask(DeclarationTask):
    """学校审核: no organisation permission exists for it, so the rule is here: a school
    training officer of the teacher's own school may claim it (no owner_permission)."""

    def can_assign(self, user, task):
        if task.owner_id or user is None or not user.is_authenticated:
            return False
        return school_may_verify(user, task.process.coerced.declaration)

    def can_execute(self, user, task):
        return super().can_execute(user, task) and school_may_verify(user, task.process.coerced.declaration)


class ReviseTask(DeclarationTask):
    """Only the declaring teacher, even if the task ever lost its owner
    (AssignedTaskMixin asks .Assign(_teacher_user) again)."""


# What viewflow's lists show for a task or process: whose declaration, which training.
SUMMARY = "{{ process.declaration.teacher.name }} · {{ process.declaration.title }}"


def _teacher_user(activation):
    return activation.process.declaration.teacher.user


def _decided(decision):
    return lambda activation: activation.process.decision == decision


class DeclarationFlow(flow.Flow):
    process_class = DeclarationProcess
    process_title = _("Declared training registration")
    process_description = _("School verification, training-school registration and bureau confirmation "
                            "of training teachers declare themselves.")
    process_summary_template = SUMMARY
    # Row lock on the process: of two reviewers acting on one task, the second
    # waits, then finds the task taken (SQLite: IMMEDIATE transactions).
    lock_impl = lock.SelectForUpdateLock(nowait=False)

    # The teacher submits from the declaration form (credits.declarations.declaration_submit).
    start = (
        flow.StartHandle(this.start_declaration)
        .Annotation(title=_("Submission"))
        .Next(this.school_verify)
    )

    school_verify = (
        SchoolVerifyTask(views.DeclarationReviewView.as_view())
        .Annotation(title=_("School verification"), summary_template=SUMMARY)
        .Next(this.after_school_verify)
    )

    after_school_verify = (
        flow.Switch()
        .Annotation(title=_("School verification outcome"))
        .Case(this.training_school_register, _decided(Decision.APPROVE))
        .Case(this.revise, _decided(Decision.RETURN))
        .Default(this.rejected)
    )

    training_school_register = (
        DeclarationTask(views.DeclarationReviewView.as_view())
        .Annotation(title=_("Registration by the training school"), summary_template=SUMMARY)
        .Permission("accounts.review_initial", obj=lambda process: process.coerced.training_school_org)
        .Next(this.after_training_school_register)
    )

    after_training_school_register = (
        flow.Switch()
        .Annotation(title=_("Registration outcome"))
        .Case(this.bureau_confirm, _decided(Decision.APPROVE))
        .Case(this.revise, _decided(Decision.RETURN))
        .Default(this.rejected)
    )

    bureau_confirm = (
        DeclarationTask(views.DeclarationReviewView.as_view())
        .Annotation(title=_("Bureau confirmation"), summary_template=SUMMARY)
        .Permission("accounts.file_document", obj=lambda process: process.coerced.bureau_org)
        .Next(this.after_bureau_confirm)
    )

    after_bureau_confirm = (
        flow.Switch()
        .Annotation(title=_("Confirmation outcome"))
        .Case(this.confirmed, _decided(Decision.APPROVE))
        .Case(this.revise, _decided(Decision.RETURN))
        .Default(this.rejected)
    )

    # Back to the declaring teacher: edit, then resubmit to the school.
    revise = (
        ReviseTask(views.DeclarationReviseView.as_view())
        .Annotation(title=_("Revise and resubmit"), summary_template=SUMMARY)
        .Assign(_teacher_user)
        .Next(this.school_verify)
    )

    confirmed = flow.End().Annotation(title=_("Confirmed"))
    rejected = flow.End().Annotation(title=_("Rejected"))

    def start_declaration(self, activation, declaration):
        activation.process.declaration = declaration
        return activation.process

    def has_view_permission(self, user, obj=None):
        """Scope every viewflow page: the app for teachers, school and district staff;
        a process only for those who may see its declaration."""
        from .declarations import declaration_may_view, may_use_declarations

        if not user.is_authenticated:
            return False
        if obj is None:
            return may_use_declarations(user)
        return declaration_may_view(user, obj.coerced.declaration)

    def has_manage_permission(self, user, obj=None):
        return user.is_authenticated and user.is_superuser
