from django.contrib import admin

from healthbank.records.admin import PersonRecordAdmin

from .models import PremiumCalculation, PremiumPayment


@admin.register(PremiumCalculation)
class PremiumCalculationAdmin(PersonRecordAdmin):
    list_display = ["month", "person", "insured_salary", "insured_count", "amount"]
    search_fields = []
    raw_id_fields = ["person", "unit"]


@admin.register(PremiumPayment)
class PremiumPaymentAdmin(PersonRecordAdmin):
    list_display = ["paid_on", "person", "amount", "method"]
    search_fields = []
    raw_id_fields = ["person", "calculation"]
