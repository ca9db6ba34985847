from django.db import models
from django.utils.translation import gettext_lazy as _

from plans.models import Document


def rendering_path(instance, filename):
    return f"renderings/{instance.document_id}/{filename}"


class StoredRendering(models.Model):
    """The PDF of a filed document, rendered once when it was filed (printing.tasks) and
    served from storage from then on; ``sha256`` is checked every time it is read."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="stored_renderings",
                                 verbose_name=_("document"))
    version = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=rendering_path, max_length=200)
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    size = models.PositiveIntegerField(_("size"))
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored rendering")
        verbose_name_plural = _("stored renderings")
        constraints = [
            models.UniqueConstraint(fields=["document", "version"], name="unique_stored_rendering"),
        ]

    def __str__(self):
        return f"{self.document_id} v{self.version}"
