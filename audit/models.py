from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action:
    """Short codes of audited actions. Document decisions are "document.<decision>"
    (workflow.models.Decision), so a new decision needs no change here."""

    DOCUMENT_PREFIX = "document."
    PERMISSION_GRANT = "permission.grant"
    PERMISSION_REVOKE = "permission.revoke"
    SCHEDULE_CHANGE = "schedule.change"
    ENROLMENT_STATUS = "enrolment.status"
    LEAVE_DECISION = "leave.decision"
    ATTENDANCE_MARK = "attendance.mark"
    MAKE_UP_ACCEPT = "attendance.make_up"
    ASSESSMENT_RESULT = "attendance.assessment"
    CREDIT_RULES_VERSION = "credits.rule_set"
    SPOT_CHECK_DRAW = "spot_check.draw"
    SPOT_CHECK_CANCEL = "spot_check.cancel"
    BULLETIN_ISSUE = "bulletins.issue"
    BULLETIN_WITHDRAW = "bulletins.withdraw"
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    # People and accounts: "people.<accounts.signals.PeopleAction>", e.g. people.teacher.transferred.
    PEOPLE_PREFIX = "people."


def action_choices():
    """[(group label, [(code, label), ...]), ...] for the filter form."""
    from workflow.models import Decision

    return [
        (_("Documents"), [(Action.DOCUMENT_PREFIX + value, label) for value, label in Decision.choices]),
        (_("Permissions"), [(Action.PERMISSION_GRANT, _("Permission granted")),
                            (Action.PERMISSION_REVOKE, _("Permission revoked"))]),
        (_("Schedule and attendance"), [(Action.SCHEDULE_CHANGE, _("Schedule changed")),
                                        (Action.ENROLMENT_STATUS, _("Enrolment status")),
                                        (Action.LEAVE_DECISION, _("Leave decided")),
                                        (Action.ATTENDANCE_MARK, _("Attendance marked")),
                                        (Action.MAKE_UP_ACCEPT, _("Make-up accepted")),
                                        (Action.ASSESSMENT_RESULT, _("Assessment result recorded")),
                                        (Action.SPOT_CHECK_DRAW, _("Spot check drawn")),
                                        (Action.SPOT_CHECK_CANCEL, _("Spot check cancelled"))]),
        (_("Bulletins and commendations"), [(Action.BULLETIN_ISSUE, _("Bulletin or commendation issued")),
                                            (Action.BULLETIN_WITHDRAW, _("Bulletin or commendation withdrawn"))]),
        (_("Credits"), [(Action.CREDIT_RULES_VERSION, _("Credit rules version saved"))]),
        (_("Sign-in"), [(Action.LOGIN, _("Logged in")), (Action.LOGIN_FAILED, _("Failed login"))]),
        (_("People and accounts"), people_action_choices()),
    ]


def people_action_choices():
    from accounts.signals import PeopleAction as P

    labels = {
        P.ORGANISATION_CREATED: _("Organisation added"), P.ORGANISATION_CHANGED: _("Organisation changed"),
        P.ACCOUNT_CREATED: _("Account created"), P.ACCOUNT_CHANGED: _("Account changed"),
        P.ACCOUNT_DEACTIVATED: _("Account deactivated"), P.ACCOUNT_ACTIVATED: _("Account reactivated"),
        P.PASSWORD_CHANGED: _("Password changed"), P.PASSWORD_RESET: _("Password reset by an officer"),
        P.PASSWORD_RESET_EMAIL: _("Password reset link emailed"),
        P.PASSWORD_RESET_DONE: _("Password set through the emailed link"),
        P.TEACHER_CREATED: _("Teacher added"), P.TEACHER_CHANGED: _("Teacher changed"),
        P.TEACHER_LEFT: _("Teacher left the post"), P.TEACHER_REINSTATED: _("Teacher back in post"),
        P.TEACHER_TRANSFERRED: _("Teacher transferred"),
    }
    return [(Action.PEOPLE_PREFIX + code, label) for code, label in labels.items()]


def action_labels() -> dict:
    return {code: label for _group, options in action_choices() for code, label in options}


class AuditEvent(models.Model):
    """One recorded state change or permission grant: who, what, when, from where.

    Written only by audit.services.audit_record (called from audit.receivers);
    never edited.
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    district = models.ForeignKey("accounts.District", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("district"))
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object ID"), max_length=64, blank=True)
    summary = models.TextField(_("summary"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["district", "-created_at"], name="audit_district_time"),
            models.Index(fields=["district", "action", "-created_at"], name="audit_district_action_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self):
        return self.summary

    @property
    def action_label(self):
        return action_labels().get(self.action, self.action)
