"""Recognition up the chain (seed 002, Shaanxi 陕教师〔2013〕31号).

Where the district's rule family has a route for a kind of credits
(credits.rules.RECOGNITION_ROUTES), the ledger lines are written *provisional*
and gathered in a RecognitionBatch (a finished project's lines of one district,
a school's school-based year, a declaration's); the batch goes up the route
through the review kit (credits.flows.RecognitionFlow): at each level, its
officer confirms (optionally refusing some lines), returns the batch to the
previous level with a comment, or refuses it all. The lines are confirmed when
the last level confirms; refused lines stay in the ledger, marked refused.
Only confirmed lines count (credits.selectors, services.teacher_totals, the
provincial export); provisional ones are shown apart.

Who decides a level's step: the county — a bureau officer of the batch's
district; the city — a city officer of the district's city; the province — a
province officer of its province (accounts.regions' chain).
"""
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts import regions
from accounts.models import User
from workflow.services import ERROR_DECISION, task_decide

from . import rules
from .models import Confirmer, CreditEntry, Origin, Recognition, RecognitionBatch, RecognitionDecision, \
    RecognitionProcess

Decision = RecognitionDecision.Decision
Step = RecognitionDecision.Step

# Level → the flow's node (and trail step) that confirms at that level.
NODE_OF_LEVEL = {
    Confirmer.COUNTY: Step.COUNTY_CONFIRM,
    Confirmer.CITY: Step.CITY_CONFIRM,
    Confirmer.PROVINCE: Step.PROVINCE_CONFIRM,
}
LEVEL_OF_NODE = {node: level for level, node in NODE_OF_LEVEL.items()}

ERROR_FIRST_LEVEL_RETURN = _("The first level of the route has no one to return the credits to: confirm or "
                             "refuse them.")
ERROR_NOT_IN_BATCH = _("Only provisional credits of this batch can be refused.")
ERROR_NOT_YOUR_LEVEL = _("This step is for the officers of the level the route names.")


# --- opening a batch when credits are written ------------------------------------------------

def route_for(district, origin: str, *, declared: bool = False) -> tuple[str, ...]:
    from .services import rule_family

    return rules.recognition_route(rule_family(district), origin, declared=declared)


def recognition_open(entries: list[CreditEntry], *, title: str, declared: bool = False) -> list[RecognitionBatch]:
    """Credits just written: where the district's family has a route for them, mark them
    provisional and send them up the route, one batch per district and kind. Call it in
    the transaction that wrote them."""

    groups = defaultdict(list)  # (district, origin) → entries
    for entry in entries:
        groups[(entry.teacher.organisation.district, rules.recognition_origin(entry.source, entry.level))].append(entry)
    batches = []
    for (district, origin), members in groups.items():
        route = route_for(district, origin, declared=declared)
        if route:
            batches.append(batch_open(district=district, entries=members, title=title, route=route,
                                      origin=Origin.DECLARATION if declared else origin))
    return batches


def batch_open(*, district, entries: list[CreditEntry], title: str, route, origin: str) -> RecognitionBatch:
    """One district's credits, provisional, up this route (the first level gets the task)."""
    from .flows import RecognitionFlow

    batch = RecognitionBatch.objects.create(district=district, title=title[:300], origin=origin, route=list(route),
                                            year=max(entry.credit_year for entry in entries))
    CreditEntry.objects.filter(pk__in=[entry.pk for entry in entries]).update(
        recognition=Recognition.PROVISIONAL, recognition_batch=batch)
    for entry in entries:
        entry.recognition, entry.recognition_batch = Recognition.PROVISIONAL, batch
    RecognitionFlow.start.run(batch=batch)
    return batch


# --- who decides -------------------------------------------------------------------------------

def may_decide(user, batch: RecognitionBatch, level: str) -> bool:
    """The officers of the level the route names, for this batch's district."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    district = batch.district
    if level == Confirmer.COUNTY:
        return user.is_bureau_officer and user.district_id == district.pk
    if level == Confirmer.CITY:
        return user.is_city_officer and district.city_id is not None and \
            user.organisation.city_id == district.city_id
    if level == Confirmer.PROVINCE:
        return user.is_province_officer and district.city_id is not None and \
            district.city.province_id == user.organisation.province_id
    return False


def deciders_filter(user, level: str, prefix: str = "") -> Q | None:
    """The batches whose step at this level the user may take (for the queue); prefix:
    the path to the batch's process."""
    if level == Confirmer.COUNTY and user.is_bureau_officer:
        return Q(**{f"{prefix}batch__district_id": user.district_id})
    if level == Confirmer.CITY and user.is_city_officer:
        return Q(**{f"{prefix}batch__district__city_id": user.organisation.city_id})
    if level == Confirmer.PROVINCE and user.is_province_officer:
        return Q(**{f"{prefix}batch__district__city__province_id": user.organisation.province_id})
    return None


def deciders(batch: RecognitionBatch, level: str) -> list[User]:
    users = User.objects.filter(is_active=True)
    district = batch.district
    if level == Confirmer.COUNTY:
        users = users.filter(role=User.Role.BUREAU_OFFICER, organisation__district=district)
    elif level == Confirmer.CITY:
        users = users.filter(role=User.Role.CITY_OFFICER, organisation__city_id=district.city_id)
    elif level == Confirmer.PROVINCE:
        province_id = district.city.province_id if district.city_id else None
        users = users.filter(role=User.Role.PROVINCE_OFFICER, organisation__province_id=province_id)
    else:
        return []
    return [user for user in users.select_related("organisation").order_by("full_name", "pk")
            if may_decide(user, batch, level)]


# --- who sees what ---------------------------------------------------------------------------

def batches_visible(user) -> QuerySet[RecognitionBatch]:
    """District staff their district's; city and province officers the districts they oversee."""
    batches = RecognitionBatch.objects.select_related("district")
    if not user.is_authenticated:
        return batches.none()
    if user.is_superuser:
        return batches
    if user.is_district_reviewer:
        return batches.filter(district_id=user.district_id)
    if user.is_regional_officer:
        return batches.filter(district__in=regions.districts_overseen(user))
    return batches.none()


def may_use_recognition(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.is_district_reviewer or user.is_regional_officer)


def batch_may_view(user, batch: RecognitionBatch) -> bool:
    return batches_visible(user).filter(pk=batch.pk).exists()


# --- the decisions ---------------------------------------------------------------------------

def _finish(entries: QuerySet[CreditEntry], status: str, user) -> int:
    return entries.update(recognition=status, recognised_by=user, recognised_at=timezone.now())


def recognition_decide(*, activation, user: User, decision: str, comment: str = "", refused=()) -> None:
    """A level's decision on a batch: confirm (refused: the ids of lines it refuses, the
    rest go on up or are confirmed at the last level), return to the previous level,
    or refuse the whole batch. Under the flow's lock (the review kit's task_decide)."""
    process: RecognitionProcess = activation.process
    level = LEVEL_OF_NODE[activation.flow_task.name]
    refused = {int(pk) for pk in refused}

    def effect(comment):
        batch = RecognitionBatch.objects.select_for_update(of=("self",)).select_related("district__city").get(
            pk=process.batch_id)
        if batch.level != level:
            raise ValidationError(ERROR_NOT_YOUR_LEVEL)
        if not may_decide(user, batch, level):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(ERROR_NOT_YOUR_LEVEL)
        pending = CreditEntry.objects.filter(recognition_batch=batch, recognition=Recognition.PROVISIONAL)
        if decision == Decision.APPROVE:
            if refused:
                if not comment:
                    from workflow.services import ERROR_COMMENT_REQUIRED

                    raise ValidationError({"comment": ERROR_COMMENT_REQUIRED})
                if refused - set(pending.values_list("pk", flat=True)):
                    raise ValidationError({"refused": ERROR_NOT_IN_BATCH})
                names = "、".join(pending.filter(pk__in=refused).order_by("teacher__name", "pk")
                                 .values_list("teacher__name", flat=True))
                _finish(pending.filter(pk__in=refused), Recognition.REFUSED, user)
                comment = _note(comment, _("Refused: %(names)s"), names=names)
            if not pending.exists():
                batch.status = RecognitionBatch.Status.REFUSED
            elif batch.stage + 1 >= len(batch.route):
                _finish(pending, Recognition.CONFIRMED, user)
                batch.status = RecognitionBatch.Status.CONFIRMED
            else:
                batch.stage += 1
        elif decision == Decision.RETURN:
            if batch.stage == 0:
                raise ValidationError({"decision": ERROR_FIRST_LEVEL_RETURN})
            batch.stage -= 1
        elif decision == Decision.REJECT:
            _finish(pending, Recognition.REFUSED, user)
            batch.status = RecognitionBatch.Status.REFUSED
        else:
            raise ValidationError({"decision": ERROR_DECISION})
        batch.save(update_fields=["stage", "status"])
        process.batch = batch
        return comment

    task_decide(activation=activation, user=user, decision=decision, comment=comment, effect=effect)


def recognition_approve(*, activation, user: User, comment: str = "", **options) -> None:
    """Batch approval from the inbox: confirm every line."""
    recognition_decide(activation=activation, user=user, decision=Decision.APPROVE, comment=comment)


def _note(comment, note, **params):
    from workflow.services import _append_note

    return _append_note(comment, note, **params)


# --- pages -----------------------------------------------------------------------------------

def batch_page_context(batch: RecognitionBatch) -> dict:
    return {
        "batch": batch,
        "batch_entries": CreditEntry.objects.filter(recognition_batch=batch).select_related(
            "teacher__organisation", "recognised_by").order_by("teacher__name", "pk"),
        "trail": RecognitionDecision.objects.filter(batch=batch).select_related("actor"),
        "batch_url": reverse("credits:recognition_detail", args=[batch.pk]),
    }


def batch_open_task_for(user, batch: RecognitionBatch):
    """The task of this batch the user may act on now, if any: (task, url name)."""
    tasks = Task.objects.filter(flow_task_type="HUMAN", process__recognitionprocess__batch=batch,
                                status__in=[STATUS.NEW, STATUS.ASSIGNED]).order_by("-pk")
    for task in tasks:
        if task.owner_id == user.pk:
            return task, "execute"
        if task.status == STATUS.NEW and task.flow_task.can_assign(user, task):
            return task, "assign"
    return None, None


def recognition_tasks_visible(user) -> QuerySet[Task]:
    return Task.objects.filter(process__recognitionprocess__batch__in=batches_visible(user))


def recognition_processes_visible(user) -> QuerySet[RecognitionProcess]:
    return RecognitionProcess.objects.filter(batch__in=batches_visible(user))


@transaction.atomic
def recognition_decide_as(*, task, user, decision: str, comment: str = "", refused=()) -> None:
    """Decide a batch's step outside a request (scripts, the demo, tests): claim if needed."""
    from workflow.services import task_perform

    task_perform(task=task, user=user, decide=recognition_decide, decision=decision, comment=comment,
                 refused=refused)
