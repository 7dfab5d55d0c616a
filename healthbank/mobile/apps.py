from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MobileConfig(AppConfig):
    """The installable app at /app/ (issue 13): a client of the app API, served by HealthBank."""

    name = "healthbank.mobile"
    label = "mobile"
    verbose_name = _("The HealthBank app")
