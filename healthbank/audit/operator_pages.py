"""What every operator page shares (SPEC §11; DESIGN: operator pages check their own permission).

Kept in the shared kernel so identity, accounts, records and insurance use one
copy and no app imports a sibling's admin. Three rules live here:

* every custom operator view checks its own Django permission, never only "is staff";
* a person's records are shown only in a list narrowed to that person (by public
  id) or on a record's own page, and each such showing writes an access-log entry;
  lists across people show no health data;
* a person is found by national ID through a POST form that leads to a page
  addressed by public id, so the ID never lands in a URL, a log or a history.

It also makes the admin write dates as every other page does (``core.display``):
the ROC calendar in Chinese, Gregorian ISO dates in English.
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import wraps

from django import forms
from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from healthbank.core import display
from healthbank.core import national_id as nid

from .models import AccessLog
from .services import record_access


def _in_readers_calendar(value):
    """A date or moment as ``core.display`` writes it for the active language; anything else: None."""
    if isinstance(value, dt.datetime):
        return display.format_datetime(value)
    if isinstance(value, dt.date):
        return display.format_date(value)
    return None


def show_dates_in_the_readers_calendar() -> None:
    """Make the admin's lists, record pages and inlines write dates as the rest of HealthBank does.

    Django's admin formats a date with the locale's ``DATE_FORMAT`` (``2026年11月18日``, ``Nov. 18, 2026``),
    which cannot say an ROC year. Its two display helpers are wrapped, and the modules that imported
    them by name get the wrapped ones, so every date column and read-only date field follows the
    reader's language; other values are left to Django. Called once, from ``AuditConfig.ready``.
    """
    from django.contrib.admin import helpers
    from django.contrib.admin import utils as admin_utils
    from django.contrib.admin.templatetags import admin_list

    if getattr(admin_utils.display_for_field, "healthbank_dates", False):
        return
    original_field, original_value = admin_utils.display_for_field, admin_utils.display_for_value

    def display_for_field(value, field, empty_value_display, *args, **kwargs):
        if isinstance(field, models.DateField) and not getattr(field, "flatchoices", None):
            shown = _in_readers_calendar(value)
            if shown:
                return shown
        return original_field(value, field, empty_value_display, *args, **kwargs)

    def display_for_value(value, empty_value_display, *args, **kwargs):
        return _in_readers_calendar(value) or original_value(value, empty_value_display, *args, **kwargs)

    display_for_field.healthbank_dates = display_for_value.healthbank_dates = True
    for module in (admin_utils, helpers, admin_list):
        for name, wrapped in (("display_for_field", display_for_field), ("display_for_value", display_for_value)):
            if hasattr(module, name):
                setattr(module, name, wrapped)


def operator_view(permission: str):
    """Let a view through only for a user with ``permission``; anyone else gets 403.

    Works for plain views and for ModelAdmin methods (the request is the first
    ``HttpRequest`` among the arguments). Put it inside ``admin_site.admin_view``,
    which asks for the staff login first.
    """

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            request = next(arg for arg in args if isinstance(arg, HttpRequest))
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(*args, **kwargs)

        return checked

    return decorate


class ReadOnlyMixin:
    """Shown to operators, changed only through the services that keep the rules."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PersonDataAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """One record type of a person's data: read here, never edited, every showing audited.

    The list shows the data columns (``list_display``) only when it is narrowed
    to one person by ``?person__id__exact=<public id>`` (the links on the
    person's page), and that showing is written to the person's access log. A
    list across people shows only ``across_people_display``: who sent what under
    which id, never whose it is or what it says. A record's own page is a read
    of that person's data and is logged too.
    """

    person_parameter = "person__id__exact"
    across_people_display: tuple[str, ...] = ("source", "source_record_id", "version", "ingested_at")
    list_filter: tuple | list = ()
    search_fields = ["source_record_id"]
    search_help_text = _("The sender's record id (exact); open a person's records from the person's page.")

    def audited_label(self) -> str:
        return self.model._meta.label_lower

    def person_in(self, request):
        """The public id the list is narrowed to, when it names a person who exists."""
        value = request.GET.get(self.person_parameter, "")
        try:
            person_id = uuid.UUID(value)
        except ValueError:
            return None
        person_model = self.model._meta.get_field("person").related_model
        return person_id if person_model.objects.filter(pk=person_id).exists() else None

    def lookup_allowed(self, lookup, value, request=None):
        """Only one way to narrow a list to a person, so "narrowed to a person" and "logged" are the same thing.

        Django lets any field of the model filter a list (``?card=…``, ``?icd10=…``): a
        card narrows the list to its holder without a log entry, and a diagnosis or
        an institution would sort people by their health across the list. So the
        person parameter, and the list's own filters on a list narrowed to a person,
        are the only lookups; anything else is refused (400).
        """
        if lookup == self.person_parameter:
            return True
        filters = {f if isinstance(f, str) else f[0] for f in self.list_filter if isinstance(f, str | tuple)}
        narrowed = request is not None and self.person_in(request) is not None
        if narrowed and lookup.split("__")[0] in filters:
            return super().lookup_allowed(lookup, value, request)
        raise DisallowedModelAdminLookup(f"Filtering by {lookup} is not allowed")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(source_record_id=term), False

    def get_list_display(self, request):
        if self.person_in(request):
            return super().get_list_display(request)
        return self.across_people_display

    def get_list_display_links(self, request, list_display):
        return list_display[:1]

    def get_ordering(self, request):
        """Newest first, by the record's own date (its first date column), as the passbook lists them."""
        if self.ordering:
            return self.ordering
        for name in self.list_display:
            field = next((f for f in self.model._meta.concrete_fields if f.name == name), None)
            if isinstance(field, models.DateField):
                return [f"-{name}", "-pk"]
        return ["-pk"]

    def get_list_filter(self, request):
        return self.list_filter if self.person_in(request) else ()

    def changelist_view(self, request, extra_context=None):
        person_id = self.person_in(request)
        response = super().changelist_view(request, extra_context)
        if person_id and isinstance(response, TemplateResponse) and response.status_code == 200:
            record_access(
                person_id, what=AccessLog.What.RECORD_LIST, detail=self.audited_label(), operator=request.user
            )
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if obj is not None and response.status_code == 200:
            record_access(obj.person_id, what=AccessLog.What.RECORD, detail=self.audited_label(), operator=request.user)
        return response


class FindPersonForm(forms.Form):
    """The one field of the operators' find form; posted, never put in a URL."""

    term = forms.CharField(label=_("National ID"), max_length=40)

    def __init__(self, *args, names: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.names = names
        if names:
            self.fields["term"].label = _("National ID or name")

    def clean_term(self) -> str:
        term = self.cleaned_data["term"].strip()
        if nid.is_valid(term):
            return nid.validate(term).value
        if self.names and not any(c.isdigit() for c in term):
            return term
        raise forms.ValidationError(
            _("Enter a national ID or resident certificate number: one letter and nine more characters.")
        )


class FindByNationalIdMixin:
    """A changelist whose search is a POST form: an ID (or, where allowed, a name) in the body, never the URL.

    The result is a redirect to the one match's page by public id, or, for a
    name with several matches, a page listing them (masked) with links by
    public id. Subclasses say how to find: ``find_by_national_id`` and, where a
    name search makes sense, ``find_by_name``.
    """

    change_list_template = "admin/find_change_list.html"
    find_by_names = False
    find_results_limit = 50

    def find_by_national_id(self, request, national_id: str):  # pragma: no cover - abstract
        raise NotImplementedError

    def find_by_name(self, request, name: str):
        return self.get_queryset(request).none()

    def get_search_fields(self, request):
        return ()  # no GET search box: the find form replaces it

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        find = path("find/", self.admin_site.admin_view(self.find_view), name="{}_{}_find".format(*info))
        return [find, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {"find_form": FindPersonForm(names=self.find_by_names), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def find_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        form = FindPersonForm(request.POST or None, names=self.find_by_names)
        matches = None
        if request.method == "POST" and form.is_valid():
            term = form.cleaned_data["term"]
            if nid.is_valid(term):
                found = self.find_by_national_id(request, term)
                matches = [found] if found is not None else []
            else:
                matches = list(self.find_by_name(request, term)[: self.find_results_limit])
            if len(matches) == 1:
                info = self.opts.app_label, self.opts.model_name
                return redirect(reverse("admin:{}_{}_change".format(*info), args=[matches[0].pk]))
            if not matches:
                form.add_error("term", _("Nobody on record matches."))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Find %(name)s") % {"name": self.opts.verbose_name},
            "find_form": form,
            "matches": matches or [],
        }
        return TemplateResponse(request, "admin/find_results.html", context)


def no_view_on_site(request, content_type_id, object_id):
    """Replaces the admin's "view on site" redirect (``admin/r/<content type>/<id>/``): 404, always.

    Django's looks up any object of any content type for any staff user, with no
    permission asked, and answered 500 for an id that is not a UUID. No HealthBank
    object has a public page to send anyone to.
    """
    raise Http404
