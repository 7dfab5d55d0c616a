"""Certificates (SPEC §10): 中英文投保證明 and 保險費繳納證明 — issuing, drawing, and the public check.

One mechanism for every kind: a certificate is an ``IssuedDocument`` row with a random code and a snapshot of
exactly what it says; the PDF is drawn from the snapshot (with the code and a QR code of the check page's
address), and ``/verify/<code>`` shows the snapshot to anyone who has the code, without logging in.

Writes (``issue_*``) take the requester and the person explicitly: the caller has applied the acting rule
(``selectors.person_acted_for``). Refusals are ``CertificateRefused`` naming the field.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.accounts import limits
from healthbank.core import display
from healthbank.core.http import throttle_bucket
from healthbank.core.rocdate import ROC_OFFSET, RocDateError, parse_roc
from healthbank.identity.models import Enrolment, Person

from . import certificate_rules as rules
from . import pdf
from .models import IssuedDocument, PremiumPayment

Kind = IssuedDocument.Kind
LANGUAGES = tuple(IssuedDocument.Language.values)


class CertificateRefused(Exception):
    """A certificate that cannot be issued (or a code that does not check): the field, the reason, the status."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


# ---------------------------------------------------------------- what a certificate says


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise CertificateRefused("language", _("Choose Chinese or English."))
    return language


def _person_facts(person: Person) -> dict:
    """Who the certificate is about, as printed: the full name, the masked national ID, the date of birth."""
    return {"name": person.name, "national_id": person.national_id_masked, "birth_date": person.birth_date.isoformat()}


def insurance_snapshot(person: Person, *, date_from: dt.date, date_to: dt.date, today: dt.date) -> dict:
    """投保證明: the person's enrolments within [from, to], cut to it; refused naming the field if none."""
    if date_from > date_to:
        raise CertificateRefused("date_to", _("The end of the period is before its start."))
    if date_to > today:
        raise CertificateRefused("date_to", _("The period cannot end after today."))
    if date_from < policy.NHI_STARTED_ON:
        raise CertificateRefused(
            "date_from",
            _("National Health Insurance began on %(day)s; choose a start on or after it.")
            % {"day": display.format_date(policy.NHI_STARTED_ON)},
        )
    enrolments = Enrolment.objects.filter(person=person, started_on__lte=date_to).select_related("unit")
    periods = rules.insured_within(enrolments, date_from, date_to)
    if not periods:
        raise CertificateRefused(
            "date_from",
            _("%(name)s was not insured on any day from %(start)s to %(end)s; choose a period with insurance.")
            % {
                "name": person.masked_name,
                "start": display.format_date(date_from),
                "end": display.format_date(date_to),
            },
        )
    return {
        **_person_facts(person),
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "periods": [
            {
                "from": p.starts_on.isoformat(),
                "until": p.ends_on.isoformat(),
                "still_insured": p.still_insured,
                "category": p.source.category,
                "role": p.source.role,
                "relationship": p.source.relationship,
                "unit_code": p.source.unit.code,
                "unit_name": p.source.unit.name,
            }
            for p in periods
        ],
    }


def year_label(year: int) -> str:
    """``114年`` (the ROC year, as the NHI prints it) in Chinese, ``2025`` otherwise."""
    if translation.get_language().startswith("zh"):
        return f"民國{year - ROC_OFFSET}年（{year}）"
    return str(year)


def _month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def premiums_snapshot(person: Person, *, year: int, today: dt.date) -> dict:
    """保險費繳納證明: the premiums ``person`` paid in ``year`` (by the day paid), per person billed and in all.

    Each month's bill covers the insured and the dependents billed with them (``insured_count``); it is split
    evenly among them (``rules.shares``), the dependents being those of the insured's household enrolled in
    that month, the longest-enrolled first (the bill counts at most three: ``PREMIUM_MAX_DEPENDENTS_BILLED``).
    """
    if not isinstance(year, int) or year < policy.NHI_STARTED_ON.year or year > today.year:
        raise CertificateRefused(
            "year",
            _("Choose a year from %(first)s to %(last)s.") % {"first": policy.NHI_STARTED_ON.year, "last": today.year},
        )
    payments = list(
        PremiumPayment.objects.filter(person=person, paid_on__year=year)
        .select_related("calculation__unit")
        .order_by("calculation__month", "paid_on", "pk")
    )
    if not payments:
        raise CertificateRefused(
            "year",
            _("No premium paid by %(name)s in %(year)s is on record; choose another year.")
            % {"name": person.masked_name, "year": year_label(year)},
        )
    dependents = list(
        Enrolment.objects.filter(household__person=person, role=Enrolment.Role.DEPENDENT)
        .select_related("person")
        .order_by("started_on", "person__birth_date", "pk")
    )
    totals: dict = {person.pk: {**_person_facts(person), "relationship": "self", "amount": 0}}
    months = []
    for payment in payments:
        calc = payment.calculation
        first, last = calc.month, _month_end(calc.month)
        enrolled = []
        for enrolment in dependents:
            if enrolment.started_on <= last and (enrolment.ended_on is None or enrolment.ended_on >= first):
                if enrolment.person_id not in [e.person_id for e in enrolled]:
                    enrolled.append(enrolment)
        billed = enrolled[: max(calc.insured_count - 1, 0)]
        split = rules.shares(payment.amount, 1 + len(billed))
        totals[person.pk]["amount"] += split[0]
        for enrolment, amount in zip(billed, split[1:], strict=True):
            row = totals.setdefault(
                enrolment.person_id,
                {**_person_facts(enrolment.person), "relationship": enrolment.relationship, "amount": 0},
            )
            row["amount"] += amount
        months.append(
            {
                "month": calc.month.isoformat(),
                "unit_code": calc.unit.code,
                "unit_name": calc.unit.name,
                "billed": calc.insured_count,
                "amount": payment.amount,
                "paid_on": payment.paid_on.isoformat(),
            }
        )
    return {
        **_person_facts(person),
        "year": year,
        "people": list(totals.values()),
        "months": months,
        "total": sum(p.amount for p in payments),
    }


def parse_day(value: str, field: str, label: str) -> dt.date:
    """A day picked (ISO, what a date input sends) or typed as the Chinese pages print it (``115/12/31``)."""
    value = (value or "").strip()
    if not value:
        raise CertificateRefused(field, _("Enter the %(label)s.") % {"label": label})
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return parse_roc(value)
    except RocDateError:
        raise CertificateRefused(
            field, _("The %(label)s is not a date; enter it like 2026-12-31 or 115/12/31.") % {"label": label}
        ) from None


# ---------------------------------------------------------------- issuing


def _fingerprint(kind: str, language: str, snapshot: dict) -> str:
    text = json.dumps([kind, language, snapshot], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _issue(requester: Person, person: Person, kind: str, language: str, snapshot: dict) -> IssuedDocument:
    """Store the certificate once: the same one again the same day is the row issued before, with its code
    (``newly_issued`` says which)."""
    now = timezone.now()
    today = timezone.localdate(now)
    fingerprint = _fingerprint(kind, language, snapshot)
    found = IssuedDocument.objects.filter(person=person, fingerprint=fingerprint, issued_on=today).first()
    if found is not None:
        found.newly_issued = False
        return found
    count, window = policy.CERTIFICATES_MAX_PER_DAY
    if limits.hit(f"certificates-issued:{requester.pk}", window) > count:
        raise CertificateRefused("request", _("You issued many certificates today; try again tomorrow."), 429)
    for _attempt in range(3):  # a code drawn twice (80 bits: never, in practice) is drawn again
        try:
            with transaction.atomic():
                document = IssuedDocument.objects.create(
                    person=person,
                    requested_by=requester,
                    kind=kind,
                    language=language,
                    code=rules.new_code(),
                    fingerprint=fingerprint,
                    snapshot=snapshot,
                    issued_at=now,
                    issued_on=today,
                    verifiable_until=now + policy.CERTIFICATE_VERIFIABLE_FOR,
                )
            document.newly_issued = True
            return document
        except IntegrityError:
            found = IssuedDocument.objects.filter(person=person, fingerprint=fingerprint, issued_on=today).first()
            if found is not None:  # the same request, a moment earlier
                found.newly_issued = False
                return found
    raise CertificateRefused("request", _("The certificate could not be issued; please try again."), 409)


def issue_insurance_certificate(
    requester: Person,
    person: Person,
    *,
    date_from: dt.date,
    date_to: dt.date,
    language: str,
    passport_name: str = "",
) -> IssuedDocument:
    """中英文投保證明 — ``person``'s insurance over [from, to]; English ones print the passport spelling."""
    language = _language(language)
    name_en = ""
    if language == "en":
        try:
            name_en = rules.passport_name(passport_name)
        except ValueError as exc:
            reason = str(exc)
            message = {
                "empty": _("Enter the name as it is written in the passport."),
                "long": _("The name is at most %(n)d characters.") % {"n": policy.CERTIFICATE_PASSPORT_NAME_MAX_LENGTH},
            }.get(
                reason,
                _("Use Latin letters as in the passport, with spaces, hyphens, apostrophes and a comma only."),
            )
            raise CertificateRefused("name_en", message) from None
    snapshot = insurance_snapshot(person, date_from=date_from, date_to=date_to, today=timezone.localdate())
    if name_en:
        snapshot["name_en"] = name_en
    return _issue(requester, person, Kind.INSURANCE, language, snapshot)


def issue_premium_certificate(requester: Person, person: Person, *, year: int, language: str) -> IssuedDocument:
    """保險費繳納證明 — the premiums ``person`` paid in ``year``, for the income-tax deduction."""
    language = _language(language)
    snapshot = premiums_snapshot(person, year=year, today=timezone.localdate())
    return _issue(requester, person, Kind.PREMIUMS_PAID, language, snapshot)


# ---------------------------------------------------------------- reading


def issued_for(person: Person, *, kind: str | None = None, limit: int = 20) -> list[IssuedDocument]:
    """The certificates issued about ``person``, newest first (the caller has applied the acting rule)."""
    rows = IssuedDocument.objects.filter(person=person)
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("-issued_at")[:limit])


def issued_document(person: Person, document_id) -> IssuedDocument:
    """One of ``person``'s certificates; ``IssuedDocument.DoesNotExist`` for another's id (a 404 for the caller)."""
    return IssuedDocument.objects.get(person=person, pk=document_id)


def verify_url(document: IssuedDocument) -> str:
    """The public check page of the certificate, in its language: what the QR code carries."""
    with translation.override(document.language):
        return settings.SITE_URL.rstrip("/") + reverse("insurance:verify-code", args=[document.code])


def qr_png(text: str, *, scale: int = 6) -> bytes:
    """A regular QR code (never Micro QR), error correction M, a four-module quiet zone."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m", boost_error=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_data_url(text: str) -> str:
    """The QR code as the PDF embeds it (a ``data:`` URL of the PNG ``qr_png`` draws)."""
    return "data:image/png;base64," + base64.b64encode(qr_png(text)).decode()


def qr_svg(text: str, *, title: str = "") -> str:
    buffer = io.BytesIO()
    segno.make_qr(text, error="m", boost_error=False).save(
        buffer, kind="svg", scale=4, border=4, xmldecl=False, svgns=True, title=title or None, omitsize=True
    )
    return buffer.getvalue().decode()


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def content(document: IssuedDocument) -> dict:
    """What the certificate says, for a page or the PDF: the snapshot with dates as dates and labels in the
    active language."""
    s = document.snapshot
    view = {
        "kind": document.kind,
        "title": document.get_kind_display(),
        "name": s["name"],
        "name_en": s.get("name_en", ""),
        "national_id": s["national_id"],
        "birth_date": _day(s.get("birth_date")),
        "issued_at": document.issued_at,
        "verifiable_until": document.verifiable_until,
        "code": rules.grouped(document.code),
    }
    if document.kind == Kind.INSURANCE:
        view.update(
            date_from=_day(s["date_from"]),
            date_to=_day(s["date_to"]),
            periods=[
                {
                    **p,
                    "from": _day(p["from"]),
                    "until": _day(p["until"]),
                    "category_label": Enrolment.Category(p["category"]).label,
                    "role_label": Enrolment.Role(p["role"]).label,
                    "relationship_label": Enrolment.Relationship(p["relationship"]).label,
                }
                for p in s["periods"]
            ],
        )
    else:
        view.update(
            year=s["year"],
            year_label=year_label(s["year"]),
            total=s["total"],
            people=[{**p, "relationship_label": Enrolment.Relationship(p["relationship"]).label} for p in s["people"]],
            months=[{**m, "month": _day(m["month"]), "paid_on": _day(m["paid_on"])} for m in s["months"]],
        )
    return view


_TEMPLATES = {
    Kind.INSURANCE: "insurance/pdf/insurance_certificate.html",
    Kind.PREMIUMS_PAID: "insurance/pdf/premium_certificate.html",
}


def certificate_pdf(document: IssuedDocument) -> bytes:
    """The certificate as an A4 PDF in its own language, with its code and the QR code of its check page."""
    url = verify_url(document)
    with translation.override(document.language):
        context = {"doc": content(document), "verify_url": url, "qr": qr_data_url(url)}
    return pdf.render_pdf(_TEMPLATES[document.kind], context, language=document.language)


def pdf_response_for(document: IssuedDocument):
    """The certificate's PDF as a download (``Cache-Control: private, no-store``)."""
    return pdf.pdf_response(certificate_pdf(document), file_name(document))


def file_name(document: IssuedDocument) -> str:
    stamp = document.issued_at.astimezone(timezone.get_current_timezone()).strftime("%Y%m%d")
    if document.language == "en":
        base = "certificate_of_insurance" if document.kind == Kind.INSURANCE else "premium_payment_certificate"
    else:
        base = "投保證明" if document.kind == Kind.INSURANCE else "保險費繳納證明"
    return f"{base}_{stamp}_{document.code[:4]}.pdf"


# ---------------------------------------------------------------- the public check


@dataclass(frozen=True)
class Check:
    """What the public page says about a code: ``genuine`` (with the document), ``expired``, ``unknown``,
    ``throttled``."""

    outcome: str
    document: IssuedDocument | None = None


def check_code(text: str, *, address: str) -> Check:
    """驗證 — anyone with the code sees the certificate it belongs to.

    A wrong code (malformed, unknown, altered) takes one of the address's slots, taken before the look-up in
    one atomic step (``accounts.limits``); a code that checks out gives it back. Nothing tells a wrong code
    from a nearly right one. A genuine check is counted on the row, which the person sees.
    """
    count, window = policy.CERTIFICATE_VERIFY_ATTEMPTS
    slot = f"certificate-check:{throttle_bucket(address)}"
    if limits.hit(slot, window) > count:
        return Check("throttled")
    code = rules.normalise_code(text)
    document = IssuedDocument.objects.filter(code=code).first() if code else None
    if document is None:
        return Check("unknown")
    limits.give_back(slot)
    now = timezone.now()
    if document.verifiable_until <= now:
        return Check("expired", document)
    IssuedDocument.objects.filter(pk=document.pk).update(times_checked=F("times_checked") + 1, last_checked_at=now)
    return Check("genuine", document)
