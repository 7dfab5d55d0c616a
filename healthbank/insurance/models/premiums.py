"""Premiums: monthly calculations and payments (SPEC §6.1 insurance billing and payment)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from healthbank.core import display
from healthbank.core.ids import new_public_id
from healthbank.identity.models import InsuranceUnit, Person


class PremiumCalculation(models.Model):
    """保費計算 — what one month's premium of an insured person is and how it follows from salary."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    unit = models.ForeignKey(
        InsuranceUnit, verbose_name=_("insurance unit"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"), help_text=_("first day of the month billed"))
    insured_salary = models.PositiveIntegerField(_("insured salary"))
    rate_per_ten_thousand = models.PositiveSmallIntegerField(
        _("premium rate"), help_text=_("premium rate ‱ (per ten thousand), e.g. 517 = 5.17 %")
    )
    contribution_share_pct = models.PositiveSmallIntegerField(
        _("share the insured pays"), help_text=_("share the insured pays, %")
    )
    insured_count = models.PositiveSmallIntegerField(
        _("people billed"), help_text=_("the insured plus dependents billed (at most 4)")
    )
    amount = models.PositiveIntegerField(_("amount"), help_text=_("NT$"))

    class Meta:
        verbose_name = _("premium calculation")
        verbose_name_plural = _("premium calculations")
        constraints = [models.UniqueConstraint(fields=["person", "unit", "month"], name="premium_calc_unique")]
        indexes = [models.Index(fields=["person", "-month"])]

    def __str__(self) -> str:
        return f"{display.format_month(self.month)} NT${self.amount}"


class PremiumPayment(models.Model):
    """保費繳納 — a payment of a month's premium."""

    class Method(models.TextChoices):
        PAYROLL = "payroll", _("Payroll deduction")
        DIRECT_DEBIT = "direct_debit", _("Direct debit")
        CONVENIENCE_STORE = "store", _("Convenience store")
        ONLINE = "online", _("Online payment")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    calculation = models.ForeignKey(
        PremiumCalculation, verbose_name=_("premium calculation"), on_delete=models.PROTECT, related_name="payments"
    )
    paid_on = models.DateField(_("paid on"))
    amount = models.PositiveIntegerField(_("amount"))
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)

    class Meta:
        verbose_name = _("premium payment")
        verbose_name_plural = _("premium payments")
        indexes = [models.Index(fields=["person", "-paid_on"])]
        constraints = [models.UniqueConstraint(fields=["person", "calculation"], name="premium_paid_once")]

    def __str__(self) -> str:
        return f"{display.format_date(self.paid_on)} NT${self.amount}"
