"""Review decisions. Task views call these inside viewflow's lock, then
complete the task; the flow's gateways read process.decision."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import assign_perm

from accounts.models import Organisation, User
from core.text import normalise_identifier
from notices.models import Notice
from notices.services import TITLE_APPROVED, TITLE_REJECTED, TITLE_RETURNED, TITLE_TASK_CREATED, district_text, notify
from plans.models import Document
from plans.services import document_assert_editable, document_check_complete, document_freeze_version
from schedule.services import document_filed

from .calendar import add_working_days
from .models import Decision, ExpertAssignment, ReviewProcess, Step, StepDeadline, TaskDue, TrailEntry

ERROR_COMMENT_REQUIRED = _("Please give a comment explaining the return or rejection.")
ERROR_EXPERTS_REQUIRED = _("Choose at least one expert for the expert review.")
ERROR_EXPERT_NOT_IN_POOL = _("Experts must come from this district's expert pool.")
ERROR_FILING_NUMBER_REQUIRED = _("Enter the filing number.")
ERROR_FILING_NUMBER_TAKEN = _("This filing number is already used by another document.")
ERROR_SCORE_RANGE = _("The score must be between 0 and 100.")


def trail_record(*, document: Document, step: str, decision: str, actor: User,
                 comment: str = "", score: int | None = None, task=None) -> TrailEntry:
    return TrailEntry.objects.create(
        document=document, version=document.version, step=step, decision=decision,
        actor=actor, comment=comment, score=score, task=task,
    )


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
    everyone who may claim it (the queue's permission at its organisation, as
    selectors.task_queue lists them)."""
    from guardian.shortcuts import get_users_with_perms

    if task.owner_id:
        return [task.owner] if task.owner.is_active else []
    if not task.owner_permission or not task.owner_permission_obj_pk:
        return []
    organisation = Organisation.objects.get(pk=int(task.owner_permission_obj_pk))
    codename = task.owner_permission.split(".", 1)[-1]
    return list(
        get_users_with_perms(organisation, only_with_perms_in=[codename], with_group_users=True)
        .filter(is_active=True, organisation=organisation).order_by("pk")
    )


def task_created_notify(*, task) -> None:
    """Tell the owner (or the queue) about a new review task.

    A revise task is not announced: its author has just been told the
    document was returned (document_outcome_notify).
    """
    if task.flow_task.name == "revise":
        return
    title = district_text(TITLE_TASK_CREATED, step=task.flow_task.task_title,
                          title=task.process.coerced.document.title)
    notify(users=task_recipients(task), kind=Notice.Kind.TASK_CREATED, title=title, url=task_url(task),
           dedup_key=f"task-created:{task.pk}")


def document_outcome_notify(*, document: Document) -> None:
    """Tell the author (and the last submitter) a document was returned, filed or rejected."""
    from django.urls import reverse

    kinds = {
        Document.Status.RETURNED: (Notice.Kind.RETURNED, TITLE_RETURNED),
        Document.Status.APPROVED: (Notice.Kind.APPROVED, TITLE_APPROVED),
        Document.Status.REJECTED: (Notice.Kind.REJECTED, TITLE_REJECTED),
    }
    if document.status not in kinds:
        return
    kind, message = kinds[document.status]
    last = document.versions.order_by("-number").select_related("submitted_by").first()
    authors = [document.created_by] + ([last.submitted_by] if last else [])
    notify(users=authors, kind=kind, title=district_text(message, title=document.title,
                                                         number=document.filing_number or ""),
           url=reverse("plans:detail", args=[document.pk]),
           dedup_key=f"{kind}:{document.pk}:v{document.version}")


def expert_pool(*, document: Document):
    return User.objects.filter(
        role=User.Role.EXPERT, is_active=True,
        organisation__district_id=document.organisation.district_id,
        organisation__kind=Organisation.Kind.EXPERT_POOL,
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


def _require_comment(decision: str, comment: str) -> None:
    if decision in (Decision.RETURN, Decision.REJECT) and not comment.strip():
        raise ValidationError({"comment": ERROR_COMMENT_REQUIRED})


def initial_review_decide(*, activation, user: User, decision: str, comment: str = "",
                          experts=()) -> None:
    process: ReviewProcess = activation.process
    document = process.document
    _require_comment(decision, comment)
    if decision == Decision.APPROVE and not process.needs_expert_review():
        _set_status(document, Document.Status.FILING)
    elif decision == Decision.APPROVE:
        experts = list(experts)
        if not experts:
            raise ValidationError({"experts": ERROR_EXPERTS_REQUIRED})
        pool = set(expert_pool(document=document).values_list("pk", flat=True))
        if any(e.pk not in pool for e in experts):
            raise ValidationError({"experts": ERROR_EXPERT_NOT_IN_POOL})
        for expert in experts:
            ExpertAssignment.objects.create(process=process, version=document.version,
                                            expert=expert, assigned_by=user)
            # The one per-object grant: an expert sees the documents assigned to them.
            assign_perm("plans.view_document", expert, document)
        names = "、".join(e.display_name for e in experts)
        comment = _append_note(comment, _("Experts assigned: %(names)s"), names=names)
        _set_status(document, Document.Status.EXPERT_REVIEW)
    elif decision == Decision.RETURN:
        _set_status(document, Document.Status.RETURNED)
    elif decision == Decision.REJECT:
        _set_status(document, Document.Status.REJECTED)
    else:
        raise ValidationError({"decision": _("Choose a decision.")})
    trail_record(document=document, step=Step.INITIAL_REVIEW, decision=decision, actor=user,
                 comment=comment, task=activation.task)
    process.decision = decision
    process.save(update_fields=["decision"])
    document_outcome_notify(document=document)


def expert_review_give(*, activation, user: User, opinion: str, score: int, comment: str) -> None:
    process: ReviewProcess = activation.process
    document = process.document
    if opinion not in (Decision.AGREE, Decision.AGREE_WITH_CHANGES, Decision.DISAGREE):
        raise ValidationError({"opinion": _("Choose an opinion.")})
    if score is None or not 0 <= score <= 100:
        raise ValidationError({"score": ERROR_SCORE_RANGE})
    trail_record(document=document, step=Step.EXPERT_REVIEW, decision=opinion, actor=user,
                 comment=comment, score=score, task=activation.task)
    if not expert_tasks_open(process=process, besides=activation.task):
        # Last expert of the round (as the flow's Join sees it): any 不同意 returns the document.
        if process.experts_all_agree():
            _set_status(document, Document.Status.FILING)
        else:
            _set_status(document, Document.Status.RETURNED)
            document_outcome_notify(document=document)


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
    district = document.organisation.district
    prefix = f"{district.filing_prefix}〔{document.year}〕"
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
    process: ReviewProcess = activation.process
    document = process.document
    _require_comment(decision, comment)
    if decision == Decision.APPROVE:
        # A look-alike (full-width digits, a zero-width space) is the same number.
        filing_number = normalise_identifier(filing_number)
        if not filing_number:
            raise ValidationError({"filing_number": ERROR_FILING_NUMBER_REQUIRED})
        if _filing_number_taken(filing_number, document):
            raise ValidationError({"filing_number": ERROR_FILING_NUMBER_TAKEN})
        document_file(document=document, filing_number=filing_number)
        document_filed(document=document)
        comment = _append_note(comment, _("Filing number: %(number)s"), number=filing_number)
    elif decision == Decision.RETURN:
        _set_status(document, Document.Status.RETURNED)
    elif decision == Decision.REJECT:
        _set_status(document, Document.Status.REJECTED)
    else:
        raise ValidationError({"decision": _("Choose a decision.")})
    trail_record(document=document, step=Step.FILING, decision=decision, actor=user,
                 comment=comment, task=activation.task)
    process.decision = decision
    process.save(update_fields=["decision"])
    document_outcome_notify(document=document)


def document_resubmit(*, activation, user: User, comment: str = "") -> None:
    document = activation.process.document
    document_assert_editable(document=document, user=user)
    document_check_complete(document=document)
    document_freeze_version(document=document, user=user)
    _set_status(document, Document.Status.INITIAL_REVIEW)
    trail_record(document=document, step=Step.REVISE, decision=Decision.RESUBMIT, actor=user,
                 comment=comment, task=activation.task)


def task_record_claim(*, task, user: User, claimed: bool) -> None:
    from .flows import STEP_OF_NODE

    document = task.process.coerced.document
    trail_record(document=document, step=STEP_OF_NODE.get(task.flow_task.name, Step.INITIAL_REVIEW),
                 decision=Decision.CLAIM if claimed else Decision.RELEASE, actor=user, task=task)


def task_claim(*, task, user: User, record_claim=None) -> None:
    """Take a queued task into the user's inbox: the claim page and scripts (any flow).

    Under the flow's lock (re-entered when the claim page already holds it);
    a task already taken, or one the user may not claim, is PermissionDenied.
    record_claim(task, user) as in task_perform.
    """
    from django.core.exceptions import PermissionDenied
    from django.db import transaction
    from viewflow.workflow.status import STATUS

    flow_task = task.flow_task
    with flow_task.flow_class.lock(task.process_id), transaction.atomic():
        task.refresh_from_db()
        if task.status != STATUS.NEW or not flow_task.can_assign(user, task):
            raise PermissionDenied
        flow_task.activation_class(task).assign(user)
        if record_claim is None:
            task_record_claim(task=task, user=user, claimed=True)
        else:
            record_claim(task, user)



def task_perform(*, task, user: User, decide, record_claim=None, held_elsewhere=None, **decision) -> None:
    """Claim (if needed) and complete a task outside a web request, as the
    task pages do: for the demo data, batch approval and scripts. Any flow.

    decide is one of the flow's decision services (here the *_decide/_give/
    resubmit ones). record_claim(task, user) records a claim (default: in the
    document trail); held_elsewhere is raised, if given, for a task another
    user holds (otherwise the refusal is PermissionDenied).
    """
    from django.core.exceptions import PermissionDenied
    from django.db import transaction
    from viewflow.workflow.status import STATUS

    flow_task = task.flow_task
    with flow_task.flow_class.lock(task.process_id), transaction.atomic():
        task.refresh_from_db()
        activation = flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            if not flow_task.can_assign(user, task):
                raise PermissionDenied
            activation.assign(user)
            if record_claim is None:
                task_record_claim(task=task, user=user, claimed=True)
            else:
                record_claim(task, user)
        elif held_elsewhere is not None and (task.status != STATUS.ASSIGNED or task.owner_id != user.pk):
            raise held_elsewhere
        if not flow_task.can_execute(user, task):
            raise PermissionDenied
        activation.start(None)
        decide(activation=activation, user=user, **decision)
        activation.execute()
