from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectConfig(AppConfig):
    name = "healthbank.connect"
    label = "connect"
    verbose_name = _("Agencies and health apps")
