"""Pages of lab results, reports, adult preventive care, cancer screening, follow-up care and risk (SPEC §6.2, §7)."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _

from healthbank.core.categories import DataCategory

from ..listing import ListError
from ..selectors import labs
from .common import passbook_page


def _older(request) -> bool:
    older = request.GET.get("older", "")
    if older not in ("", "0", "1"):
        raise ListError("older", _("“older” is 1 (show older records too) or 0."))
    return older == "1"


@passbook_page
def lab_results(request, viewing):
    older = _older(request)
    page = labs.other_labs(viewing, request.GET)
    context = {
        "title": _("Lab results"),
        "tests": labs.glucose_and_lipids(viewing, older=older),
        "older": older,
        "page": page,
        "lab_keys": labs.other_lab_keys(viewing),
        "flag_words": labs.flag_words(),
        "can_reports": viewing.can(DataCategory.IMAGING_PATHOLOGY),
    }
    return "passbook/labs_results.html", context


@passbook_page
def reports(request, viewing):
    page = labs.report_list(viewing, request.GET)
    return "passbook/labs_reports.html", {"title": _("Imaging and pathology reports"), "page": page,
                                           "kinds": labs.REPORT_KINDS}  # fmt: skip


@passbook_page
def report(request, viewing, report_id):
    detail = labs.report_detail(viewing, report_id)
    return "passbook/labs_report.html", {"title": detail["title"], "report": detail}


@passbook_page
def preventive(request, viewing):
    data = labs.preventive_checks(viewing)
    return "passbook/preventive.html", {"title": _("Adult preventive care"), **data}


@passbook_page
def screening(request, viewing):
    return "passbook/labs_screening.html", {
        "title": _("Cancer screening"),
        "kinds": labs.cancer_screenings(viewing),
    }


@passbook_page
def follow_up(request, viewing):
    return "passbook/labs_follow_up.html", {"title": _("Follow-up care"), "programs": labs.follow_ups(viewing)}


@passbook_page
def risk(request, viewing):
    posted = request.POST if request.method == "POST" else None
    data = labs.risk_page(viewing, posted)
    status = 400 if data["errors"] and not request.headers.get("HX-Request") else 200
    template = "passbook/risk_body.html" if request.headers.get("HX-Request") else "passbook/risk_page.html"
    return template, {"title": _("Liver cancer and kidney disease risk"), **data}, status


routes = [
    path("labs/", lab_results, name="labs"),
    path("reports/", reports, name="reports"),
    path("reports/<uuid:report_id>/", report, name="report"),
    path("preventive/", preventive, name="preventive"),
    path("screening/", screening, name="screening"),
    path("follow-up/", follow_up, name="follow-up"),
    path("risk/", risk, name="risk"),
]
