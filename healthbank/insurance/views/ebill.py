"""電子繳款單 — subscribe, unsubscribe, and each month's premium bill as a PDF (SPEC §10)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from healthbank.accounts.decorators import citizen_required
from healthbank.core import display

from .. import ebill, pdf, selectors
from .common import acting_for

SERVICE = "ebill"


def _own(request, person_id):
    """The bill is the insured person's own: a dependent's id is a 404 here."""
    person = acting_for(request, person_id, SERVICE)
    if person.pk != request.citizen.person.pk:
        raise Http404
    return person


def parse_month(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        return None


def bill_pdf(person, month: dt.date, language: str) -> tuple[bytes, str] | None:
    """The PDF of ``month``'s bill and its file name, or None when nothing was billed that month."""
    bill = ebill.bill_of(person, month)
    if bill is None:
        return None
    for row in bill["rows"]:
        row.amount_label, row.salary_label = f"{row.amount:,}", f"{row.insured_salary:,}"
    context = {
        **bill,
        "person": person,
        "month_label": display.format_month(month, language),
        "due_label": display.format_date(bill["due_on"], language),
        "total_label": f"{bill['total']:,}",
        "unpaid_label": f"{bill['unpaid_total']:,}",
    }
    data = pdf.render_pdf("insurance/pdf/ebill.html", context, language=language)
    stem = "電子繳款單" if language.startswith("zh") else "NHI-e-bill"
    return data, f"{stem}_{month:%Y%m}.pdf"


@citizen_required()
@require_http_methods(["GET", "HEAD", "POST"])
def ebill_page(request, person_id):
    person = _own(request, person_id)
    error = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action not in ("subscribe", "unsubscribe"):
                raise ebill.EBillRefused("action", _("Choose to subscribe or to unsubscribe."))
            if action == "unsubscribe":
                ebill.unsubscribe(person)
                messages.success(request, _("Unsubscribed: your bills come on paper again."))
            else:
                found = ebill.subscribe(person, language=request.LANGUAGE_CODE)
                messages.success(
                    request, _("Subscribed: each month's bill is e-mailed to %(email)s.") % {"email": found.email}
                )
            return redirect("insurance:ebill", person.pk)
        except ebill.EBillRefused as refused:
            error, status = {"field": refused.field, "message": refused.message}, refused.status
    language = request.LANGUAGE_CODE
    months = [
        {
            "month": m["month"],
            "key": f"{m['month']:%Y-%m}",
            "label": display.format_month(m["month"], language),
            "total": f"{m['total']:,}",
        }
        for m in selectors.ebill_months(person)
    ]
    subscription = selectors.ebill_subscription(person)
    context = {
        "title": _("E-bill"),
        "person": person,
        "subscription": subscription,
        "changed": display.format_datetime(subscription.changed_at, language) if subscription else "",
        "email": ebill.confirmed_email(person),
        "months": months,
        "error": error,
    }
    return render(request, "insurance/ebill.html", context, status=status)


@citizen_required()
@require_safe
def ebill_download(request, person_id, month):
    person = _own(request, person_id)
    day = parse_month(month)
    made = bill_pdf(person, day, request.LANGUAGE_CODE) if day else None
    if made is None:
        raise Http404
    return pdf.pdf_response(*made)


routes = [
    path("ebill/", ebill_page, name="ebill"),
    path("ebill/<str:month>.pdf", ebill_download, name="ebill-pdf"),
]
