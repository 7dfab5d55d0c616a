"""申辦公所加保、轉出、停保、復保 — the township-office enrolment page and its request forms (SPEC §10)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from healthbank import policy
from healthbank.accounts.decorators import citizen_required
from healthbank.accounts.models import OnlineAccount
from healthbank.external import adapter
from healthbank.vcard.directory import county_name, township_name

from .. import township
from ..models import TownshipRequest
from .common import acting_for, picker

SERVICE = "township"
Kind = TownshipRequest.Kind


def _request_rows(person) -> list[dict]:
    return [
        {"request": r, "document_needed": township.document_needed(r.kind, r.reason)}
        for r in township.requests_of(person)
    ]


@require_safe
@citizen_required()
def township_page(request, person_id):
    person = acting_for(request, person_id, SERVICE)
    today = timezone.localdate()
    waiting = set(
        TownshipRequest.objects.filter(person=person, status=TownshipRequest.Status.SUBMITTED).values_list(
            "kind", flat=True
        )
    )
    offers = [(kind, Kind(kind).label) for kind in township.kinds_open_to(person, today) if kind not in waiting]
    return render(
        request,
        "insurance/township.html",
        {
            "title": _("Township-office enrolment"),
            "person": person,
            "people": picker(request, SERVICE, person),
            "current": township.current_enrolment(person, today),
            "suspension": township.open_suspension(person, today),
            "offers": offers,
            "rows": _request_rows(person),
        },
    )


def _places(language: str) -> list[dict]:
    return [
        {
            "county": county,
            "label": county_name(county, language),
            "townships": [(t, township_name(county, t, language)) for t in towns],
        }
        for county, towns in township.township_choices().items()
    ]


@require_http_methods(["GET", "POST"])
@citizen_required()
def township_request(request, person_id, kind):
    if kind not in Kind.values:
        raise Http404
    person = acting_for(request, person_id, SERVICE)
    citizen = request.citizen.person
    today = timezone.localdate()
    error = None
    if request.method == "POST":
        asked = {key: request.POST.get(key, "").strip() for key in ("reason", "place", "event_on", "planned", "email")}
        county, _slash, town = asked["place"].partition("/")
        try:
            township.submit_request(
                citizen,
                person,
                kind=kind,
                document=request.FILES.get("document"),
                email=asked["email"],
                reason=asked["reason"],
                county=county,
                township=town,
                event_on=asked["event_on"],
                planned_return_on=asked["planned"],
                language=request.LANGUAGE_CODE,
            )
        except township.TownshipRefused as refused:
            error = {
                "field": {"planned_return_on": "planned", "county": "place", "township": "place"}.get(
                    refused.field, refused.field
                ),
                "message": refused.message,
            }
            status = refused.status
        else:
            messages.success(request, _("Sent to the township office; you will get an e-mail when it is decided."))
            return redirect("insurance:township", person_id=person.pk)
    else:
        registered = adapter("household_registry").registered_address(person.national_id)
        place = f"{registered.county}/{registered.township}" if registered else ""
        email = OnlineAccount.objects.filter(person=citizen).values_list("email", flat=True).first() or ""
        asked = {"reason": "", "place": place, "event_on": "", "planned": "", "email": email}
        status = 200
    reasons = [(r.value, r.label) for r in township.REASONS.get(kind, ())]
    return render(
        request,
        "insurance/township_form.html",
        {
            "title": _("Township office: %(request)s") % {"request": Kind(kind).label},
            "person": person,
            "kind": kind,
            "open": kind in township.kinds_open_to(person, today),
            "reasons": reasons,
            "places": _places(get_language()) if kind == Kind.ENROL else [],
            "document_needed": township.document_needed(kind, asked["reason"]),
            "asked": asked,
            "error": error,
            "max_mb": policy.TOWNSHIP_DOCUMENT_MAX_BYTES // (1024 * 1024),
            "min_months": policy.TOWNSHIP_ABROAD_SUSPENSION_MIN_MONTHS,
            "abroad_open": township.rules.abroad_suspension_open(today),
        },
        status=status,
    )


routes = [
    path("township/", township_page, name="township"),
    path("township/<str:kind>/", township_request, name="township-request"),
]
