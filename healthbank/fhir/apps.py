from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FhirConfig(AppConfig):
    """The FHIR R4 read API for connected health apps (issue 14): a person's data as Taiwan Core resources."""

    name = "healthbank.fhir"
    label = "fhir"
    verbose_name = _("FHIR API for health apps")
