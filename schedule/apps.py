from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScheduleConfig(AppConfig):
    name = "schedule"
    verbose_name = _("Training schedule")

    def ready(self):
        from . import receivers, scopes

        receivers.connect()
        scopes.register_all()
