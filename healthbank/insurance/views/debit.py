"""單次約定轉帳 — pay chosen unpaid premium months from one's own bank account, once (SPEC §10).

Thin: the page lists the unpaid months (``selectors.unpaid_premiums``) and the latest debits; the form goes to
``debits.debit_months``. Each rendering of the form carries a fresh request key, so a double submit is one
debit; a refusal is shown on the field it concerns, a bank that is away answers 503.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from healthbank import policy
from healthbank.accounts.decorators import citizen_required
from healthbank.core import display

from .. import debits, selectors
from ..models import DirectDebit
from .common import acting_for

SERVICE = "direct_debit"


def own_bill_holder(request, person_id):
    """The bill and the bank account are the person's own: a dependent's id (no bill of theirs here) is a 404."""
    person = acting_for(request, person_id, SERVICE)
    if person.pk != request.citizen.person.pk:
        raise Http404
    return person


def debit_rows(person, language: str) -> list[dict]:
    rows = []
    for debit in selectors.direct_debits(person):
        rows.append(
            {
                "debit": debit,
                "when": display.format_datetime(debit.requested_at, language),
                "months": "、".join(display.format_month(m.calculation.month, language) for m in debit.months.all())
                if language.startswith("zh")
                else ", ".join(display.format_month(m.calculation.month, language) for m in debit.months.all()),
                "amount": f"{debit.amount:,}",
                "outcome": debits.reason_message(debit),
                "paid": debit.status == DirectDebit.Status.ACCEPTED,
            }
        )
    return rows


def _context(request, person, *, asked: dict | None = None, error: dict | None = None) -> dict:
    language = request.LANGUAGE_CODE
    unpaid = [row for row in selectors.unpaid_premiums(person) if row.plan is None]  # a plan's: its slips
    for row in unpaid:
        row.month_label = display.format_month(row.month, language)
        row.due_label = display.format_date(row.due_on, language)
        row.amount_label = f"{row.amount:,}"
    return {
        "title": _("One-off direct debit"),
        "person": person,
        "unpaid": unpaid,
        "debits": debit_rows(person, language),
        "asked": asked or {"months": [], "bank_code": "", "account_number": ""},
        "error": error,
        "request_key": uuid.uuid4().hex,
        "code_digits": policy.BANK_CODE_DIGITS,
        "account_digits": policy.BANK_ACCOUNT_DIGITS,
    }


@citizen_required()
@require_http_methods(["GET", "HEAD", "POST"])
def direct_debit(request, person_id):
    person = own_bill_holder(request, person_id)
    if request.method != "POST":
        return render(request, "insurance/direct_debit.html", _context(request, person))
    asked = {
        "months": request.POST.getlist("months"),
        "bank_code": request.POST.get("bank_code", "").strip(),
        "account_number": request.POST.get("account_number", "").strip(),
    }
    try:
        result = debits.debit_months(
            person,
            calculation_ids=asked["months"],
            bank_code=asked["bank_code"],
            account_number=asked["account_number"],
            request_key=request.POST.get("request_key", ""),
        )
    except debits.DebitRefused as refused:
        error = {"field": refused.field, "message": refused.message}
        return render(
            request,
            "insurance/direct_debit.html",
            _context(request, person, asked=asked, error=error),
            status=refused.status,
        )
    except debits.DebitUnavailable as away:
        error = {"field": "bank_code", "message": away.message}
        response = render(
            request, "insurance/direct_debit.html", _context(request, person, asked=asked, error=error), status=503
        )
        response["Retry-After"] = str(policy.DEPENDENCY_RETRY_AFTER_SECONDS)
        return response
    debit = result.debit
    if debit.status == DirectDebit.Status.REFUSED:
        error = {
            "field": debits.REFUSAL_FIELDS.get(debit.reason, "account_number"),
            "message": debits.reason_message(debit),
        }
        return render(
            request, "insurance/direct_debit.html", _context(request, person, asked=asked, error=error), status=422
        )
    if debit.status == DirectDebit.Status.ACCEPTED:
        messages.success(request, debits.reason_message(debit))
    else:
        messages.info(request, debits.reason_message(debit))
    return redirect("insurance:direct-debit", person.pk)


routes = [path("direct-debit/", direct_debit, name="direct-debit")]
