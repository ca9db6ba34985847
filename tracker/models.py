from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from core import limits
from core.limits import check_between
from plans.models import Document


class TrackedKind(models.TextChoices):
    """What the tracker follows: documents every school of the district is expected to send."""

    SCHOOL_PLAN = Document.Kind.SCHOOL_PLAN.value, Document.Kind.SCHOOL_PLAN.label
    PROJECT_PROPOSAL = Document.Kind.PROJECT_PROPOSAL.value, Document.Kind.PROJECT_PROPOSAL.label


class SubmissionReminder(models.Model):
    """One 催交: the bureau reminded a school to submit a document of a year."""

    school = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("school"))
    kind = models.CharField(_("document kind"), max_length=20, choices=TrackedKind.choices)
    year = models.PositiveSmallIntegerField(_("year"), validators=limits.year_range())
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("sent by"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+",
                                        verbose_name=_("recipients"))

    class Meta:
        verbose_name = _("submission reminder")
        verbose_name_plural = _("submission reminders")
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["school", "kind", "sent_at"], name="reminder_school_kind_sent")]
        constraints = [
            check_between("year", limits.MIN_YEAR, limits.MAX_YEAR, name="reminder_year_range"),
        ]

    def __str__(self):
        return f"{self.school} {self.get_kind_display()} {self.year}"
