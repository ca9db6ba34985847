from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditsConfig(AppConfig):
    name = "credits"
    verbose_name = _("Hours and credits")

    def ready(self):
        from . import receivers, scopes

        receivers.connect()
        scopes.register_all()
