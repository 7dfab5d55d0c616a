"""Issued certificates (SPEC §10): 中英文投保證明 and 保險費繳納證明, each checkable by its code at /verify/<code>."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from healthbank.core.ids import new_public_id
from healthbank.identity.models import Person


class IssuedDocument(models.Model):
    """核發證明 — one certificate as issued: whose, what kind, in which language, and exactly what it says.

    ``snapshot`` is the certificate's content at issue (the PDF is drawn from it, now and on every download,
    and the public check page shows it), so a later change of the records never changes an issued certificate.
    The same certificate issued again on the same day (same person, kind, language and content) is this row
    again, with its code: ``fingerprint`` + ``issued_on`` are unique, so two identical requests at once store one.
    The code is kept as issued: it only opens what the certificate already shows to whoever holds it.
    """

    class Kind(models.TextChoices):
        INSURANCE = "insurance", _("Certificate of insurance")
        PREMIUMS_PAID = "premiums_paid", _("Premium payment certificate")

    class Language(models.TextChoices):
        CHINESE = "zh-hant", _("Chinese")
        ENGLISH = "en", _("English")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("whom it is about"),
        db_index=False,
    )
    requested_by = models.ForeignKey(Person, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    code = models.CharField(_("verification code"), max_length=16, editable=False)
    fingerprint = models.CharField(max_length=64, editable=False)
    snapshot = models.JSONField(_("what the certificate says"), editable=False)
    issued_at = models.DateTimeField(_("issued at"))
    issued_on = models.DateField(_("issued on"))
    verifiable_until = models.DateTimeField(_("checkable until"))
    times_checked = models.PositiveIntegerField(_("times checked"), default=0)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("issued certificate")
        verbose_name_plural = _("issued certificates")
        indexes = [
            models.Index(fields=["person", "-issued_at"]),
            models.Index(fields=["code"], name="issued_document_code"),  # /verify/<code> names no person
        ]
        constraints = [
            models.UniqueConstraint(fields=["person", "fingerprint", "issued_on"], name="issued_document_once_a_day"),
            models.UniqueConstraint(fields=["person", "code"], name="issued_document_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.issued_on}"
