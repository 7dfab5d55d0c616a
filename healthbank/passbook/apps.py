from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassbookConfig(AppConfig):
    name = "healthbank.passbook"
    label = "passbook"
    verbose_name = _("My Health Bank")
