"""Operators register agencies and health apps (issue 14): only with ``connect.register_application``.

DOT registers the application model in the admin with this class (``APPLICATION_ADMIN_CLASS``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import scopes

PERMISSION = "connect.register_application"


class ApplicationForm(forms.ModelForm):
    """The scopes as boxes to tick, each with what the person will read on the consent page."""

    allowed_scopes = forms.MultipleChoiceField(
        label=_("scopes it may ask for"), widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allowed_scopes"].choices = [(s, f"{s} — {text}") for s, text in scopes.all_scopes().items()]
        if self.instance.pk and not self.is_bound:
            self.initial["allowed_scopes"] = self.instance.allowed_scopes.split()

    def clean_allowed_scopes(self) -> str:
        return " ".join(self.cleaned_data["allowed_scopes"])


class ApplicationAdmin(admin.ModelAdmin):
    form = ApplicationForm
    list_display = ["name", "kind", "developer_name", "client_id", "sandbox", "longest_access_months"]
    list_filter = ["kind", "sandbox"]
    search_fields = ["name", "developer_name", "client_id"]
    readonly_fields = ["created", "updated"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "kind", "developer_name", "privacy_policy_url", "sandbox"]}),
        (_("The developer's privacy answers"), {"fields": ["sells_data", "shares_data", "deletes_on_request"]}),
        (
            _("What it may ask for"),
            {"fields": ["allowed_scopes", "may_receive_national_id", "longest_access_months"]},
        ),
        (
            _("OAuth client"),
            {
                "fields": [
                    "client_id",
                    "client_secret",
                    "hash_client_secret",
                    "client_type",
                    "authorization_grant_type",
                    "redirect_uris",
                    "algorithm",
                    "created",
                    "updated",
                ]
            },
        ),
    ]

    def _may(self, request) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_module_permission(self, request) -> bool:
        return self._may(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._may(request)

    def has_add_permission(self, request) -> bool:
        return self._may(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a registration that ended is kept (tokens and grants name it); revoke its secret instead

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("algorithm", "RS256")
        initial.setdefault("authorization_grant_type", "authorization-code")
        initial.setdefault("allowed_scopes", [scopes.OPENID, scopes.PROFILE])
        return initial
