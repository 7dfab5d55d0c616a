"""單次約定轉帳 and 電子繳款單 (SPEC §10): one-off direct debits of chosen months, e-bill subscriptions and notices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from healthbank.core.ids import new_public_id
from healthbank.identity.models import Person

from .premiums import PremiumCalculation


class DirectDebit(models.Model):
    """One request to debit a bank account for chosen unpaid months, with the bank's answer.

    ``request_key`` (the form's or the app's idempotency key) makes a repeated submit the same request; each
    month is claimed by a ``DirectDebitMonth`` row that only one open or accepted debit may hold, so two debits
    of the same month never reach the bank.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Sent to the bank")
        ACCEPTED = "accepted", _("Paid")
        REFUSED = "refused", _("Refused by the bank")
        BANK_AWAY = "bank_away", _("The bank did not answer")

    class Reason(models.TextChoices):
        INSUFFICIENT_FUNDS = "insufficient_funds", _("The balance does not cover the amount")
        UNKNOWN_ACCOUNT = "unknown_account", _("The bank does not know this account")
        NOT_HOLDER = "not_holder", _("The account is not in the name of the person paying")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    request_key = models.CharField(_("request key"), max_length=64)
    bank_code = models.CharField(_("bank code"), max_length=3)
    account_masked = models.CharField(_("account"), max_length=20, help_text=_("only the last four digits kept"))
    amount = models.PositiveIntegerField(_("amount"), help_text=_("NT$"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=40, blank=True)
    requested_at = models.DateTimeField(_("requested"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-off direct debit")
        verbose_name_plural = _("one-off direct debits")
        constraints = [models.UniqueConstraint(fields=["person", "request_key"], name="direct_debit_request_once")]
        indexes = [models.Index(fields=["person", "-requested_at"])]

    def __str__(self) -> str:
        return f"{self.bank_code} {self.account_masked} NT${self.amount} {self.status}"


class DirectDebitMonth(models.Model):
    """A month a debit pays; ``claimed`` while the debit is open or accepted (one claim a month at a time)."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    debit = models.ForeignKey(DirectDebit, on_delete=models.CASCADE, related_name="months")
    calculation = models.ForeignKey(
        PremiumCalculation, verbose_name=_("premium calculation"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.PositiveIntegerField(_("amount"))
    claimed = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("month debited")
        verbose_name_plural = _("months debited")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "calculation"],
                condition=models.Q(claimed=True),
                name="direct_debit_month_claimed_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.calculation_id} NT${self.amount}"


class EBillSubscription(models.Model):
    """電子繳款單: the monthly bill by e-mail instead of on paper, to the person's confirmed e-mail."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.OneToOneField(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("subscribed"), default=True)
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = _("e-bill subscription")
        verbose_name_plural = _("e-bill subscriptions")
        indexes = [models.Index(fields=["active"], condition=models.Q(active=True), name="ebill_active")]

    def __str__(self) -> str:
        return f"{self.person} {'on' if self.active else 'off'}"


class EBillNotice(models.Model):
    """The ready-notice of one month's bill sent to one person: at most one (the monthly task may run twice)."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    month = models.DateField(_("month"))
    email = models.EmailField(_("e-mail"))
    sent_at = models.DateTimeField(_("queued"))

    class Meta:
        verbose_name = _("e-bill notice")
        verbose_name_plural = _("e-bill notices")
        constraints = [models.UniqueConstraint(fields=["person", "month"], name="ebill_notice_once")]

    def __str__(self) -> str:
        return f"{self.person} {self.month:%Y-%m}"
