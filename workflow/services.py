"""Review decisions, for every flow built on the kit (workflow.kit).

Each human step ends in task_decide: the step's own effect (statuses, experts,
filing number, credits…), one trail entry, process.decision for the flow's
gateways, and completion of the task, all or nothing, under the flow's lock.
Task pages, batch approval and scripts (task_perform) all come through it.
"""
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import assign_perm

from accounts import regions
from accounts.models import User
from core.text import normalise_identifier
from plans.models import Document
from plans.services import document_assert_editable, document_check_complete, document_freeze_version

from . import signals
from .calendar import add_working_days
from .kit import trail_record  # noqa: F401 - the one trail writer, for every subject
from .models import Decision, ExpertAssignment, ReviewProcess, StepDeadline, TaskDue

ERROR_COMMENT_REQUIRED = _("Please give a comment explaining the return or rejection.")
ERROR_DECISION = _("Choose a decision.")
ERROR_EXPERTS_REQUIRED = _("Choose at least one expert for the expert review.")
ERROR_EXPERT_NOT_IN_POOL = _("Experts must come from this district's expert pool or its city's shared pool.")
ERROR_FILING_NUMBER_REQUIRED = _("Enter the filing number.")
ERROR_FILING_NUMBER_TAKEN = _("This filing number is already used by another document.")
ERROR_SCORE_RANGE = _("The score must be between 0 and 100.")

ERROR_OWN_CHANGES = _("The changes must be confirmed by a reviewer, not by the person who made them.")

REVIEW_DECISIONS = (Decision.APPROVE, Decision.RETURN, Decision.REJECT)
# 学校审核 and the confirmation of changes: approve, or return to the author (no rejection).
SIGN_OFF_DECISIONS = (Decision.APPROVE, Decision.RETURN)


# --- due dates, links and people of a task -------------------------------------------------

def step_days(step: str) -> int:
    configured = StepDeadline.objects.filter(step=step).values_list("days", flat=True).first()
    return configured or settings.REVIEW_STEP_DAYS.get(step, 7)


def task_set_due_date(*, task, step: str) -> TaskDue:
    """A step's days are working days: 法定节假日 skipped, 调休 working days counted."""
    today = timezone.localdate(task.created)
    return TaskDue.objects.create(task=task, due_date=add_working_days(today, step_days(step)))


def task_url(task) -> str:
    """The task's short URL: it sends each user on to claim, handle or view it."""
    from django.urls import get_resolver

    # Outside a request (management commands) the URLconf may not be loaded
    # yet; loading it mounts the flow's views, whose namespace reverse needs.
    get_resolver().url_patterns  # noqa: B018
    return task.flow_task.reverse("index", args=[task.process_id, task.pk])


def task_recipients(task) -> list[User]:
    """Who should hear about a task: its owner, or, while it waits in a queue,
    everyone who may claim it (its node's candidates)."""
    if task.owner_id:
        return [task.owner] if task.owner.is_active else []
    return task.flow_task.candidates(task)


# --- the one way a human step ends ------------------------------------------------------------

def task_decide(*, activation, user: User, decision: str, comment: str = "", score: int | None = None,
                effect=None) -> None:
    """Complete a human task with a decision, for any flow on the kit.

    Under the flow's lock (re-entered when the task page already holds it) and
    in a savepoint: a refused decision (ValidationError from the checks or the
    effect) leaves nothing half-written. effect(comment) does what the step
    means for its subject and may return the comment to record (with a note
    added); then the trail entry, process.decision, the task's completion and
    the task_decided signal.
    """
    process = activation.process
    task = activation.task
    comment = (comment or "").strip()
    with activation.flow_class.lock(task.process_id), transaction.atomic():
        if decision in (Decision.RETURN, Decision.REJECT) and not comment:
            raise ValidationError({"comment": ERROR_COMMENT_REQUIRED})
        if effect is not None:
            comment = effect(comment) or comment
        extra = {"score": score} if score is not None else {}  # only experts score
        process.trail_record(step=activation.flow_task.name, decision=decision, actor=user,
                             comment=comment, task=task, **extra)
        process.decision = decision
        process.save(update_fields=["decision"])
        activation.execute()
        signals.task_decided.send(sender=type(process), process=process, task=task, decision=decision,
                                  actor=user)


def _review_outcome(decision: str, allowed=REVIEW_DECISIONS):
    """Check a decision at a review step (approve, return or reject)."""
    if decision not in allowed:
        raise ValidationError({"decision": ERROR_DECISION})


def expert_pool(*, document: Document):
    """Experts who may be assigned: the pool of the document's district (or city or province)
    and, for a district's documents, its city's shared pool (accounts.regions)."""
    return experts_of_pools(regions.expert_pool_organisations(document.organisation))


def experts_of_pools(pools):
    return User.objects.filter(
        role=User.Role.EXPERT, is_active=True, organisation__in=pools.values("pk"),
    ).order_by("full_name", "username")


def _set_status(document: Document, status: str) -> None:
    document.status = status
    document.save(update_fields=["status", "updated_at"])


def _append_note(comment: str, note, **params) -> str:
    """Add a generated note to a reviewer's comment, always in the district's
    language (settings.LANGUAGE_CODE): the trail is an official record."""
    with translation.override(settings.LANGUAGE_CODE):
        note = str(note) % params
    return f"{comment}\n{note}" if comment else note


# --- the review flow's steps (workflow.flows.ReviewFlow) ---------------------------------------

def initial_review_decide(*, activation, user: User, decision: str, comment: str = "",
                          experts=()) -> None:
    process: ReviewProcess = activation.process
    document = process.document

    def effect(comment):
        _review_outcome(decision)
        if decision == Decision.APPROVE and not process.needs_expert_review():
            _set_status(document, Document.Status.FILING)
        elif decision == Decision.APPROVE:
            chosen = list(experts)
            if not chosen:
                raise ValidationError({"experts": ERROR_EXPERTS_REQUIRED})
            pool = set(expert_pool(document=document).values_list("pk", flat=True))
            if any(e.pk not in pool for e in chosen):
                raise ValidationError({"experts": ERROR_EXPERT_NOT_IN_POOL})
            for expert in chosen:
                ExpertAssignment.objects.create(process=process, version=document.version,
                                                expert=expert, assigned_by=user)
                # The one per-object grant: an expert sees the documents assigned to them.
                assign_perm("plans.view_document", expert, document)
            _set_status(document, Document.Status.EXPERT_REVIEW)
            names = "、".join(e.display_name for e in chosen)
            return _append_note(comment, _("Experts assigned: %(names)s"), names=names)
        elif decision == Decision.RETURN:
            _set_status(document, Document.Status.RETURNED)
        else:
            _set_status(document, Document.Status.REJECTED)
        return comment

    task_decide(activation=activation, user=user, decision=decision, comment=comment, effect=effect)


def initial_review_approve(*, activation, user: User, comment: str = "", experts=(), **options) -> None:
    """Batch approval of an initial review (inbox): to the experts chosen for the batch."""
    initial_review_decide(activation=activation, user=user, decision=Decision.APPROVE, comment=comment,
                          experts=experts)


def document_enter_review(*, document: Document) -> None:
    """A submitted document's first step: its principal's sign-off where the
    district's route asks for it, otherwise the initial review."""
    from .models import school_review_required

    _set_status(document, Document.Status.SCHOOL_REVIEW if school_review_required(document)
                else Document.Status.INITIAL_REVIEW)


def school_review_decide(*, activation, user: User, decision: str, comment: str = "") -> None:
    """学校审核 by the school's principal: on to the initial review, or back to the author."""
    document = activation.process.document

    def effect(comment):
        _review_outcome(decision, SIGN_OFF_DECISIONS)
        _set_status(document, Document.Status.INITIAL_REVIEW if decision == Decision.APPROVE
                    else Document.Status.RETURNED)

    task_decide(activation=activation, user=user, decision=decision, comment=comment, effect=effect)


def expert_review_give(*, activation, user: User, opinion: str, score: int, comment: str) -> None:
    process: ReviewProcess = activation.process
    document = process.document
    if opinion not in (Decision.AGREE, Decision.AGREE_WITH_CHANGES, Decision.DISAGREE):
        raise ValidationError({"opinion": _("Choose an opinion.")})
    if score is None or not 0 <= score <= 100:
        raise ValidationError({"score": ERROR_SCORE_RANGE})

    def effect(comment):
        if not expert_tasks_open(process=process, besides=activation.task):
            # Last expert of the round (as the flow's Join sees it): the round's
            # outcome (ReviewProcess.expert_round_outcome), this opinion included.
            outcome = process.expert_round_outcome()
            for worse in (Decision.DISAGREE, Decision.AGREE_WITH_CHANGES):
                if worse in (opinion, outcome):
                    outcome = worse
                    break
            _set_status(document, Document.Status.FILING if outcome == Decision.AGREE
                        else Document.Status.RETURNED)
            process.changes_requested = outcome == Decision.AGREE_WITH_CHANGES
            process.save(update_fields=["changes_requested"])

    task_decide(activation=activation, user=user, decision=opinion, comment=comment, score=score, effect=effect)


def expert_tasks_open(*, process: ReviewProcess, besides=None) -> bool:
    """Whether an expert of this process has still to answer (the tasks, not the
    trail: a copy, a claim or a release at the expert step is no answer)."""
    from viewflow.workflow.models import Task

    from .flows import ReviewFlow
    from .selectors import OPEN_STATUSES

    tasks = Task.objects.filter(process=process, flow_task=ReviewFlow.expert_review, status__in=OPEN_STATUSES)
    if besides is not None:
        tasks = tasks.exclude(pk=besides.pk)
    return tasks.exists()


def filing_number_suggest(*, document: Document) -> str:
    """The next free number of the year of filing (not the plan's year): a 2025 plan
    filed in 2026 is 〔2026〕, and numbering restarts each filing year."""
    prefix = f"{regions.filing_prefix_of(document.organisation)}〔{timezone.localdate().year}〕"
    taken = Document.objects.filter(filing_number__startswith=prefix).values_list("filing_number", flat=True)
    numbers = [int(n[len(prefix):-1]) for n in taken if n.endswith("号") and n[len(prefix):-1].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}号"


def _filing_number_taken(filing_number: str, document: Document) -> bool:
    return Document.objects.filter(filing_number=filing_number).exclude(pk=document.pk).exists()


def document_file(*, document: Document, filing_number: str) -> None:
    """Store the filing number. Two filings racing for one number (two documents,
    so two process locks) meet at the unique index: the loser gets the form error,
    not a 500, and its document is left as it was."""
    previous = document.filing_number, document.filed_at, document.status
    document.filing_number = filing_number
    document.filed_at = timezone.now()
    document.status = Document.Status.APPROVED
    try:
        with transaction.atomic():  # a savepoint: the transaction survives the refusal
            document.save(update_fields=["filing_number", "filed_at", "status", "updated_at"])
    except IntegrityError:
        document.filing_number, document.filed_at, document.status = previous
        if _filing_number_taken(filing_number, document):
            raise ValidationError({"filing_number": ERROR_FILING_NUMBER_TAKEN}) from None
        raise


def filing_decide(*, activation, user: User, decision: str, filing_number: str = "",
                  comment: str = "") -> None:
    document = activation.process.document

    def effect(comment):
        _review_outcome(decision)
        if decision == Decision.APPROVE:
            # A look-alike (full-width digits, a zero-width space) is the same number.
            number = normalise_identifier(filing_number)
            if not number:
                raise ValidationError({"filing_number": ERROR_FILING_NUMBER_REQUIRED})
            if _filing_number_taken(number, document):
                raise ValidationError({"filing_number": ERROR_FILING_NUMBER_TAKEN})
            document_file(document=document, filing_number=number)
            signals.document_filed.send(sender=Document, document=document)  # schedule
            return _append_note(comment, _("Filing number: %(number)s"), number=number)
        _set_status(document, Document.Status.RETURNED if decision == Decision.RETURN
                    else Document.Status.REJECTED)
        return comment

    task_decide(activation=activation, user=user, decision=decision, comment=comment, effect=effect)


def filing_approve(*, activation, user: User, comment: str = "", **options) -> None:
    """Batch approval of a filing (inbox): each document gets the next filing number."""
    filing_decide(activation=activation, user=user, decision=Decision.APPROVE, comment=comment,
                  filing_number=filing_number_suggest(document=activation.process.document))


def confirm_changes_decide(*, activation, user: User, decision: str, comment: str = "") -> None:
    """修改后同意: the initial reviewer checks the revision against the experts' comments.
    Confirmed → filing (no new expert round); not confirmed → back to the author."""
    process: ReviewProcess = activation.process
    document = process.document

    def effect(comment):
        _review_outcome(decision, SIGN_OFF_DECISIONS)
        last = document.versions.order_by("-number").values_list("submitted_by_id", flat=True).first()
        if user.pk in (last, document.created_by_id):
            raise PermissionDenied(ERROR_OWN_CHANGES)
        if decision == Decision.APPROVE:
            process.changes_requested = False
            process.save(update_fields=["changes_requested"])
            _set_status(document, Document.Status.FILING)
        else:
            _set_status(document, Document.Status.RETURNED)

    task_decide(activation=activation, user=user, decision=decision, comment=comment, effect=effect)


def _status_after_revision(process: ReviewProcess) -> str:
    """Where a resubmission goes (the flow's after_revise gateway says the same)."""
    if process.changes_requested:
        return Document.Status.CHANGES_CHECK
    if process.needs_school_review():
        return Document.Status.SCHOOL_REVIEW
    return Document.Status.INITIAL_REVIEW


def document_resubmit(*, activation, user: User, comment: str = "") -> None:
    process = activation.process
    document = process.document

    def effect(comment):
        document_assert_editable(document=document, user=user)
        document_check_complete(document=document)
        document_freeze_version(document=document, user=user)  # the trail entry carries the new version
        _set_status(document, _status_after_revision(process))

    task_decide(activation=activation, user=user, decision=Decision.RESUBMIT, comment=comment, effect=effect)


# --- claiming, for every flow ------------------------------------------------------------------

def task_record_claim(*, task, user: User, claimed: bool) -> None:
    """A claim or a release in the subject's trail, where its flow records them."""
    process = task.process.coerced
    if process.records_claims:
        process.trail_record(step=task.flow_task.name, decision=Decision.CLAIM if claimed else Decision.RELEASE,
                             actor=user, task=task)


def task_claim(*, task, user: User) -> None:
    """Take a queued task into the user's inbox: the claim page and scripts (any flow).

    Under the flow's lock (re-entered when the claim page already holds it);
    a task already taken, or one the user may not claim, is PermissionDenied.
    """
    from django.core.exceptions import PermissionDenied
    from viewflow.workflow.status import STATUS

    flow_task = task.flow_task
    with flow_task.flow_class.lock(task.process_id), transaction.atomic():
        task.refresh_from_db()
        if task.status != STATUS.NEW or not flow_task.can_assign(user, task):
            raise PermissionDenied
        flow_task.activation_class(task).assign(user)
        task_record_claim(task=task, user=user, claimed=True)


def task_perform(*, task, user: User, decide, held_elsewhere=None, **decision) -> None:
    """Claim (if needed) and complete a task outside a web request, as the
    task pages do: for the demo data, batch approval and scripts. Any flow.

    decide is one of the flows' decision services (they end in task_decide,
    which completes the task). held_elsewhere is raised, if given, for a task
    another user holds (otherwise the refusal is PermissionDenied).
    """
    from django.core.exceptions import PermissionDenied
    from viewflow.workflow.status import STATUS

    flow_task = task.flow_task
    with flow_task.flow_class.lock(task.process_id), transaction.atomic():
        task.refresh_from_db()
        activation = flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            if not flow_task.can_assign(user, task):
                raise held_elsewhere or PermissionDenied
            activation.assign(user)
            task_record_claim(task=task, user=user, claimed=True)
        elif held_elsewhere is not None and (task.status != STATUS.ASSIGNED or task.owner_id != user.pk):
            raise held_elsewhere
        if not flow_task.can_execute(user, task):
            raise PermissionDenied
        activation.start(None)
        decide(activation=activation, user=user, **decision)
