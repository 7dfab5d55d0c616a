"""Who read whose data, and operator actions (SPEC §11).

Entries store codes (what was read, which record type, which ID document was
checked), never free text, so the person's page can say them in the person's
language; the operator's own identity stays in the NHI's columns.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from healthbank.core import display
from healthbank.core.categories import DataCategory
from healthbank.core.ids import new_public_id


class IdDocument(models.TextChoices):
    """身分證明文件 — which document an operator checked at the counter (its type only, never its number)."""

    NATIONAL_ID_CARD = "national_id_card", _("National ID card")
    NHI_CARD = "nhi_card", _("NHI card with photo")
    PASSPORT = "passport", _("Passport")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    DRIVING_LICENCE = "driving_licence", _("Driving licence")


class AccessLog(models.Model):
    """One read of a person's data by someone other than the person, or an operator action."""

    class ActorKind(models.TextChoices):
        PERSON = "person", _("The person")
        DELEGATE = "delegate", _("Delegate")
        PARENT = "parent", _("Parent")
        INSTITUTION = "institution", _("Healthcare institution")
        OPERATOR = "operator", _("NHI staff")
        APP = "app", _("App")
        INSURED = "insured", _("The insured person of the household")

    class What(models.TextChoices):
        PERSON_DETAILS = "person_details", _("Personal and insurance details")
        REGISTRATION_DETAILS = "registration_details", _("Online-services registration")
        RECORD = "record", _("One record")
        RECORD_LIST = "record_list", _("List of records")
        COUNTER_VIEW = "counter_view", _("Passbook shown at the counter")
        COUNTER_REGISTRATION = "counter_registration", _("Registered for online services at the counter")
        REGISTRATION_SUSPENDED = "registration_suspended", _("Online-services registration suspended")
        REGISTRATION_REINSTATED = "registration_reinstated", _("Online-services registration reinstated")
        PASSBOOK = "passbook", _("My Health Bank")
        REFUSED = "refused", _("Refused: no right to read")
        DOWNLOAD_PRODUCED = "download_produced", _("Download package produced")
        DOWNLOAD_TAKEN = "download_taken", _("Download package downloaded")
        DOWNLOAD_IMPORTED = "download_imported", _("My Health Bank download imported")
        VCARD_READ = "vcard_read", _("Virtual NHI card read for a visit")
        VCARD_PHOTOS = "vcard_photos", _("Virtual NHI card application photos viewed")
        NHI_SERVICES = "nhi_services", _("Personal NHI data services")
        FHIR_API = "fhir_api", _("Read by a connected app (FHIR API)")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person_id = models.UUIDField(_("person"), help_text=_("whose data"))
    actor_kind = models.CharField(_("reader"), max_length=12, choices=ActorKind.choices)
    actor_label = models.CharField(
        _("reader's name"), max_length=100, help_text=_("staff user name or code, never a full ID")
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("operator"), null=True, blank=True, on_delete=models.SET_NULL
    )
    what = models.CharField(_("what"), max_length=100, choices=What.choices)
    detail = models.CharField(
        _("detail"),
        max_length=40,
        blank=True,
        help_text=_("record type (app.model) or ID document code; a code, never free text"),
    )
    category = models.CharField(
        _("data category"), max_length=24, blank=True, choices=DataCategory.choices, help_text=_("a code")
    )
    address = models.CharField(_("from address"), max_length=45, blank=True, help_text=_("the reader's IP address"))
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [models.Index(fields=["person_id", "-at"])]
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{display.format_datetime(self.at)} {self.actor_label}: {self.description}"

    @property
    def description(self) -> str:
        """What was read or done, in the active language."""
        what = self.get_what_display()
        if self.what in (self.What.RECORD, self.What.RECORD_LIST):
            return _("%(what)s: %(records)s") % {"what": what, "records": record_type_name(self.detail)}
        if self.what in (self.What.PASSBOOK, self.What.REFUSED) and self.category:
            return _("%(what)s: %(category)s") % {"what": what, "category": self.get_category_display()}
        if self.what in (self.What.COUNTER_VIEW, self.What.COUNTER_REGISTRATION) and self.detail:
            return _("%(what)s (ID document checked: %(document)s)") % {
                "what": what,
                "document": id_document_name(self.detail),
            }
        return str(what)


def record_type_name(label: str) -> str:
    """``records.visit`` → the record type's translated plural name (looked up, so audit imports no domain app)."""
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural)
    except (LookupError, ValueError):
        return str(_("records"))


def id_document_name(code: str) -> str:
    try:
        return str(IdDocument(code).label)
    except ValueError:
        return str(_("an ID document"))
