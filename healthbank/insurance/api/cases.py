"""``/api/app/v1/services/{person_id}/cases`` and ``.../employer-records``: the person's own, as on the web."""

from __future__ import annotations

import datetime as dt

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework.response import Response

from healthbank.core.api import ErrorBody

from .. import case_selectors
from ..views.cases import CASES, EMPLOYER_RECORDS
from .common import LANGUAGE_PARAMETER, NO_TOKEN, NOT_FOUND, PERSON_PARAMETER, BadParameter, ServiceEndpoint

BAD_PARAMETER = OpenApiResponse(ErrorBody, "a parameter is not one the endpoint takes (lang, year): named in errors")


class StepItem(BaseModel):
    step: str = Field(description="received, documents_requested, documents_received, under_review, approved, "
                      "partly_approved, refused, paid, withdrawn; ahead: also decision")  # fmt: skip
    label: str
    on: dt.date | None = Field(description="none for a step still ahead")
    note: str
    state: str = Field(description="done, current (where the case stands) or ahead (not reached yet)")


class CaseItem(BaseModel):
    id: str
    kind: str = Field(description="subsidy, catastrophic_illness, reimbursement or prior_review")
    kind_label: str
    title: str
    applied_on: dt.date
    status: str
    status_label: str
    status_on: dt.date
    outcome: str = Field(description="open, approved, partly_approved, refused or withdrawn")
    steps: list[StepItem]
    details: list[list[str]] = Field(description="[label, value] pairs as the web page shows them")
    fields: dict = Field(description="the kind's own values (amounts in NT$, dates ISO)")


class CaseList(BaseModel):
    cases: list[CaseItem] = Field(description="newest first")


class SalaryReportItem(BaseModel):
    id: str
    unit_code: str
    unit_name: str
    reason: str = Field(description="enrolment or adjustment")
    reason_label: str
    reported_on: dt.date
    effective_on: dt.date
    insured_salary: int


class SubsidyItem(BaseModel):
    id: str
    month: dt.date
    fund: str = Field(description="tobacco or lottery")
    fund_label: str
    amount: int


class EmployerRecords(BaseModel):
    year: int
    years: list[int] = Field(description="the years one may ask for, newest first")
    salary_reports: list[SalaryReportItem]
    subsidies: list[SubsidyItem]
    subsidy_total: int


CASE_EXAMPLE = {
    "cases": [
        {
            "id": "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e77",
            "kind": "reimbursement",
            "kind_label": "Reimbursement of self-paid medical costs",
            "title": "Treatment in Japan",
            "applied_on": "2026-10-15",
            "status": "partly_approved",
            "status_label": "Partly approved",
            "status_on": "2026-11-02",
            "outcome": "partly_approved",
            "steps": [
                {"step": "received", "label": "Application received", "on": "2026-10-15", "note": "", "state": "done"},
                {
                    "step": "partly_approved",
                    "label": "Partly approved",
                    "on": "2026-11-02",
                    "note": "",
                    "state": "current",
                },
                {"step": "paid", "label": "Paid out", "on": None, "note": "", "state": "ahead"},
            ],
            "details": [["Where treated", "Japan"], ["Amount claimed", "NT$ 48,200"]],
            "fields": {"where": "abroad", "country": "JP", "amount_claimed": 48200, "amount_approved": 21600},
        }
    ]
}
EMPLOYER_EXAMPLE = {
    "year": 2026,
    "years": [2026, 2025, 2024, 2023, 2022],
    "salary_reports": [
        {
            "id": "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e78",
            "unit_code": "040123456",
            "unit_name": "範例公司",
            "reason": "adjustment",
            "reason_label": "Salary change",
            "reported_on": "2026-01-28",
            "effective_on": "2026-02-01",
            "insured_salary": 45800,
        }
    ],
    "subsidies": [
        {
            "id": "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e79",
            "month": "2026-10-01",
            "fund": "lottery",
            "fund_label": "Public welfare lottery",
            "amount": 413,
        }
    ],
    "subsidy_total": 413,
}


class OwnServiceEndpoint(ServiceEndpoint):
    def person(self, request, person_id):
        reader = self.reader(request)
        return case_selectors.own_person(reader, person_id, service=self.service, known=request.auth.person)


class CasesView(OwnServiceEndpoint):
    service = CASES

    @extend_schema(
        operation_id="app_services_cases",
        summary="Case progress: subsidies, catastrophic illness, reimbursements, prior reviews (the user's own)",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: CaseList, 400: BAD_PARAMETER, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[OpenApiExample("a reimbursement partly approved", value=CASE_EXAMPLE, response_only=True)],
    )
    def get(self, request, person_id):
        person = self.person(request, person_id)
        found = case_selectors.cases_of(person)
        return Response(
            {
                "cases": [
                    {
                        "id": str(case.id),
                        "kind": case.kind,
                        "kind_label": case.kind_label,
                        "title": case.title,
                        "applied_on": case.applied_on,
                        "status": case.status,
                        "status_label": case.status_label,
                        "status_on": case.status_on,
                        "outcome": case.outcome,
                        "steps": [vars(step) for step in case.steps],
                        "details": [list(pair) for pair in case.details],
                        "fields": case.fields,
                    }
                    for case in found
                ]
            }
        )


class EmployerRecordsView(OwnServiceEndpoint):
    service = EMPLOYER_RECORDS

    @extend_schema(
        operation_id="app_services_employer_records",
        summary="Insured salary the employer reported, tobacco-tax and lottery premium subsidies, for a year",
        parameters=[
            PERSON_PARAMETER,
            LANGUAGE_PARAMETER,
            OpenApiParameter("year", int, description="the year (Gregorian); default this year"),
        ],
        responses={200: EmployerRecords, 400: BAD_PARAMETER, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[OpenApiExample("one year", value=EMPLOYER_EXAMPLE, response_only=True)],
    )
    def get(self, request, person_id):
        person = self.person(request, person_id)
        years = case_selectors.employer_record_years(person)
        asked = request.query_params.get("year", "")
        year = years[0]
        if asked:
            if not (asked.isascii() and asked.isdigit() and int(asked) in years):
                raise BadParameter(
                    "year", _("Choose a year from %(first)s to %(last)s.") % {"first": years[-1], "last": years[0]}
                )
            year = int(asked)
        records = case_selectors.employer_records_of(person, year)
        return Response(
            {
                "year": year,
                "years": years,
                "salary_reports": [
                    {
                        "id": str(r.pk),
                        "unit_code": r.unit.code,
                        "unit_name": r.unit.name,
                        "reason": r.reason,
                        "reason_label": r.get_reason_display(),
                        "reported_on": r.reported_on,
                        "effective_on": r.effective_on,
                        "insured_salary": r.insured_salary,
                    }
                    for r in records.salary_reports
                ],
                "subsidies": [
                    {
                        "id": str(s.pk),
                        "month": s.month,
                        "fund": s.fund,
                        "fund_label": s.get_fund_display(),
                        "amount": s.amount,
                    }
                    for s in records.subsidies
                ],
                "subsidy_total": records.subsidy_total,
            }
        )


routes = [
    path("cases", CasesView.as_view(), name="app-services-cases"),
    path("employer-records", EmployerRecordsView.as_view(), name="app-services-employer-records"),
]
