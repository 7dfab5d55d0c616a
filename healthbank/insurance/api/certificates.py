"""``/api/app/v1/services/<person_id>/certificates/...``: 中英文投保證明 and 保險費繳納證明 in the app.

The same services as the web pages (``insurance.certificates``): issue (201, or 200 with the one issued earlier
today when it is the same certificate), list, and download the PDF. The public check page is ``verify_url``.
"""

from __future__ import annotations

import datetime as dt

from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework.response import Response

from healthbank.access.services import NotReadable
from healthbank.core.api import ErrorBody, error_response

from .. import certificate_rules, certificates
from ..certificates import CertificateRefused, parse_day
from ..models import IssuedDocument
from .common import LANGUAGE_PARAMETER, NO_TOKEN, NOT_FOUND, PERSON_PARAMETER, BadParameter, ServiceEndpoint

TAGS = ["app services: certificates"]
REFUSED = OpenApiResponse(ErrorBody, "a field refused, named with the reason (e.g. a period without insurance)")
BAD_LANGUAGE = OpenApiResponse(ErrorBody, "lang is neither zh-hant nor en")
THROTTLED = OpenApiResponse(ErrorBody, "too many certificates issued today")


NOT_YOURS = OpenApiExample(
    "not the user nor a dependent now",
    value={"errors": {"request": ["Not found."]}},
    response_only=True,
    status_codes=["404"],
)
_ISSUED_EXAMPLE = {
    "id": "6f1c2b9d-8a7e-4c1b-9f3e-2d1c0b9a8f7e",
    "kind": "insurance",
    "language": "en",
    "code": "B6E6PJCP3MNJMZ4F",
    "code_grouped": "B6E6-PJCP-3MNJ-MZ4F",
    "verify_url": "https://healthbank.example.tw/en/verify/B6E6PJCP3MNJMZ4F/",
    "pdf_url": "https://healthbank.example.tw/api/app/v1/services/…/certificates/6f1c…/pdf",
    "issued_at": "2026-12-04T18:49:00+08:00",
    "verifiable_until": "2027-06-02T18:49:00+08:00",
    "times_checked": 0,
    "says": {
        "name": "陳大文",
        "name_en": "CHEN, TA-WEN",
        "national_id": "C10000****",
        "birth_date": "1978-03-03",
        "date_from": "2025-01-01",
        "date_to": "2026-11-30",
        "periods": [
            {
                "from": "2025-01-01",
                "until": "2026-11-30",
                "still_insured": True,
                "category": 1,
                "role": "insured",
                "relationship": "self",
                "unit_code": "987654321",
                "unit_name": "測試公司",
            }
        ],
    },
}


class InsuranceCertificateIn(BaseModel):
    date_from: dt.date = Field(description="the period's first day (ISO 8601)")
    date_to: dt.date = Field(description="its last day, today at the latest")
    language: str = Field("zh-hant", description="zh-hant or en: the certificate's language")
    name_en: str = Field("", description="English only: the name as the passport spells it, e.g. CHEN, TA-WEN")


class PremiumCertificateIn(BaseModel):
    year: int = Field(description="the year the premiums were paid in (Gregorian)")
    language: str = Field("zh-hant", description="zh-hant or en")


class IssuedOut(BaseModel):
    id: str
    kind: str = Field(description="insurance or premiums_paid")
    language: str
    code: str = Field(description="16 characters; printed in groups of four (code_grouped)")
    code_grouped: str
    verify_url: str = Field(description="the public check page, what the QR code carries")
    pdf_url: str = Field(description="GET it with the app token: the PDF")
    issued_at: str
    verifiable_until: str = Field(description="the check page confirms the certificate until then")
    times_checked: int = Field(description="how often the check page confirmed it")
    says: dict = Field(description="exactly what the certificate says (the snapshot), dates ISO 8601")


class IssuedList(BaseModel):
    certificates: list[IssuedOut]


def issued_body(request, document: IssuedDocument) -> dict:
    pdf_path = reverse("app-certificate-pdf", args=[document.person_id, document.pk])
    return {
        "id": str(document.pk),
        "kind": document.kind,
        "language": document.language,
        "code": document.code,
        "code_grouped": certificate_rules.grouped(document.code),
        "verify_url": certificates.verify_url(document),
        "pdf_url": request.build_absolute_uri(pdf_path),
        "issued_at": document.issued_at.isoformat(),
        "verifiable_until": document.verifiable_until.isoformat(),
        "times_checked": document.times_checked,
        "says": document.snapshot,
    }


def _text(data: dict, name: str, longest: int = 100) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > longest:
        raise BadParameter(name, _("The value is text of at most %(n)d characters.") % {"n": longest})
    return value


class CertificateEndpoint(ServiceEndpoint):
    def handle_exception(self, exc):
        if isinstance(exc, CertificateRefused):
            return error_response(exc.status, exc.field, exc.message)
        return super().handle_exception(exc)

    def body(self, request) -> dict:
        if not isinstance(request.data, dict):
            raise BadParameter("body", _("The body is a JSON object."))
        return request.data

    def issued(self, request, document: IssuedDocument) -> Response:
        return Response(issued_body(request, document), status=201 if document.newly_issued else 200)


class InsuranceCertificateView(CertificateEndpoint):
    service = "insurance_certificate"

    @extend_schema(
        operation_id="app_certificate_insurance_issue",
        summary="Issue a certificate of insurance (Chinese or English) for the user or a dependent",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request=InsuranceCertificateIn,
        responses={201: IssuedOut, 200: IssuedOut, 400: REFUSED, 401: NO_TOKEN, 404: NOT_FOUND, 429: THROTTLED},
        examples=[
            OpenApiExample(
                "English, for a visa",
                value={"date_from": "2025-01-01", "date_to": "2026-11-30", "language": "en", "name_en": "CHEN, TA-WEN"},
                request_only=True,
            ),
            OpenApiExample("issued", value=_ISSUED_EXAMPLE, response_only=True, status_codes=["201"]),
            NOT_YOURS,
            OpenApiExample(
                "not insured then",
                value={
                    "errors": {"date_from": ["陳○文 於 84/03/01 至 84/12/31 期間沒有投保紀錄，請選擇有投保的期間。"]}
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
        tags=TAGS,
    )
    def post(self, request, person_id):
        person = self.person(request, person_id)
        data = self.body(request)
        document = certificates.issue_insurance_certificate(
            request.auth.person,
            person,
            date_from=parse_day(_text(data, "date_from"), "date_from", "date_from"),
            date_to=parse_day(_text(data, "date_to"), "date_to", "date_to"),
            language=_text(data, "language") or "zh-hant",
            passport_name=_text(data, "name_en"),
        )
        return self.issued(request, document)


class PremiumCertificateView(CertificateEndpoint):
    service = "premium_certificate"

    @extend_schema(
        operation_id="app_certificate_premiums_issue",
        summary="Issue the user's premium payment certificate for a year (for the income-tax deduction)",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request=PremiumCertificateIn,
        responses={201: IssuedOut, 200: IssuedOut, 400: REFUSED, 401: NO_TOKEN, 404: NOT_FOUND, 429: THROTTLED},
        examples=[
            OpenApiExample("last year, in Chinese", value={"year": 2025, "language": "zh-hant"}, request_only=True),
            OpenApiExample(
                "nothing paid that year",
                value={"errors": {"year": ["陳○文 於 民國108年（2019） 沒有繳納保險費的紀錄，請選擇其他年度。"]}},
                response_only=True,
                status_codes=["400"],
            ),
            NOT_YOURS,
        ],
        tags=TAGS,
    )
    def post(self, request, person_id):
        person = self.person(request, person_id)
        if person.pk != request.auth.person.pk:
            raise NotReadable  # the household's bill: the payer's own certificate
        data = self.body(request)
        year = data.get("year")
        if isinstance(year, str) and year.strip().isdigit() and len(year.strip()) <= 4:
            year = int(year)
        if not isinstance(year, int) or isinstance(year, bool):
            raise BadParameter("year", _("Choose a year."))
        document = certificates.issue_premium_certificate(
            request.auth.person, person, year=year, language=_text(data, "language") or "zh-hant"
        )
        return self.issued(request, document)


class CertificateListView(CertificateEndpoint):
    service = "insurance_certificate"

    @extend_schema(
        operation_id="app_certificates_list",
        summary="The certificates issued about the user or a dependent, newest first",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: IssuedList, 400: BAD_LANGUAGE, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "one issued", value={"certificates": [_ISSUED_EXAMPLE]}, response_only=True, status_codes=["200"]
            ),
            NOT_YOURS,
        ],
        tags=TAGS,
    )
    def get(self, request, person_id):
        person = self.person(request, person_id)
        return Response({"certificates": [issued_body(request, d) for d in certificates.issued_for(person)]})


class CertificatePdfView(CertificateEndpoint):
    service = "insurance_certificate"

    @extend_schema(
        operation_id="app_certificate_pdf",
        summary="An issued certificate as a PDF",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, "the certificate (in its own language)"),
            400: BAD_LANGUAGE,
            401: NO_TOKEN,
            404: NOT_FOUND,
        },
        examples=[NOT_YOURS],
        tags=TAGS,
    )
    def get(self, request, person_id, document_id):
        person = self.person(request, person_id)
        try:
            document = certificates.issued_document(person, document_id)
        except IssuedDocument.DoesNotExist:
            raise NotReadable from None
        return certificates.pdf_response_for(document)


routes = [
    path("certificates", CertificateListView.as_view(), name="app-certificates"),
    path("certificates/insurance", InsuranceCertificateView.as_view(), name="app-certificate-insurance"),
    path("certificates/premiums", PremiumCertificateView.as_view(), name="app-certificate-premiums"),
    path("certificates/<uuid:document_id>/pdf", CertificatePdfView.as_view(), name="app-certificate-pdf"),
]
