"""Registering self-declared outside training (seed 002).

teacher submits → school verifies → training school registers → bureau
confirms (credits go to the ledger). Every review step can approve, return
to the teacher for revision, or reject. Each step's service ends in the
review kit's workflow.services.task_decide (trail entry, process.decision for
the flow's gateways, completion of the task, all or nothing, in the lock);
the task pages, the inbox's batch approval and scripts call them alike.
"""
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import User
from attendance.models import Teacher
from core import limits, widgets
from core.uploads import check_upload
from workflow.kit import trail_record
from workflow.services import ERROR_COMMENT_REQUIRED, ERROR_DECISION, task_decide  # noqa: F401 (the kit's messages)

from .models import (MAX_SUBJECT_CREDITS, Activity, CreditEntry, Declaration, DeclarationDecision, DeclarationProcess,
                     Level, Unit)
from .recognition import recognition_open
from .scopes import declarations_visible
from .services import ledger_add, overlapping_entries

CERTIFICATE_EXTENSIONS = ["pdf", "jpg", "jpeg", "png"]
CERTIFICATE_MAX_MB = 5
CERTIFICATE_MAX_BYTES = CERTIFICATE_MAX_MB * 1024 * 1024
MAX_HOURS_PER_DAY = 10

# What a teacher declares themselves; school-based hours come from attendance
# and leave is an exemption the bureau records.
DECLARABLE_ACTIVITIES = [
    (a.value, a.label) for a in (Activity.CONCENTRATED, Activity.ONLINE, Activity.DEGREE,
                                 Activity.TEACHING, Activity.SUPPORT_TEACHING)
]

ERROR_NOT_A_TEACHER = _("Only teachers on a school's roster can declare training.")
ERROR_CERTIFICATE_REQUIRED = _("Attach the certificate: a JPG or PNG image, or a PDF.")
ERROR_CERTIFICATE_TYPE = _("The certificate must be a JPG or PNG image, or a PDF.")
ERROR_CERTIFICATE_SIZE = _("The certificate may be at most %(size)s MB.")
ERROR_CERTIFICATE_CONTENT = _("The certificate's content does not match its file type.")
ERROR_DATES_ORDER = _("The last day cannot be before the first day.")
ERROR_HOURS_POSITIVE = _("Enter more than 0 hours.")
ERROR_HOURS_TOO_MANY = _("At most %(per_day)s hours a day can be declared: these dates allow at most %(max)s hours.")
ERROR_OVERLAP = _("Training already credited to you overlaps these dates.")
ERROR_DUPLICATE = _("You have already declared this training (same provider, title and dates).")


Step = DeclarationDecision.Step
Decision = DeclarationDecision.Decision

# Node → (trail step, declaration status once approved there).
REVIEW_STEPS = {
    "school_verify": (Step.SCHOOL_VERIFY, Declaration.Status.TRAINING_SCHOOL),
    "training_school_register": (Step.TRAINING_SCHOOL_REGISTER, Declaration.Status.BUREAU),
    "bureau_confirm": (Step.BUREAU_CONFIRM, Declaration.Status.CONFIRMED),
}

# The declaration's fields as a teacher types them; the page's form reuses them.
FIELDS = {
    "provider": forms.CharField(label=_("training provider"), max_length=200),
    "title": forms.CharField(label=_("training"), max_length=200),
    "activity": forms.ChoiceField(label=_("activity"), choices=DECLARABLE_ACTIVITIES),
    "level": forms.ChoiceField(label=_("level"), choices=[(v, label) for v, label in Level.choices if v != Level.ANY]),
    "start_date": forms.DateField(label=_("first day"), validators=limits.date_range(), widget=widgets.DateInput()),
    "end_date": forms.DateField(label=_("last day"), validators=limits.date_range(), widget=widgets.DateInput()),
    # "More than 0" has its own message below; the ceiling is the model's.
    "hours": forms.DecimalField(label=_("hours"), max_digits=6, decimal_places=1, validators=[
        limits.Between(None, limits.MAX_DECLARATION_HOURS, limits.ERROR_HOURS_MAX)]),
    "excellent_trainee": forms.BooleanField(label=_("named excellent trainee"), required=False),
    "subject_credits": forms.DecimalField(
        label=_("subject credits of the course plan"), required=False, max_digits=5, decimal_places=1,
        validators=[limits.Between(0, MAX_SUBJECT_CREDITS)],
        help_text=_("Degree study, where the rules count it by subject credits.")),
    "category": forms.CharField(label=_("counts towards"), required=False, max_length=30),
}

ERROR_LEVEL = _("These rules count this kind of training only at: %(levels)s.")
ERROR_NO_RULE = _("These rules give no credits for this kind of training.")
ERROR_SUBJECT_CREDITS = _("These rules count degree study by the subject credits of the course plan: give them.")
ERROR_CATEGORY = _("Choose one of the categories of your rules.")


# --- validation ---------------------------------------------------------------------

def certificate_check(upload) -> None:
    """JPG, PNG or PDF, at most 5 MB, and the first bytes must match the extension."""
    if not upload:
        raise ValidationError(ERROR_CERTIFICATE_REQUIRED, code="required")
    check_upload(upload, extensions=CERTIFICATE_EXTENSIONS, max_bytes=CERTIFICATE_MAX_BYTES, messages={
        "type": ERROR_CERTIFICATE_TYPE, "size": ERROR_CERTIFICATE_SIZE, "content": ERROR_CERTIFICATE_CONTENT})


def declaration_validate(*, teacher: Teacher, data, certificate=None, certificate_required=True,
                         instance: Declaration | None = None) -> dict:
    """Every rule a declaration must meet; all errors at once, by field. Saves nothing."""
    errors: dict[str, list] = {}
    cleaned = {}
    for name, field in FIELDS.items():
        try:
            cleaned[name] = field.clean(data.get(name))
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.error_list)
    if certificate or certificate_required:
        try:
            certificate_check(certificate)
        except ValidationError as error:
            errors.setdefault("certificate", []).extend(error.error_list)

    start, end, hours = cleaned.get("start_date"), cleaned.get("end_date"), cleaned.get("hours")
    if start and end and end < start:
        errors.setdefault("end_date", []).append(ValidationError(ERROR_DATES_ORDER, code="order"))
    if hours is not None:
        if hours <= 0:
            errors.setdefault("hours", []).append(ValidationError(ERROR_HOURS_POSITIVE, code="min_value"))
        elif start and end and end >= start:
            limit = Decimal(MAX_HOURS_PER_DAY * ((end - start).days + 1))
            if hours > limit:
                errors.setdefault("hours", []).append(ValidationError(
                    ERROR_HOURS_TOO_MANY, code="max_value", params={"per_day": MAX_HOURS_PER_DAY, "max": limit}))

    _check_against_rules(teacher, cleaned, errors)

    if start and end and end >= start:
        credited = overlapping_entries(teacher, start, end)
        if instance is not None:
            credited = credited.exclude(declaration=instance)
        if credited.exists():
            errors.setdefault(NON_FIELD_ERRORS, []).append(ValidationError(ERROR_OVERLAP, code="overlap"))
        if cleaned.get("provider") and cleaned.get("title"):
            twins = Declaration.objects.filter(
                teacher=teacher, provider__iexact=cleaned["provider"].strip(), title__iexact=cleaned["title"].strip(),
                start_date=start, end_date=end,
            ).exclude(status=Declaration.Status.REJECTED)
            if instance is not None:
                twins = twins.exclude(pk=instance.pk)
            if twins.exists():
                errors.setdefault(NON_FIELD_ERRORS, []).append(ValidationError(ERROR_DUPLICATE, code="duplicate"))
    if errors:
        raise ValidationError(errors)
    cleaned["provider"] = cleaned["provider"].strip()
    cleaned["title"] = cleaned["title"].strip()
    return cleaned


def rules_for_form(teacher: Teacher | None, day=None) -> dict:
    """What the declaration form offers a teacher under the rules in force: the
    categories (code, name) and whether degree study is counted by subject credits."""
    from .services import rule_set_for

    if teacher is None:
        return {"categories": [], "subject_credits": False}
    try:
        rule_set = rule_set_for(teacher.organisation.district, day or timezone.localdate())
    except ValidationError:
        return {"categories": [], "subject_credits": False}
    return {"categories": list(rule_set.categories.values_list("code", "name")),
            "subject_credits": rule_set.conversions.filter(unit=Unit.SUBJECT_CREDIT).exists()}


def _check_against_rules(teacher: Teacher, cleaned: dict, errors: dict) -> None:
    """The level, subject credits and category must mean something under the rules in
    force on the last day (Hunan counts teaching by where it is taught, not by level)."""
    from .services import conversion_for, rule_set_for

    day, activity, level = cleaned.get("end_date") or cleaned.get("start_date"), cleaned.get("activity"), \
        cleaned.get("level")
    if not (day and activity and level):
        return
    try:
        rule_set = rule_set_for(teacher.organisation.district, day)
    except ValidationError as error:
        errors.setdefault(NON_FIELD_ERRORS, []).extend(error.error_list)
        return
    rule = conversion_for(rule_set, activity, level)
    if rule is None:
        levels = [Level(value).label for value in rule_set.conversions.filter(activity=activity)
                  .order_by("pk").values_list("level", flat=True)]
        if levels:
            errors.setdefault("level", []).append(ValidationError(
                ERROR_LEVEL, code="level", params={"levels": "、".join(str(label) for label in levels)}))
        else:
            errors.setdefault("activity", []).append(ValidationError(ERROR_NO_RULE, code="no_rule"))
    elif rule.unit == Unit.SUBJECT_CREDIT and cleaned.get("subject_credits") is None:
        errors.setdefault("subject_credits", []).append(ValidationError(ERROR_SUBJECT_CREDITS, code="required"))
    category = cleaned.get("category")
    if category and not rule_set.categories.filter(code=category).exists():
        errors.setdefault("category", []).append(ValidationError(ERROR_CATEGORY, code="invalid_choice"))


def _teacher_of(user) -> Teacher:
    teacher = Teacher.objects.filter(user=user, active=True).select_related("organisation").first() \
        if user is not None and user.is_authenticated else None
    if teacher is None:
        raise PermissionDenied(ERROR_NOT_A_TEACHER)
    return teacher


def _set_status(declaration: Declaration, status: str) -> None:
    declaration.status = status
    declaration.save(update_fields=["status"])


# --- the flow's steps ---------------------------------------------------------------------

@transaction.atomic
def declaration_submit(teacher_user, data, certificate) -> Declaration:
    """A teacher declares outside training with its certificate; the school verifies next."""
    from .flows import DeclarationFlow

    teacher = _teacher_of(teacher_user)
    # One writer per teacher: two tabs cannot slip the same declaration in twice.
    Teacher.objects.select_for_update().filter(pk=teacher.pk).exists()
    cleaned = declaration_validate(teacher=teacher, data=data, certificate=certificate)
    declaration = Declaration.objects.create(teacher=teacher, certificate=certificate,
                                             status=Declaration.Status.SCHOOL, **cleaned)
    trail_record(subject=declaration, step=Step.SUBMIT, decision=Decision.SUBMIT, actor=teacher_user)
    DeclarationFlow.start.run(declaration=declaration)
    return declaration


def declaration_decide(*, activation, user: User, decision: str, comment: str = "") -> None:
    """A reviewer's decision at school_verify, training_school_register or bureau_confirm."""
    process: DeclarationProcess = activation.process
    declaration = Declaration.objects.select_related("teacher__organisation__district").get(
        pk=process.declaration_id)
    step, approved_status = REVIEW_STEPS[activation.flow_task.name]

    def effect(comment):
        if decision == Decision.APPROVE:
            if step == Step.BUREAU_CONFIRM:
                _credit(declaration)
            _set_status(declaration, approved_status)
        elif decision == Decision.RETURN:
            _set_status(declaration, Declaration.Status.RETURNED)
        elif decision == Decision.REJECT:
            _set_status(declaration, Declaration.Status.REJECTED)
        else:
            raise ValidationError({"decision": ERROR_DECISION})

    task_decide(activation=activation, user=user, decision=decision, comment=comment, effect=effect)


def declaration_approve(*, activation, user: User, comment: str = "", **options) -> None:
    """Batch approval from the inbox (any of the three review steps)."""
    declaration_decide(activation=activation, user=user, decision=Decision.APPROVE, comment=comment)


def _credit(declaration: Declaration) -> list[CreditEntry]:
    teacher = declaration.teacher
    Teacher.objects.select_for_update().filter(pk=teacher.pk).exists()
    if overlapping_entries(teacher, declaration.start_date, declaration.end_date).exists():
        raise ValidationError(ERROR_OVERLAP, code="overlap")
    entries = ledger_add(
        teacher=teacher, activity=declaration.activity, level=declaration.level, hours=declaration.hours,
        occurred_on=declaration.end_date, description=f"{declaration.title}（{declaration.provider}）",
        source=CreditEntry.Source.DECLARATION, declaration=declaration,
        excellent_trainee=declaration.excellent_trainee, subject_credits=declaration.subject_credits,
        category=declaration.category, content=declaration.title,
    )
    # Up the recognition route, where the teacher's rules have one (credits.recognition).
    recognition_open(entries, title=f"{declaration.title}（{teacher.name}）", declared=True)
    return entries


def declaration_resubmit(*, activation, user: User, data, certificate=None, comment: str = "") -> None:
    """The teacher edits a returned declaration (a new certificate is optional) and sends it to the school again."""
    declaration = Declaration.objects.select_related("teacher").get(pk=activation.process.declaration_id)
    if user is None or declaration.teacher.user_id != user.pk:
        raise PermissionDenied

    def effect(comment):
        Teacher.objects.select_for_update().filter(pk=declaration.teacher_id).exists()
        cleaned = declaration_validate(teacher=declaration.teacher, data=data, certificate=certificate,
                                       certificate_required=False, instance=declaration)
        for name, value in cleaned.items():
            setattr(declaration, name, value)
        if certificate:
            declaration.certificate = certificate
        declaration.status = Declaration.Status.SCHOOL
        declaration.save()

    task_decide(activation=activation, user=user, decision=Decision.RESUBMIT, comment=comment, effect=effect)


def declaration_page_context(declaration: Declaration) -> dict:
    """A declaration, its trail and credits: its own page and its tasks' pages."""
    from django.urls import reverse

    return {
        "declaration": declaration,
        "trail": DeclarationDecision.objects.filter(declaration=declaration).select_related("actor"),
        "entries": declaration.entries.order_by("pk"),
        "certificate_url": reverse("credits:declaration_certificate", args=[declaration.pk]),
    }


# --- who sees what ---------------------------------------------------------------------------
# (which declarations: credits/scopes.py)

def school_may_verify(user, declaration: Declaration) -> bool:
    """The school step: a training officer of the teacher's own school."""
    return (user is not None and user.is_authenticated and user.is_school_officer
            and user.organisation_id == declaration.teacher.organisation_id)


def _declaration_tasks() -> QuerySet[Task]:
    return Task.objects.filter(flow_task_type="HUMAN", process__declarationprocess__isnull=False).select_related(
        "process__declarationprocess__declaration__teacher__organisation", "owner")


def declaration_tasks_visible(*, user) -> QuerySet[Task]:
    """All tasks of declarations the user may see (for viewflow's own lists)."""
    return Task.objects.filter(process__declarationprocess__declaration__in=declarations_visible(user))


def declaration_processes_visible(user) -> QuerySet[DeclarationProcess]:
    return DeclarationProcess.objects.filter(declaration__in=declarations_visible(user))


def declaration_open_task_for(user, declaration: Declaration):
    """The task of this declaration the user may act on now, if any: (task, url name)."""
    for task in _declaration_tasks().filter(process__declarationprocess__declaration=declaration,
                                            status__in=[STATUS.NEW, STATUS.ASSIGNED]).order_by("-pk"):
        if task.owner_id == user.pk:
            return task, "execute"
        if task.status == STATUS.NEW and task.flow_task.can_assign(user, task):
            return task, "assign"
    return None, None

