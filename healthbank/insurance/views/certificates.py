"""中英文投保證明 and 保險費繳納證明 (SPEC §10): the forms, the issued certificate and its PDF, and the public
check page ``/verify/<code>`` that anyone opens without logging in.

Thin: parse the form, call ``certificates`` (which decides and refuses naming the field), render.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from healthbank import policy
from healthbank.access.services import NotReadable
from healthbank.accounts.decorators import citizen_required
from healthbank.core.http import client_address

from .. import certificates
from ..certificates import CertificateRefused, Kind, parse_day
from ..models import IssuedDocument
from .common import acting_for, picker

INSURANCE_SERVICE = "insurance_certificate"
PREMIUMS_SERVICE = "premium_certificate"
SERVICE_OF = {Kind.INSURANCE: INSURANCE_SERVICE, Kind.PREMIUMS_PAID: PREMIUMS_SERVICE}


def parse_year(value) -> int:
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or len(text) > 4:
        raise CertificateRefused("year", _("Choose a year."))
    return int(text)


def _acting(request, person_id, service: str):
    try:
        person = acting_for(request, person_id, service)
    except NotReadable:
        raise Http404 from None
    if service == PREMIUMS_SERVICE and person.pk != request.citizen.person.pk:
        raise Http404  # the household's bill is the insured person's own certificate
    return person


def _error(refused: CertificateRefused) -> dict:
    return {"field": refused.field, "message": refused.message}


def _page(request, template: str, person, service: str, context: dict, status: int = 200):
    kind = Kind.INSURANCE if service == INSURANCE_SERVICE else Kind.PREMIUMS_PAID
    return render(
        request,
        template,
        {
            "person": person,
            "people": picker(request, service, person),
            "is_self": person.pk == request.citizen.person.pk,
            "issued": certificates.issued_for(person, kind=kind),
            **context,
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@citizen_required()
def insurance_certificate(request, person_id):
    """中英文投保證明 — choose a period and a language (and for English the passport name); issue."""
    person = _acting(request, person_id, INSURANCE_SERVICE)
    today = timezone.localdate()
    form = {
        "date_from": today.replace(month=1, day=1).isoformat(),
        "date_to": today.isoformat(),
        "language": "zh-hant",
        "name_en": person.name_en,
    }
    error = None
    if request.method == "POST":
        form = {k: request.POST.get(k, "")[:100] for k in form}
        try:
            document = certificates.issue_insurance_certificate(
                request.citizen.person,
                person,
                date_from=parse_day(form["date_from"], "date_from", _("start of the period")),
                date_to=parse_day(form["date_to"], "date_to", _("end of the period")),
                language=form["language"],
                passport_name=form["name_en"],
            )
        except CertificateRefused as refused:
            error = _error(refused)
        else:
            return redirect("insurance:certificate", person_id=person.pk, document_id=document.pk)
    return _page(
        request,
        "insurance/certificates/insurance.html",
        person,
        INSURANCE_SERVICE,
        {"title": _("Certificate of insurance"), "form": form, "error": error, "today": today},
        status=400 if error and error["field"] != "request" else 429 if error else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@citizen_required()
def premium_certificate(request, person_id):
    """保險費繳納證明 — choose a year (and a language); issue."""
    person = _acting(request, person_id, PREMIUMS_SERVICE)
    today = timezone.localdate()
    form = {"year": str(today.year - 1), "language": "zh-hant"}
    error = None
    if request.method == "POST":
        form = {k: request.POST.get(k, "")[:10] for k in form}
        try:
            document = certificates.issue_premium_certificate(
                request.citizen.person, person, year=parse_year(form["year"]), language=form["language"]
            )
        except CertificateRefused as refused:
            error = _error(refused)
        else:
            return redirect("insurance:certificate", person_id=person.pk, document_id=document.pk)
    years = list(range(today.year, max(policy.NHI_STARTED_ON.year, today.year - 10) - 1, -1))
    return _page(
        request,
        "insurance/certificates/premiums.html",
        person,
        PREMIUMS_SERVICE,
        {
            "title": _("Premium payment certificate"),
            "form": form,
            "error": error,
            "years": [{"value": str(y), "label": certificates.year_label(y)} for y in years],
        },
        status=400 if error and error["field"] != "request" else 429 if error else 200,
    )


def _document(request, person_id, document_id) -> tuple:
    # which service it is (and so whom it may be shown to) is asked of the certificates about this person only
    found = IssuedDocument.objects.filter(pk=document_id, person_id=person_id).only("kind").first()
    service = SERVICE_OF.get(found.kind if found else Kind.INSURANCE, INSURANCE_SERVICE)
    person = _acting(request, person_id, service)
    try:
        return person, certificates.issued_document(person, document_id)
    except IssuedDocument.DoesNotExist:
        raise Http404 from None


def _qr_markup(url: str) -> str:
    svg = certificates.qr_svg(url, title=_("QR code of the check page")).replace("<svg ", '<svg role="img" ', 1)
    return mark_safe(svg)  # noqa: S308 - segno's markup of our own address, not of the request


@require_safe
@citizen_required()
def certificate(request, person_id, document_id):
    """The certificate just issued (or an earlier one): its code, QR code, check page and the PDF to download."""
    person, document = _document(request, person_id, document_id)
    url = certificates.verify_url(document)
    return render(
        request,
        "insurance/certificates/issued.html",
        {
            "title": document.get_kind_display(),
            "person": person,
            "document": document,
            "doc": certificates.content(document),
            "verify_url": url,
            "qr": _qr_markup(url),
            "back": "insurance:certificate-insurance"
            if document.kind == Kind.INSURANCE
            else "insurance:certificate-premiums",
        },
    )


@require_safe
@citizen_required()
def certificate_pdf(request, person_id, document_id):
    _person, document = _document(request, person_id, document_id)
    return certificates.pdf_response_for(document)


# ---------------------------------------------------------------- the public check (no login)


def _public(response):
    response["Cache-Control"] = "no-store"  # a certificate's content is not kept by a shared computer or proxy
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the code in the address goes to no other site
    return response


@require_safe
def verify_form(request):
    """驗證證明 — type the code printed on a certificate (the QR code opens ``verify/<code>/`` directly)."""
    typed = request.GET.get("code", "")
    if typed.strip():
        code = certificates.rules.normalise_code(typed)
        if code:  # the page of the code as the QR code opens it
            return redirect("insurance:verify-code", code=code)
        return _verify_page(request, typed)  # not even shaped like a code: refused here, counted as a wrong one
    return _public(render(request, "insurance/certificates/verify.html", {"title": _("Check a certificate")}))


@require_safe
def verify(request, code):
    """What the certificate with ``code`` says and that the NHI issued it; a wrong code is refused, no hints."""
    return _verify_page(request, code)


def _verify_page(request, code: str):
    check = certificates.check_code(code, address=client_address(request))
    status = {"genuine": 200, "expired": 410, "unknown": 404, "throttled": 429}[check.outcome]
    context = {"title": _("Check a certificate"), "outcome": check.outcome, "typed": code[:64]}
    if check.document is not None:
        context["document"] = check.document
        if check.outcome == "genuine":
            context["doc"] = certificates.content(check.document)
    response = render(request, "insurance/certificates/verify.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(int(policy.CERTIFICATE_VERIFY_ATTEMPTS[1].total_seconds()))
    return _public(response)


routes = [
    path("certificates/insurance/", insurance_certificate, name="certificate-insurance"),
    path("certificates/premiums/", premium_certificate, name="certificate-premiums"),
    path("certificates/<uuid:document_id>/", certificate, name="certificate"),
    path("certificates/<uuid:document_id>/pdf", certificate_pdf, name="certificate-pdf"),
]
public_routes = [
    path("verify/", verify_form, name="verify"),
    path("verify/<str:code>/", verify, name="verify-code"),
]
