"""Data exchange with the provincial platform: one import of its records (a batch), from the
preview to its confirmation, and what each imported row became in the ledger."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    """One uploaded file of the provincial platform's records for a district.

    Created at the preview (the rows as classified then, the ledger's fingerprint); the
    confirmation applies it once, all or nothing, or refuses it when the ledger changed since."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Previewed")
        APPLIED = "applied", _("Applied")

    district = models.ForeignKey("accounts.District", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file"), max_length=200)
    checksum = models.CharField(_("SHA-256 of the file"), max_length=64)
    rows = models.JSONField(default=list)   # the preview's rows (exchange.services.PreviewRow as dicts)
    decisions = models.JSONField(default=dict, blank=True)  # row number → "ours"/"theirs", as applied
    fingerprint = models.CharField(max_length=64)  # the matched teachers' ledger at the preview
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PREVIEW)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    class Meta:
        verbose_name = _("provincial import")
        verbose_name_plural = _("provincial imports")
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="preview", applied_by__isnull=True, applied_at__isnull=True)
                | models.Q(status="applied", applied_by__isnull=False, applied_at__isnull=False),
                name="import_applied_by_whom_and_when"),
        ]

    def __str__(self):
        return self.filename


class ImportedRecord(models.Model):
    """A ledger entry the provincial platform's record created (new) or corrected (theirs taken):
    the record's own dates and certificate number, which the ledger has no column for."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="records")
    entry = models.OneToOneField("credits.CreditEntry", on_delete=models.PROTECT, related_name="provincial_record")
    row = models.PositiveIntegerField(_("row"))
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    certificate_number = models.CharField(_("certificate number"), max_length=100, blank=True)
    replaced = models.BooleanField(_("replaced our figures"), default=False)
    # Ours before a conflict was decided for theirs.
    old_hours = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    old_credits = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="imported_end_not_before_start"),
        ]
