"""臨櫃查詢 — the NHI counter (SPEC §4): after an ID-document check an operator shows or prints the passbook.

An operator page (Django admin login and look), kept here because it reads
records; every showing is an audited operator read that the person sees.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from healthbank import policy
from healthbank.audit.services import record_operator_read
from healthbank.identity.models import Person
from healthbank.records.selectors import visits_since


class CounterViewForm(forms.Form):
    """SPEC §4 counter: the operator checks an ID document before showing or printing the passbook."""

    id_document = forms.ChoiceField(
        label="查驗之身分證明文件 ID document checked",
        choices=[
            ("", "—"),
            ("national_id_card", "國民身分證 National ID card"),
            ("nhi_card", "健保卡（有照片）NHI card with photo"),
            ("passport", "護照 Passport"),
            ("residence_permit", "居留證 Residence permit"),
            ("driving_licence", "駕照 Driving licence"),
        ],
    )
    confirmed = forms.BooleanField(label="文件照片與本人相符 The photo matches the person at the counter")


def counter_view(request, person_id):
    person = get_object_or_404(Person, pk=person_id)
    form = CounterViewForm(request.POST or None)
    context = {**admin.site.each_context(request), "person": person, "form": form, "title": "臨櫃查詢 Counter view"}
    if request.method == "POST" and form.is_valid():
        document = form.cleaned_data["id_document"]
        record_operator_read(request, person.pk, f"counter passbook view; ID document: {document}")
        since = timezone.localdate() - policy.SPAN_CARD_RECORDS
        context.update(
            visits=visits_since(person, since),
            since=since,
            document=dict(form.fields["id_document"].choices)[document],
        )
        return render(request, "admin/passbook/counter_view.html", context)
    return render(request, "admin/passbook/counter_check.html", context)
