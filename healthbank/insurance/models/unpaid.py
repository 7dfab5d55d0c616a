"""Unpaid premiums: the instalment plans a person accepted (簡易分期, SPEC §10)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from healthbank.core.ids import new_public_id
from healthbank.identity.models import Person

from .premiums import PremiumCalculation


class InstalmentPlan(models.Model):
    """分期繳納 — the unpaid months a person pays in instalments, as the schedule they accepted."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SETTLED = "settled", _("Settled")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    total = models.PositiveIntegerField(_("total"), help_text=_("NT$"))
    calculations = models.ManyToManyField(
        PremiumCalculation, verbose_name=_("months"), related_name="+", through="InstalmentMonth"
    )
    accepted_at = models.DateTimeField(_("accepted at"))

    class Meta:
        verbose_name = _("instalment plan")
        verbose_name_plural = _("instalment plans")
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status="open"), name="instalment_plan_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"NT${self.total} ({self.get_status_display()})"


class InstalmentMonth(models.Model):
    """A month a plan pays (the plan's ``calculations``), kept with its person as every row of a person."""

    id = models.BigAutoField(primary_key=True)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    plan = models.ForeignKey(InstalmentPlan, on_delete=models.CASCADE, db_column="instalmentplan_id")
    calculation = models.ForeignKey(PremiumCalculation, on_delete=models.CASCADE, db_column="premiumcalculation_id")

    class Meta:
        db_table = "insurance_instalmentplan_calculations"  # the table the many-to-many field made
        verbose_name = _("month in an instalment plan")
        verbose_name_plural = _("months in instalment plans")
        constraints = [
            models.UniqueConstraint(fields=["person", "plan", "calculation"], name="instalment_month_once"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.calculation_id}"


class Instalment(models.Model):
    """One instalment of a plan: its amount, due date and its own payment slip."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    plan = models.ForeignKey(
        InstalmentPlan, verbose_name=_("instalment plan"), on_delete=models.CASCADE, related_name="instalments"
    )
    number = models.PositiveSmallIntegerField(_("instalment number"))
    amount = models.PositiveIntegerField(_("amount"), help_text=_("NT$"))
    due_on = models.DateField(_("due on"))
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["person", "plan", "number"], name="instalment_number_unique")]

    def __str__(self) -> str:
        return f"{self.number}: NT${self.amount}"
