"""臨櫃查詢 — the NHI counter (SPEC §4): after an ID-document check an operator shows or prints the passbook.

An operator page (Django admin login and look), kept here because it reads
records. Only staff with ``identity.show_passbook_at_counter`` (the counter
staff group) reach it; every showing is an audited operator read that the
person sees in their access log, with the type of the document checked.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from healthbank import policy
from healthbank.access.rules import Reader
from healthbank.access.services import grant_counter_view, open_for_reading
from healthbank.audit.models import AccessLog, IdDocument
from healthbank.audit.operator_pages import operator_view
from healthbank.audit.services import record_access
from healthbank.core.categories import DataCategory
from healthbank.core.http import client_address
from healthbank.identity.models import Person
from healthbank.records.selectors import visits_since

# The printable page lists every visit of the past year: the visit categories it reads.
PRINTED_CATEGORIES = (
    DataCategory.OUTPATIENT,
    DataCategory.DENTAL,
    DataCategory.CHINESE_MEDICINE,
    DataCategory.INPATIENT,
)


class CounterViewForm(forms.Form):
    """SPEC §4 counter: the operator checks an ID document before showing or printing the passbook."""

    id_document = forms.ChoiceField(label=_("ID document checked"), choices=[("", "—"), *IdDocument.choices])
    confirmed = forms.BooleanField(label=_("The photo on the document matches the person at the counter"))


@operator_view("identity.show_passbook_at_counter")
def counter_view(request, person_id):
    person = get_object_or_404(Person, pk=person_id)
    form = CounterViewForm(request.POST or None)
    context = {
        **admin.site.each_context(request),
        "opts": Person._meta,
        "person": person,
        "form": form,
        "title": _("Counter view of the passbook"),
    }
    if request.method == "POST" and form.is_valid():
        document = form.cleaned_data["id_document"]
        record_access(person.pk, what=AccessLog.What.COUNTER_VIEW, detail=document, operator=request.user)
        # The same rule as every passbook read: the check lends the operator a short grant, and each
        # category read (on the passbook pages or on this printable page) is logged by category.
        grant_counter_view(request.user, person, document=document)
        if request.POST.get("show") == "passbook":
            return redirect("passbook:overview", person.pk)
        reader = Reader.operator(request.user, address=client_address(request))
        for category in PRINTED_CATEGORIES:
            open_for_reading(reader, person, category)
        since = timezone.localdate() - policy.SPAN_CARD_RECORDS
        context.update(
            visits=visits_since(person, since),
            since=since,
            document=IdDocument(document).label,
            shown_at=timezone.now(),
        )
        return TemplateResponse(request, "admin/passbook/counter_view.html", context)
    return TemplateResponse(request, "admin/passbook/counter_check.html", context)
