"""Operator pages for records (SPEC §11): one person's records, opened from the person's page, every read logged.

Lists across people show who sent which record id, never whose it is or what
it says (``PersonDataAdmin``). Each record type needs its own view permission
(the records reviewers group has them).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from healthbank.audit.operator_pages import PersonDataAdmin, ReadOnlyMixin
from healthbank.core import codes

from . import models


class DiagnosisInline(ReadOnlyMixin, admin.TabularInline):
    model = models.VisitDiagnosis
    fields = ["position", "icd10", "name"]
    readonly_fields = fields

    @admin.display(description=_("diagnosis"))
    def name(self, obj) -> str:
        found = codes.diagnoses().get(obj.icd10)
        if found is None:
            return ""
        return found.name_en if get_language().startswith("en") else found.name_zh


class DrugOrderInline(ReadOnlyMixin, admin.TabularInline):
    model = models.DrugOrder
    fields = ["position", "drug_code", "name", "days_supplied", "quantity", "frequency"]
    readonly_fields = fields

    @admin.display(description=_("drug"))
    def name(self, obj) -> str:
        found = codes.drugs().get(obj.drug_code)
        return f"{found.name} ({found.atc_class_zh})" if found else ""


class NonDrugOrderInline(ReadOnlyMixin, admin.TabularInline):
    model = models.NonDrugOrder
    fields = ["position", "payment_code", "name", "quantity", "tooth", "body_site", "is_surgery"]
    readonly_fields = fields

    @admin.display(description=_("order"))
    def name(self, obj) -> str:
        found = codes.payment_codes().get(obj.payment_code)
        return found.name_zh if found else ""


@admin.register(models.Visit)
class VisitAdmin(PersonDataAdmin):
    list_display = ["visit_date", "kind", "institution", "person", "copayment", "points", "version"]
    list_filter = ["kind"]
    raw_id_fields = ["person", "institution", "card", "chronic_prescription"]
    inlines = [DiagnosisInline, DrugOrderInline, NonDrugOrderInline]


for _model, _columns in [
    (models.LabResult, ["collected_on", "name", "value", "unit", "reference_range", "person"]),
    (models.Report, ["performed_on", "kind", "title", "person"]),
    (models.Allergy, ["uploaded_on", "allergen", "person"]),
    (models.Vaccination, ["vaccinated_on", "vaccine_code", "institution_name", "person"]),
    (models.PreventiveCheck, ["checked_on", "institution", "person"]),
    (models.CancerScreening, ["screened_on", "kind", "abnormal", "person"]),
    (models.FollowUp, ["measured_on", "program", "person"]),
    (models.CareWish, ["kind", "signed_on", "withdrawn_on", "person"]),
    (models.ChronicPrescription, ["prescribed_on", "icd10", "days_per_fill", "fills", "person"]),
]:
    admin.site.register(
        _model,
        type(f"{_model.__name__}Admin", (PersonDataAdmin,), {"list_display": [*_columns, "version"]}),
    )


@admin.register(models.Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "specialty", "county", "division", "accepts_virtual_card"]
    list_filter = ["kind", "specialty", "division", "accepts_virtual_card"]
    ordering = ["code"]
    search_fields = ["code", "name"]


@admin.register(models.ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "institution", "agency", "key_prefix", "is_active", "last_used_at"]
    readonly_fields = ["key_prefix", "key_hash"]
