"""The person's records (SPEC §10): enrolment records (and dependents'), mailing address, notices sent, the
last adult preventive check. Thin: the reads and the address change are in ``records``, ``addresses``,
``notices`` and ``preventive``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from healthbank import policy
from healthbank.accounts.decorators import citizen_required
from healthbank.accounts.forms import county_field, township_field, village_field

from .. import addresses, notices, preventive, records
from .common import acting_for, picker

ENROLMENTS, ADDRESS, NOTICES, PREVENTIVE = "enrolments", "address", "notices", "preventive_check"


def _self_only(request, person_id, service):
    """A service for the person only: a dependent's id is a 404 like any id not theirs (nothing is read)."""
    if person_id != request.citizen.person.pk:
        raise Http404
    return acting_for(request, person_id, service)


def _enrolment_context(request, person_id) -> dict:
    person = acting_for(request, person_id, ENROLMENTS)
    me = request.citizen.person
    return {
        "person": person,
        "is_self": person.pk == me.pk,
        "records": records.enrolment_records(person, household_of=me),
        "people": picker(request, ENROLMENTS, person),
        "printed_at": timezone.now(),
    }


@require_safe
@citizen_required()
def enrolments(request, person_id):
    context = _enrolment_context(request, person_id)
    context["title"] = _("Enrolment and withdrawal records")
    return render(request, "insurance/enrolments.html", context)


@require_safe
@citizen_required()
def enrolments_print(request, person_id):
    context = _enrolment_context(request, person_id)
    context["title"] = _("Enrolment and withdrawal records")
    return render(request, "insurance/enrolments_print.html", context)


class AddressForm(forms.Form):
    county = county_field()
    township = township_field()
    village = village_field()
    street = forms.CharField(
        label=gettext_lazy("Street, lane, number and floor"),
        max_length=policy.MAILING_ADDRESS_STREET_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1", "lang": "zh-Hant-TW"}),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@citizen_required()
def address(request, person_id):
    person = _self_only(request, person_id, ADDRESS)  # the seed: 辦理「個人」通訊地址變更
    form = AddressForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                _new, changed = addresses.change_address(
                    person,
                    addresses.AddressInput(d["county"], d["township"], d["village"], d["street"]),
                    language=get_language(),
                )
            except addresses.AddressError as exc:
                for field, errors in exc.errors.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                if changed:
                    messages.success(request, _("Your mailing address is changed; letters go there from now on."))
                else:
                    messages.info(request, _("This is already your mailing address: nothing changed."))
                return redirect("insurance:address", person.pk)
        status = 400
    history = addresses.address_history(person)
    return render(
        request,
        "insurance/address.html",
        {
            "title": _("Mailing address change"),
            "person": person,
            "form": form,
            "current": next((a for a in history if a.valid_until is None), None),
            "history": history,
        },
        status=status,
    )


@require_safe
@citizen_required()
def notices_list(request, person_id):
    person = _self_only(request, person_id, NOTICES)
    return render(
        request,
        "insurance/notices.html",
        {"title": _("Notices sent"), "person": person, "notices": notices.notices_sent(person)},
    )


@require_safe
@citizen_required()
def notice_detail(request, person_id, channel, notice_id):
    person = _self_only(request, person_id, NOTICES)
    found = notices.notice(person, channel, notice_id)
    if found is None:
        raise Http404
    return render(request, "insurance/notice.html", {"title": found.subject, "person": person, "notice": found})


@require_safe
@citizen_required()
def preventive_check(request, person_id):
    person = _self_only(request, person_id, PREVENTIVE)
    return render(
        request,
        "insurance/preventive.html",
        {
            "title": _("Adult preventive check"),
            "person": person,
            "status": preventive.preventive_status(person),
            "today": timezone.localdate(),
        },
    )


routes = [
    path("enrolments/", enrolments, name="enrolments"),
    path("enrolments/print/", enrolments_print, name="enrolments-print"),
    path("address/", address, name="address"),
    path("notices/", notices_list, name="notices"),
    path("notices/<str:channel>/<uuid:notice_id>/", notice_detail, name="notice"),
    path("preventive-check/", preventive_check, name="preventive-check"),
]
