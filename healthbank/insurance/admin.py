"""Operator pages for premiums: one person's, opened from the person's page, every read logged (SPEC §11)."""

from django.contrib import admin

from healthbank.audit.operator_pages import PersonDataAdmin

from .models import PremiumCalculation, PremiumPayment


@admin.register(PremiumCalculation)
class PremiumCalculationAdmin(PersonDataAdmin):
    list_display = ["month", "person", "insured_salary", "insured_count", "amount"]
    across_people_display = ("month",)
    search_fields = []
    raw_id_fields = ["person", "unit"]


@admin.register(PremiumPayment)
class PremiumPaymentAdmin(PersonDataAdmin):
    list_display = ["paid_on", "person", "amount", "method"]
    across_people_display = ("paid_on",)
    search_fields = []
    raw_id_fields = ["person", "calculation"]
