"""The ingestion API (DRF): one endpoint per record type, batches of records, per-record outcomes.

HTTP status of a batch: 200 every record accepted, 207 some rejected, 422 none
accepted; 400 malformed body, 401 bad credential, 403 this sender may not send
this type, 413 too large; 503 while a dependency is away (``core.api``).
"""

from __future__ import annotations

from typing import Literal

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field, create_model
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from healthbank import policy
from healthbank.core.api import ErrorBody, error_response
from healthbank.core.api import exception_handler as exception_handler  # its former home; settings name core.api

from . import schemas
from .auth import ApiKeyAuthentication, HasApiClient
from .services import RECORD_TYPES, Sender, SenderNotAllowed, ingest, summarise


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The institution's or agency's API key, as Swagger UI's "Authorize" asks for it."""

    target_class = ApiKeyAuthentication
    name = "institutionApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "hb_<prefix>_<secret>",
            "description": "The API key an NHI operator issued to the institution or agency.",
        }


class RecordResult(BaseModel):
    index: int = Field(description="position of the record in the batch")
    record_id: str | None
    status: Literal["created", "replaced", "unchanged", "rejected"]
    id: str | None = Field(None, description="HealthBank's public id of the stored record")
    errors: dict[str, list[str]] | None = Field(None, description="field → reasons, when rejected")


class BatchResult(BaseModel):
    summary: dict[str, int]
    results: list[RecordResult]


_error = error_response


def _declared_length(request) -> int | None:
    """The body length the client declared, or None when the header is not a number of bytes."""
    text = str(request.META.get("CONTENT_LENGTH") or "0").strip()
    return int(text) if text.isascii() and text.isdigit() else None


class IngestView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiClient]
    record_type: str = ""

    def post(self, request):
        length = _declared_length(request)
        if length is None:
            return _error(400, "content_length", "The Content-Length header must be a number of bytes.")
        if length > policy.INGEST_MAX_BODY_BYTES:
            return _error(413, "body", f"The body is larger than {policy.INGEST_MAX_BODY_BYTES} bytes.")
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            return _error(400, "records", "The body must be an object with a list 'records'.")
        records = body["records"]
        if not records:
            return _error(400, "records", "The batch has no records.")
        if len(records) > policy.INGEST_MAX_RECORDS_PER_BATCH:
            return _error(
                413, "records", f"A batch holds at most {policy.INGEST_MAX_RECORDS_PER_BATCH} records; split it."
            )
        try:
            outcomes = ingest(Sender.for_client(request.auth), self.record_type, records)
        except SenderNotAllowed as exc:
            return _error(403, "record_type", str(exc))
        summary = summarise(outcomes)
        if summary["rejected"] == 0:
            code = status.HTTP_200_OK
        elif summary["rejected"] == len(outcomes):
            code = status.HTTP_422_UNPROCESSABLE_ENTITY
        else:
            code = status.HTTP_207_MULTI_STATUS
        return Response({"summary": summary, "results": [o.as_dict() for o in outcomes]}, status=code)


SENDER_TEXT = {
    "institution": "institutions (as themselves)",
    "CDC": "the CDC",
    "HPA": "the HPA",
    "MOHW": "the MOHW",
    "NHIA": "the NHIA (its head office and divisions)",
}

# What one record type adds to its endpoint's description.
ABOUT: dict[str, str] = {
    "visits": (
        " A visit made with the virtual NHI card sends `card_medium` `virtual` and, in `virtual_card`, the "
        "`scan_id` the card scan answered (this institution may upload the visit for 24 hours after the scan) or "
        "the id of the authorisation request the person accepted (1 hour after acceptance); another "
        "institution's or another person's id, or one whose time has passed, is refused naming `virtual_card`. "
        "Inpatient stays, courses of treatment (`course_treatment`) and prescription refills (`refill_of`) may "
        "send `mixed`: the NHI card and the virtual card both. After that time an identical re-send is still "
        "`unchanged`, and a correction that keeps its `virtual_card` is still accepted."
    ),
    **dict.fromkeys(
        ("subsidy-cases", "catastrophic-illness", "reimbursements", "prior-reviews"),
        " A case carries every step it went through so far, oldest first (`received` first; days never go back; "
        "one decision at most: `approved`, `partly_approved` or `refused`; nothing after `refused`, `paid` or "
        "`withdrawn`): send the case again under its record_id with each new step. The person sees the steps as "
        "a progress line on the case-progress page (重大傷病、自墊醫療費用核退、事前審查進度查詢).",
    ),
    "salary-reports": (
        " An insured salary a unit reported to the NHIA (投保金額申報), forwarded by the NHIA: the unit must be "
        "known and the person insured at that unit (as an insured person, not a dependent) on `effective_on`."
    ),
    "welfare-subsidies": (
        " A month of the person's premium paid from the tobacco health and welfare surcharge (菸品健康福利捐) or "
        "the public welfare lottery (公益彩券回饋金), one record per month and fund."
    ),
}

_WHO = {"national_id": "A123456789"}
EXAMPLE_RECORDS: dict[str, dict] = {
    "visits": _WHO
    | {
        "record_id": "V-20261118-0012",
        "card_number": "000033334444",
        "institution": "0140000011",
        "kind": "western",
        "visit_date": "2026-11-18",
        "card_sequence": "0012",
        "department": "01",
        "copayment": 50,
        "points": 420,
        "diagnoses": ["E11.9", "I10"],
        "drug_orders": [{"drug_code": "BC59114100", "days_supplied": 28, "quantity": "56", "frequency": "BID"}],
        "non_drug_orders": [{"payment_code": "00109C"}],
        "chronic_prescription": {"record_id": "RX-20261118-0012", "days_per_fill": 28, "fills": 3, "icd10": "E11.9"},
        # With the virtual card: "card_medium": "virtual" and "virtual_card": the scan_id (see VisitIn). The
        # example stays on the physical card so that "Try it out" is accepted without a scan.
        "card_medium": "physical",
    },
    "lab-results": _WHO
    | {
        "record_id": "L-20261101-7",
        "institution": "0140000011",
        "collected_on": "2026-11-01",
        "lab_key": "hba1c",
        "value": "7.2",
        "unit": "%",
        "reference_range": "4.0-5.6",
    },
    "reports": _WHO
    | {
        "record_id": "R-20261118-1",
        "institution": "0140000011",
        "kind": "imaging",
        "performed_on": "2026-11-18",
        "title": "胸部X光 Chest X-ray",
        "text": "No active lung lesion. Heart size within normal limits.",
        "visit_record_id": "V-20261118-0012",
    },
    "allergies": _WHO
    | {
        "record_id": "A-20260301-1",
        "institution": "0140000011",
        "uploaded_on": "2026-03-01",
        "allergen": "Penicillin",
        "reaction": "rash",
        "doctor_name": "林醫師",
    },
    "follow-ups": _WHO
    | {
        "record_id": "F-20261020-1",
        "institution": "0140000011",
        "program": "diabetes",
        "measured_on": "2026-10-20",
        "values": {"hba1c": "7.1", "ldl": "96"},
    },
    "vaccinations": _WHO
    | {
        "record_id": "CDC-20251020-1",
        "vaccine_code": "Flu",
        "vaccinated_on": "2025-10-20",
        "institution": "0140000011",
    },
    "preventive-checks": _WHO
    | {
        "record_id": "HPA-20250601-1",
        "institution": "0140000011",
        "checked_on": "2025-06-01",
        "height_cm": "170.5",
        "weight_kg": "70",
        "waist_cm": "84",
        "systolic": 128,
        "diastolic": 82,
        "fasting_glucose": "96",
        "hbsag": "negative",
    },
    "cancer-screenings": _WHO
    | {
        "record_id": "HPA-S-20250715-1",
        "institution": "0140000011",
        "kind": "colorectal",
        "screened_on": "2025-07-15",
        "result": "糞便潛血檢查陰性 Faecal immunochemical test negative",
        "abnormal": False,
    },
    "care-wishes": _WHO
    | {
        "record_id": "MOHW-W-1",
        "kind": "hospice",
        "signed_on": "2020-01-02",
        "registered_on": "2020-01-20",
    },
    "subsidy-cases": _WHO
    | {
        "record_id": "NHIA-S-1150301-7",
        "kind": "near_poor",
        "applied_on": "2026-03-01",
        "steps": [
            {"step": "received", "on": "2026-03-02"},
            {"step": "documents_requested", "on": "2026-03-10", "note": "中低收入戶證明 certificate of status"},
            {"step": "documents_received", "on": "2026-03-20"},
            {"step": "approved", "on": "2026-04-01"},
        ],
        "share_pct": 50,
        "months_from": "2026-04-01",
    },
    "catastrophic-illness": _WHO
    | {
        "record_id": "NHIA-C-1150910-3",
        "icd10": "C18.9",
        "institution": "0140000011",
        "applied_on": "2026-09-10",
        "steps": [
            {"step": "received", "on": "2026-09-10"},
            {"step": "under_review", "on": "2026-09-12"},
            {"step": "approved", "on": "2026-09-20"},
        ],
        "valid_from": "2026-09-10",
        "valid_until": "2031-09-09",
    },
    "reimbursements": _WHO
    | {
        "record_id": "NHIA-R-1151015-1",
        "where": "abroad",
        "country": "JP",
        "treated_from": "2026-08-03",
        "treated_until": "2026-08-05",
        "applied_on": "2026-10-15",
        "amount_claimed": 48200,
        "steps": [
            {"step": "received", "on": "2026-10-15"},
            {"step": "partly_approved", "on": "2026-11-02", "note": "上限 capped at the NHI's own fee"},
            {"step": "paid", "on": "2026-11-10"},
        ],
        "amount_approved": 21600,
    },
    "prior-reviews": _WHO
    | {
        "record_id": "PR-20261105-2",
        "institution": "0140000011",
        "drug_code": "BC59114100",
        "applied_on": "2026-11-05",
        "steps": [{"step": "received", "on": "2026-11-06"}, {"step": "under_review", "on": "2026-11-09"}],
    },
    "salary-reports": _WHO
    | {
        "record_id": "NHIA-P-1150201-9",
        "unit": "040123456",
        "reason": "adjustment",
        "reported_on": "2026-01-28",
        "effective_on": "2026-02-01",
        "insured_salary": 45800,
    },
    "welfare-subsidies": _WHO
    | {"record_id": "NHIA-W-11510-1", "month": "2026-10-01", "amount": 413, "fund": "lottery"},
}


def _examples(name: str) -> list[OpenApiExample]:
    record = EXAMPLE_RECORDS[name]
    created = {
        "index": 0,
        "record_id": record["record_id"],
        "status": "created",
        "id": "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e77",
    }
    rejected = {
        "index": 1,
        "record_id": "X-2",
        "status": "rejected",
        "errors": {"national_id": ["No insured person has this national ID."]},
    }
    return [
        OpenApiExample("a batch of one record", value={"records": [record]}, request_only=True),
        OpenApiExample(
            "every record accepted",
            value={"summary": {"created": 1, "replaced": 0, "unchanged": 0, "rejected": 0}, "results": [created]},
            response_only=True,
            status_codes=["200"],
        ),
        OpenApiExample(
            "some records rejected",
            value={
                "summary": {"created": 1, "replaced": 0, "unchanged": 0, "rejected": 1},
                "results": [created, rejected],
            },
            response_only=True,
            status_codes=["207"],
        ),
    ]


def _view_for(name: str) -> type[IngestView]:
    rt = RECORD_TYPES[name]
    batch = create_model(
        f"{rt.schema.__name__.removesuffix('In')}Batch",
        __module__=schemas.__name__,
        records=(list[rt.schema], Field(min_length=1, max_length=policy.INGEST_MAX_RECORDS_PER_BATCH)),
    )
    senders = ", ".join(SENDER_TEXT[s] for s in sorted(rt.senders))
    decorated = extend_schema(
        operation_id=f"ingest_{name.replace('-', '_')}",
        summary=f"Send a batch of {name}",
        description=(
            f"Sent by {senders}. Each record is accepted or rejected on its own; re-sending a record_id "
            "with the same content is `unchanged`, with other content it replaces (corrects) that record and "
            "keeps the earlier version. A record id stays with the person it was first sent for. Re-sending a "
            "whole batch after a 5xx answer or a dropped connection is safe."
            f"{ABOUT.get(name, '')}"
        ),
        request=batch,
        responses={
            200: OpenApiResponse(BatchResult, "every record accepted"),
            207: OpenApiResponse(BatchResult, "some records rejected"),
            422: OpenApiResponse(BatchResult, "no record accepted"),
            400: OpenApiResponse(ErrorBody, "malformed body"),
            401: OpenApiResponse(ErrorBody, "missing or invalid API key"),
            403: OpenApiResponse(ErrorBody, "this sender may not send this record type"),
            413: OpenApiResponse(ErrorBody, "batch or body too large"),
        },
        examples=_examples(name),
        tags=["ingestion"],
    )

    def post(self, request):
        return IngestView.post(self, request)

    return type(f"Ingest{batch.__name__}View", (IngestView,), {"record_type": name, "post": decorated(post)})


INGEST_VIEWS = {name: _view_for(name) for name in RECORD_TYPES}
