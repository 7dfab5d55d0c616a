"""Pages of visits: home, western outpatient, Chinese medicine, one visit (SPEC §6.2)."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from healthbank import policy
from healthbank.core.categories import DataCategory

from ..selectors import visits
from ..viewing import reader_for_request
from .common import passbook_page


def landing(request):
    """The public front page; a logged-in person goes to their passbook."""
    if getattr(request, "citizen", None) is not None:
        return redirect("passbook:overview", request.citizen.person.pk)
    return render(request, "passbook/landing.html", {"lag_hours": policy.DATA_LAG_NOTICE_HOURS})


def own_passbook(request):
    reader = reader_for_request(request)
    if reader is None or reader.kind != "person":
        return redirect("accounts:login")
    return redirect("passbook:overview", reader.person_id)


@passbook_page
def overview(request, viewing):
    from ..selectors import calendar as calendar_selectors

    context = {"last": visits.last_visits(viewing)}
    context.update(calendar_selectors.home_extras(viewing))
    return "passbook/overview.html", context


def _chart(viewing, category: str, list_name: str) -> dict:
    """The top-diagnoses doughnut: each slice links to the list filtered by that diagnosis."""
    top = visits.top_diagnoses(viewing, category)
    base = reverse(f"passbook:{list_name}", args=[viewing.person.pk])
    return {
        "type": "doughnut",
        "title": str(_("Top diagnoses of the last 3 years")),
        "labels": [f"{d['name'] or d['code']}" for d in top],
        "values": [d["count"] for d in top],
        "links": [f"{base}?icd={d['code']}" for d in top],
        "rows": top,
    }


def _visit_list(request, viewing, category: str, list_name: str, title):
    page = visits.visit_list(viewing, category, request.GET)
    chart = _chart(viewing, category, list_name) if category in visits.KINDS_IN_TOP_DIAGNOSES else None
    icd = page.params.filters.get("icd", "")
    context = {
        "title": title,
        "page": page,
        "chart": chart,
        "filtered_by": visits.diagnosis(icd, viewing) if icd else None,
        "kinds": visits.KINDS_OF_LIST[category],
        "list_name": list_name,
    }
    return "passbook/visit_list.html", context


@passbook_page
def outpatient(request, viewing):
    return _visit_list(request, viewing, DataCategory.OUTPATIENT, "outpatient", _("Western-medicine outpatient"))


@passbook_page
def chinese(request, viewing):
    return _visit_list(request, viewing, DataCategory.CHINESE_MEDICINE, "chinese", _("Chinese-medicine outpatient"))


@passbook_page
def visit(request, viewing, visit_id):
    names = request.GET.get("names", "")
    if names in ("zh", "en"):
        viewing.language = "zh-hant" if names == "zh" else "en"
    detail = visits.visit_detail(viewing, visit_id)
    template = "passbook/_visit_detail.html" if request.headers.get("HX-Request") else "passbook/visit.html"
    return template, {"visit": detail, "names": "zh" if viewing.chinese else "en"}
