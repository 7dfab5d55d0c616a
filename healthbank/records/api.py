"""The ingestion API (DRF): one endpoint per record type, batches of records, per-record outcomes.

HTTP status of a batch: 200 every record accepted, 207 some rejected, 422 none
accepted; 400 malformed body, 401 bad credential, 403 this sender may not send
this type, 413 too large.
"""

from __future__ import annotations

from typing import Literal

from drf_spectacular.utils import OpenApiResponse, extend_schema
from pydantic import BaseModel, Field, create_model
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from healthbank import policy

from . import schemas
from .auth import ApiKeyAuthentication, HasApiClient
from .services import RECORD_TYPES, Sender, SenderNotAllowed, ingest, summarise


class RecordResult(BaseModel):
    index: int = Field(description="position of the record in the batch")
    record_id: str | None
    status: Literal["created", "replaced", "unchanged", "rejected"]
    id: str | None = Field(None, description="HealthBank's public id of the stored record")
    errors: dict[str, list[str]] | None = Field(None, description="field → reasons, when rejected")


class BatchResult(BaseModel):
    summary: dict[str, int]
    results: list[RecordResult]


class ErrorBody(BaseModel):
    errors: dict[str, list[str]]


def _error(status_code: int, field_name: str, message: str) -> Response:
    return Response({"errors": {field_name: [message]}}, status=status_code)


def exception_handler(exc, context):
    """Every error body has the same shape: ``{"errors": {field: [reason, ...]}}``."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ParseError):
        response.data = {"errors": {"body": [f"Malformed JSON: {exc.detail}"]}}
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        response.data = {"errors": {"content_type": ["Send application/json."]}}
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response.data = {"errors": {"authorization": [str(exc.detail)]}}
    elif isinstance(exc, exceptions.APIException) and not (
        isinstance(response.data, dict) and "errors" in response.data
    ):
        response.data = {"errors": {"request": [str(getattr(exc, "detail", exc))]}}
    return response


class IngestView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiClient]
    record_type: str = ""

    def post(self, request):
        length = int(request.META.get("CONTENT_LENGTH") or 0)
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
}


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
            "replaces (corrects) that record and keeps the earlier version."
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
        tags=["ingestion"],
    )

    def post(self, request):
        return IngestView.post(self, request)

    return type(f"Ingest{batch.__name__}View", (IngestView,), {"record_type": name, "post": decorated(post)})


INGEST_VIEWS = {name: _view_for(name) for name in RECORD_TYPES}
