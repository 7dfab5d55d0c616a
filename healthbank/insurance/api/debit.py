"""``/api/app/v1/services/<person>/direct-debit/`` and ``.../ebill/``: 單次約定轉帳 and 電子繳款單 in the app.

The same services as the web pages (``insurance/debits.py``, ``insurance/ebill.py``). Only the user's own id:
a dependent's (whose bill is the insured person's) is a 404 like a missing id.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework.response import Response

from healthbank import policy
from healthbank.core.api import ErrorBody, error_response

from .. import debits, ebill, pdf, selectors
from ..models import DirectDebit
from ..views.ebill import bill_pdf, parse_month
from .common import LANGUAGE_PARAMETER, NO_TOKEN, NOT_FOUND, PERSON_PARAMETER, BadParameter, ServiceEndpoint


class UnpaidMonth(BaseModel):
    id: str = Field(description="the premium calculation's id: what a debit names")
    month: str = Field(description="YYYY-MM")
    unit: str
    amount: int = Field(description="NT$")
    due_on: str
    overdue: bool


class DebitItem(BaseModel):
    id: str
    requested_at: str
    months: list[str]
    bank_code: str
    account: str = Field(description="masked: only the last four digits")
    amount: int
    status: str = Field(description="pending, accepted, refused or bank_away")
    reason: str = Field(description="insufficient_funds, unknown_account, not_holder, or empty")
    message: str


class DirectDebitPage(BaseModel):
    unpaid: list[UnpaidMonth]
    debits: list[DebitItem] = Field(description="the latest, newest first")


class DebitIn(BaseModel):
    months: list[str] = Field(description="ids of unpaid months (from ``unpaid``)")
    bank_code: str = Field(description="3 digits")
    account_number: str = Field(description="10 to 16 digits, in the user's own name")
    request_key: str = Field(
        description="8-64 letters, digits, - or _, new for each debit: a retry with the same "
        "key gets the first answer and is never debited twice"
    )


class DebitOut(BaseModel):
    debit: DebitItem
    repeated: bool = Field(description="the same request key as before: the first request's answer")


class MonthBill(BaseModel):
    month: str
    total: int
    pdf: str = Field(description="the path of the bill's PDF")


class EBillPage(BaseModel):
    subscribed: bool
    email: str = Field(description="the confirmed e-mail the notices go to (empty: none confirmed)")
    months: list[MonthBill]


_DEBIT_EXAMPLE = {
    "id": "01a23eb2-2b21-7f0f-aade-f34289a11952",
    "requested_at": "2026-12-04T10:00:00+08:00",
    "months": ["2026-10"],
    "bank_code": "812",
    "account": "**********9012",
    "amount": 2841,
    "status": "accepted",
    "reason": "",
    "message": "Paid: NT$2,841 was debited from your account.",
}
_PAGE_EXAMPLE = {
    "unpaid": [
        {
            "id": "0b7c4e1a-3f2d-4c5b-9a8e-7d6c5b4a3f2e",
            "month": "2026-11",
            "unit": "測試股份有限公司",
            "amount": 2841,
            "due_on": "2026-12-31",
            "overdue": False,
        }
    ],
    "debits": [_DEBIT_EXAMPLE],
}
_EBILL_EXAMPLE = {
    "subscribed": True,
    "email": "dawen@example.tw",
    "months": [
        {
            "month": "2026-11",
            "total": 2841,
            "pdf": "/api/app/v1/services/01a23eb2-2b21-7f0f-aade-f34289a11952/ebill/2026-11.pdf",
        }
    ],
}
_NOT_FOUND_EXAMPLE = OpenApiExample(
    "not found", value={"errors": {"request": ["Not found."]}}, response_only=True, status_codes=["404"]
)


BAD_LANGUAGE = OpenApiResponse(ErrorBody, "lang is not zh-hant or en")


def debit_item(debit: DirectDebit) -> dict:
    return {
        "id": str(debit.pk),
        "requested_at": debit.requested_at.isoformat(),
        "months": [f"{m.calculation.month:%Y-%m}" for m in debit.months.all()],
        "bank_code": debit.bank_code,
        "account": debit.account_masked,
        "amount": debit.amount,
        "status": debit.status,
        "reason": debit.reason,
        "message": debits.reason_message(debit),
    }


class OwnBillEndpoint(ServiceEndpoint):
    def own(self, request, person_id):
        person = self.person(request, person_id)
        if person.pk != request.auth.person.pk:
            raise Http404
        return person

    def handle_exception(self, exc):
        if isinstance(exc, Http404):
            return error_response(404, "request", _("Not found."))
        if isinstance(exc, debits.DebitRefused | ebill.EBillRefused):
            return error_response(exc.status, exc.field, exc.message)
        if isinstance(exc, debits.DebitUnavailable):
            response = error_response(503, "service", exc.message)
            response["Retry-After"] = str(policy.DEPENDENCY_RETRY_AFTER_SECONDS)
            return response
        return super().handle_exception(exc)


class DirectDebitView(OwnBillEndpoint):
    service = "direct_debit"

    @extend_schema(
        operation_id="app_services_direct_debit",
        summary="單次約定轉帳: the unpaid months and the latest debits",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: DirectDebitPage, 400: BAD_LANGUAGE, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[OpenApiExample("one month unpaid", value=_PAGE_EXAMPLE, response_only=True), _NOT_FOUND_EXAMPLE],
    )
    def get(self, request, person_id):
        person = self.own(request, person_id)
        return Response(
            {
                "unpaid": [
                    {
                        "id": str(row.pk),
                        "month": f"{row.month:%Y-%m}",
                        "unit": row.unit.name,
                        "amount": row.amount,
                        "due_on": row.due_on.isoformat(),
                        "overdue": row.overdue,
                    }
                    for row in selectors.unpaid_premiums(person)
                    if row.plan is None  # a month in the instalment plan is paid with the instalment's slip
                ],
                "debits": [debit_item(d) for d in selectors.direct_debits(person)],
            }
        )

    @extend_schema(
        operation_id="app_services_direct_debit_pay",
        summary="Debit the user's bank account for chosen unpaid months, once",
        description="503 (`service`) also when the bank does not answer: the attempt is kept, nothing is paid.",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request=DebitIn,
        responses={
            201: DebitOut,
            200: OpenApiResponse(DebitOut, "the same request key again: the first answer, nothing debited"),
            400: OpenApiResponse(ErrorBody, "a field is wrong (named), or lang"),
            401: NO_TOKEN,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorBody, "a chosen month is already being paid or paid (months)"),
            422: OpenApiResponse(ErrorBody, "the bank refused (account_number): unknown, not the user's, no funds"),
        },
        examples=[
            OpenApiExample(
                "pay one month",
                value={
                    "months": ["0b7c4e1a-3f2d-4c5b-9a8e-7d6c5b4a3f2e"],
                    "bank_code": "812",
                    "account_number": "00123456789012",
                    "request_key": "9f1c2b3a4d5e6f708192a3b4c5d6e7f8",
                },
                request_only=True,
            ),
            OpenApiExample(
                "paid", value={"debit": _DEBIT_EXAMPLE, "repeated": False}, response_only=True, status_codes=["201"]
            ),
            OpenApiExample(
                "not the user's account",
                value={"errors": {"account_number": ["The bank refused: the account is not in your name. …"]}},
                response_only=True,
                status_codes=["422"],
            ),
        ],
    )
    def post(self, request, person_id):
        person = self.own(request, person_id)
        data = request.data if isinstance(request.data, dict) else None
        if data is None:
            raise BadParameter("body", _("The body is a JSON object."))
        months = data.get("months")
        if not isinstance(months, list) or not all(isinstance(m, str) for m in months):
            raise BadParameter("months", _("Choose at least one month to pay."))
        fields = {}
        for name in ("bank_code", "account_number", "request_key"):
            value = data.get(name, "")
            fields[name] = value if isinstance(value, str) else ""
        result = debits.debit_months(person, calculation_ids=months, **fields)
        debit = result.debit
        if debit.status == DirectDebit.Status.REFUSED and not result.repeated:
            field = debits.REFUSAL_FIELDS.get(debit.reason, "account_number")
            return error_response(422, field, debits.reason_message(debit))
        return Response(
            {"debit": debit_item(debit), "repeated": result.repeated}, status=200 if result.repeated else 201
        )


class EBillView(OwnBillEndpoint):
    service = "ebill"

    @extend_schema(
        operation_id="app_services_ebill",
        summary="電子繳款單: the subscription and the months with a bill",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: EBillPage, 400: BAD_LANGUAGE, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[OpenApiExample("subscribed", value=_EBILL_EXAMPLE, response_only=True), _NOT_FOUND_EXAMPLE],
    )
    def get(self, request, person_id):
        person = self.own(request, person_id)
        return Response(self.page(request, person))

    @staticmethod
    def page(request, person) -> dict:
        subscription = selectors.ebill_subscription(person)
        base = request.path.rstrip("/").rsplit("/subscription", 1)[0]
        return {
            "subscribed": bool(subscription and subscription.active),
            "email": ebill.confirmed_email(person),
            "months": [
                {"month": f"{m['month']:%Y-%m}", "total": m["total"], "pdf": f"{base}/{m['month']:%Y-%m}.pdf"}
                for m in selectors.ebill_months(person)
            ],
        }


class EBillSubscriptionView(OwnBillEndpoint):
    service = "ebill"

    @extend_schema(
        operation_id="app_services_ebill_subscribe",
        summary="Subscribe to the e-bill (to the confirmed e-mail); twice changes nothing",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request=None,
        responses={
            200: EBillPage,
            400: OpenApiResponse(ErrorBody, "no confirmed e-mail (email), or lang is not zh-hant or en"),
            401: NO_TOKEN,
            404: NOT_FOUND,
        },
        examples=[OpenApiExample("subscribed", value=_EBILL_EXAMPLE, response_only=True), _NOT_FOUND_EXAMPLE],
    )
    def put(self, request, person_id):
        person = self.own(request, person_id)
        ebill.subscribe(person, language=translation.get_language())
        return Response(EBillView.page(request, person))

    @extend_schema(
        operation_id="app_services_ebill_unsubscribe",
        summary="Unsubscribe: paper bills again",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request=None,
        responses={200: EBillPage, 400: BAD_LANGUAGE, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample("unsubscribed", value={**_EBILL_EXAMPLE, "subscribed": False}, response_only=True),
            _NOT_FOUND_EXAMPLE,
        ],
    )
    def delete(self, request, person_id):
        person = self.own(request, person_id)
        ebill.unsubscribe(person)
        return Response(EBillView.page(request, person))


class EBillPdfView(OwnBillEndpoint):
    service = "ebill"

    @extend_schema(
        operation_id="app_services_ebill_pdf",
        summary="One month's bill as a PDF",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 400: BAD_LANGUAGE, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[_NOT_FOUND_EXAMPLE],
    )
    def get(self, request, person_id, month):
        person = self.own(request, person_id)
        day = parse_month(month)
        made = bill_pdf(person, day, translation.get_language()) if day else None
        if made is None:
            raise Http404
        return pdf.pdf_response(*made)


routes = [
    path("direct-debit/", DirectDebitView.as_view(), name="app-services-direct-debit"),
    path("ebill/", EBillView.as_view(), name="app-services-ebill"),
    path("ebill/subscription/", EBillSubscriptionView.as_view(), name="app-services-ebill-subscription"),
    path("ebill/<str:month>.pdf", EBillPdfView.as_view(), name="app-services-ebill-pdf"),
]
