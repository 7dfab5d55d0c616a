"""Premiums: monthly calculations and payments (SPEC §6.1 insurance billing and payment)."""

from __future__ import annotations

from django.db import models

from healthbank.core.ids import new_public_id
from healthbank.identity.models import InsuranceUnit, Person


class PremiumCalculation(models.Model):
    """保費計算 — what one month's premium of an insured person is and how it follows from salary."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(InsuranceUnit, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="first day of the month billed")
    insured_salary = models.PositiveIntegerField()
    rate_per_ten_thousand = models.PositiveSmallIntegerField(
        help_text="premium rate ‱ (per ten thousand), e.g. 517 = 5.17 %"
    )
    contribution_share_pct = models.PositiveSmallIntegerField(help_text="share the insured pays, %")
    insured_count = models.PositiveSmallIntegerField(help_text="the insured plus dependents billed (at most 4)")
    amount = models.PositiveIntegerField(help_text="NT$")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "unit", "month"], name="premium_calc_unique")]
        indexes = [models.Index(fields=["person", "-month"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} NT${self.amount}"


class PremiumPayment(models.Model):
    """保費繳納 — a payment of a month's premium."""

    class Method(models.TextChoices):
        PAYROLL = "payroll", "薪資扣繳 Payroll"
        DIRECT_DEBIT = "direct_debit", "帳戶扣款 Direct debit"
        CONVENIENCE_STORE = "store", "超商繳款 Convenience store"
        ONLINE = "online", "網路繳款 Online"

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    calculation = models.OneToOneField(PremiumCalculation, on_delete=models.PROTECT, related_name="payment")
    paid_on = models.DateField()
    amount = models.PositiveIntegerField()
    method = models.CharField(max_length=12, choices=Method.choices)

    class Meta:
        indexes = [models.Index(fields=["person", "-paid_on"])]

    def __str__(self) -> str:
        return f"paid {self.paid_on} NT${self.amount}"
