"""Counter work on registrations: register after an ID-document check, suspend and reinstate (audited)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse

from healthbank.identity.admin import NationalIdSearchMixin, ReadOnlyMixin
from healthbank.identity.models import Person

from . import services
from .models import OnlineAccount


class CounterRegistrationForm(forms.Form):
    id_document = forms.CharField(label="ID document checked (type and number)", max_length=60)
    email = forms.EmailField()
    mobile = forms.CharField(max_length=10)
    backup_email = forms.EmailField(required=False)
    landline = forms.CharField(required=False, max_length=24)
    password = forms.CharField(widget=forms.PasswordInput, help_text="typed by the person at the counter keypad")
    password_confirm = forms.CharField(widget=forms.PasswordInput)


class SuspendForm(forms.Form):
    reason = forms.CharField(max_length=200)


@admin.register(OnlineAccount)
class OnlineAccountAdmin(ReadOnlyMixin, NationalIdSearchMixin, admin.ModelAdmin):
    national_id_lookup = "person__national_id_hash"
    list_display = ["person", "status", "channel", "created_at", "activated_at"]
    list_filter = ["status", "channel"]
    search_fields = []
    search_help_text = "身分證字號 National ID (exact)"
    exclude = ["password"]
    actions = ["reinstate"]

    def get_urls(self):
        return [
            path(
                "counter/<uuid:person_id>/", self.admin_site.admin_view(self.counter_register), name="counter-register"
            ),
            path("<uuid:account_id>/suspend/", self.admin_site.admin_view(self.suspend), name="account-suspend"),
            *super().get_urls(),
        ]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Reinstate suspended registrations")
    def reinstate(self, request, queryset):
        for account in queryset:
            services.set_suspended(account, operator=request.user, suspended=False)
        messages.success(request, "Reinstated.")

    def counter_register(self, request, person_id):
        person = get_object_or_404(Person, pk=person_id)
        form = CounterRegistrationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                services.register_at_counter(
                    person,
                    operator=request.user,
                    id_document=d["id_document"],
                    password=d["password"],
                    password_confirm=d["password_confirm"],
                    contacts=services.Contacts(d["email"], d["mobile"], d["backup_email"], d["landline"]),
                )
            except services.RegistrationError as exc:
                for field, errors in exc.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, f"{person.masked_name} is registered for online services.")
                return redirect(reverse("admin:identity_person_change", args=[person.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "person": person,
            "title": "Counter registration",
        }
        return render(request, "admin/accounts/counter_form.html", context)

    def suspend(self, request, account_id):
        account = get_object_or_404(OnlineAccount, pk=account_id)
        form = SuspendForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            services.set_suspended(account, operator=request.user, suspended=True, reason=form.cleaned_data["reason"])
            messages.success(request, "Suspended.")
            return redirect(reverse("admin:accounts_onlineaccount_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "person": account.person,
            "title": "Suspend registration",
        }
        return render(request, "admin/accounts/counter_form.html", context)
