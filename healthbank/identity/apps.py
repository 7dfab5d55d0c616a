from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "healthbank.identity"
    label = "identity"
    verbose_name = _("People and insurance units")
