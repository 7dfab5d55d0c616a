"""Case progress (重大傷病、自墊醫療費用核退、事前審查進度查詢, 減免補助) and employer records
(雇主投保金額、菸捐及公益彩券補助查詢): the person's own pages, read through the acting rule."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from healthbank import policy
from healthbank.access.services import NotReadable
from healthbank.accounts.decorators import citizen_required

from .. import case_selectors
from .common import reader_of

CASES = "cases"
EMPLOYER_RECORDS = "employer_records"


def _own(request, person_id, service: str):
    try:
        return case_selectors.own_person(reader_of(request), person_id, service=service, known=request.citizen.person)
    except NotReadable:
        raise Http404 from None


@require_safe
@citizen_required()
def cases(request, person_id):
    person = _own(request, person_id, CASES)
    return render(
        request,
        "insurance/cases.html",
        {
            "title": _("Case progress"),
            "person": person,
            "cases": case_selectors.cases_of(person),
            "shown_years": policy.CASES_SHOWN_YEARS,
            "claim_months": policy.REIMBURSEMENT_CLAIM_WITHIN_MONTHS,
        },
    )


@require_safe
@citizen_required()
def employer_records(request, person_id):
    person = _own(request, person_id, EMPLOYER_RECORDS)
    years = case_selectors.employer_record_years(person)
    asked = request.GET.get("year", "")
    error = ""
    year = years[0]
    if asked:
        if asked.isascii() and asked.isdigit() and int(asked) in years:
            year = int(asked)
        else:
            error = _("Choose a year from %(first)s to %(last)s.") % {
                "first": case_selectors.year_label(years[-1]),
                "last": case_selectors.year_label(years[0]),
            }
    records = case_selectors.employer_records_of(person, year)
    return render(
        request,
        "insurance/employer_records.html",
        {
            "title": _("Employer's insured salary, tobacco-tax and lottery subsidies"),
            "person": person,
            "years": [(y, case_selectors.year_label(y)) for y in years],
            "year": year,
            "year_error": error,
            "records": records,
        },
        status=400 if error else 200,
    )


routes = [
    path("cases/", cases, name="cases"),
    path("employer-records/", employer_records, name="employer-records"),
]
