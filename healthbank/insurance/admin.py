"""Operator pages for premiums: one person's, opened from the person's page, every read logged (SPEC §11)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from healthbank.audit.operator_pages import PersonDataAdmin
from healthbank.core import display

from .models import PremiumCalculation, PremiumPayment


@admin.register(PremiumCalculation)
class PremiumCalculationAdmin(PersonDataAdmin):
    list_display = ["billed_month", "person", "insured_salary", "insured_count", "amount"]
    across_people_display = ("billed_month",)
    ordering = ["-month", "-pk"]
    search_fields = []
    raw_id_fields = ["person", "unit"]

    @admin.display(description=_("month"), ordering="month")
    def billed_month(self, obj: PremiumCalculation) -> str:
        return display.format_month(obj.month)


@admin.register(PremiumPayment)
class PremiumPaymentAdmin(PersonDataAdmin):
    list_display = ["paid_on", "person", "amount", "method"]
    across_people_display = ("paid_on",)
    search_fields = []
    raw_id_fields = ["person", "calculation"]


from . import admin_cards  # noqa: E402,F401  (the card replacement queue registers itself)
