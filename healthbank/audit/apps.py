from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "healthbank.audit"
    label = "audit"
    verbose_name = _("Access log")

    def ready(self) -> None:
        from .operator_pages import show_dates_in_the_readers_calendar

        show_dates_in_the_readers_calendar()
