from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("Review workflow")

    def ready(self):
        from plans.signals import document_page

        from .document_views import document_page_parts

        document_page.connect(document_page_parts, dispatch_uid="workflow.document_page")
