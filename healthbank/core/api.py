"""What every HealthBank API (ingestion, app) shares: JSON errors of one shape, and a JSON parser with limits.

Every error an API answers is ``{"errors": {field: [reason, ...]}}``, including
an unexpected exception (500, logged here, never a traceback to the caller) and
a dependency outage (503 with ``Retry-After``; see ``core.outage``).
"""

from __future__ import annotations

import codecs
import logging
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from pydantic import BaseModel, Field
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.utils import json

from healthbank import policy

from .outage import RETRY_AFTER_SECONDS, is_dependency_outage, outage_message

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """The body of every API error."""

    errors: dict[str, list[str]] = Field(description="field (or body, authorization, request, service) → reasons")


def error_response(status_code: int, field_name: str, message: str, **kwargs: Any) -> Response:
    return Response({"errors": {field_name: [message]}}, status=status_code, **kwargs)


class BodyRefused(exceptions.ParseError):
    """A body that is valid JSON but that no endpoint accepts (too deep, text that cannot be stored)."""


def exception_handler(exc, context):
    """DRF's exception handler for every API view: the one error shape, 503 for an outage, 500 for a bug."""
    # Imported here: rest_framework.views reads the parser setting, which names this module.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, RequestDataTooBig):  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE, met while DRF read the body
        return error_response(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "body", _("The body is larger than this endpoint accepts.")
        )
    if isinstance(exc, SuspiciousOperation | BadRequest):  # Django refused the request itself: the client's fault
        return error_response(status.HTTP_400_BAD_REQUEST, "request", _("The request could not be understood."))
    response = drf_exception_handler(exc, context)
    if response is None:
        set_rollback()
        if is_dependency_outage(exc):
            log.warning("API %s: a dependency is away (%s)", _where(context), type(exc).__name__)
            return _logged(
                error_response(
                    status.HTTP_503_SERVICE_UNAVAILABLE,
                    "service",
                    outage_message(),
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            )
        log.error("API %s: unexpected error", _where(context), exc_info=exc)
        return _logged(
            error_response(
                status.HTTP_500_INTERNAL_SERVER_ERROR,
                "server",
                _("Something went wrong on our side; try again later."),
            )
        )
    if isinstance(exc, BodyRefused):
        response.data = {"errors": {"body": [str(exc.detail)]}}
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"errors": {"body": [f"Malformed JSON: {exc.detail}"]}}
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        response.data = {"errors": {"content_type": ["Send application/json."]}}
    elif isinstance(exc, exceptions.Throttled):  # DRF's own text has no Traditional Chinese
        message = _("Too many tries from this address; wait a while and try again.")
        if exc.wait is not None:
            message = _("Too many tries from this address; try again in %(seconds)d seconds.") % {
                "seconds": max(1, int(exc.wait))
            }
        response.data = {"errors": {"request": [message]}}
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response.data = {"errors": {"authorization": [str(exc.detail)]}}
    elif not (isinstance(response.data, dict) and "errors" in response.data):
        response.data = {"errors": {"request": [str(getattr(exc, "detail", exc))]}}
    return response


def _logged(response: Response) -> Response:
    """The line above is this failure's one log line: Django's request logger does not add a second."""
    response._has_been_logged = True
    return response


def _where(context) -> str:
    request = context.get("request")
    return f"{request.method} {request.path}" if request is not None else "request"


# NUL and unpaired surrogates are valid in JSON text but cannot be stored (PostgreSQL text, UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def check_json_value(data: Any, *, check_text: bool = True, max_depth: int = policy.API_MAX_JSON_DEPTH) -> None:
    """Refuse JSON nested deeper than ``max_depth`` or holding text that cannot be stored, naming where.

    Walks containers only; text is looked at when ``check_text`` (a body without ``\\u`` escapes cannot
    hold such characters, so the parser skips it then).
    """
    if isinstance(data, str):
        if check_text and _UNSTORABLE.search(data):
            raise BodyRefused(_unstorable(()))
        return
    if not isinstance(data, dict | list):
        return
    stack: list[tuple[Any, int, tuple]] = [(data, 1, ())]
    while stack:
        value, depth, path = stack.pop()
        if depth > max_depth:
            raise BodyRefused(_("The JSON body is nested more than %(limit)d levels deep.") % {"limit": max_depth})
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(item, dict | list):
                stack.append((item, depth + 1, (*path, key)))
            elif check_text and (
                (isinstance(item, str) and _UNSTORABLE.search(item))
                or (isinstance(key, str) and _UNSTORABLE.search(key))
            ):
                raise BodyRefused(_unstorable((*path, key)))


def _unstorable(path: tuple) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))
    return _("%(where)s contains a character that cannot be stored (NUL or an unpaired surrogate).") % {
        "where": where or "body"
    }


def document_outages(result, generator, request, public):
    """drf-spectacular post-processing hook: any operation may answer 503 (with Retry-After) during an outage."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorBody", ErrorBody.model_json_schema())
    outage = {
        "description": "a dependency (database, cache) is briefly away; send the same request again later",
        "headers": {
            "Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    # The FHIR API answers in FHIR: an OperationOutcome (healthbank.fhir.api), with the same Retry-After.
    components.setdefault("OperationOutcome", OPERATION_OUTCOME_SCHEMA)
    fhir_outage = {
        **outage,
        "content": {"application/fhir+json": {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}},
    }
    for name, path in result.get("paths", {}).items():
        for operation in path.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("503", fhir_outage if name.startswith("/fhir/") else outage)
    return result


OPERATION_OUTCOME_SCHEMA = {
    "type": "object",
    "properties": {
        "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
        "issue": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "severity": {"type": "string"},
                    "code": {"type": "string"},
                    "diagnostics": {"type": "string"},
                    "expression": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["severity", "code"],
            },
        },
    },
    "required": ["resourceType", "issue"],
}


def document_body_limit(result, generator, request, public):
    """drf-spectacular post-processing hook: an operation that takes a body may answer 413 when it is too large."""
    too_large = {
        "description": "the body is larger than this endpoint accepts",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and "requestBody" in operation and "responses" in operation:
                operation["responses"].setdefault("413", too_large)
    return result


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 rather than failing on bodies nested too deep or unstorable text."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:
            raise BodyRefused(
                _("The JSON body is nested more than %(limit)d levels deep.") % {"limit": policy.API_MAX_JSON_DEPTH}
            ) from None
        # Strict JSON holds NUL or a lone surrogate only as a \u escape (raw control characters are refused,
        # and decoding refuses encoded surrogates), so most bodies need no look at their text.
        check_json_value(data, check_text="\\u" in text)
        return data


@csrf_exempt
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any other path under /api/: the APIs' JSON 404, not the HTML page."""
    body = {"errors": {"request": [_("There is no API endpoint at this address.")]}}
    return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})
