"""The FHIR R4 read API at /fhir/R4/ (issue 14): what a connected health app reads with its access token.

Thin views: the token names the person and the app; ``access.rules`` decides what the app may read (the grant
the person's consent made), narrowed to the scopes of this token; ``selectors`` reads and logs. Every error is
an ``OperationOutcome``; a resource that is not the person's, or not lent, answers 404 exactly like a missing one.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from healthbank.access.rules import Reader
from healthbank.access.services import NotReadable
from healthbank.connect import scopes
from healthbank.connect import selectors as connections
from healthbank.connect import services as connect_services
from healthbank.core.api import exception_handler as api_exception_handler
from healthbank.core.http import client_address
from healthbank.passbook.viewing import Viewing, open_viewing

from . import capability, selectors
from .params import SearchError, parse_count, parse_date, parse_offset, shown

FHIR_JSON = "application/fhir+json"


class FhirJsonRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"
    charset = "utf-8"
    ensure_ascii = False


class AppAccessToken(OAuth2Authentication):
    """A connected app's bearer token (django-oauth-toolkit): expired, revoked or unknown tokens authenticate no one."""

    www_authenticate_realm = "HealthBank FHIR"

    def authenticate_header(self, request):
        return f'Bearer realm="{self.www_authenticate_realm}", error="invalid_token"'


_ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    413: "too-costly",
    415: "not-supported",
    429: "throttled",
    503: "transient",
}


def operation_outcome(code: str, diagnostics: str, expression: str = "") -> dict:
    issue = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def fhir_exception_handler(exc, context):
    """The APIs' handler (503 for an outage, 500 logged), its answer as an ``OperationOutcome``."""
    if isinstance(exc, SearchError):
        return Response(operation_outcome("invalid", exc.message, exc.parameter), status=400)
    if isinstance(exc, NotReadable):
        exc = exceptions.NotFound()
    response = api_exception_handler(exc, context)
    if response is None:
        return None
    reasons = []
    data = response.data
    if isinstance(data, dict) and isinstance(data.get("errors"), dict):
        reasons = [str(m) for messages in data["errors"].values() for m in messages]
    elif isinstance(data, dict) and "detail" in data:
        reasons = [str(data["detail"])]
    if response.status_code == status.HTTP_404_NOT_FOUND:
        reasons = [_("No such resource.")]
    code = _ISSUE_CODE.get(response.status_code, "exception")
    response.data = operation_outcome(code, " ".join(reasons) or str(response.status_text))
    return response


RESOURCE_BODY = {"type": "object", "properties": {"resourceType": {"type": "string"}}, "required": ["resourceType"]}
EXAMPLE_ID = "0193a0c2-7b1e-7c3a-9f00-5b2d8e4c1a77"


def _example(value: dict, name: str = "example") -> list[OpenApiExample]:
    return [OpenApiExample(name, value=value, response_only=True)]


def resource_response(resource_type: str) -> OpenApiResponse:
    return OpenApiResponse(
        RESOURCE_BODY,
        description=f"the {resource_type}",
        examples=_example({"resourceType": resource_type, "id": EXAMPLE_ID}),
    )


def bundle_response(resource_type: str) -> OpenApiResponse:
    entry = {
        "fullUrl": f"https://healthbank.example/fhir/R4/{resource_type}/{EXAMPLE_ID}",
        "resource": {"resourceType": resource_type, "id": EXAMPLE_ID},
        "search": {"mode": "match"},
    }
    link = f"https://healthbank.example/fhir/R4/{resource_type}?_offset=0&_count=50"
    return OpenApiResponse(
        RESOURCE_BODY,
        description=f"a searchset Bundle of {resource_type}",
        examples=_example(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": 1,
                "link": [{"relation": "self", "url": link}],
                "entry": [entry],
            }
        ),
    )


OUTCOME = OpenApiResponse(
    {"$ref": "#/components/schemas/OperationOutcome"},
    description="OperationOutcome",
    examples=_example(operation_outcome("not-found", "No such resource."), "not found"),
)
INVALID = OpenApiResponse(
    {"$ref": "#/components/schemas/OperationOutcome"},
    description="OperationOutcome naming the parameter",
    examples=_example(
        operation_outcome("invalid", "A page holds at most 200 resources; follow the next link for more.", "_count"),
        "invalid parameter",
    ),
)


class OneFormat(BaseContentNegotiation):
    """Every answer in the view's one format (FHIR JSON): an Accept header or a ``?format=`` for anything else
    gets it too, as FHIR servers answer, rather than DRF's 404 or 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class FhirView(APIView):
    renderer_classes = [FhirJsonRenderer]
    content_negotiation_class = OneFormat

    def initial(self, request, *args, **kwargs):
        # A method the API does not offer is 405 before anything reads the body (a token looked for in it).
        if not hasattr(self, request.method.lower()):
            raise exceptions.MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    def get_exception_handler(self):
        return fhir_exception_handler


class AppView(FhirView):
    """A read by a connected app: the token's person, the categories both the grant and the token allow."""

    authentication_classes = [AppAccessToken]
    permission_classes = [IsAuthenticated]
    resource_type = ""

    def viewing(self, request) -> Viewing:
        token = request.auth
        person = connections.person_of(request.user)
        if person is None:
            raise NotReadable  # a token of anyone but a person (none is issued so) reads nobody's data
        reader = Reader("app", app_id=token.application_id, address=client_address(request))
        viewing = open_viewing(reader, person.pk, known=person)
        # What the grant lends, narrowed to this token's scopes (a token never reads beyond what it was given).
        allowed = {scopes.category_of(s) for s in token.scope.split()} - {None}
        viewing.readable = {c: why for c, why in viewing.readable.items() if c in allowed}
        if not viewing.readable:
            raise NotReadable
        # The token's validation found the person's connection to the app (connect.oidc.Validator).
        connection = getattr(token, "healthbank_connection", None)
        if connection is not None:
            connect_services.note_use(connection)  # the connected-apps page's "last used"
        return viewing

    def national_id(self, request) -> bool:
        return scopes.NATIONAL_ID in request.auth.scope.split()


COMMON_PARAMETERS = ("_count", "_offset", "patient")


def search_parameters(resource_type: str) -> tuple[str, ...]:
    if resource_type == "Patient":
        return ("_id", "_count", "_offset")
    extra = ("date",) if resource_type in selectors.DATE_OF else ()
    if resource_type == "Observation":
        extra += ("category",)
    return COMMON_PARAMETERS + extra


def parse_search(resource_type: str, query) -> selectors.Search:
    allowed = search_parameters(resource_type)
    for name in query:
        if name not in allowed:
            raise SearchError(
                shown(name),
                _("%(name)s is not a search parameter of %(type)s here (%(allowed)s).")
                % {"name": shown(name), "type": resource_type, "allowed": ", ".join(allowed)},
            )
        if name != "date" and len(query.getlist(name)) > 1:
            raise SearchError(shown(name), _("%(name)s may be given once.") % {"name": shown(name)})
    category = query.get("category", "")
    if category:
        category = category.rsplit("|", 1)[-1]
        if category not in selectors.OBSERVATION_CATEGORIES:
            raise SearchError(
                "category",
                _("category must be one of %(codes)s.") % {"codes": ", ".join(selectors.OBSERVATION_CATEGORIES)},
            )
    patient = query.get("patient", "") or query.get("_id", "")
    return selectors.Search(
        dates=tuple(parse_date(v) for v in query.getlist("date")),
        observation_category=category,
        count=parse_count(query.get("_count")),
        offset=parse_offset(query.get("_offset")),
        patient=patient,
    )


def _link(request, resource_type: str, offset: int, count: int) -> str:
    query = request.GET.copy()
    query["_offset"], query["_count"] = str(offset), str(count)
    return request.build_absolute_uri(f"{_base(request)}{resource_type}?{query.urlencode()}")


def _base(request) -> str:
    return reverse("fhir:metadata").removesuffix("metadata")


class SearchView(AppView):
    def get(self, request):
        query = parse_search(self.resource_type, request.query_params)
        viewing = self.viewing(request)
        page = selectors.search(viewing, self.resource_type, query, national_id=self.national_id(request))
        base = request.build_absolute_uri(_base(request))
        links = [{"relation": "self", "url": _link(request, self.resource_type, query.offset, query.count)}]
        if query.count and query.offset + query.count < page.total:
            links.append(
                {"relation": "next", "url": _link(request, self.resource_type, query.offset + query.count, query.count)}
            )
        if query.offset and query.count:
            previous = max(query.offset - query.count, 0)
            links.append({"relation": "previous", "url": _link(request, self.resource_type, previous, query.count)})
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": page.total,
            "link": links,
            "entry": [
                {"fullUrl": f"{base}{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
                for r in page.resources
            ],
        }
        return Response(bundle)


class ReadView(AppView):
    def get(self, request, resource_id: str):
        viewing = self.viewing(request)
        found = selectors.read(viewing, self.resource_type, resource_id, national_id=self.national_id(request))
        if found is None:
            raise NotReadable
        return Response(found)


def _search_view(resource_type: str):
    parameters = [
        OpenApiParameter(name, OpenApiTypes.STR, description=capability.PARAMETER_TEXT[name])
        for name in search_parameters(resource_type)
        if name != "date"
    ]
    if "date" in search_parameters(resource_type):
        parameters.append(
            OpenApiParameter(
                "date",
                OpenApiTypes.STR,
                many=True,
                explode=True,
                description=capability.PARAMETER_TEXT["date"],
            )
        )
    decorate = extend_schema(
        operation_id=f"fhir_search_{resource_type}",
        summary=f"Search {resource_type}",
        tags=["FHIR R4"],
        parameters=parameters,
        responses={200: bundle_response(resource_type), 400: INVALID, 401: OUTCOME, 404: OUTCOME},
    )
    view = type(f"{resource_type}Search", (SearchView,), {"resource_type": resource_type})
    view.get = decorate(view.get)
    return view


def _read_view(resource_type: str):
    decorate = extend_schema(
        operation_id=f"fhir_read_{resource_type}",
        summary=f"Read {resource_type}",
        tags=["FHIR R4"],
        responses={200: resource_response(resource_type), 401: OUTCOME, 404: OUTCOME},
    )
    view = type(f"{resource_type}Read", (ReadView,), {"resource_type": resource_type})
    view.get = decorate(view.get)
    return view


class OrganizationRead(AppView):
    """An institution a resource references: the public register's entry (any connected app's token)."""

    @extend_schema(
        operation_id="fhir_read_Organization",
        summary="Read Organization",
        tags=["FHIR R4"],
        responses={200: resource_response("Organization"), 401: OUTCOME, 404: OUTCOME},
    )
    def get(self, request, resource_id: str):
        found = selectors.organization(self.viewing(request), resource_id)
        if found is None:
            raise NotReadable
        return Response(found)


SEARCH_VIEWS = {t: _search_view(t) for t in selectors.RESOURCE_TYPES}
READ_VIEWS = {t: _read_view(t) for t in selectors.RESOURCE_TYPES} | {"Organization": OrganizationRead}


class MetadataView(FhirView):
    """The CapabilityStatement: what this server reads and searches, and how an app is authorised."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(
        operation_id="fhir_metadata",
        tags=["FHIR R4"],
        responses={
            200: OpenApiResponse(
                RESOURCE_BODY,
                description="the CapabilityStatement",
                examples=_example(
                    {
                        "resourceType": "CapabilityStatement",
                        "status": "active",
                        "kind": "instance",
                        "fhirVersion": "4.0.1",
                        "format": ["application/fhir+json", "json"],
                    }
                ),
            )
        },
    )
    def get(self, request):
        return Response(capability.capability_statement(request))


class SmartConfigurationView(FhirView):
    """SMART App Launch's discovery document (.well-known/smart-configuration)."""

    authentication_classes = []
    permission_classes = []
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="fhir_smart_configuration",
        tags=["FHIR R4"],
        responses={
            200: OpenApiResponse(
                {"type": "object"},
                description="SMART configuration",
                examples=_example(
                    {
                        "authorization_endpoint": "https://healthbank.example/oauth/authorize/",
                        "token_endpoint": "https://healthbank.example/oauth/token/",
                        "code_challenge_methods_supported": ["S256"],
                    }
                ),
            )
        },
    )
    def get(self, request):
        return Response(capability.smart_configuration(request))


class NotFoundView(FhirView):
    """Any other path under /fhir/R4/: an OperationOutcome 404, not the site's HTML page."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(exclude=True)
    def get(self, request, rest: str = ""):
        raise exceptions.NotFound
