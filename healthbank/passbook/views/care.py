"""Care pages: dental tooth chart, inpatient stays, a discharge summary, surgery, medication, refill records."""

from __future__ import annotations

from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from healthbank.core.categories import DataCategory

from ..diagrams import body_diagram_context, tooth_chart_context
from ..selectors import care
from ..selectors.common import diagnosis
from .common import passbook_page


def _with_older(url: str, older: bool, joiner: str = "&") -> str:
    return f"{url}{joiner}older=1" if older else url


def dental_chart(viewing, older: bool) -> dict:
    counts = care.tooth_counts(viewing, older=older)
    base = reverse("passbook:dental", args=[viewing.person.pk])

    def url_for(fdi: int) -> str:
        return _with_older(f"{base}?tooth={fdi}", older) + "#list-title"

    def label_for(fdi: int, count: int) -> str:
        return ngettext("Tooth %(fdi)s: %(count)s visit", "Tooth %(fdi)s: %(count)s visits", count) % {
            "fdi": fdi,
            "count": count,
        }

    chart = tooth_chart_context(counts, url_for, label_for)
    primary = [t for t in chart["other"] if t["fdi"] in care.PRIMARY_TEETH]
    return {"tooth_chart": chart, "primary_teeth": primary, "tooth_counts": counts}


@passbook_page
def dental(request, viewing):
    page = care.dental_list(viewing, request.GET)
    context = dental_chart(viewing, page.params.older)
    tooth = page.params.filters.get("tooth", "")
    icd = page.params.filters.get("icd", "")
    context.update(
        title=_("Dental"),
        page=page,
        tooth=int(tooth) if tooth else None,
        all_teeth_query=page.params.query(tooth=None, page=None),
        filtered_by=diagnosis(icd, viewing) if icd else None,
    )
    return "passbook/care_dental.html", context


def inpatient_chart(years: list[dict]) -> dict:
    ordered = list(reversed(years))
    return {
        "type": "bar",
        "title": _("Inpatient stays by year of admission"),
        "labels": [str(y["year"]) for y in ordered],
        "values": [y["stays"] for y in ordered],
        "unit": _("stays"),
        "summary": ", ".join(f"{y['year']}: {y['stays']}" for y in years),
    }


@passbook_page
def inpatient(request, viewing):
    page = care.inpatient_list(viewing, request.GET)
    years = care.inpatient_years(viewing, older=page.params.older)
    year = page.params.filters.get("year", "")
    context = {
        "title": _("Inpatient"),
        "page": page,
        "years": years,
        "year": int(year) if year else None,
        "chart": inpatient_chart(years) if years else None,
        "reads_summaries": viewing.can(DataCategory.DISCHARGE_SUMMARIES),
    }
    return "passbook/care_inpatient.html", context


@passbook_page
def discharge(request, viewing, report_id):
    summary = care.discharge_summary(viewing, report_id)
    return "passbook/care_discharge.html", {"title": _("Discharge summary"), "summary": summary}


def surgery_diagram(viewing, older: bool) -> dict:
    counts = care.surgery_sites(viewing, older=older)
    base = reverse("passbook:surgery", args=[viewing.person.pk])

    def url_for(code: str) -> str:
        return _with_older(f"{base}?site={code}", older) + "#list-title"

    def label_for(code: str, count: int) -> str:
        return ngettext("%(site)s: %(count)s operation", "%(site)s: %(count)s operations", count) % {
            "site": care.site_name(code),
            "count": count,
        }

    diagram = body_diagram_context(viewing.person.sex, counts, url_for, label_for)
    sites = [
        {"code": code, "name": care.site_name(code), "count": count, "url": url_for(code)}
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    return {"body_diagram": diagram, "sites": sites}


@passbook_page
def surgery(request, viewing):
    page = care.surgery_list(viewing, request.GET)
    context = surgery_diagram(viewing, page.params.older)
    site = page.params.filters.get("site", "")
    context.update(title=_("Surgery"), page=page, site=site, site_name=care.site_name(site) if site else "")
    return "passbook/care_surgery.html", context


@passbook_page
def medication(request, viewing):
    result = care.medication(viewing, request.GET)
    wanted = result["page"].params.filters.get("class", "")
    context = {
        "title": _("Medication"),
        "page": result["page"],
        "groups": result["groups"],
        "wanted": wanted,
        "wanted_name": next((g["name"] for g in result["groups"] if g["key"] == wanted), wanted),
    }
    return "passbook/care_medication.html", context


@passbook_page
def refills(request, viewing):
    page = care.refill_list(viewing, request.GET)
    icd = page.params.filters.get("icd", "")
    context = {
        "title": _("Refill records"),
        "page": page,
        "filtered_by": diagnosis(icd, viewing) if icd else None,
    }
    return "passbook/care_refills.html", context


routes = [
    path("dental/", dental, name="dental"),
    path("inpatient/", inpatient, name="inpatient"),
    path("discharge/<uuid:report_id>/", discharge, name="discharge"),
    path("surgery/", surgery, name="surgery"),
    path("medication/", medication, name="medication"),
    path("refills/", refills, name="refills"),
]
