"""``GET /api/app/v1/access-log``: who read my data (the web's "Who looked at my data", for the app)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field, RootModel
from rest_framework.response import Response
from rest_framework.views import APIView

from healthbank.core.api import ErrorBody
from healthbank.devices.api import AppTokenAuthentication, _token

from .selectors import access_log_for


class AccessLogEntryOut(BaseModel):
    at: str = Field(description="when (ISO 8601, Taiwan time)")
    reader_kind: str = Field(description="person, delegate, parent, institution, operator, app or insured")
    reader: str = Field(description="the kind of reader in words (the operator's identity stays with the NHI)")
    what: str = Field(description="what was read or done, in words")


class AccessLog(RootModel[list[AccessLogEntryOut]]):
    """The newest entries first (at most 200)."""


class AccessLogView(APIView):
    authentication_classes = [AppTokenAuthentication]

    @extend_schema(
        operation_id="app_access_log",
        responses={200: AccessLog, 401: OpenApiResponse(ErrorBody, "no token, or not valid any more")},
        examples=[
            OpenApiExample(
                "an institution read the card",
                value=[
                    {
                        "at": "2026-11-18T10:30:00+08:00",
                        "reader_kind": "institution",
                        "reader": "醫療院所",
                        "what": "虛擬健保卡就醫讀取",
                    }
                ],
                response_only=True,
                status_codes=["200"],
            )
        ],
        tags=["app"],
    )
    def get(self, request):
        person = _token(request).person
        return Response(
            [
                {
                    "at": entry.at.isoformat(),
                    "reader_kind": entry.actor_kind,
                    "reader": str(entry.get_actor_kind_display()),
                    "what": entry.description,
                }
                for entry in access_log_for(person)
            ]
        )
