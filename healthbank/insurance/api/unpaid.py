"""``/api/app/v1/services/<person_id>/unpaid-premiums/...``: 個人未繳保費 in the app (SPEC §10).

The list, a month's or an instalment's payment slip (the same PDF as the web), the proposed instalment
schedule and accepting it. The premium bills are the user's own: any other id, a dependent's included, is a
404 exactly like a missing one.
"""

from __future__ import annotations

from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework.response import Response

from healthbank import policy
from healthbank.access.services import NotReadable
from healthbank.core.api import ErrorBody, error_response

from .. import barcodes, pdf, selectors, unpaid, unpaid_services
from ..unpaid_services import PremiumRefused
from .common import LANGUAGE_PARAMETER, NO_TOKEN, NOT_FOUND, PERSON_PARAMETER, ServiceEndpoint

REFUSED = OpenApiResponse(ErrorBody, "refused, naming the field: count, months, total (below the threshold)")
OPEN_PLAN = OpenApiResponse(ErrorBody, "another instalment plan is open (field instalments)")


PDF = OpenApiResponse(OpenApiTypes.BINARY, "the payment slip, application/pdf")
MONTH_ID = "0b5d8c1e-3f4a-4c2b-9d7e-1a2b3c4d5e6f"
SLIP = f"/api/app/v1/services/<person_id>/unpaid-premiums/{MONTH_ID}/slip.pdf"
NOT_YOURS = OpenApiExample(
    "not the user's", value={"errors": {"request": ["Not found."]}}, response_only=True, status_codes=["404"]
)
LIST_EXAMPLE = OpenApiExample(
    "two months, one overdue",
    value={
        "months": [
            {"id": MONTH_ID, "month": "2026-09", "amount": 826, "due_on": "2026-10-31", "overdue": True,
             "in_instalments": False, "slip": SLIP},
            {"id": "5c2e…", "month": "2026-10", "amount": 826, "due_on": "2026-11-30", "overdue": False,
             "in_instalments": False, "slip": "/api/app/v1/services/<person_id>/unpaid-premiums/5c2e…/slip.pdf"},
        ],
        "total": 1652, "overdue_total": 826, "instalment_threshold": 2000, "most_instalments": 0, "plan": None,
    },
    response_only=True,
    status_codes=["200"],
)  # fmt: skip
SCHEDULE = [
    {"number": 1, "amount": 1652, "due_on": "2026-12-31"},
    {"number": 2, "amount": 1652, "due_on": "2027-01-31"},
    {"number": 3, "amount": 1652, "due_on": "2027-02-28"},
]
PROPOSAL_EXAMPLE = OpenApiExample(
    "six months in three instalments",
    value={"total": 4956, "count": 3, "most_instalments": 6, "months": [MONTH_ID, "…"], "instalments": SCHEDULE},
    response_only=True,
    status_codes=["200"],
)
BELOW = OpenApiExample(
    "below the threshold",
    value={"errors": {"total": ["Instalments are for unpaid premiums of NT$ 2,000 or more; yours total NT$ 1,652."]}},
    response_only=True,
    status_codes=["400"],
)
ACCEPT_EXAMPLES = [
    OpenApiExample("accept", value={"count": 3, "months": [MONTH_ID, "…"]}, request_only=True),
    OpenApiExample(
        "the plan",
        value={
            "id": "9e1f…",
            "total": 4956,
            "instalments": [{**i, "paid": False, "slip": "…/slip.pdf"} for i in SCHEDULE],
        },
        response_only=True,
        status_codes=["201", "200"],
    ),
    BELOW,
]


class UnpaidPremiumMonth(BaseModel):
    id: str
    month: str = Field(description="YYYY-MM")
    amount: int = Field(description="NT$")
    due_on: str = Field(description="YYYY-MM-DD, the last day to pay")
    overdue: bool
    in_instalments: bool = Field(description="the month is paid through the open instalment plan")
    slip: str | None = Field(description="the payment slip PDF's path; none for a month in instalments")


class InstalmentItem(BaseModel):
    number: int
    amount: int
    due_on: str
    paid: bool = False
    slip: str | None = None


class Plan(BaseModel):
    id: str
    total: int
    instalments: list[InstalmentItem]


class UnpaidPremiums(BaseModel):
    months: list[UnpaidPremiumMonth]
    total: int
    overdue_total: int = Field(description="NT$ overdue, not counting the months in instalments")
    instalment_threshold: int = Field(description="NT$: instalments are for unpaid premiums of this much or more")
    most_instalments: int = Field(description="0 when instalments may not be requested now")
    plan: Plan | None


class Proposal(BaseModel):
    total: int
    count: int
    most_instalments: int
    months: list[str] = Field(description="the ids of the months covered: send them back to accept")
    instalments: list[InstalmentItem]


class AcceptBody(BaseModel):
    count: int
    months: list[str]


class _Own(ServiceEndpoint):
    service = "unpaid-premiums"

    def own(self, request, person_id):
        reader = self.reader(request)
        if str(person_id) != str(request.auth.person.pk):
            raise NotReadable
        return selectors.person_acted_for(reader, person_id, service=self.service, known=request.auth.person)

    def handle_exception(self, exc):
        if isinstance(exc, PremiumRefused):
            return error_response(exc.status, exc.field, exc.message)
        return super().handle_exception(exc)


def _plan(person, plan) -> dict | None:
    if plan is None:
        return None
    return {
        "id": str(plan.pk),
        "total": plan.total,
        "instalments": [
            {
                "number": i.number,
                "amount": i.amount,
                "due_on": i.due_on.isoformat(),
                "paid": i.paid_on is not None,
                "slip": None if i.paid_on else reverse("app-instalment-slip", args=[person.pk, i.number]),
            }
            for i in plan.instalments.all()
        ],
    }


class UnpaidPremiumsView(_Own):
    @extend_schema(
        operation_id="app_unpaid_premiums",
        summary="個人未繳保費: the unpaid months of the bills the user pays themselves, overdue marked, the total",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: UnpaidPremiums, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[LIST_EXAMPLE, NOT_YOURS],
    )
    def get(self, request, person_id):
        person = self.own(request, person_id)
        rows = selectors.unpaid_premiums(person)
        plan = selectors.open_instalment_plan(person)
        free_total = sum(r.amount for r in rows if r.plan is None)
        return Response(
            {
                "months": [
                    {
                        "id": str(r.pk),
                        "month": r.month.strftime("%Y-%m"),
                        "amount": r.amount,
                        "due_on": r.due_on.isoformat(),
                        "overdue": r.overdue,
                        "in_instalments": r.plan is not None,
                        "slip": None if r.plan else reverse("app-unpaid-slip", args=[person.pk, r.pk]),
                    }
                    for r in rows
                ],
                "total": sum(r.amount for r in rows),
                "overdue_total": sum(r.amount for r in rows if r.overdue and r.plan is None),
                "instalment_threshold": policy.PREMIUM_INSTALMENT_MIN_TOTAL,
                "most_instalments": 0 if plan else unpaid.most_instalments(free_total),
                "plan": _plan(person, plan),
            }
        )


class ProposalView(_Own):
    @extend_schema(
        operation_id="app_unpaid_premiums_instalment_proposal",
        summary="The proposed instalment schedule (the most instalments allowed unless count is given)",
        parameters=[
            PERSON_PARAMETER,
            LANGUAGE_PARAMETER,
            OpenApiParameter("count", int, description="the number of instalments wanted"),
        ],
        responses={200: Proposal, 400: REFUSED, 401: NO_TOKEN, 404: NOT_FOUND, 409: OPEN_PLAN},
        examples=[PROPOSAL_EXAMPLE, BELOW, NOT_YOURS],
    )
    def get(self, request, person_id):
        person = self.own(request, person_id)
        proposal = unpaid_services.propose(person, request.query_params.get("count"))
        return Response(
            {
                "total": proposal.total,
                "count": proposal.count,
                "most_instalments": proposal.most,
                "months": [str(r.pk) for r in proposal.months],
                "instalments": [
                    {"number": i.number, "amount": i.amount, "due_on": i.due_on.isoformat()}
                    for i in proposal.instalments
                ],
            }
        )


class InstalmentsView(_Own):
    @extend_schema(
        operation_id="app_unpaid_premiums_accept_instalments",
        summary="Accept the proposed schedule: 201 stored, 200 when the same plan was accepted already",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request=AcceptBody,
        responses={200: Plan, 201: Plan, 400: REFUSED, 401: NO_TOKEN, 404: NOT_FOUND, 409: OPEN_PLAN},
        examples=ACCEPT_EXAMPLES,
    )
    def post(self, request, person_id):
        person = self.own(request, person_id)
        body = request.data if isinstance(request.data, dict) else {}
        months = body.get("months")
        if not isinstance(months, list) or not all(isinstance(m, str) for m in months):
            raise PremiumRefused("months", _("The months are not the ones shown; look at the proposal again."))
        plan, created = unpaid_services.accept_plan(person, count=body.get("count"), months=months)
        plan = selectors.open_instalment_plan(person)
        return Response(_plan(person, plan), status=201 if created else 200)


def _slip(request, slip, stem: str):
    language = translation.get_language()
    images = [barcodes.code39_data_url(s) for s in slip.barcodes.segments] if slip.barcodes else []
    data = pdf.render_pdf(
        "insurance/pdf/payment_slip.html",
        {"slip": slip, "images": images, "store_limit": policy.PREMIUM_SLIP_STORE_LIMIT},
        language=language,
    )
    return pdf.pdf_response(data, f"payment-slip_{stem}.pdf")


class MonthSlipView(_Own):
    @extend_schema(
        operation_id="app_unpaid_premiums_month_slip",
        summary="A month's payment slip (PDF with the three convenience-store barcodes)",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={(200, "application/pdf"): PDF, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[NOT_YOURS],
    )
    def get(self, request, person_id, calculation_id):
        person = self.own(request, person_id)
        slip = unpaid_services.month_slip(person, calculation_id)
        if slip is None:
            raise NotReadable
        return _slip(request, slip, slip.title_month.strftime("%Y%m"))


class InstalmentSlipView(_Own):
    @extend_schema(
        operation_id="app_unpaid_premiums_instalment_slip",
        summary="An instalment's payment slip (PDF)",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={(200, "application/pdf"): PDF, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[NOT_YOURS],
    )
    def get(self, request, person_id, number):
        person = self.own(request, person_id)
        slip = unpaid_services.instalment_slip(person, number)
        if slip is None:
            raise NotReadable
        return _slip(request, slip, f"instalment{number}")


routes = [
    path("unpaid-premiums/", UnpaidPremiumsView.as_view(), name="app-unpaid-premiums"),
    path("unpaid-premiums/instalments/proposal/", ProposalView.as_view(), name="app-unpaid-proposal"),
    path("unpaid-premiums/instalments/", InstalmentsView.as_view(), name="app-unpaid-instalments"),
    path("unpaid-premiums/<uuid:calculation_id>/slip.pdf", MonthSlipView.as_view(), name="app-unpaid-slip"),
    path("unpaid-premiums/instalments/<int:number>/slip.pdf", InstalmentSlipView.as_view(), name="app-instalment-slip"),
]
