"""What the audit trail records. Each receiver handles one kind of change and
writes one event; they are connected in AuditConfig.ready().

Two changes happen without model signals and are picked up where they end:
- ScheduleChange rows are bulk-created when a change request is filed
  (schedule.services.change_request_apply); they are recorded with the filing
  trail entry that follows them. Rows saved one by one are recorded on save.
- guardian's bulk_assign_perm/assign_perm_to_many use bulk_create and are not
  seen; the project grants one permission at a time.
"""
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext, gettext_lazy as _

from .models import Action, AuditEvent
from .services import audit_record, current_user, official_language

SYSTEM = _("System")
USERNAME_MAX = 150


def connect():
    from django.contrib.auth.signals import user_logged_in, user_login_failed
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from attendance.models import AssessmentResult, Attendance, Enrolment, LeaveRequest, MakeUp
    from bulletins.models import Issued
    from credits.models import RuleSet
    from plans.models import DocumentGroupObjectPermission, DocumentUserObjectPermission
    from schedule.models import ScheduleChange, SpotCheck
    from workflow.models import TrailEntry

    post_save.connect(trail_entry_saved, sender=TrailEntry, dispatch_uid="audit.trail_entry")
    for model in (UserObjectPermission, GroupObjectPermission,
                  DocumentUserObjectPermission, DocumentGroupObjectPermission):
        label = model._meta.label_lower
        post_save.connect(permission_saved, sender=model, dispatch_uid=f"audit.grant.{label}")
        post_delete.connect(permission_deleted, sender=model, dispatch_uid=f"audit.revoke.{label}")
    post_save.connect(schedule_change_saved, sender=ScheduleChange, dispatch_uid="audit.schedule_change")
    post_save.connect(enrolment_saved, sender=Enrolment, dispatch_uid="audit.enrolment")
    post_save.connect(leave_request_saved, sender=LeaveRequest, dispatch_uid="audit.leave_request")
    post_save.connect(attendance_saved, sender=Attendance, dispatch_uid="audit.attendance")
    post_save.connect(make_up_saved, sender=MakeUp, dispatch_uid="audit.make_up")
    post_save.connect(assessment_saved, sender=AssessmentResult, dispatch_uid="audit.assessment")
    post_save.connect(rule_set_saved, sender=RuleSet, dispatch_uid="audit.rule_set")
    post_save.connect(spot_check_saved, sender=SpotCheck, dispatch_uid="audit.spot_check")
    post_save.connect(issued_saved, sender=Issued, dispatch_uid="audit.bulletins_issued")
    user_logged_in.connect(logged_in, dispatch_uid="audit.logged_in")
    user_login_failed.connect(login_failed, dispatch_uid="audit.login_failed")
    connect_people()


def connect_people():
    from accounts.signals import people_changed

    people_changed.connect(people_event, dispatch_uid="audit.people")


# --- helpers ---------------------------------------------------------------------

def _name(user) -> str:
    return user.display_name if user is not None else str(SYSTEM)


def _related(instance, field):
    """A foreign-key target, or None if it is already gone (cascading deletes)."""
    try:
        return getattr(instance, field)
    except ObjectDoesNotExist:
        return None


def district_id_of(obj):
    """The district an object belongs to: its own, or its organisation's."""
    from accounts.models import District

    if obj is None:
        return None
    if isinstance(obj, District):
        return obj.pk
    if getattr(obj, "district_id", None) is not None:  # Organisation, ScheduledProject, User, …
        return obj.district_id
    if getattr(obj, "organisation_id", None) is not None:  # Document, Session, Teacher, …
        organisation = _related(obj, "organisation")
        return organisation.district_id if organisation else None
    return None


# --- documents -------------------------------------------------------------------

@official_language
def trail_entry_saved(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    document = instance.document
    audit_record(
        action=Action.DOCUMENT_PREFIX + instance.decision, actor=instance.actor, obj=document,
        district_id=district_id_of(document), created_at=instance.created_at,
        summary=_("%(actor)s: %(decision)s (%(step)s), “%(title)s”, version %(version)s") % {
            "actor": _name(instance.actor), "decision": instance.get_decision_display(),
            "step": instance.get_step_display(), "title": document.title, "version": instance.version,
        },
    )
    _record_bulk_schedule_changes(instance, document)


def _record_bulk_schedule_changes(entry, document):
    """Filing a change request bulk-creates its ScheduleChange rows just before
    this trail entry: record those no save signal has recorded."""
    from plans.models import Document
    from schedule.models import ScheduleChange, SpotCheck
    from workflow.models import Decision, Step

    if (document.kind, entry.step, entry.decision) != (Document.Kind.CHANGE_REQUEST, Step.FILING, Decision.APPROVE):
        return
    changes = list(ScheduleChange.objects.filter(change_request=document).select_related("project"))
    recorded = set(AuditEvent.objects.filter(
        object_type=ScheduleChange._meta.label_lower, object_id__in=[str(c.pk) for c in changes],
    ).values_list("object_id", flat=True)) if changes else set()
    for change in changes:
        if str(change.pk) not in recorded:
            _record_schedule_change(change, actor=entry.actor, document=document)


# --- permissions -----------------------------------------------------------------

def permission_saved(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    _record_permission(instance, granted=True)


def permission_deleted(sender, instance, **kwargs):
    _record_permission(instance, granted=False)


# Django's own permission names are stored in English ("Can view document").
DEFAULT_PERMISSION_LABELS = {
    "add": _("Add %(model)s"), "change": _("Change %(model)s"),
    "delete": _("Delete %(model)s"), "view": _("View %(model)s"),
}


def _permission_label(permission) -> str:
    from django.contrib.contenttypes.models import ContentType

    if permission is None:
        return "?"
    action, _sep, model_name = permission.codename.partition("_")
    model = ContentType.objects.get_for_id(permission.content_type_id).model_class()
    if action in DEFAULT_PERMISSION_LABELS and model is not None and model._meta.model_name == model_name:
        return DEFAULT_PERMISSION_LABELS[action] % {"model": model._meta.verbose_name}
    return gettext(permission.name)  # the project's own permissions are in the catalog


@official_language
def _record_permission(instance, *, granted: bool):
    from django.contrib.contenttypes.models import ContentType

    grantee = _related(instance, "user") if hasattr(instance, "user_id") else _related(instance, "group")
    grantee_name = getattr(grantee, "display_name", None) or (str(grantee) if grantee is not None else "?")
    target = _related(instance, "content_object")
    permission = _related(instance, "permission")
    if hasattr(instance, "object_pk"):  # guardian's generic tables
        content_type, object_id = ContentType.objects.get_for_id(instance.content_type_id), instance.object_pk
    else:  # direct-FK tables such as plans.DocumentUserObjectPermission
        content_type = ContentType.objects.get_for_model(type(instance)._meta.get_field("content_object").related_model)
        object_id = instance.content_object_id
    object_type = f"{content_type.app_label}.{content_type.model}"
    params = {
        "actor": _name(current_user()), "grantee": grantee_name, "permission": _permission_label(permission),
        "object": str(target) if target is not None else f"{object_type} #{object_id}",
    }
    if granted:
        summary = _("%(actor)s granted %(grantee)s the permission “%(permission)s” on “%(object)s”") % params
    else:
        summary = _("%(actor)s revoked the permission “%(permission)s” on “%(object)s” from %(grantee)s") % params
    audit_record(
        action=Action.PERMISSION_GRANT if granted else Action.PERMISSION_REVOKE, summary=summary,
        object_type=object_type, object_id=object_id,
        district_id=district_id_of(target) or district_id_of(grantee),
    )


# --- schedule and attendance -----------------------------------------------------

def schedule_change_saved(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    _record_schedule_change(instance)


@official_language
def _record_schedule_change(change, *, actor=None, document=None):
    project = change.project
    document = document or change.change_request
    try:
        field = project._meta.get_field(change.field).verbose_name
    except FieldDoesNotExist:  # a field since renamed: show its stored name
        field = change.field
    audit_record(
        action=Action.SCHEDULE_CHANGE, obj=change, district_id=project.district_id,
        actor=actor or current_user(), created_at=change.applied_at,
        summary=_("Project “%(project)s”: %(field)s changed from “%(old)s” to “%(new)s” "
                  "by the change request “%(request)s”") % {
            "project": project.name, "field": field, "old": change.old_value, "new": change.new_value,
            "request": document.title,
        },
    )


@official_language
def enrolment_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and "status" not in update_fields):
        return
    project = instance.project
    actor = current_user() or _related(instance, "decided_by") or _related(instance, "created_by")
    audit_record(
        action=Action.ENROLMENT_STATUS, obj=instance, district_id=project.district_id, actor=actor,
        summary=_("%(actor)s: enrolment of %(teacher)s in “%(project)s” is now “%(status)s”") % {
            "actor": _name(actor), "teacher": instance.teacher.name, "project": project.name,
            "status": instance.get_status_display(),
        },
    )


@official_language
def leave_request_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    from attendance.models import LeaveRequest

    if raw or instance.status == LeaveRequest.Status.PENDING or (
            update_fields is not None and "status" not in update_fields):
        return
    session = instance.session
    actor = _related(instance, "decided_by") or current_user()
    audit_record(
        action=Action.LEAVE_DECISION, obj=instance, district_id=district_id_of(session), actor=actor,
        summary=_("%(actor)s: leave request of %(teacher)s for “%(session)s”: %(status)s") % {
            "actor": _name(actor), "teacher": instance.teacher.name, "session": session,
            "status": instance.get_status_display(),
        },
    )


@official_language
def attendance_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    session = instance.session
    actor = _related(instance, "marked_by")
    audit_record(
        action=Action.ATTENDANCE_MARK, obj=instance, district_id=district_id_of(session), actor=actor,
        summary=_("%(actor)s marked %(teacher)s “%(status)s” at “%(session)s” (%(source)s)") % {
            "actor": _name(actor), "teacher": instance.teacher.name, "session": session,
            "status": instance.get_status_display(), "source": instance.get_source_display(),
        },
    )


@official_language
def make_up_saved(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    session = instance.session
    actor = _related(instance, "accepted_by")
    audit_record(
        action=Action.MAKE_UP_ACCEPT, obj=instance, district_id=district_id_of(session), actor=actor,
        created_at=instance.accepted_at,
        summary=_("%(actor)s accepted the make-up of %(teacher)s for “%(session)s” (%(kind)s): %(note)s") % {
            "actor": _name(actor), "teacher": instance.teacher.name, "session": session,
            "kind": instance.get_kind_display(), "note": instance.note,
        },
    )


@official_language
def assessment_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    enrolment = instance.enrolment
    project = enrolment.project
    actor = _related(instance, "recorded_by")
    audit_record(
        action=Action.ASSESSMENT_RESULT, obj=instance, district_id=project.district_id, actor=actor,
        created_at=instance.recorded_at,
        summary=_("%(actor)s recorded the assessment result of %(teacher)s in “%(project)s”: %(result)s") % {
            "actor": _name(actor), "teacher": enrolment.teacher.name, "project": project.name,
            "result": instance.get_result_display(),
        },
    )


@official_language
def rule_set_saved(sender, instance, created, raw=False, **kwargs):
    """A new version of credit rules (a district's own, or a shared one the superuser adds)."""
    if raw or not created:
        return
    actor = current_user()
    audit_record(
        action=Action.CREDIT_RULES_VERSION, obj=instance, district_id=instance.district_id, actor=actor,
        summary=_("%(actor)s saved the credit rules “%(name)s” (%(family)s), in force from %(valid_from)s") % {
            "actor": _name(actor), "name": instance.name, "family": instance.family,
            "valid_from": instance.valid_from.isoformat(),
        },
    )


@official_language
def spot_check_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    """A draw (created) and its cancellation (saved with cancelled_at)."""
    if raw:
        return
    if created:
        actor = _related(instance, "created_by")
        audit_record(
            action=Action.SPOT_CHECK_DRAW, obj=instance, district_id=instance.district_id, actor=actor,
            summary=_("%(actor)s drew the spot check of %(year)s: %(share)s%% of %(population)s projects, "
                      "random seed %(seed)s") % {
                "actor": _name(actor), "year": instance.year, "share": instance.share_percent,
                "population": instance.population, "seed": instance.seed,
            },
        )
    elif instance.cancelled_at is not None and (update_fields is None or "cancelled_at" in update_fields) and \
            not AuditEvent.objects.filter(action=Action.SPOT_CHECK_CANCEL, object_type=sender._meta.label_lower,
                                          object_id=str(instance.pk)).exists():  # once, not at every later save
        actor = _related(instance, "cancelled_by") or current_user()
        audit_record(
            action=Action.SPOT_CHECK_CANCEL, obj=instance, district_id=instance.district_id, actor=actor,
            created_at=instance.cancelled_at,
            summary=_("%(actor)s cancelled the spot check of %(year)s (random seed %(seed)s): %(reason)s") % {
                "actor": _name(actor), "year": instance.year, "seed": instance.seed,
                "reason": instance.cancel_reason,
            },
        )


@official_language
def issued_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    """A bulletin or commendation list issued (created) and its withdrawal (saved with withdrawn_at).
    A city's list has no district: the event is the city's, seen in the trail of no district."""
    if raw:
        return
    if created:
        actor = _related(instance, "issued_by")
        audit_record(action=Action.BULLETIN_ISSUE, obj=instance, district_id=instance.district_id, actor=actor,
                     created_at=instance.issued_at,
                     summary=_("%(actor)s issued %(number)s %(title)s") % {
                         "actor": _name(actor), "number": instance.number, "title": instance.title})
    elif instance.withdrawn_at is not None and (update_fields is None or "withdrawn_at" in update_fields) and \
            not AuditEvent.objects.filter(action=Action.BULLETIN_WITHDRAW, object_type=sender._meta.label_lower,
                                          object_id=str(instance.pk)).exists():
        actor = _related(instance, "withdrawn_by") or current_user()
        audit_record(action=Action.BULLETIN_WITHDRAW, obj=instance, district_id=instance.district_id, actor=actor,
                     created_at=instance.withdrawn_at,
                     summary=_("%(actor)s withdrew %(number)s %(title)s: %(reason)s") % {
                         "actor": _name(actor), "number": instance.number, "title": instance.title,
                         "reason": instance.withdraw_reason})


# --- sign-in ---------------------------------------------------------------------

@official_language
def logged_in(sender, request, user, **kwargs):
    audit_record(action=Action.LOGIN, actor=user, obj=user, district_id=district_id_of(user), request=request,
                 summary=_("%(user)s logged in") % {"user": _name(user)})


@official_language
def login_failed(sender, credentials, request=None, **kwargs):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    username = str(credentials.get(User.USERNAME_FIELD, ""))[:USERNAME_MAX]
    target = User.objects.filter(**{User.USERNAME_FIELD: username}).select_related("organisation").first() \
        if username else None
    audit_record(action=Action.LOGIN_FAILED, actor=None, obj=target, district_id=district_id_of(target),
                 request=request,
                 summary=_("Failed login for the user name “%(username)s”") % {"username": username})


# --- people and accounts (accounts.signals.people_changed) --------------------------

def _people_summaries():
    from accounts.signals import PeopleAction as P

    return {
        P.ORGANISATION_CREATED: _("%(actor)s added the organisation “%(object)s”"),
        P.ORGANISATION_CHANGED: _("%(actor)s changed the organisation “%(object)s”: %(fields)s"),
        P.ACCOUNT_CREATED: _("%(actor)s created the account %(username)s of %(object)s (%(role)s, %(organisation)s)"),
        P.ACCOUNT_CHANGED: _("%(actor)s changed the account %(username)s of %(object)s: %(fields)s"),
        P.ACCOUNT_DEACTIVATED: _("%(actor)s deactivated the account %(username)s of %(object)s"),
        P.ACCOUNT_ACTIVATED: _("%(actor)s reactivated the account %(username)s of %(object)s"),
        P.PASSWORD_CHANGED: _("%(actor)s changed their password"),
        P.PASSWORD_RESET: _("%(actor)s reset the password of %(object)s (%(username)s); "
                            "it must be changed at the next login"),
        P.PASSWORD_RESET_EMAIL: _("A password reset link was emailed for the account %(username)s of %(object)s"),
        P.PASSWORD_RESET_DONE: _("%(object)s set a new password through the emailed link"),
        P.TEACHER_CREATED: _("%(actor)s added the teacher %(object)s to the roster of %(organisation)s"),
        P.TEACHER_CHANGED: _("%(actor)s changed the teacher %(object)s (%(organisation)s): %(fields)s"),
        P.TEACHER_LEFT: _("%(actor)s: the teacher %(object)s (%(organisation)s) left the post on %(left_on)s "
                          "%(reason)s"),
        P.TEACHER_REINSTATED: _("%(actor)s: the teacher %(object)s (%(organisation)s) is back in post"),
        P.TEACHER_TRANSFERRED: _("%(actor)s transferred the teacher %(object)s from %(from_school)s "
                                 "to %(to_school)s"),
    }


def _field_labels(obj, names) -> str:
    labels = []
    for name in names or []:
        try:
            labels.append(str(obj._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            labels.append(name)
    return "、".join(labels)


@official_language
def people_event(sender, action, obj, actor=None, details=None, **kwargs):
    details = dict(details or {})
    template = _people_summaries().get(action)
    if template is None:
        return
    organisation = obj if hasattr(obj, "kind") else _related(obj, "organisation")
    params = {
        "actor": _name(actor), "object": getattr(obj, "display_name", None) or str(obj),
        "username": getattr(obj, "username", ""),
        "role": obj.get_role_display() if hasattr(obj, "get_role_display") else "",
        "organisation": str(organisation) if organisation is not None else "—",
        "fields": _field_labels(obj, details.get("fields")),
        "left_on": details.get("left_on", ""),
        "reason": f"（{details['reason']}）" if details.get("reason") else "",
        "from_school": details.get("from_school", ""), "to_school": details.get("to_school", ""),
    }
    audit_record(action=Action.PEOPLE_PREFIX + action, actor=actor, obj=obj, district_id=district_id_of(obj),
                 summary=template % params)
