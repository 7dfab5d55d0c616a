"""What every passbook endpoint shares: the app token, whose passbook, list parameters and refusals as JSON."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from pydantic import BaseModel, Field
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from healthbank.access.rules import Reader
from healthbank.access.services import NotReadable
from healthbank.core.api import ErrorBody, error_response
from healthbank.core.http import client_address
from healthbank.devices.api import AppTokenAuthentication

from ..listing import ListError
from ..viewing import open_viewing

NOT_FOUND = OpenApiResponse(ErrorBody, "no such person or record for this reader (the same answer either way)")
BAD_PARAMETER = OpenApiResponse(ErrorBody, "a parameter this list does not have, a sort key it cannot sort by")
NO_TOKEN = OpenApiResponse(ErrorBody, "no token, or the token is not valid any more (log in again)")
PERSON_PARAMETER = OpenApiParameter(
    "person_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="whose passbook: the person's own id or a child's",
)
LANGUAGE_PARAMETER = OpenApiParameter(
    "lang", str, enum=["zh-hant", "en"], description="names of diagnoses, drugs and orders in this language"
)
LIST_PARAMETERS = [
    OpenApiParameter("sort", str, description="a column key, '-' first for descending, e.g. -date"),
    OpenApiParameter("page", int, description="page number from 1; past the last page answers 404"),
    OpenApiParameter("older", str, enum=["0", "1"], description="1: also records before the category's usual span"),
]


class PageInfo(BaseModel):
    page: int
    pages: int
    count: int = Field(description="records matching, over all pages")
    since: str | None = Field(description="first day shown (ISO date); null when older records are included")
    has_older: bool = Field(description="older records exist (ask with older=1)")
    sort: str


def page_info(page) -> dict:
    return {
        "page": page.page,
        "pages": page.pages,
        "count": page.count,
        "since": page.since.isoformat() if page.since else None,
        "has_older": page.has_older,
        "sort": page.params.sort,
    }


class PassbookEndpoint(APIView):
    """An app endpoint over one person's passbook: token → reader → ``Viewing``; refusals in the API's shape."""

    authentication_classes = [AppTokenAuthentication]

    def viewing(self, request, person_id):
        if request.auth is None:
            raise exceptions.NotAuthenticated(_("Log in from the app first."))
        reader = Reader.person(request.auth.person, address=client_address(request))
        language = request.query_params.get("lang") or translation.get_language()
        if language not in ("zh-hant", "en"):
            raise ListError("lang", _("The language is zh-hant or en."))
        translation.activate(language)  # every word of the answer, not only the catalogue names, in that language
        return open_viewing(reader, person_id, language, known=request.auth.person)

    def handle_exception(self, exc):
        if isinstance(exc, NotReadable):
            return error_response(404, "request", _("Not found."))
        if isinstance(exc, ListError):
            return error_response(exc.status, exc.field, exc.message)
        return super().handle_exception(exc)

    def get_query(self, request) -> dict:
        return {k: v for k, v in request.query_params.items() if k != "lang"}


def answer(data) -> Response:
    return Response(data)


def document_passbook_parameters(result, generator, request, public):
    """drf-spectacular post-processing hook: a passbook operation that takes parameters may answer 400.

    Every passbook (and personal NHI data services) endpoint checks its query parameters (``lang``, and a
    list's sort, page and filters) and answers 400 naming a bad one; this documents it once for all of them.
    """
    bad = {
        "description": "a query parameter this endpoint does not take, or a value it cannot use (named in errors)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for route, path in result.get("paths", {}).items():
        if not route.startswith(("/api/app/v1/passbook/", "/api/app/v1/services/")):
            continue
        for operation in path.values():
            if isinstance(operation, dict) and "responses" in operation and operation.get("parameters"):
                operation["responses"].setdefault("400", bad)
    return result
