"""``/api/app/v1/services/<person_id>/township``: township-office enrolment in the app (SPEC §10)."""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework import parsers
from rest_framework.response import Response

from healthbank import policy
from healthbank.core.api import ErrorBody, error_response
from healthbank.core.display import format_date

from .. import township
from ..models import TownshipRequest
from .common import LANGUAGE_PARAMETER, NO_TOKEN, NOT_FOUND, PERSON_PARAMETER, ServiceEndpoint

SERVICE = "township"


class TownshipRequestItem(BaseModel):
    id: str
    kind: str = Field(description="enrol, transfer_out, suspend or resume")
    kind_label: str
    reason: str = Field(description="transfer: employed or moved; suspend and resume: abroad or missing")
    office: str = Field(description="the township office (its Chinese name)")
    status: str = Field(description="submitted, approved or rejected")
    status_label: str
    event_on: str | None = Field(description="the date the person gave (ISO)")
    effective_on: str = Field(description="the day the change takes effect (ISO)")
    effective_on_shown: str = Field(description="the same in the answer's language (ROC in Chinese)")
    submitted_at: str
    reviewed_at: str | None
    rejection_reason: str


class TownshipEnrolment(BaseModel):
    office: str
    category: int
    since: str
    until: str | None


class TownshipState(BaseModel):
    insured: TownshipEnrolment | None = Field(description="the enrolment in force today, whatever the unit")
    suspended_since: str | None = Field(description="the approved suspension the person is in")
    may_ask: list[str] = Field(description="the requests that fit now (none waiting of the same kind)")
    requests: list[TownshipRequestItem] = Field(description="newest first")


def request_json(r: TownshipRequest) -> dict:
    return {
        "id": str(r.pk),
        "kind": r.kind,
        "kind_label": r.get_kind_display(),
        "reason": r.reason,
        "office": r.unit.name,
        "status": r.status,
        "status_label": r.get_status_display(),
        "event_on": r.event_on.isoformat() if r.event_on else None,
        "effective_on": r.effective_on.isoformat(),
        "effective_on_shown": format_date(r.effective_on),
        "submitted_at": timezone.localtime(r.submitted_at).isoformat(),
        "reviewed_at": timezone.localtime(r.reviewed_at).isoformat() if r.reviewed_at else None,
        "rejection_reason": r.rejection_reason,
    }


_EXAMPLE_REQUEST = {
    "id": "01a23eb2-2b21-7f0f-aade-f34289a11951",
    "kind": "suspend",
    "kind_label": "停保",
    "reason": "missing",
    "office": "臺北市中正區公所",
    "status": "submitted",
    "status_label": "待審核",
    "event_on": "2026-11-25",
    "effective_on": "2026-11-25",
    "effective_on_shown": "115/11/25",
    "submitted_at": "2026-12-04T10:00:00+08:00",
    "reviewed_at": None,
    "rejection_reason": "",
}


class TownshipView(ServiceEndpoint):
    service = SERVICE
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    @extend_schema(
        operation_id="app_services_township",
        summary="Township-office enrolment: the insurance now, what may be asked, the requests",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: TownshipState, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "insured at a township office, a suspension waiting",
                value={
                    "insured": {"office": "臺北市中正區公所", "category": 6, "since": "2015-01-01", "until": None},
                    "suspended_since": None,
                    "may_ask": ["transfer_out"],
                    "requests": [_EXAMPLE_REQUEST],
                },
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request, person_id):
        person = self.person(request, person_id)
        today = timezone.localdate()
        current = township.current_enrolment(person, today)
        suspension = township.open_suspension(person, today)
        waiting = set(
            TownshipRequest.objects.filter(person=person, status=TownshipRequest.Status.SUBMITTED).values_list(
                "kind", flat=True
            )
        )
        return Response(
            {
                "insured": {
                    "office": current.unit.name,
                    "category": current.category,
                    "since": current.started_on.isoformat(),
                    "until": current.ended_on.isoformat() if current.ended_on else None,
                }
                if current
                else None,
                "suspended_since": suspension.effective_on.isoformat() if suspension else None,
                "may_ask": [k for k in township.kinds_open_to(person, today) if k not in waiting],
                "requests": [request_json(r) for r in township.requests_of(person)],
            }
        )

    @extend_schema(
        operation_id="app_services_township_request",
        summary="Ask the township office: enrol, transfer out, suspend or resume, with the document it needs",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": TownshipRequest.Kind.values},
                    "reason": {"type": "string", "enum": ["employed", "moved", "abroad", "missing"]},
                    "county": {"type": "string", "description": "enrol: the registered household's county"},
                    "township": {"type": "string", "description": "enrol: its township"},
                    "event_on": {"type": "string", "format": "date", "description": "not for enrol"},
                    "planned_return_on": {"type": "string", "format": "date", "description": "suspend abroad"},
                    "document": {"type": "string", "format": "binary", "description": "PDF, JPEG or PNG"},
                    "email": {"type": "string", "format": "email"},
                },
                "required": ["kind", "document", "email"],
            }
        },
        responses={
            201: TownshipRequestItem,
            400: OpenApiResponse(ErrorBody, "a field is missing or wrong; the document is not a PDF, JPEG or PNG"),
            401: NO_TOKEN,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorBody, "the same request is waiting, or the insurance does not allow it now"),
            413: OpenApiResponse(ErrorBody, "the upload is too large (named: document), refused before it is read"),
        },
        examples=[
            OpenApiExample("waiting for the office", value=_EXAMPLE_REQUEST, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "a suspension too short",
                value={"errors": {"planned_return_on": ["A suspension is for 6 months abroad or more: ..."]}},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, person_id):
        person = self.person(request, person_id)
        length = str(request.META.get("CONTENT_LENGTH") or "0")
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        # Refused from the declared length, before the body is read (the form's fields are a few hundred bytes).
        limit = policy.TOWNSHIP_DOCUMENT_MAX_BYTES + 64 * 1024 if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if not length.isdigit() or int(length) > limit:
            mb = policy.TOWNSHIP_DOCUMENT_MAX_BYTES // (1024 * 1024)
            return error_response(413, "document", _("The document is larger than %(mb)d MB.") % {"mb": mb})
        data = request.data
        try:
            made = township.submit_request(
                request.auth.person,
                person,
                kind=data.get("kind", ""),
                document=request.FILES.get("document"),
                email=data.get("email", ""),
                reason=data.get("reason", ""),
                county=data.get("county", ""),
                township=data.get("township", ""),
                event_on=data.get("event_on") or None,
                planned_return_on=data.get("planned_return_on") or None,
                language=request.query_params.get("lang") or "",
            )
        except township.TownshipRefused as refused:
            return error_response(refused.status, refused.field, refused.message)
        return Response(request_json(made), status=201)


routes = [path("township", TownshipView.as_view(), name="app-services-township")]
