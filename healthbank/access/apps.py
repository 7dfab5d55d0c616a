from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "healthbank.access"
    label = "access"
    verbose_name = _("Access to a person's data")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (a child's parent gets their grant when the child is enrolled)
