"""Registration of self-declared outside training (seed 002).

teacher submits → 学校审核 (the teacher's school) → 进修学校登记 (the district's
training school) → 教育局确认 (the bureau; credits go to the ledger). At each
review step: approve, return to the teacher (who edits and resubmits, back to
the school), or reject. Declaration.status follows every transition (the
services in credits.declarations set it).
"""
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from viewflow import this
from viewflow.workflow import flow, lock

from accounts.models import User
from workflow.nodes import HumanTask, decision_switch

from . import recognition, recognition_views
from . import registration_views as views
from .declarations import declaration_approve, school_may_verify
from .models import Confirmer, DeclarationProcess, RecognitionBatch, RecognitionProcess
from .scopes import may_use_declarations


class SchoolVerifyTask(HumanTask):
    """学校审核: no organisation permission exists for it, so the rule is here: a school
    training officer of the teacher's own school may claim it (no owner_permission)."""

    def can_assign(self, user, task):
        if task.owner_id or user is None or not user.is_authenticated:
            return False
        return school_may_verify(user, task.process.coerced.declaration)

    def can_execute(self, user, task):
        return super().can_execute(user, task) and school_may_verify(user, task.process.coerced.declaration)

    def queue_filter(self, user):
        if not user.is_school_officer:
            return None
        return Q(process__declarationprocess__declaration__teacher__organisation_id=user.organisation_id)

    def candidates_key(self, task):
        return (self.flow_class, self.name, task.process.declarationprocess.declaration.teacher.organisation_id)

    def candidates(self, task):
        organisation_id = task.process.declarationprocess.declaration.teacher.organisation_id
        return list(User.objects.filter(role=User.Role.SCHOOL_OFFICER, organisation_id=organisation_id,
                                        is_active=True).order_by("full_name", "pk"))


# What viewflow's lists show for a task or process: whose declaration, which training.
SUMMARY = "{{ process.declaration.teacher.name }} · {{ process.declaration.title }}"


def _teacher_user(activation):
    return activation.process.declaration.teacher.user


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
        .Batch(declaration_approve)
        .Next(this.after_school_verify)
    )

    after_school_verify = decision_switch(
        _("School verification outcome"), approve=this.training_school_register, revise=this.revise,
        reject=this.rejected)

    training_school_register = (
        HumanTask(views.DeclarationReviewView.as_view())
        .Annotation(title=_("Registration by the training school"), summary_template=SUMMARY)
        .Permission("accounts.review_initial", obj=lambda process: process.coerced.training_school_org)
        .Batch(declaration_approve)
        .Next(this.after_training_school_register)
    )

    after_training_school_register = decision_switch(
        _("Registration outcome"), approve=this.bureau_confirm, revise=this.revise, reject=this.rejected)

    bureau_confirm = (
        HumanTask(views.DeclarationReviewView.as_view())
        .Annotation(title=_("Bureau confirmation"), summary_template=SUMMARY)
        .Permission("accounts.file_document", obj=lambda process: process.coerced.bureau_org)
        .Batch(declaration_approve)
        .Next(this.after_bureau_confirm)
    )

    after_bureau_confirm = decision_switch(
        _("Confirmation outcome"), approve=this.confirmed, revise=this.revise, reject=this.rejected)

    # Back to the declaring teacher: edit, then resubmit to the school. Not announced
    # as a new task: the teacher hears of the return, with its comment, from notices
    # (workflow.signals.task_decided).
    revise = (
        HumanTask(views.DeclarationReviseView.as_view(), announce=False)
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
        if not user.is_authenticated:
            return False
        if obj is None:
            return may_use_declarations(user)
        return user.has_perm("credits.view_declaration", obj.coerced.declaration)

    def has_manage_permission(self, user, obj=None):
        return user.is_authenticated and user.is_superuser


# --- recognition up the chain (credits.recognition) ---------------------------------------------

class RecognitionTask(HumanTask):
    """A level's confirmation of a batch: no organisation permission names the regional
    officers' steps, so the rule is credits.recognition.may_decide (the chain's)."""

    def __init__(self, view, *, level, **kwargs):
        super().__init__(view, **kwargs)
        self.level = level

    def _batch(self, task):
        return task.process.coerced.batch

    def can_assign(self, user, task):
        if task.owner_id or user is None or not user.is_authenticated:
            return False
        return recognition.may_decide(user, self._batch(task), self.level)

    def can_execute(self, user, task):
        return super().can_execute(user, task) and recognition.may_decide(user, self._batch(task), self.level)

    def queue_filter(self, user):
        return recognition.deciders_filter(user, self.level, prefix="process__recognitionprocess__")

    def candidates_key(self, task):
        return (self.flow_class, self.name, self._batch(task).district_id)

    def candidates(self, task):
        return recognition.deciders(self._batch(task), self.level)


RECOGNITION_SUMMARY = "{{ process.batch.title }}"


def _at(level):
    return lambda activation: RecognitionBatch.objects.get(pk=activation.process.batch_id).level == level


def _finished(status):
    return lambda activation: RecognitionBatch.objects.get(pk=activation.process.batch_id).status == status


class RecognitionFlow(flow.Flow):
    process_class = RecognitionProcess
    process_title = _("Credit recognition")
    process_description = _("Confirmation of provisional credits by the county, the city and the province, "
                            "as the rule family's route says.")
    process_summary_template = RECOGNITION_SUMMARY
    lock_impl = lock.SelectForUpdateLock(nowait=False)

    # Opened when the credits are written (credits.recognition.recognition_open).
    start = (
        flow.StartHandle(this.start_batch)
        .Annotation(title=_("Credits written"))
        .Next(this.route)
    )

    # Where the batch goes next: the level it waits for, or an end.
    route = (
        flow.Switch().Annotation(title=_("Next level of the route"))
        .Case(this.county_confirm, _at(Confirmer.COUNTY))
        .Case(this.city_confirm, _at(Confirmer.CITY))
        .Case(this.province_confirm, _at(Confirmer.PROVINCE))
        .Case(this.confirmed, _finished(RecognitionBatch.Status.CONFIRMED))
        .Default(this.refused)
    )

    county_confirm = (
        RecognitionTask(recognition_views.RecognitionReviewView.as_view(), level=Confirmer.COUNTY)
        .Annotation(title=_("Confirmation by the county"), summary_template=RECOGNITION_SUMMARY)
        .Batch(recognition.recognition_approve)
        .Next(this.route)
    )

    city_confirm = (
        RecognitionTask(recognition_views.RecognitionReviewView.as_view(), level=Confirmer.CITY)
        .Annotation(title=_("Confirmation by the city"), summary_template=RECOGNITION_SUMMARY)
        .Batch(recognition.recognition_approve)
        .Next(this.route)
    )

    province_confirm = (
        RecognitionTask(recognition_views.RecognitionReviewView.as_view(), level=Confirmer.PROVINCE)
        .Annotation(title=_("Confirmation by the province"), summary_template=RECOGNITION_SUMMARY)
        .Batch(recognition.recognition_approve)
        .Next(this.route)
    )

    confirmed = flow.End().Annotation(title=_("Recognised"))
    refused = flow.End().Annotation(title=pgettext_lazy("recognition", "Refused"))

    def start_batch(self, activation, batch):
        activation.process.batch = batch
        return activation.process

    def has_view_permission(self, user, obj=None):
        if not user.is_authenticated:
            return False
        if obj is None:
            return recognition.may_use_recognition(user)
        return recognition.batch_may_view(user, obj.coerced.batch)

    def has_manage_permission(self, user, obj=None):
        return user.is_authenticated and user.is_superuser
