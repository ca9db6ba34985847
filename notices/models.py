from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """One in-app notice (the bell in the header); an email goes out with it."""

    class Kind(models.TextChoices):
        TASK_CREATED = "task_created", _("New task")
        DUE_SOON = "due_soon", _("Due soon")
        OVERDUE = "overdue", _("Overdue")
        URGE = "urge", _("Reminder from the author")
        RETURNED = "returned", _("Returned for revision")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUBMISSION_REMINDER = "submission_due", _("Submission reminder")
        NOMINATION = "nomination", _("Nomination")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices",
                             verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # What the notice is about (e.g. "task-created:42"): one notice per user
    # and key, so hooks and the reminder command may run again safely.
    dedup_key = models.CharField(max_length=100, null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "dedup_key"], name="one_notice_per_user_and_key"),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_user_unread")]

    def __str__(self):
        return self.title
