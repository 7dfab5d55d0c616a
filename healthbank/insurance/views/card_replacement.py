"""健保卡補發及更換照片 — the page: the card now, the requests made, and the form for a new one (SPEC §10).

Thin: the form only carries what was typed; ``card_replacement.submit_request`` decides and names the field.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from healthbank import policy
from healthbank.accounts.decorators import citizen_required
from healthbank.accounts.forms import county_field, township_field, village_field
from healthbank.vcard import photos

from .. import card_replacement as service
from .. import card_rules, selectors
from ..models import CardReplacementRequest
from .common import acting_for, picker


class CardRequestForm(forms.Form):
    """What the person types; every rule is the service's, so each field is optional here."""

    reason = forms.ChoiceField(
        label=gettext_lazy("Why a new card"),
        choices=[("", "—"), *CardReplacementRequest.Reason.choices],
        required=False,
    )
    photo = forms.FileField(
        label=gettext_lazy("Photo for the card"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png", "capture": "user"}),
    )
    county = county_field(required=False)
    township = township_field(required=False)
    village = village_field(required=False)
    street = forms.CharField(
        label=gettext_lazy("Street, lane and number"),
        required=False,
        max_length=policy.NHI_CARD_STREET_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1", "lang": "zh-Hant-TW"}),
    )
    fee_accepted = forms.BooleanField(label=gettext_lazy("I agree to pay the card fee"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].help_text = _(
            "A recent front photo, face uncovered, plain background. JPEG or PNG, at most %(mb)d MB. "
            "Under %(age)d it may be left out (except for a new photo)."
        ) % {"mb": policy.VCARD_PHOTO_MAX_BYTES // (1024 * 1024), "age": policy.NHI_CARD_PHOTO_OPTIONAL_UNDER_AGE}
        self.fields["fee_accepted"].help_text = _(
            "NT$%(fee)d for a lost, damaged or new-photo card, paid when the card is delivered; free when the "
            "card is faulty through no fault of yours or your details were printed wrongly."
        ) % {"fee": policy.NHI_CARD_FEE}


def _fees() -> list[dict]:
    return [
        {"reason": value, "label": label, "fee": card_rules.card_fee(value)}
        for value, label in CardReplacementRequest.Reason.choices
    ]


def _page(request, person, form, status: int = 200):
    requests = selectors.card_requests(person)
    waiting = next((r for r in requests if r.status == CardReplacementRequest.Status.SUBMITTED), None)
    return render(
        request,
        "insurance/card_replacement.html",
        {
            "title": _("NHI card replacement and photo change"),
            "person": person,
            "is_self": person.pk == request.citizen.person.pk,
            "people": picker(request, service.SERVICE, person),
            "card": selectors.card_summary(person),
            "requests": requests,
            "waiting": waiting,
            "form": form,
            "fees": _fees(),
        },
        status=status,
    )


@citizen_required()
@require_http_methods(["GET", "HEAD", "POST"])
def card_replacement(request, person_id):
    person = acting_for(request, person_id, service.SERVICE)
    if request.method != "POST":
        return _page(request, person, CardRequestForm(initial=service.default_address(person)))
    # An oversized photo is refused by ``photos.store_photo`` from its declared size (naming the field); the
    # body itself was already read by the CSRF check, to a temporary file beyond a few MB.
    form = CardRequestForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        try:
            service.submit_request(
                request.citizen.person,
                person,
                reason=d["reason"],
                photo=d["photo"],
                address={k: d[k] for k in ("county", "township", "village", "street")},
                fee_accepted=d["fee_accepted"],
                language=request.LANGUAGE_CODE,
            )
        except service.CardRequestRefused as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
            return _page(request, person, form, status=refused.status)
        messages.success(request, _("Your request is sent; you will get an e-mail when it is decided."))
        return redirect("insurance:card-replacement", person_id=person.pk)
    return _page(request, person, form, status=400)


@citizen_required()
@require_safe
def request_photo(request, person_id, request_id):
    """The photo of one of the person's requests, for them (or the insured person acting for them) only."""
    person = acting_for(request, person_id, service.SERVICE)
    row = CardReplacementRequest.objects.filter(pk=request_id, person=person).only("photo").first()
    if row is None or not row.photo:
        raise Http404
    try:
        picture = photos.card_photo_jpeg(row.photo)
    except (ValueError, FileNotFoundError, OSError):
        raise Http404 from None
    response = HttpResponse(picture, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


routes = [
    path("card/", card_replacement, name="card-replacement"),
    path("card/<uuid:request_id>/photo", request_photo, name="card-replacement-photo"),
]
