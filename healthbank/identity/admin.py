"""Operator pages for people and insurance units (SPEC §11).

A person is found by national ID (through the keyed hash) or name in a POST
form, never in a URL; lists show masked names and IDs; opening a person's page
is written to their access log. The person's page gathers the counter work the
operator's groups allow: the counter view, counter registration, suspension and
reinstatement, and links to the person's records.
"""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from healthbank import policy
from healthbank.audit.models import AccessLog
from healthbank.audit.operator_pages import FindByNationalIdMixin, ReadOnlyMixin, operator_view
from healthbank.audit.services import record_access

from .models import Enrolment, InsuranceUnit, NhiCard, NhiHousehold, Person


class EnrolmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Enrolment
    fk_name = "person"
    fields = ["household", "unit", "category", "role", "relationship", "insured_salary", "started_on", "ended_on"]


class CardInline(ReadOnlyMixin, admin.TabularInline):
    model = NhiCard
    fields = ["card_number", "issued_on", "reason", "reported_lost_on"]


# The record types linked from a person's page, each opening a list narrowed to the person (and audited).
PERSON_RECORD_TYPES = [
    "records.visit",
    "records.chronicprescription",
    "records.labresult",
    "records.report",
    "records.allergy",
    "records.vaccination",
    "records.preventivecheck",
    "records.cancerscreening",
    "records.followup",
    "records.carewish",
    "insurance.premiumcalculation",
    "insurance.premiumpayment",
    "insurance.subsidycase",
    "insurance.catastrophicillnesscase",
    "insurance.reimbursementcase",
    "insurance.priorreviewcase",
    "insurance.salaryreport",
    "insurance.welfaresubsidy",
]


@admin.register(Person)
class PersonAdmin(FindByNationalIdMixin, admin.ModelAdmin):
    list_display = ["masked", "national_id_masked", "sex", "birth_date"]
    find_by_names = True
    change_form_template = "admin/identity/person/change_form.html"
    readonly_fields = ["national_id_masked"]
    fields = [
        "national_id_masked",
        "name",
        "name_en",
        "sex",
        "birth_date",
        "is_indigenous",
        "is_polio_survivor",
        "died_on",
    ]
    inlines = [EnrolmentInline, CardInline]

    @admin.display(description=_("name"))
    def masked(self, obj: Person) -> str:
        return obj.masked_name

    def find_by_national_id(self, request, national_id: str):
        return self.get_queryset(request).by_national_id(national_id).first()

    def find_by_name(self, request, name: str):
        return self.get_queryset(request).filter(name__contains=name).order_by("name", "birth_date")

    def has_add_permission(self, request):
        return False  # people come from enrolment, not typed in here

    def change_view(self, request, object_id, form_url="", extra_context=None):
        person = self.get_object(request, object_id)
        if person is not None:
            extra_context = {**self.operator_work(request, person), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if obj is not None:
            record_access(obj.pk, what=AccessLog.What.PERSON_DETAILS, operator=request.user)
        return response

    def operator_work(self, request, person: Person) -> dict:
        """What this operator may do for the person here, by their own permissions."""
        user = request.user
        try:
            registration = person.online_account
        except ObjectDoesNotExist:
            registration = None
        status = registration.status if registration else ""
        actions = {}
        if user.has_perm("identity.show_passbook_at_counter"):
            actions["counter_view"] = reverse("counter-view", args=[person.pk])
        if user.has_perm("accounts.register_at_counter") and status in ("", "pending"):
            actions["counter_register"] = reverse("admin:counter-register", args=[person.pk])
        if user.has_perm("accounts.suspend_onlineaccount") and status in ("active", "locked"):
            actions["suspend"] = reverse("admin:account-suspend", args=[registration.pk])
        if user.has_perm("accounts.suspend_onlineaccount") and status == "suspended":
            actions["reinstate"] = reverse("admin:account-reinstate", args=[registration.pk])
        record_links = []
        for label in PERSON_RECORD_TYPES:
            app_label, model_name = label.split(".")
            if user.has_perm(f"{app_label}.view_{model_name}"):
                url = reverse(f"admin:{app_label}_{model_name}_changelist")
                name = apps.get_model(label)._meta.verbose_name_plural
                record_links.append((name, f"{url}?person__id__exact={person.pk}"))
        return {
            "registration": registration,
            "registration_status": registration.get_status_display() if registration else _("Not registered"),
            "operator_actions": actions,
            "record_links": record_links,
        }


class UnitPortalPasswordForm(forms.Form):
    """投保單位網路服務密碼 — set by an administrator; only its hash is kept."""

    password1 = forms.CharField(
        label=_("New portal password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least %(count)d characters, not a common password.")
        % {"count": policy.UNIT_PORTAL_PASSWORD_MIN_LENGTH},
    )
    password2 = forms.CharField(
        label=_("The same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password1(self) -> str:
        password = self.cleaned_data["password1"]
        if len(password) < policy.UNIT_PORTAL_PASSWORD_MIN_LENGTH:
            raise forms.ValidationError(
                _("The password needs at least %(count)d characters.")
                % {"count": policy.UNIT_PORTAL_PASSWORD_MIN_LENGTH}
            )
        password_validation.CommonPasswordValidator().validate(password)
        return password

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords are not the same."))
        return cleaned


@admin.register(InsuranceUnit)
class InsuranceUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "county"]
    ordering = ["code"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "kind", "county", "contact_email", "portal_login"]
    readonly_fields = ["portal_login"]
    change_form_template = "admin/identity/insuranceunit/change_form.html"

    @admin.display(description=_("portal password"))
    def portal_login(self, obj: InsuranceUnit) -> str:
        if obj is None or obj.pk is None:
            return "—"
        return gettext("set") if obj.portal_password else gettext("not set")

    def get_urls(self):
        return [
            path(
                "<uuid:unit_id>/portal-password/",
                self.admin_site.admin_view(self.set_portal_password),
                name="identity_insuranceunit_portal_password",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if request.user.has_perm("identity.set_portal_password"):
            extra_context["portal_password_url"] = reverse(
                "admin:identity_insuranceunit_portal_password", args=[object_id]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @operator_view("identity.set_portal_password")
    def set_portal_password(self, request, unit_id):
        unit = get_object_or_404(InsuranceUnit, pk=unit_id)
        form = UnitPortalPasswordForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            unit.portal_password = make_password(form.cleaned_data["password1"])
            unit.save(update_fields=["portal_password"])
            self.log_change(request, unit, [{"changed": {"fields": ["portal password"]}}])
            messages.success(request, gettext("The portal password of %(unit)s is set.") % {"unit": unit})
            return redirect(reverse("admin:identity_insuranceunit_change", args=[unit.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": unit,
            "form": form,
            "title": _("Set the portal password of %(unit)s") % {"unit": unit},
        }
        return TemplateResponse(request, "admin/operator_form.html", context)


@admin.register(NhiHousehold)
class NhiHouseholdAdmin(admin.ModelAdmin):
    list_display = ["id", "person"]
    raw_id_fields = ["person"]
