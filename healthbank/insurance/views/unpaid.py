"""個人未繳保費查詢/下載/簡易分期申請 — the unpaid premiums, their payment slips and instalments (SPEC §10).

The premium bills are the person's own (decisions.md): another person's id, a dependent's included, is a 404
like a missing one. Thin: the selector lists, ``unpaid_services`` proposes, stores and builds the slips.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from healthbank import policy
from healthbank.accounts.decorators import citizen_required
from healthbank.core import display

from .. import barcodes, pdf, selectors, unpaid, unpaid_services
from ..unpaid_services import PremiumRefused
from .common import acting_for

SERVICE = "unpaid-premiums"


def _own(request, person_id):
    """The citizen themselves: the premium bills are not a dependent's to see (404, nothing logged)."""
    if person_id != request.citizen.person.pk:
        raise Http404
    return acting_for(request, person_id, SERVICE)


def _list_context(person, *, error=None, count=None) -> dict:
    rows = selectors.unpaid_premiums(person)
    plan = selectors.open_instalment_plan(person)
    free = [row for row in rows if row.plan is None]
    free_total = sum(row.amount for row in free)
    most = unpaid.most_instalments(free_total) if plan is None else 0
    return {
        "title": _("Unpaid premiums"),
        "person": person,
        "rows": rows,
        "total": sum(row.amount for row in rows),
        "overdue_total": sum(row.amount for row in free if row.overdue),
        "plan": plan,
        "instalments": list(plan.instalments.all()) if plan else [],
        "may_request": most > 0,
        "counts": list(range(policy.PREMIUM_INSTALMENT_MIN_COUNT, most + 1)),
        "chosen_count": str(count or most),
        "threshold": policy.PREMIUM_INSTALMENT_MIN_TOTAL,
        "error": error,
    }


@require_safe
@citizen_required(kiosk=True)
def unpaid_premiums(request, person_id):
    person = _own(request, person_id)
    return render(request, "insurance/unpaid/list.html", _list_context(person))


@require_http_methods(["GET", "HEAD", "POST"])
@citizen_required()
def instalments(request, person_id):
    """GET ``?count=``: the proposed schedule; POST ``count`` and ``months``: accept it (stored once)."""
    person = _own(request, person_id)
    data = request.POST if request.method == "POST" else request.GET
    count = data.get("count") or None
    try:
        if request.method == "POST":
            _plan, created = unpaid_services.accept_plan(person, count=count, months=request.POST.getlist("months"))
            if created:
                messages.success(request, _("Your instalment plan is accepted. Each instalment has its own slip."))
            else:
                messages.info(request, _("This instalment plan was accepted already; nothing new was stored."))
            return redirect("insurance:unpaid-premiums", person_id=person.pk)
        proposal = unpaid_services.propose(person, count)
    except PremiumRefused as refused:
        context = _list_context(person, error={"field": refused.field, "message": refused.message}, count=count)
        return render(request, "insurance/unpaid/list.html", context, status=refused.status)
    return render(
        request,
        "insurance/unpaid/proposal.html",
        {
            "title": _("Pay in instalments"),
            "person": person,
            "proposal": proposal,
            "counts": list(range(policy.PREMIUM_INSTALMENT_MIN_COUNT, proposal.most + 1)),
        },
    )


def _slip_response(request, slip, file_stem: str):
    language = translation.get_language()
    images = [barcodes.code39_data_url(s) for s in slip.barcodes.segments] if slip.barcodes else []
    data = pdf.render_pdf(
        "insurance/pdf/payment_slip.html",
        {"slip": slip, "images": images, "store_limit": policy.PREMIUM_SLIP_STORE_LIMIT},
        language=language,
    )
    name = _("payment-slip")
    return pdf.pdf_response(data, f"{name}_{file_stem}.pdf")


@require_safe
@citizen_required(kiosk=True)
def month_slip(request, person_id, calculation_id):
    person = _own(request, person_id)
    slip = unpaid_services.month_slip(person, calculation_id)
    if slip is None:
        raise Http404
    return _slip_response(request, slip, display.format_month(slip.title_month).replace("/", "").replace("-", ""))


@require_safe
@citizen_required(kiosk=True)
def instalment_slip(request, person_id, number):
    person = _own(request, person_id)
    slip = unpaid_services.instalment_slip(person, number)
    if slip is None:
        raise Http404
    return _slip_response(request, slip, f"{_('instalment')}{number}")


routes = [
    path("premiums/", unpaid_premiums, name="unpaid-premiums"),
    path("premiums/instalments/", instalments, name="unpaid-instalments"),
    path("premiums/<uuid:calculation_id>/slip.pdf", month_slip, name="unpaid-slip"),
    path("premiums/instalments/<int:number>/slip.pdf", instalment_slip, name="instalment-slip"),
]
