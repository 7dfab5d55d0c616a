"""The person's records (SPEC §10): mailing addresses over time (通訊地址) and letters sent by post (寄發通知)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from healthbank.core import display
from healthbank.core.ids import new_public_id
from healthbank.identity.models import Person


class MailingAddress(models.Model):
    """通訊地址 — where the NHI posts a person's letters, from ``valid_from`` until ``valid_until``.

    The current address is the open one (``valid_until`` empty); a change closes it and opens the new one in one
    transaction, so the history keeps the old and the new. At most one open address a person (a constraint).
    """

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="mailing_addresses", db_index=False
    )
    county = models.CharField(_("county or city"), max_length=10)
    township = models.CharField(_("township or district"), max_length=10)
    village = models.CharField(_("village"), max_length=10)
    postal_code = models.CharField(_("postal code"), max_length=6)
    street = models.CharField(_("street address"), max_length=100)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("mailing address")
        verbose_name_plural = _("mailing addresses")
        indexes = [models.Index(fields=["person", "-valid_from"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(valid_until__isnull=True), name="mailing_address_one_current"
            )
        ]

    def __str__(self) -> str:
        return self.one_line

    @property
    def one_line(self) -> str:
        """As Taiwan writes it on an envelope: postal code, county, township, village, street."""
        return f"{self.postal_code} {self.county}{self.township}{self.village}{self.street}"

    def same_place(self, county: str, township: str, village: str, street: str) -> bool:
        return (self.county, self.township, self.village, self.street) == (county, township, village, street)


class Letter(models.Model):
    """寄發通知函 — a letter the NHI posted to a person (arrears notice, card mailed, ...), with its text."""

    class Kind(models.TextChoices):
        PREMIUM_ARREARS = "premium_arrears", _("Unpaid premium notice")
        CARD_MAILED = "card_mailed", _("NHI card mailed")
        ADDRESS_CHANGED = "address_changed", _("Mailing address changed")
        ENROLMENT = "enrolment", _("Enrolment notice")
        PREVENTIVE_CARE = "preventive_care", _("Adult preventive care invitation")
        OTHER = "other", _("Other notice")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="letters", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    address = models.CharField(_("posted to"), max_length=140, blank=True)
    sent_on = models.DateField(_("sent on"))

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        indexes = [models.Index(fields=["person", "-sent_on"])]

    def __str__(self) -> str:
        return f"{display.format_date(self.sent_on)} {self.subject}"
