"""Counter work on registrations (SPEC §3.2): register after an ID-document check, suspend and reinstate.

Each view checks its own permission (the registration staff group has them),
each action is written to the person's access log with the operator, and the
buttons live on the person's page. The registration list is searched with the
same POST form as people, so no national ID reaches a URL.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from healthbank.audit.models import AccessLog, IdDocument
from healthbank.audit.operator_pages import FindByNationalIdMixin, ReadOnlyMixin, operator_view
from healthbank.audit.services import record_access
from healthbank.identity.models import Person

from . import services
from .models import OnlineAccount


class CounterRegistrationForm(forms.Form):
    id_document = forms.ChoiceField(
        label=_("ID document checked"),
        choices=[("", "—"), *IdDocument.choices],
        help_text=_("Its type only; the document's number is not recorded."),
    )
    email = forms.EmailField(label=_("E-mail"))
    mobile = forms.CharField(label=_("Mobile number"), max_length=10)
    backup_email = forms.EmailField(label=_("Backup e-mail"), required=False)
    landline = forms.CharField(label=_("Landline"), required=False, max_length=24)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Typed by the person on the counter keypad."),
    )
    password_confirm = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the suspension"),
        max_length=200,
        help_text=_("Kept with the registration and shown to NHI staff; the person is told at the counter."),
    )


class ReinstateForm(forms.Form):
    confirmed = forms.BooleanField(
        label=_("The person asked at the counter and their ID document was checked"),
    )


@admin.register(OnlineAccount)
class OnlineAccountAdmin(ReadOnlyMixin, FindByNationalIdMixin, admin.ModelAdmin):
    list_display = ["person", "status", "channel", "created_at", "activated_at"]
    list_filter = ["status", "channel"]
    exclude = ["password"]
    actions = None

    def find_by_national_id(self, request, national_id: str):
        return self.get_queryset(request).filter(person__national_id_hash=Person.hash_national_id(national_id)).first()

    def get_urls(self):
        return [
            path(
                "counter/<uuid:person_id>/", self.admin_site.admin_view(self.counter_register), name="counter-register"
            ),
            path("<uuid:account_id>/suspend/", self.admin_site.admin_view(self.suspend), name="account-suspend"),
            path("<uuid:account_id>/reinstate/", self.admin_site.admin_view(self.reinstate), name="account-reinstate"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if obj is not None:
            record_access(obj.person_id, what=AccessLog.What.REGISTRATION_DETAILS, operator=request.user)
        return response

    def _page(self, request, person, form, title, submit_label, intro=""):
        context = {
            **self.admin_site.each_context(request),
            "opts": Person._meta,
            "back_url": reverse("admin:identity_person_change", args=[person.pk]),
            "back_label": str(person),
            "form": form,
            "person": person,
            "title": title,
            "submit_label": submit_label,
            "intro": intro,
        }
        return TemplateResponse(request, "admin/operator_form.html", context)

    @operator_view("accounts.register_at_counter")
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
                messages.success(
                    request, gettext("%(name)s is registered for online services.") % {"name": person.masked_name}
                )
                return redirect(reverse("admin:identity_person_change", args=[person.pk]))
        return self._page(
            request,
            person,
            form,
            _("Counter registration of %(person)s") % {"person": person},
            _("Register"),
            _("Check an ID document first; the registration is active at once and written to the person's access log."),
        )

    @operator_view("accounts.suspend_onlineaccount")
    def suspend(self, request, account_id):
        account = get_object_or_404(OnlineAccount.objects.select_related("person"), pk=account_id)
        form = SuspendForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.set_suspended(
                    account, operator=request.user, suspended=True, reason=form.cleaned_data["reason"]
                )
            except services.RegistrationError as exc:
                for field, errors in exc.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, gettext("The registration is suspended."))
                return redirect(reverse("admin:identity_person_change", args=[account.person_id]))
        return self._page(
            request,
            account.person,
            form,
            _("Suspend the registration of %(person)s") % {"person": account.person},
            _("Suspend"),
            _("A suspended registration logs in nowhere until it is reinstated at the counter."),
        )

    @operator_view("accounts.suspend_onlineaccount")
    def reinstate(self, request, account_id):
        account = get_object_or_404(OnlineAccount.objects.select_related("person"), pk=account_id)
        if account.status != OnlineAccount.Status.SUSPENDED:
            messages.info(request, gettext("This registration is not suspended."))
            return redirect(reverse("admin:identity_person_change", args=[account.person_id]))
        form = ReinstateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            services.set_suspended(account, operator=request.user, suspended=False)
            messages.success(request, gettext("The registration is active again."))
            return redirect(reverse("admin:identity_person_change", args=[account.person_id]))
        return self._page(
            request,
            account.person,
            form,
            _("Reinstate the registration of %(person)s") % {"person": account.person},
            _("Reinstate"),
            _("Suspended because: %(reason)s") % {"reason": account.suspended_reason or "—"},
        )
