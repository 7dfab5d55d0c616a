"""健保卡補發及更換照片 — requests for a new NHI card (lost, damaged, a new photo ...), decided by an operator."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from healthbank.core.ids import new_public_id
from healthbank.identity.models import NhiCard, Person


class CardReplacementRequest(models.Model):
    """健保卡補發申請 — a request for a new card for the person or a dependent; an operator approves or rejects it.

    At most one request per card holder waits at a time (a constraint, so a double submit stores one). On
    approval ``new_card`` is the card issued; from then only it is accepted for login and card proofs.
    """

    class Reason(models.TextChoices):
        LOST = "lost", _("Lost (reported lost at once)")
        DAMAGED = "damaged", _("Damaged")
        DEFECTIVE = "defective", _("Chip or card faulty through no fault of mine")
        PHOTO = "photo", _("New photo")
        MISPRINTED = "misprinted", _("My details are printed wrongly")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for review")
        APPROVED = "approved", _("Approved: new card issued")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person,
        verbose_name=_("card holder"),
        on_delete=models.PROTECT,
        related_name="card_replacements",
        db_index=False,
    )
    applicant = models.ForeignKey(
        Person,
        verbose_name=_("applied by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the card holder, or the insured person applying for a dependent"),
    )
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    photo = models.CharField(
        _("photo"), max_length=80, blank=True, help_text=_("stored file name; under 14 it may be empty")
    )
    fee = models.PositiveIntegerField(_("fee"), help_text=_("NT$; 0 when exempt"))
    postal_code = models.CharField(_("postal code"), max_length=5)
    county = models.CharField(_("county or city"), max_length=10)
    township = models.CharField(_("township or district"), max_length=10)
    village = models.CharField(_("village"), max_length=10, blank=True)
    street = models.CharField(_("street address"), max_length=60)
    old_card = models.ForeignKey(
        NhiCard, verbose_name=_("old card"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_card = models.ForeignKey(
        NhiCard, verbose_name=_("new card"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("where the decision is sent"))
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    submitted_at = models.DateTimeField(_("submitted"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT
    )
    rejection_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("NHI card replacement request")
        verbose_name_plural = _("NHI card replacement requests")
        permissions = [("decide_cardreplacementrequest", "Decide NHI card replacement requests")]
        indexes = [
            models.Index(fields=["person", "-submitted_at"], name="card_repl_person"),
            models.Index(fields=["status", "submitted_at"], name="card_repl_queue"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["person", "new_card"], name="card_repl_new_card_once"),
            # One waiting request per card holder: a double submit, or two people of a household at once, store one.
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status="submitted"), name="card_repl_one_waiting"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.person}"

    @property
    def on_behalf(self) -> bool:
        return self.applicant_id != self.person_id

    @property
    def address(self) -> str:
        """The delivery address as a Taiwanese envelope has it: postal code, county, township, village, street."""
        return f"{self.postal_code} {self.county}{self.township}{self.village}{self.street}"
