"""Operator pages for records: filtered by person (from the person page), reads audited."""

from __future__ import annotations

from django.contrib import admin

from healthbank.audit.services import record_operator_read
from healthbank.core import codes
from healthbank.identity.admin import NationalIdSearchMixin, ReadOnlyMixin

from . import models


class PersonRecordAdmin(ReadOnlyMixin, NationalIdSearchMixin, admin.ModelAdmin):
    """Records are read here, never edited: corrections come from the institution that sent them."""

    national_id_lookup = "person__national_id_hash"
    search_fields = ["source_record_id"]
    search_help_text = "身分證字號 National ID (exact) or the sender's record id"
    raw_id_fields = ["person"]
    list_select_related = ["person"]

    def changelist_view(self, request, extra_context=None):
        person_id = request.GET.get("person__id__exact")
        response = super().changelist_view(request, extra_context)
        if person_id and getattr(response, "status_code", 200) == 200:
            record_operator_read(request, person_id, f"{self.model._meta.verbose_name_plural} (admin)")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, object_id)
        if obj is not None and response.status_code == 200:
            record_operator_read(request, obj.person_id, f"{self.model._meta.verbose_name} (admin)")
        return response


class DiagnosisInline(ReadOnlyMixin, admin.TabularInline):
    model = models.VisitDiagnosis
    fields = ["position", "icd10", "name"]
    readonly_fields = fields

    @admin.display(description="diagnosis")
    def name(self, obj) -> str:
        found = codes.diagnoses().get(obj.icd10)
        return f"{found.name_zh} {found.name_en}" if found else ""


class DrugOrderInline(ReadOnlyMixin, admin.TabularInline):
    model = models.DrugOrder
    fields = ["position", "drug_code", "name", "days_supplied", "quantity", "frequency"]
    readonly_fields = fields

    @admin.display(description="drug")
    def name(self, obj) -> str:
        found = codes.drugs().get(obj.drug_code)
        return f"{found.name} ({found.atc_class_zh})" if found else ""


class NonDrugOrderInline(ReadOnlyMixin, admin.TabularInline):
    model = models.NonDrugOrder
    fields = ["position", "payment_code", "name", "quantity", "tooth", "body_site", "is_surgery"]
    readonly_fields = fields

    @admin.display(description="order")
    def name(self, obj) -> str:
        found = codes.payment_codes().get(obj.payment_code)
        return found.name_zh if found else ""


@admin.register(models.Visit)
class VisitAdmin(PersonRecordAdmin):
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
        type(f"{_model.__name__}Admin", (PersonRecordAdmin,), {"list_display": [*_columns, "version"]}),
    )


@admin.register(models.Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "specialty", "county", "division", "accepts_virtual_card"]
    list_filter = ["kind", "specialty", "division", "accepts_virtual_card"]
    search_fields = ["code", "name"]


@admin.register(models.ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "institution", "agency", "key_prefix", "is_active", "last_used_at"]
    readonly_fields = ["key_prefix", "key_hash"]
