"""Operator pages for people: find by national ID (through the keyed hash), IDs masked in lists."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from healthbank.audit.services import record_operator_read
from healthbank.core import national_id as nid

from .models import Enrolment, InsuranceUnit, NhiCard, NhiHousehold, Person


class NationalIdSearchMixin:
    """A search term that is a valid national ID is matched through its keyed hash, never in clear."""

    national_id_lookup = "national_id_hash"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if nid.is_valid(term):
            value = nid.validate(term).value
            return queryset.filter(**{self.national_id_lookup: Person.hash_national_id(value)}), False
        return super().get_search_results(request, queryset, search_term)


class ReadOnlyMixin:
    """Shown to operators, changed only through the services that keep the rules."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EnrolmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Enrolment
    fk_name = "person"
    fields = ["household", "unit", "category", "role", "relationship", "insured_salary", "started_on", "ended_on"]


class CardInline(ReadOnlyMixin, admin.TabularInline):
    model = NhiCard
    fields = ["card_number", "issued_on", "reason", "reported_lost_on"]


RECORD_ADMINS = [
    ("records", "visit", "就醫紀錄 Visits"),
    ("records", "labresult", "檢驗結果 Lab results"),
    ("records", "report", "報告 Reports"),
    ("records", "allergy", "過敏 Allergies"),
    ("records", "vaccination", "預防接種 Vaccinations"),
    ("records", "preventivecheck", "成人預防保健 Preventive checks"),
    ("records", "cancerscreening", "癌症篩檢 Cancer screening"),
    ("records", "followup", "追蹤 Follow-ups"),
    ("records", "carewish", "意願 Wishes"),
    ("insurance", "premiumcalculation", "保費 Premiums"),
    ("insurance", "premiumpayment", "繳費 Payments"),
]


@admin.register(Person)
class PersonAdmin(NationalIdSearchMixin, admin.ModelAdmin):
    list_display = ["masked", "national_id_masked", "sex", "birth_date"]
    search_fields = ["name"]
    search_help_text = "身分證字號 National ID (exact) or name"
    readonly_fields = ["national_id_masked", "record_links"]
    fields = [
        "national_id_masked",
        "name",
        "name_en",
        "sex",
        "birth_date",
        "is_indigenous",
        "is_polio_survivor",
        "died_on",
        "record_links",
    ]
    inlines = [EnrolmentInline, CardInline]

    @admin.display(description="name")
    def masked(self, obj: Person) -> str:
        return obj.masked_name

    @admin.display(description="records")
    def record_links(self, obj: Person) -> str:
        counter = format_html(
            '<a href="{}">臨櫃查詢 Counter view of the passbook</a> · '
            '<a href="{}">臨櫃註冊 Counter registration</a> · ',
            reverse("counter-view", args=[obj.pk]),
            reverse("admin:counter-register", args=[obj.pk]),
        )
        return counter + format_html_join(
            " · ",
            '<a href="{}?person__id__exact={}">{}</a>',
            ((reverse(f"admin:{app}_{model}_changelist"), obj.pk, label) for app, model, label in RECORD_ADMINS),
        ) or format_html("")

    def has_add_permission(self, request):
        return False  # people come from enrolment, not typed in here

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            record_operator_read(request, object_id, "person details (admin)")
        return response


@admin.register(InsuranceUnit)
class InsuranceUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "county"]
    search_fields = ["code", "name"]


@admin.register(NhiHousehold)
class NhiHouseholdAdmin(admin.ModelAdmin):
    list_display = ["id", "insured"]
    raw_id_fields = ["insured"]
