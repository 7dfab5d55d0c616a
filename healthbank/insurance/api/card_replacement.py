"""``/api/app/v1/services/<person_id>/card-replacement``: 健保卡補發及更換照片 in the app (SPEC §10).

GET: the card now, the requests made (newest first), the reasons with their fees, and the address a new request
starts with. POST (multipart): a new request; refusals are ``{"errors": {field: [message]}}``.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework import parsers
from rest_framework.response import Response

from healthbank import policy
from healthbank.core.api import ErrorBody, error_response

from .. import card_replacement as service
from .. import card_rules, selectors
from ..models import CardReplacementRequest
from .common import LANGUAGE_PARAMETER, NO_TOKEN, NOT_FOUND, PERSON_PARAMETER, ServiceEndpoint


class CardNow(BaseModel):
    card_number: str = Field(description="masked: only the last four digits")
    issued_on: str
    reported_lost_on: str | None
    status: str = Field(description="valid or lost")
    status_label: str


class CardRequestOut(BaseModel):
    id: str
    reason: str
    reason_label: str
    status: str = Field(description="submitted, approved or rejected")
    status_label: str
    fee: int = Field(description="NT$; 0 when exempt")
    address: str
    submitted_at: str
    decided_at: str | None
    rejection_reason: str
    new_card_last4: str = Field(description="the new card's last four digits once approved, else empty")
    on_behalf: bool


class ReasonItem(BaseModel):
    reason: str
    label: str
    fee: int


class CardPage(BaseModel):
    card: CardNow | None
    requests: list[CardRequestOut]
    can_apply: bool = Field(description="false while a request waits, or when no card was ever issued")
    reasons: list[ReasonItem]
    photo_optional_under_age: int
    default_address: dict[str, str]


def request_json(row: CardReplacementRequest) -> dict:
    return {
        "id": str(row.pk),
        "reason": row.reason,
        "reason_label": str(row.get_reason_display()),
        "status": row.status,
        "status_label": str(row.get_status_display()),
        "fee": row.fee,
        "address": row.address,
        "submitted_at": row.submitted_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "rejection_reason": row.rejection_reason,
        "new_card_last4": row.new_card.card_number[-4:] if row.new_card_id else "",
        "on_behalf": row.on_behalf,
    }


def _card_json(summary: dict | None) -> dict | None:
    if summary is None:
        return None
    return {
        **summary,
        "issued_on": summary["issued_on"].isoformat(),
        "reported_lost_on": summary["reported_lost_on"].isoformat() if summary["reported_lost_on"] else None,
        "status_label": str(summary["status_label"]),
    }


class CardReplacementView(ServiceEndpoint):
    service = service.SERVICE
    parser_classes = [parsers.MultiPartParser]

    def handle_exception(self, exc):
        if isinstance(exc, service.CardRequestRefused):
            return error_response(exc.status, exc.field, exc.message)
        return super().handle_exception(exc)

    @extend_schema(
        operation_id="app_services_card_replacement",
        summary="健保卡補發及更換照片: the card now and the requests made",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: CardPage, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "a card and no request yet",
                value={
                    "card": {
                        "card_number": "********0001",
                        "issued_on": "2015-01-01",
                        "reported_lost_on": None,
                        "status": "valid",
                        "status_label": "有效",
                    },
                    "requests": [],
                    "can_apply": True,
                    "reasons": [
                        {"reason": "lost", "label": "遺失（立即掛失）", "fee": 200},
                        {"reason": "defective", "label": "非人為因素損壞（晶片或卡片故障）", "fee": 0},
                    ],
                    "photo_optional_under_age": 14,
                    "default_address": {"county": "", "township": "", "village": "", "street": ""},
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, person_id):
        person = self.person(request, person_id)
        rows = selectors.card_requests(person)
        card = selectors.card_summary(person)
        return Response(
            {
                "card": _card_json(card),
                "requests": [request_json(r) for r in rows],
                "can_apply": card is not None and not any(r.status == "submitted" for r in rows),
                "reasons": [
                    {"reason": value, "label": str(label), "fee": card_rules.card_fee(value)}
                    for value, label in CardReplacementRequest.Reason.choices
                ],
                "photo_optional_under_age": policy.NHI_CARD_PHOTO_OPTIONAL_UNDER_AGE,
                "default_address": service.default_address(person),
            }
        )

    @extend_schema(
        operation_id="app_services_card_replacement_apply",
        summary="Request a new NHI card (lost, damaged, faulty, new photo, misprinted) with a photo",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "reason": {"type": "string", "enum": CardReplacementRequest.Reason.values},
                    "photo": {"type": "string", "format": "binary", "description": "JPEG or PNG; optional under 14"},
                    "county": {"type": "string", "description": "e.g. 臺北市"},
                    "township": {"type": "string", "description": "e.g. 大安區"},
                    "village": {"type": "string", "description": "optional"},
                    "street": {"type": "string", "description": "e.g. 羅斯福路四段1號"},
                    "fee_accepted": {"type": "boolean", "description": "needed when the reason has a fee"},
                },
                "required": ["reason", "county", "township", "street"],
            }
        },
        responses={
            201: CardRequestOut,
            400: OpenApiResponse(ErrorBody, "a field is missing or wrong; the photo is not a clean JPEG or PNG"),
            401: NO_TOKEN,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorBody, "a request for this person is already waiting"),
            413: OpenApiResponse(ErrorBody, "the upload is too large (named: photo)"),
        },
        examples=[
            OpenApiExample(
                "waiting for review",
                value={
                    "id": "01a23eb2-2b21-7f0f-aade-f34289a11951",
                    "reason": "lost",
                    "reason_label": "遺失（立即掛失）",
                    "status": "submitted",
                    "status_label": "待審核",
                    "fee": 200,
                    "address": "106 臺北市大安區羅斯福路四段1號",
                    "submitted_at": "2026-12-04T09:00:00+08:00",
                    "decided_at": None,
                    "rejection_reason": "",
                    "new_card_last4": "",
                    "on_behalf": False,
                },
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    def post(self, request, person_id):
        person = self.person(request, person_id)
        length = str(request.META.get("CONTENT_LENGTH") or "0")
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        limit = policy.NHI_CARD_REQUEST_MAX_BODY if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if not length.isdigit() or int(length) > limit:
            # Refused before the body is read: a 40 MB "photo" costs nothing.
            mb = policy.VCARD_PHOTO_MAX_BYTES // (1024 * 1024)
            return error_response(413, "photo", _("The photo is larger than %(mb)d MB.") % {"mb": mb})
        data = request.data
        row = service.submit_request(
            request.auth.person,
            person,
            reason=str(data.get("reason", "")),
            photo=request.FILES.get("photo"),
            address={k: str(data.get(k, "")) for k in ("county", "township", "village", "street")},
            fee_accepted=str(data.get("fee_accepted", "")).lower() in ("true", "1", "on", "yes"),
            language=request.LANGUAGE_CODE,
        )
        return Response(request_json(row), status=201)


routes = [path("card-replacement", CardReplacementView.as_view(), name="app-services-card-replacement")]
