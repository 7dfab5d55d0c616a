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
from healthbank.access.services import grant_counter_view
from healthbank.audit.models import AccessLog, IdDocument
from healthbank.audit.operator_pages import operator_view
from healthbank.audit.services import record_access
from healthbank.identity.models import Person
from healthbank.records.selectors import visits_since


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
        if request.POST.get("show") == "passbook":
            # The same pages the person sees, read-only, through the same access rule: the check lends the
            # operator a short grant, and every page they open is logged by category.
            grant_counter_view(request.user, person, document=document)
            return redirect("passbook:overview", person.pk)
        since = timezone.localdate() - policy.SPAN_CARD_RECORDS
        context.update(
            visits=visits_since(person, since),
            since=since,
            document=IdDocument(document).label,
            shown_at=timezone.now(),
        )
        return TemplateResponse(request, "admin/passbook/counter_view.html", context)
    return TemplateResponse(request, "admin/passbook/counter_check.html", context)
