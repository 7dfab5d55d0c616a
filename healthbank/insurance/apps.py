from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    name = "healthbank.insurance"
    label = "insurance"
    verbose_name = _("NHI services")

    def ready(self):
        from healthbank.records.services import register_record_types

        from .ingestion import RECORD_TYPES

        register_record_types(*RECORD_TYPES)
