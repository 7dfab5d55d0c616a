"""What every services endpoint shares: the app token, whose data (the acting rule), refusals as JSON."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions
from rest_framework.views import APIView

from healthbank.access.rules import Reader
from healthbank.access.services import NotReadable
from healthbank.core.api import ErrorBody, error_response
from healthbank.core.http import client_address
from healthbank.devices.api import AppTokenAuthentication
from healthbank.identity.models import Person

from .. import selectors

NOT_FOUND = OpenApiResponse(ErrorBody, "no such person for this user (not them, not a dependent now), or no record")
NO_TOKEN = OpenApiResponse(ErrorBody, "no token, or the token is not valid any more (log in again)")
PERSON_PARAMETER = OpenApiParameter(
    "person_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="the user's own id or a dependent's"
)
LANGUAGE_PARAMETER = OpenApiParameter("lang", str, enum=["zh-hant", "en"], description="the answer's words")


class BadParameter(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


class ServiceEndpoint(APIView):
    """An app endpoint of one service for one person: token → reader → the person, by the acting rule."""

    authentication_classes = [AppTokenAuthentication]
    service = ""  # the catalogue key, written in the dependent's access log

    def reader(self, request) -> Reader:
        if request.auth is None:
            raise exceptions.NotAuthenticated(_("Log in from the app first."))
        language = request.query_params.get("lang") or translation.get_language()
        if language not in ("zh-hant", "en"):
            raise BadParameter("lang", _("The language is zh-hant or en."))
        translation.activate(language)
        return Reader.person(request.auth.person, address=client_address(request))

    def person(self, request, person_id) -> Person:
        reader = self.reader(request)
        return selectors.person_acted_for(reader, person_id, service=self.service, known=request.auth.person)

    def handle_exception(self, exc):
        if isinstance(exc, NotReadable):
            return error_response(404, "request", _("Not found."))
        if isinstance(exc, BadParameter):
            return error_response(400, exc.field, exc.message)
        return super().handle_exception(exc)
