"""The virtual card's APIs (SPEC §9).

- Institutions (``/api/vcard/v1/…``, the institution's API key as for ingestion): scan a card QR, send a
  request to a person, follow it and use it for an hour.
- Anyone: the published signing keys (``/api/vcard/v1/keys``), to check a code offline.
- The app (``/api/app/v1/vcard/…``, the app token): every step a person takes on the web.

Refusals are the one JSON error shape; the scan and the requests add a stable ``reason`` code.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework import exceptions, parsers
from rest_framework.response import Response
from rest_framework.views import APIView

from healthbank import policy
from healthbank.access.services import NotReadable
from healthbank.core.api import ErrorBody, error_response
from healthbank.core.http import client_address
from healthbank.core.outage import RETRY_AFTER_SECONDS, outage_message
from healthbank.devices.api import AppTokenAuthentication
from healthbank.identity.models import Person
from healthbank.records.auth import ApiKeyAuthentication, HasApiClient

from . import keys, qr, selectors, services
from .models import CardApplication, Delegation, InstitutionRequest

INSTITUTION_TAGS = ["virtual card: institutions"]
APP_TAGS = ["app virtual card"]
_SHOWN_BY = {"holder_app": "holder", "holder_web": "holder", "grantee": "delegate"}


def _iso(value):
    return value.isoformat() if value is not None else None


def _refused(exc: services.CardRefused) -> Response:
    response = error_response(exc.status, exc.field, exc.message)
    response.data["reason"] = exc.reason
    return response


def _unavailable() -> Response:
    return error_response(503, "service", outage_message(), headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class VcardEndpoint(APIView):
    """Refusals of the services in the API's shape: CardRefused with its reason, 404, 503 while the cache is away."""

    def handle_exception(self, exc):
        if isinstance(exc, services.CardRefused):
            return _refused(exc)
        if isinstance(exc, NotReadable):
            return error_response(404, "request", _("Not found."))
        if isinstance(exc, services.CardUnavailable):
            return _unavailable()
        return super().handle_exception(exc)

    def body(self, request) -> dict:
        if not isinstance(request.data, dict):
            raise services.CardRefused("body", _("The body is a JSON object."))
        return request.data

    @staticmethod
    def text(data: dict, name: str, *, required: bool = True, longest: int = 600) -> str:
        value = data.get(name, "")
        if not isinstance(value, str) or len(value) > longest or (required and not value.strip()):
            raise services.CardRefused(name, _("Text of at most %(n)d characters is required.") % {"n": longest})
        return value


# ---------------------------------------------------------------- institutions

REASON_CODES = ", ".join(
    [
        *services.tokens.REASONS,
        "not_accepting",
        "throttled",
        "unknown_person",
        "waiting",
        "declined",
        "expired",
        "ended",
    ]
)


class InstitutionEndpoint(VcardEndpoint):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiClient]

    def institution(self, request):
        client = request.auth
        if client.institution_id is None:
            raise exceptions.PermissionDenied(_("Only a healthcare institution's key can do this."))
        return client.institution


class PersonOut(BaseModel):
    name: str
    name_en: str
    national_id: str = Field(description="masked, e.g. A12345****")
    sex: str
    birth_date: str
    card_number: str = Field(description="the newest NHI card's 12 digits")
    card_reported_lost: bool
    insurance: dict = Field(description="status (insured, dependent, withdrawn), status_label, category, since")
    photo: str = Field(description="the card photo, data:image/jpeg;base64,…")


class ScanIn(BaseModel):
    qr: str = Field(description="the text read from the card QR (HBVC1.…), as the scanner gives it")


class ScanOut(BaseModel):
    scan_id: str = Field(description="the code's id: name it as virtual_card when uploading the visit")
    shown_by: str = Field(description="holder, delegate or parent")
    visit_valid_until: str = Field(description="until then the visit may be uploaded with this scan_id")
    person: PersonOut


class RefusalBody(BaseModel):
    errors: dict[str, list[str]]
    reason: str = Field("", description=f"one of: {REASON_CODES} (absent when the body itself was refused)")


_PERSON_EXAMPLE = {
    "name": "王小明",
    "name_en": "WANG, HSIAO-MING",
    "national_id": "A12345****",
    "sex": "M",
    "birth_date": "1970-05-04",
    "card_number": "000033334444",
    "card_reported_lost": False,
    "insurance": {"status": "insured", "status_label": "在保（被保險人）", "category": 1, "since": "2019-03-01"},
    "photo": "data:image/jpeg;base64,/9j/4AAQ…",
}


class ScanView(InstitutionEndpoint):
    @extend_schema(
        operation_id="vcard_scan",
        summary="Scan a virtual NHI card QR: use it up (once) and get what the visit needs",
        request=ScanIn,
        responses={
            200: ScanOut,
            400: OpenApiResponse(RefusalBody, "no qr text in the body"),
            401: OpenApiResponse(ErrorBody, "no or bad API key"),
            403: OpenApiResponse(RefusalBody, "an agency's key; not_accepting: not on the virtual card's list"),
            409: OpenApiResponse(RefusalBody, "already_used"),
            422: OpenApiResponse(RefusalBody, "malformed, wrong_environment, unknown_key, bad_signature, expired, …"),
        },
        examples=[
            OpenApiExample("a scan", value={"qr": "HBVC1.AEXAMPLE…"}, request_only=True),
            OpenApiExample(
                "the holder showed it",
                value={
                    "scan_id": "5f0c2b9d8a7e4c1b9f3e2d1c0b9a8f7e",
                    "shown_by": "holder",
                    "visit_valid_until": "2026-12-05T09:30:00+08:00",
                    "person": _PERSON_EXAMPLE,
                },
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "used before",
                value={"errors": {"qr": ["This code was used already; ask for a new one."]}, "reason": "already_used"},
                response_only=True,
                status_codes=["409"],
            ),
        ],
        tags=INSTITUTION_TAGS,
    )
    def post(self, request):
        institution = self.institution(request)
        text = self.text(self.body(request), "qr", longest=services.tokens.MAX_TEXT_LENGTH)
        result = services.scan_card_qr(institution, text, address=client_address(request))
        scan = result.scan
        shown_by = _SHOWN_BY[
            "grantee"
            if scan.presenter == "grantee"
            else "holder_app"
            if scan.presenter == "holder_app"
            else "holder_web"
        ]
        if scan.lent_by is not None and scan.lent_by.why == "child_under_15":
            shown_by = "parent"
        return Response(
            {
                "scan_id": scan.token_id,
                "shown_by": shown_by,
                "visit_valid_until": _iso(timezone.localtime(scan.visit_grant.valid_until)),
                "person": result.summary,
            }
        )


class RequestIn(BaseModel):
    national_id: str
    purpose: str = Field(description=", ".join(InstitutionRequest.Purpose.values))


class RequestOut(BaseModel):
    id: str
    status: str = Field(description="waiting, accepted, declined, expired (not answered in time), ended (hour over)")
    purpose: str
    requested_at: str
    answer_by: str
    usable_until: str | None = Field(description="after acceptance: the end of the hour")


def _request_json(request: InstitutionRequest) -> dict:
    grant = request.grant
    return {
        "id": str(request.pk),
        "status": selectors.request_state(request, timezone.now()),
        "purpose": request.purpose,
        "requested_at": _iso(timezone.localtime(request.requested_at)),
        "answer_by": _iso(timezone.localtime(request.answer_by)),
        "usable_until": _iso(timezone.localtime(grant.ended_at or grant.valid_until)) if grant else None,
    }


REQUEST_ID = OpenApiParameter("request_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="the request's id")


class RequestsView(InstitutionEndpoint):
    @extend_schema(
        operation_id="vcard_request_create",
        summary="Ask a person to let this institution use their virtual card (telemedicine, home care)",
        description="The person must accept within 10 minutes (app or web); then it may be used for 1 hour.",
        request=RequestIn,
        responses={
            201: RequestOut,
            400: OpenApiResponse(RefusalBody, "a malformed national ID or an unknown purpose"),
            401: OpenApiResponse(ErrorBody, "no or bad API key"),
            422: OpenApiResponse(RefusalBody, "unknown_person"),
            429: OpenApiResponse(RefusalBody, "throttled: too many requests for this person"),
        },
        examples=[
            OpenApiExample("home care", value={"national_id": "A123456789", "purpose": "home_care"}, request_only=True)
        ],
        tags=INSTITUTION_TAGS,
    )
    def post(self, request):
        institution = self.institution(request)
        data = self.body(request)
        made = services.request_authorisation(
            institution, self.text(data, "national_id", longest=20), self.text(data, "purpose", longest=20)
        )
        return Response(_request_json(made), status=201)


class RequestView(InstitutionEndpoint):
    @extend_schema(
        operation_id="vcard_request",
        summary="Follow a request: waiting, accepted (usable until …), declined, expired or ended",
        parameters=[REQUEST_ID],
        responses={200: RequestOut, 401: OpenApiResponse(ErrorBody, "no or bad API key"), 404: ErrorBody},
        examples=[
            OpenApiExample(
                "accepted",
                value={
                    "id": "01a23eb2-2b21-7f0f-aade-f34289a11952",
                    "status": "accepted",
                    "purpose": "home_care",
                    "requested_at": "2026-12-04T10:00:00+08:00",
                    "answer_by": "2026-12-04T10:10:00+08:00",
                    "usable_until": "2026-12-04T11:03:00+08:00",
                },
                response_only=True,
            )
        ],
        tags=INSTITUTION_TAGS,
    )
    def get(self, request, request_id):
        institution = self.institution(request)
        made = InstitutionRequest.objects.filter(pk=request_id, institution=institution).select_related("grant").first()
        if made is None:
            raise NotReadable
        return Response(_request_json(made))


class RequestUseView(InstitutionEndpoint):
    @extend_schema(
        operation_id="vcard_request_use",
        summary="Use an accepted request: the person's identity and insurance status for the visit",
        description="Upload the visit with `card_medium: virtual` and `virtual_card: <request id>` within the hour.",
        parameters=[REQUEST_ID],
        responses={
            200: PersonOut,
            401: OpenApiResponse(ErrorBody, "no or bad API key"),
            403: OpenApiResponse(RefusalBody, "declined"),
            404: OpenApiResponse(ErrorBody, "not this institution's request"),
            409: OpenApiResponse(RefusalBody, "waiting: not accepted yet"),
            410: OpenApiResponse(RefusalBody, "expired (not accepted in 10 minutes) or ended (the hour is over)"),
        },
        examples=[OpenApiExample("the person", value=_PERSON_EXAMPLE, response_only=True)],
        tags=INSTITUTION_TAGS,
    )
    def get(self, request, request_id):
        institution = self.institution(request)
        return Response(services.use_authorisation(institution, request_id, address=client_address(request)))


class KeysView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="vcard_keys",
        summary="The public keys that sign card QR codes (JSON Web Key Set, Ed25519), to check codes offline",
        description=(
            "A code is `HBVC1.` + base32 of: version (1 byte), environment tag (4), key id (4), token id (16), "
            "holder (16), issuer kind (1), issuer (16), expiry (4, Unix seconds), then the Ed25519 signature (64) "
            "over everything before it. The key id is the `kid` here (8 hex digits). docs/api.md has an example."
        ),
        responses={200: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "one key",
                value={
                    "keys": [
                        {
                            "kty": "OKP",
                            "crv": "Ed25519",
                            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                            "kid": "730c027d",
                            "use": "sig",
                            "alg": "EdDSA",
                        }
                    ],
                    "environment": "production",
                },
                response_only=True,
            )
        ],
        tags=["virtual card: public"],
    )
    def get(self, request):
        response = Response(keys.jwks())
        response["Cache-Control"] = "public, max-age=300"
        return response


# ---------------------------------------------------------------- the app


class AppEndpoint(VcardEndpoint):
    authentication_classes = [AppTokenAuthentication]

    def me(self, request) -> Person:
        if request.auth is None:
            raise exceptions.NotAuthenticated(_("Log in from the app first."))
        return request.auth.person


class AppCardOut(BaseModel):
    card: dict | None = Field(description="the approved card: name, national_id (masked), card_number, since")
    application: dict | None = Field(description="the latest application: status, submitted_at, rejection_reason")
    requests: list[dict] = Field(description="institutions' requests waiting for an answer")
    household_asks: list[dict] = Field(description="household delegations waiting for this person to agree")
    usable: list[dict] = Field(description="我可使用: whose cards this person may show now")


def _application_json(application: CardApplication | None) -> dict | None:
    if application is None:
        return None
    return {
        "id": str(application.pk),
        "status": application.status,
        "status_label": str(application.get_status_display()),
        "submitted_at": _iso(timezone.localtime(application.submitted_at)),
        "rejection_reason": application.rejection_reason,
        "on_behalf": application.on_behalf,
    }


def _card_json(person: Person, card: CardApplication | None) -> dict | None:
    if card is None:
        return None
    from healthbank.core.masking import mask_card_number
    from healthbank.identity.services import current_card as current_nhi_card

    nhi_card = current_nhi_card(person)
    return {
        "person_id": str(person.pk),
        "name": person.masked_name,
        "national_id": person.national_id_masked,
        "card_number": mask_card_number(nhi_card.card_number) if nhi_card else "",
        "since": _iso(timezone.localtime(card.reviewed_at)) if card.reviewed_at else None,
    }


def _usable_json(grant) -> dict:
    kind, _sep, reference = (grant.origin or "").partition(":")
    return {
        "person_id": str(grant.person_id),
        "name": grant.person.masked_name,
        "why": grant.why,
        "why_label": str(grant.get_why_display()),
        "until": _iso(timezone.localtime(grant.valid_until)) if grant.valid_until else None,
        # the delegation that lends the card (to give it back: delegations/<id>/end); none for a child's card
        "delegation_id": reference if kind == "delegation" else None,
    }


_DELEGATION = {
    "id": "01a23eb2-2b21-7f0f-aade-f34289a11954",
    "kind": "named",
    "state": "active",
    "label": "媽媽",
    "holder": "王○明",
    "delegate": "林○玲",
    "starts_at": "2026-12-04T09:00:00+08:00",
    "ends_at": "2026-12-11T00:00:00+08:00",
    "answer_by": "2026-12-05T09:00:00+08:00",
}


def _delegation_json(delegation: Delegation) -> dict:
    state = selectors.delegation_state(delegation, timezone.now())
    return {
        "id": str(delegation.pk),
        "kind": delegation.kind,
        "state": state,
        "label": delegation.label,
        "holder": delegation.person.masked_name,
        "delegate": delegation.delegate.masked_name if delegation.delegate else "",
        "starts_at": _iso(timezone.localtime(delegation.starts_at)),
        "ends_at": _iso(timezone.localtime(delegation.ends_at)),
        "answer_by": _iso(timezone.localtime(delegation.answer_by)),
    }


def _waiting_request_json(made: InstitutionRequest) -> dict:
    return {
        "id": str(made.pk),
        "institution": made.institution.name,
        "institution_code": made.institution.code,
        "purpose": made.purpose,
        "purpose_label": str(made.get_purpose_display()),
        "answer_by": _iso(timezone.localtime(made.answer_by)),
    }


class AppCardView(AppEndpoint):
    @extend_schema(
        operation_id="app_vcard",
        summary="The virtual card home: my card or application, requests and household asks waiting, I can use",
        responses={200: AppCardOut, 401: OpenApiResponse(ErrorBody, "log in from the app first")},
        examples=[
            OpenApiExample(
                "a card, a request waiting",
                value={
                    "card": {
                        "person_id": "01a23eb2-2b21-7f0f-aade-f34289a11950",
                        "name": "王○明",
                        "national_id": "A12345****",
                        "card_number": "0000****4444",
                        "since": "2026-12-01T10:00:00+08:00",
                    },
                    "application": {
                        "id": "01a23eb2-2b21-7f0f-aade-f34289a11951",
                        "status": "approved",
                        "status_label": "已核准",
                        "submitted_at": "2026-11-30T09:00:00+08:00",
                        "rejection_reason": "",
                        "on_behalf": False,
                    },
                    "requests": [
                        {
                            "id": "01a23eb2-2b21-7f0f-aade-f34289a11952",
                            "institution": "測試居家護理所",
                            "institution_code": "0140000011",
                            "purpose": "home_care",
                            "purpose_label": "居家醫療",
                            "answer_by": "2026-12-04T10:10:00+08:00",
                        }
                    ],
                    "household_asks": [],
                    "usable": [
                        {
                            "person_id": "01a23eb2-2b21-7f0f-aade-f34289a11953",
                            "name": "王○華",
                            "why": "child_under_15",
                            "why_label": "未滿15歲子女",
                            "until": "2031-05-04T00:00:00+08:00",
                            "delegation_id": None,
                        }
                    ],
                },
                response_only=True,
            )
        ],
        tags=APP_TAGS,
    )
    def get(self, request):
        person = self.me(request)
        return Response(
            {
                "card": _card_json(person, selectors.current_card(person)),
                "application": _application_json(selectors.latest_application(person)),
                "requests": [_waiting_request_json(r) for r in selectors.waiting_requests(person)],
                "household_asks": [_delegation_json(d) for d in selectors.waiting_household_asks(person)],
                "usable": [_usable_json(g) for g in selectors.cards_i_can_use(person)],
            }
        )


class AppApplicationView(AppEndpoint):
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        operation_id="app_vcard_apply",
        summary="Apply for the virtual card (for myself or a member of my NHI household)",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "terms_accepted": {"type": "boolean"},
                    "person_id": {"type": "string", "format": "uuid", "description": "empty: myself"},
                    "document": {"type": "string", "enum": CardApplication.Document.values},
                    "document_photo": {"type": "string", "format": "binary"},
                    "portrait": {"type": "string", "format": "binary", "description": "optional under 14"},
                    "phone": {"type": "string"},
                    "email": {"type": "string", "format": "email"},
                },
                "required": ["terms_accepted", "document", "document_photo", "phone", "email"],
            }
        },
        responses={
            201: OpenApiTypes.OBJECT,
            400: OpenApiResponse(RefusalBody, "a field is missing or wrong; a photo is not a clean JPEG or PNG"),
            401: OpenApiResponse(ErrorBody, "log in from the app first"),
            409: OpenApiResponse(RefusalBody, "has_card or waiting"),
            413: OpenApiResponse(ErrorBody, "the upload is too large"),
        },
        examples=[
            OpenApiExample(
                "waiting for review",
                value={
                    "id": "01a23eb2-2b21-7f0f-aade-f34289a11951",
                    "status": "submitted",
                    "status_label": "待審核",
                    "submitted_at": "2026-12-04T09:00:00+08:00",
                    "rejection_reason": "",
                    "on_behalf": False,
                },
                response_only=True,
                status_codes=["201"],
            )
        ],
        tags=APP_TAGS,
    )
    def post(self, request):
        person = self.me(request)
        length = str(request.META.get("CONTENT_LENGTH") or "0")
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        limit = policy.VCARD_APPLICATION_MAX_BODY if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if not length.isdigit() or int(length) > limit:
            return error_response(
                413,
                "body",
                _("The photos together are larger than %(mb)d MB.")
                % {"mb": policy.VCARD_APPLICATION_MAX_BODY // (1024 * 1024)},
            )
        data = request.data
        subject = person
        chosen = data.get("person_id") or ""
        if chosen and chosen != str(person.pk):
            subject = next(
                (m for m in selectors.household_members(person, timezone.localdate()) if str(m.pk) == chosen), None
            )
            if subject is None:
                raise services.CardRefused("person_id", _("Choose yourself or a member of your NHI household."))
        application = services.submit_application(
            person,
            subject,
            terms_accepted=str(data.get("terms_accepted", "")).lower() in ("true", "1", "on", "yes"),
            document=str(data.get("document", "")),
            document_photo=request.FILES.get("document_photo"),
            portrait=request.FILES.get("portrait"),
            phone=str(data.get("phone", "")),
            email=str(data.get("email", "")),
            language=request.LANGUAGE_CODE,
        )
        return Response(_application_json(application), status=201)


class QrIn(BaseModel):
    person_id: str | None = Field(None, description="whose card: empty for my own, or someone in 'usable'")


class QrOut(BaseModel):
    qr: str = Field(description="the code's text (render it as a regular QR code, error correction M)")
    qr_png: str = Field(description="the code as a PNG, data:image/png;base64,…")
    expires_at: str
    valid_seconds: int
    holder: str = Field(description="masked name of the card holder")


class AppQrView(AppEndpoint):
    @extend_schema(
        operation_id="app_vcard_qr",
        summary="A new one-time card QR (5 minutes, one scan); a newer one voids the older one",
        request=QrIn,
        responses={
            200: QrOut,
            400: OpenApiResponse(RefusalBody, "a body that is not a JSON object"),
            401: OpenApiResponse(ErrorBody, "log in from the app first"),
            404: OpenApiResponse(ErrorBody, "not a card this person may use"),
            409: OpenApiResponse(RefusalBody, "no_card"),
            429: OpenApiResponse(RefusalBody, "throttled"),
        },
        examples=[OpenApiExample("my own card", value={}, request_only=True)],
        tags=APP_TAGS,
    )
    def post(self, request):
        person = self.me(request)
        data = request.data if isinstance(request.data, dict) else {}
        holder = person
        chosen = data.get("person_id")
        if chosen not in (None, "", str(person.pk)):
            holder = Person.objects.filter(pk=_uuid_or_404(chosen)).first()
            if holder is None:
                raise NotReadable
        issued = services.issue_card_qr(person, holder, device=request.auth.device)
        return Response(
            {
                "qr": issued.text,
                "qr_png": qr.png_data_url(issued.text),
                "expires_at": _iso(timezone.localtime(issued.expires_at)),
                "valid_seconds": int(policy.VCARD_QR_VALID_FOR.total_seconds()),
                "holder": holder.masked_name,
            }
        )


def _uuid_or_404(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotReadable from None


class AppPhotoView(AppEndpoint):
    @extend_schema(
        operation_id="app_vcard_photo",
        summary="The card photo (JPEG) of my card or of a card I may use",
        parameters=[OpenApiParameter("person_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY, 401: ErrorBody, 404: ErrorBody},
        examples=[
            OpenApiExample(
                "not a card this person may use",
                value={"errors": {"request": ["查無資料。"]}},
                response_only=True,
                status_codes=["404"],
            )
        ],
        tags=APP_TAGS,
    )
    def get(self, request, person_id):

        picture = selectors.card_photo_for(self.me(request), person_id)
        if picture is None:
            raise NotReadable
        response = HttpResponse(picture, content_type="image/jpeg")
        response["Cache-Control"] = "private, no-store"
        return response


class AnswerIn(BaseModel):
    answer: str = Field(description="accept or decline (institution requests); agree or decline (household)")


class AppRequestAnswerView(AppEndpoint):
    @extend_schema(
        operation_id="app_vcard_request_answer",
        summary="Accept (within 10 minutes) or decline an institution's request",
        parameters=[REQUEST_ID],
        request=AnswerIn,
        responses={
            200: OpenApiTypes.OBJECT,
            400: OpenApiResponse(RefusalBody, "an answer other than accept or decline"),
            401: ErrorBody,
            404: ErrorBody,
            409: OpenApiResponse(RefusalBody, "answered"),
            410: OpenApiResponse(RefusalBody, "expired"),
        },
        examples=[OpenApiExample("accept", value={"answer": "accept"}, request_only=True)],
        tags=APP_TAGS,
    )
    def post(self, request, request_id):
        person = self.me(request)
        answer = self.text(self.body(request), "answer", longest=10)
        if answer not in ("accept", "decline"):
            raise services.CardRefused("answer", _("The answer is accept or decline."))
        made = services.answer_request(person, request_id, accept=answer == "accept")
        return Response(_request_json(made))


class AppRequestEndView(AppEndpoint):
    @extend_schema(
        operation_id="app_vcard_request_end",
        summary="End an institution's authorisation early (or decline a request still waiting)",
        parameters=[REQUEST_ID],
        request=None,
        responses={200: OpenApiTypes.OBJECT, 401: ErrorBody, 404: ErrorBody, 409: RefusalBody, 410: RefusalBody},
        examples=[
            OpenApiExample(
                "ended",
                value={
                    "id": "01a23eb2-2b21-7f0f-aade-f34289a11952",
                    "status": "ended",
                    "purpose": "home_care",
                    "requested_at": "2026-12-04T10:00:00+08:00",
                    "answer_by": "2026-12-04T10:10:00+08:00",
                    "usable_until": "2026-12-04T10:20:00+08:00",
                    "institution": "測試居家護理所",
                },
                response_only=True,
            )
        ],
        tags=APP_TAGS,
    )
    def post(self, request, request_id):
        made = services.end_institution_authorisation(self.me(request), request_id)
        made = InstitutionRequest.objects.select_related("grant", "institution").get(pk=made.pk)
        return Response(_request_json(made) | {"institution": made.institution.name})


class DelegationIn(BaseModel):
    kind: str = Field(description="named or household")
    delegate_national_id: str | None = Field(None, description="named: the delegate's national ID")
    label: str | None = Field(None, description="named: who they are to me, e.g. 媽媽")
    member_id: str | None = Field(None, description="household: the member's person id (GET …/household)")
    starts_on: str | None = Field(None, description="first day, YYYY-MM-DD; empty: now")
    ends_on: str = Field(description="last day, YYYY-MM-DD")


def _day(data: dict, name: str, *, required: bool) -> dt.date | None:
    value = data.get(name)
    if value in (None, "") and not required:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise services.CardRefused(name, _("A date as YYYY-MM-DD.")) from None


class AppDelegationsView(AppEndpoint):
    @extend_schema(
        operation_id="app_vcard_delegations",
        summary="我授權的: every delegation of my card (newest first) and the institutions I authorised",
        responses={200: OpenApiTypes.OBJECT, 401: ErrorBody},
        examples=[
            OpenApiExample(
                "one delegate",
                value={"delegations": [_DELEGATION], "institutions": []},
                response_only=True,
            )
        ],
        tags=APP_TAGS,
    )
    def get(self, request):
        person = self.me(request)
        return Response(
            {
                "delegations": [_delegation_json(d) for d in selectors.my_delegations(person)],
                "institutions": [
                    _request_json(r) | {"institution": r.institution.name}
                    for r in selectors.my_institution_authorisations(person)
                ],
            }
        )

    @extend_schema(
        operation_id="app_vcard_delegate",
        summary="新增授權對象: a named person (returns the code once) or a household member (must agree in 10 min)",
        description=(
            "A named delegation answers, once, `code` (10 characters), `qr` (the obtain link holding the code, "
            "what its QR code says) and `qr_png` (that QR code as a PNG, `data:image/png;base64,…`)."
        ),
        request=DelegationIn,
        responses={
            201: OpenApiTypes.OBJECT,
            400: OpenApiResponse(RefusalBody, "a bad ID or date; too_long (over a month outside the household)"),
            401: ErrorBody,
            409: OpenApiResponse(RefusalBody, "no approved card to lend"),
        },
        examples=[
            OpenApiExample(
                "a named delegate for a week",
                value={
                    "kind": "named",
                    "delegate_national_id": "F131104093",
                    "label": "媽媽",
                    "starts_on": "2026-12-04",
                    "ends_on": "2026-12-10",
                },
                request_only=True,
            )
        ],
        tags=APP_TAGS,
    )
    def post(self, request):
        person = self.me(request)
        data = self.body(request)
        kind = self.text(data, "kind", longest=10)
        starts_on = _day(data, "starts_on", required=False)
        ends_on = _day(data, "ends_on", required=True)
        if kind == "named":
            delegation, code = services.delegate_to_named_person(
                person,
                delegate_national_id=self.text(data, "delegate_national_id", longest=20),
                label=self.text(data, "label", required=False, longest=20),
                starts_on=starts_on,
                ends_on=ends_on,
            )
            obtain = request.build_absolute_uri("/vcard/obtain/") + f"?code={code}"
            extra = {"code": code, "qr": obtain, "qr_png": qr.png_data_url(obtain)}
            return Response(_delegation_json(delegation) | extra, status=201)
        if kind == "household":
            delegation = services.delegate_to_household_member(
                person, self.text(data, "member_id", longest=40), starts_on=starts_on, ends_on=ends_on
            )
            return Response(_delegation_json(delegation), status=201)
        raise services.CardRefused("kind", _("The kind is named or household."))


DELEGATION_ID = OpenApiParameter("delegation_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class AppDelegationActionView(AppEndpoint):
    action = ""

    @extend_schema(
        operation_id="app_vcard_delegation_action",
        summary="end (holder ends early, or delegate gives back) · agree / decline (household member)",
        parameters=[
            DELEGATION_ID,
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=["end", "agree", "decline"]),
        ],
        request=None,
        responses={
            200: OpenApiTypes.OBJECT,
            400: RefusalBody,
            401: ErrorBody,
            404: ErrorBody,
            409: RefusalBody,
            410: RefusalBody,
        },
        examples=[OpenApiExample("ended early", value=_DELEGATION | {"state": "ended"}, response_only=True)],
        tags=APP_TAGS,
    )
    def post(self, request, delegation_id, action):
        person = self.me(request)
        if action not in ("end", "agree", "decline"):  # anything else must not fall through to declining
            raise NotReadable
        if action == "end":
            delegation = services.end_delegation(person, delegation_id)
        else:
            delegation = services.answer_household_delegation(person, delegation_id, agree=action == "agree")
        return Response(_delegation_json(delegation))


class ObtainIn(BaseModel):
    code: str


class AppObtainView(AppEndpoint):
    @extend_schema(
        operation_id="app_vcard_obtain",
        summary="取得授權: enter (or scan) a delegation code; then the holder's card is in 'usable'",
        request=ObtainIn,
        responses={
            200: OpenApiTypes.OBJECT,
            400: OpenApiResponse(RefusalBody, "wrong_code"),
            401: ErrorBody,
            403: OpenApiResponse(RefusalBody, "not_for_you"),
            409: OpenApiResponse(RefusalBody, "used"),
            410: OpenApiResponse(RefusalBody, "expired"),
            429: OpenApiResponse(RefusalBody, "throttled: too many wrong codes"),
        },
        examples=[OpenApiExample("a typed code", value={"code": "K7PX9QMD3H"}, request_only=True)],
        tags=APP_TAGS,
    )
    def post(self, request):
        person = self.me(request)
        code = self.text(self.body(request), "code", longest=40)
        delegation = services.obtain_delegation(person, code, address=client_address(request))
        return Response(_delegation_json(delegation))


class AppHouseholdView(AppEndpoint):
    @extend_schema(
        operation_id="app_vcard_household",
        summary="The members of my NHI household (to apply for or to authorise)",
        responses={200: OpenApiTypes.OBJECT, 401: ErrorBody},
        examples=[
            OpenApiExample(
                "two members",
                value={
                    "members": [
                        {"person_id": "01a23eb2-2b21-7f0f-aade-f34289a11953", "name": "王○華", "birth_year": 2016}
                    ]
                },
                response_only=True,
            )
        ],
        tags=APP_TAGS,
    )
    def get(self, request):
        person = self.me(request)
        members = selectors.household_members(person, timezone.localdate())
        return Response(
            {
                "members": [
                    {"person_id": str(m.pk), "name": m.masked_name, "birth_year": m.birth_date.year} for m in members
                ]
            }
        )


class AppHistoryView(AppEndpoint):
    @extend_schema(
        operation_id="app_vcard_history",
        summary="使用紀錄: every scan of my card (where, when, who showed it) and the cards I showed",
        responses={200: OpenApiTypes.OBJECT, 401: ErrorBody},
        examples=[
            OpenApiExample(
                "one scan",
                value={
                    "scans": [
                        {
                            "scanned_at": "2026-12-04T09:31:00+08:00",
                            "institution": "測試診所",
                            "institution_code": "0140000011",
                            "shown_by": "",
                        }
                    ],
                    "shown_by_me": [],
                },
                response_only=True,
            )
        ],
        tags=APP_TAGS,
    )
    def get(self, request):
        person = self.me(request)

        def row(scan, whose: bool):
            return {
                "scanned_at": _iso(timezone.localtime(scan.scanned_at)),
                "institution": scan.institution.name,
                "institution_code": scan.institution.code,
                "shown_by": scan.presented_by.masked_name if scan.presented_by else "",
                **({"holder": scan.person.masked_name} if whose else {}),
            }

        return Response(
            {
                "scans": [row(s, False) for s in selectors.scan_history(person)],
                "shown_by_me": [row(s, True) for s in selectors.scans_by_me(person)],
            }
        )


institution_patterns = [
    path("api/vcard/v1/keys", KeysView.as_view(), name="vcard-keys"),
    path("api/vcard/v1/scans", ScanView.as_view(), name="vcard-scans"),
    path("api/vcard/v1/requests", RequestsView.as_view(), name="vcard-requests"),
    path("api/vcard/v1/requests/<uuid:request_id>", RequestView.as_view(), name="vcard-request"),
    path("api/vcard/v1/requests/<uuid:request_id>/insurance", RequestUseView.as_view(), name="vcard-request-use"),
]
app_patterns = [
    path("api/app/v1/vcard", AppCardView.as_view(), name="app-vcard"),
    path("api/app/v1/vcard/applications", AppApplicationView.as_view(), name="app-vcard-apply"),
    path("api/app/v1/vcard/qr", AppQrView.as_view(), name="app-vcard-qr"),
    path("api/app/v1/vcard/photo/<uuid:person_id>", AppPhotoView.as_view(), name="app-vcard-photo"),
    path("api/app/v1/vcard/household", AppHouseholdView.as_view(), name="app-vcard-household"),
    path("api/app/v1/vcard/history", AppHistoryView.as_view(), name="app-vcard-history"),
    path("api/app/v1/vcard/requests/<uuid:request_id>/answer", AppRequestAnswerView.as_view(), name="app-vcard-answer"),
    path("api/app/v1/vcard/requests/<uuid:request_id>/end", AppRequestEndView.as_view(), name="app-vcard-request-end"),
    path("api/app/v1/vcard/delegations", AppDelegationsView.as_view(), name="app-vcard-delegations"),
    path("api/app/v1/vcard/delegations/obtain", AppObtainView.as_view(), name="app-vcard-obtain"),
    path(
        "api/app/v1/vcard/delegations/<uuid:delegation_id>/<str:action>",
        AppDelegationActionView.as_view(),
        name="app-vcard-delegation-action",
    ),
]
