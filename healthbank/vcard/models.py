"""The virtual NHI card (虛擬健保卡, SPEC §9): applications, scans, institutions' requests and delegations.

What a card lends is always a ``access.Grant`` with ``lends_card``: a delegation
and an accepted institution request each make one, and so does every scan (the
institution may then read the insurance status and upload the visit). These
tables keep what the person and the institutions did; the grants decide.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from healthbank.core.ids import new_public_id
from healthbank.identity.models import Person


class CardApplication(models.Model):
    """虛擬健保卡申請 — a person's (or a household member's, on their behalf) application for the card."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Card stopped")

    class Document(models.TextChoices):
        NATIONAL_ID_CARD = "national_id_card", _("National ID card")
        RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
        PASSPORT = "passport", _("Passport")
        NHI_CARD = "nhi_card", _("NHI card (front)")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person,
        verbose_name=_("card holder"),
        on_delete=models.PROTECT,
        related_name="card_applications",
        db_index=False,
    )
    applicant = models.ForeignKey(
        Person,
        verbose_name=_("applied by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the card holder, or the household member who applied on their behalf"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    document = models.CharField(_("ID document"), max_length=20, choices=Document.choices)
    document_photo = models.CharField(_("ID document photo"), max_length=80, help_text=_("stored file name"))
    portrait = models.CharField(
        _("half-body photo"), max_length=80, blank=True, help_text=_("stored file name; under 14 it may be empty")
    )
    phone = models.CharField(_("phone"), max_length=10)
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    terms_accepted_at = models.DateTimeField(_("privacy terms accepted"))
    submitted_at = models.DateTimeField(_("submitted"))
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.PROTECT
    )
    rejection_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("virtual card application")
        verbose_name_plural = _("virtual card applications")
        permissions = [("review_cardapplication", "Review virtual NHI card applications")]
        indexes = [
            models.Index(fields=["person", "-submitted_at"], name="vcard_app_person"),
            models.Index(fields=["status", "submitted_at"], name="vcard_app_queue"),
        ]
        constraints = [
            # One application waiting and one card at a time: a double submit or a race stores one.
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status="submitted"), name="vcard_one_waiting_application"
            ),
            models.UniqueConstraint(fields=["person"], condition=models.Q(status="approved"), name="vcard_one_card"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.person}"

    @property
    def on_behalf(self) -> bool:
        return self.applicant_id != self.person_id

    @property
    def card_photo(self) -> str:
        """The photo on the card: the half-body photo, or (under 14 without one) the document's."""
        return self.portrait or self.document_photo


class Presenter(models.TextChoices):
    """Who made the QR that was scanned."""

    HOLDER_APP = "holder_app", _("The card holder, in the app")
    HOLDER_WEB = "holder_web", _("The card holder, on the web")
    GRANTEE = "grantee", _("Someone the card is lent to")


class CardScan(models.Model):
    """一次性 QR 碼的使用 — one card QR scanned by an institution: the durable record that it is used up.

    ``token_id`` is unique (per card holder, whom the code names): the second scan of a code fails here even
    when the cache forgot the code.
    """

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    token_id = models.CharField(_("code id"), max_length=32)
    person = models.ForeignKey(
        Person, verbose_name=_("card holder"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    institution = models.ForeignKey(
        "records.Institution", verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    presenter = models.CharField(_("shown by"), max_length=12, choices=Presenter.choices)
    presented_by = models.ForeignKey(
        Person,
        verbose_name=_("delegate or parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("empty: the card holder"),
    )
    lent_by = models.ForeignKey(
        "access.Grant",
        verbose_name=_("grant it was lent by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visit_grant = models.ForeignKey(
        "access.Grant", verbose_name=_("grant to the institution"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("code made"))
    scanned_at = models.DateTimeField(_("scanned"))

    class Meta:
        verbose_name = _("virtual card scan")
        verbose_name_plural = _("virtual card scans")
        indexes = [models.Index(fields=["person", "-scanned_at"], name="vcard_scan_person")]
        constraints = [models.UniqueConstraint(fields=["person", "token_id"], name="vcard_scan_once")]

    def __str__(self) -> str:
        return f"{self.token_id} {self.scanned_at:%Y-%m-%d %H:%M}"


class InstitutionRequest(models.Model):
    """院所發起的授權請求 — an institution asks to use the person's card (telemedicine, home care)."""

    class Purpose(models.TextChoices):
        TELEMEDICINE = "telemedicine", _("Telemedicine")
        HOME_CARE = "home_care", _("Home care")
        REMOTE_AREA = "remote_area", _("Care in a remote area (IDS)")
        OUTPATIENT = "outpatient", _("Outpatient visit")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the person")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    institution = models.ForeignKey(
        "records.Institution", verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    requested_at = models.DateTimeField(_("requested"))
    answer_by = models.DateTimeField(_("answer by"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    grant = models.ForeignKey(
        "access.Grant", verbose_name=_("grant"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("institution request")
        verbose_name_plural = _("institution requests")
        indexes = [
            models.Index(fields=["person", "status", "-requested_at"], name="vcard_request_person"),
            models.Index(fields=["institution", "-requested_at"], name="vcard_request_institution"),
        ]
        constraints = [models.UniqueConstraint(fields=["person", "grant"], name="vcard_request_grant_once")]

    def __str__(self) -> str:
        return f"{self.institution} → {self.person} {self.status}"


class Delegation(models.Model):
    """虛擬健保卡授權 — the person lends their card to a named person or to a member of their NHI household.

    A named delegation waits for its code (typed or scanned by the delegate, logged
    in as themselves); a household one waits for the member to agree. Either then
    makes the grant, from ``starts_at`` to ``ends_at``; ending early ends the grant.
    """

    class Kind(models.TextChoices):
        NAMED = "named", _("A specific person")
        HOUSEHOLD = "household", _("A member of my NHI household")
        ON_BEHALF = "on_behalf", _("Applied for by a household member")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the delegate")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("card holder"), on_delete=models.PROTECT, related_name="card_delegations", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    label = models.CharField(_("who (as the person calls them)"), max_length=20, blank=True)
    delegate_id_hash = models.CharField(
        max_length=64, blank=True, help_text="keyed hash of the named delegate's national ID (never the ID)"
    )
    delegate = models.ForeignKey(
        Person,
        verbose_name=_("delegate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="card_delegations_received",
        db_index=False,
    )
    code_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the delegation code")
    answer_by = models.DateTimeField(_("to be taken up by"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    created_at = models.DateTimeField(_("created"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    grant = models.ForeignKey(
        "access.Grant", verbose_name=_("grant"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("card delegation")
        verbose_name_plural = _("card delegations")
        indexes = [
            models.Index(fields=["person", "-created_at"], name="vcard_delegation_person"),
            models.Index(fields=["delegate", "status"], name="vcard_delegation_delegate"),
            # The delegate types the code alone (whose card it is comes from the row).
            models.Index(fields=["code_hash"], condition=~models.Q(code_hash=""), name="vcard_delegation_code"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "code_hash"], condition=~models.Q(code_hash=""), name="vcard_delegation_code_unique"
            ),
            models.UniqueConstraint(fields=["person", "grant"], name="vcard_delegation_grant_once"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="vcard_delegation_span"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.person} {self.status}"
