"""``GET /api/app/v1/services/``: the services and the people the user may use them for."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework.response import Response

from healthbank.core.api import ErrorBody

from .. import catalogue, selectors
from .common import LANGUAGE_PARAMETER, NO_TOKEN, ServiceEndpoint


class ServiceItem(BaseModel):
    key: str
    label: str
    for_dependents: bool = Field(description="the insured person may use it for their dependents too")


class PersonItem(BaseModel):
    id: str
    name: str = Field(description="masked, e.g. 王○明")
    is_self: bool


class ServicesIndex(BaseModel):
    services: list[ServiceItem]
    people: list[PersonItem] = Field(description="the user first, then their dependents now")


class ServicesIndexView(ServiceEndpoint):
    @extend_schema(
        operation_id="app_services_index",
        summary="The personal NHI data services and for whom",
        parameters=[LANGUAGE_PARAMETER],
        responses={200: ServicesIndex, 400: OpenApiResponse(ErrorBody, "lang is not zh-hant or en"), 401: NO_TOKEN},
        examples=[
            OpenApiExample(
                "an insured person with a dependent",
                value={
                    "services": [{"key": "enrolments", "label": "投退保資料", "for_dependents": True}],
                    "people": [
                        {"id": "01938a52-7c1e-7d2a-9b1f-3c4d5e6f7a8b", "name": "陳○文", "is_self": True},
                        {"id": "01938a52-7c1e-7d2a-9b1f-3c4d5e6f7a8c", "name": "林○芬", "is_self": False},
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        reader = self.reader(request)
        people = selectors.people_acted_for(reader, known=request.auth.person)
        return Response(
            {
                "services": [
                    {"key": s.key, "label": str(s.label), "for_dependents": s.for_dependents}
                    for s in catalogue.SERVICES
                ],
                "people": [{"id": str(p.pk), "name": p.masked_name, "is_self": i == 0} for i, p in enumerate(people)],
            }
        )
