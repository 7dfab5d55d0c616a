"""Operator pages for premiums: one person's, opened from the person's page, every read logged (SPEC §11)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from healthbank.audit.operator_pages import PersonDataAdmin
from healthbank.core import display

from .models import (
    CatastrophicIllnessCase,
    DirectDebit,
    PremiumCalculation,
    PremiumPayment,
    PriorReviewCase,
    ReimbursementCase,
    SalaryReport,
    SubsidyCase,
    WelfareSubsidy,
)


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


@admin.register(DirectDebit)
class DirectDebitAdmin(PersonDataAdmin):
    """單次約定轉帳: each attempt with the bank's answer (a refusal's reason; a pending one to reconcile)."""

    list_display = ["requested_at", "person", "bank_code", "account_masked", "amount", "status", "reason"]
    across_people_display = ("requested_at", "status", "reason")
    list_filter = ("status",)
    ordering = ["-requested_at"]
    search_fields = ["bank_reference"]
    search_help_text = _("The bank's reference (exact); open a person's debits from the person's page.")
    raw_id_fields = ["person"]
    exclude = ["request_key"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        return (queryset.filter(bank_reference=term), False) if term else (queryset, False)


# Case progress and employer records (SPEC §10): read-only, one person's at a time, every showing logged.
for _model, _columns in [
    (SubsidyCase, ["applied_on", "kind", "status", "status_on", "person"]),
    (CatastrophicIllnessCase, ["applied_on", "icd10", "status", "valid_from", "valid_until", "person"]),
    (ReimbursementCase, ["applied_on", "where", "country", "amount_claimed", "amount_approved", "status", "person"]),
    (PriorReviewCase, ["applied_on", "institution", "drug_code", "payment_code", "status", "person"]),
    (SalaryReport, ["effective_on", "unit", "reason", "insured_salary", "person"]),
    (WelfareSubsidy, ["month", "fund", "amount", "person"]),
]:
    admin.site.register(
        _model,
        type(
            f"{_model.__name__}Admin",
            (PersonDataAdmin,),
            {"list_display": [*_columns, "version"], "raw_id_fields": ["person"]},
        ),
    )


# The request queues register themselves.
from . import admin_cards, township_admin  # noqa: E402,F401
