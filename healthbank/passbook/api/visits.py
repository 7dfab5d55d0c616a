"""App endpoints of visits: the passbooks a person may open, home summary, visit lists, one visit."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from pydantic import BaseModel, Field, RootModel
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from healthbank.access.rules import Reader
from healthbank.core.categories import DataCategory
from healthbank.devices.api import AppTokenAuthentication

from ..selectors import visits
from ..viewing import switchable_people
from .common import (
    BAD_PARAMETER,
    LANGUAGE_PARAMETER,
    LIST_PARAMETERS,
    NO_TOKEN,
    NOT_FOUND,
    PERSON_PARAMETER,
    PageInfo,
    PassbookEndpoint,
    page_info,
)

_VISIT_ID = "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e77"
_PERSON_ID = "0196f1d2-6b3a-7c55-8d21-5e4f3a2b1c0d"


class Coded(BaseModel):
    code: str
    name: str = Field(description="in the language asked for (lang)")


class VisitOut(BaseModel):
    id: str
    kind: str = Field(description="western, pharmacy, preventive, chinese, dental or inpatient")
    kind_label: str
    date: str = Field(description="visit, admission or dispensing date (ISO)")
    end_date: str | None = Field(description="discharge date of a stay")
    institution: Coded
    diagnosis: Coded = Field(description="the primary diagnosis (ICD-10-CM)")
    diagnoses: list[Coded]
    copayment: int = Field(description="NT$")
    points: int = Field(description="NHI points")
    card_sequence: str = Field(description="card visit sequence number (就醫序號)")
    department: str


class VisitListOut(BaseModel):
    page: PageInfo
    visits: list[VisitOut]
    top_diagnoses: list[dict] | None = Field(
        description="outpatient and Chinese medicine: the top 5 primary diagnoses over 3 years, with counts"
    )


class DrugOrderOut(BaseModel):
    code: str
    name: str
    atc: str
    atc_class: str
    days_supplied: int
    quantity: float
    frequency: str


class NonDrugOrderOut(BaseModel):
    code: str
    name: str
    quantity: float
    tooth: int | None
    body_site: str
    surgery: bool


class VisitDetailOut(VisitOut):
    drug_orders: list[DrugOrderOut]
    non_drug_orders: list[NonDrugOrderOut]
    reports: list[dict]
    refill_number: int | None
    card_medium: str = Field(description="the card the visit was made with: physical, virtual or mixed (both)")
    card_medium_label: str


class PassbookOut(BaseModel):
    person_id: str
    name: str = Field(description="masked name")
    why: str = Field(description="self, or why the reader may open it (child_under_15)")


class SummaryOut(BaseModel):
    person: dict = Field(description="person_id and masked name")
    last_visits: dict[str, VisitOut | None] = Field(description="western, dental, chinese: the last visit or null")
    reminders: list[dict] = Field(default=[], description="this month's reminders (date, what)")
    news: list[dict] = Field(default=[], description="health news: title, body, published_on")


class PassbookList(RootModel[list[PassbookOut]]):
    """The passbooks this person may open: their own first, then each child under 15."""


_EXAMPLE_VISIT = {
    "id": _VISIT_ID,
    "kind": "western",
    "kind_label": "西醫門診",
    "date": "2026-10-27",
    "end_date": None,
    "institution": {"code": "3501200000", "name": "北區虛擬診所"},
    "diagnosis": {"code": "I10", "name": "本態性(原發性)高血壓"},
    "diagnoses": [{"code": "I10", "name": "本態性(原發性)高血壓"}],
    "copayment": 50,
    "points": 505,
    "card_sequence": "0022",
    "department": "02",
}


class PassbooksView(APIView):
    """GET /passbook: the passbooks this person may open (their own, each child under 15)."""

    authentication_classes = [AppTokenAuthentication]

    @extend_schema(
        operation_id="app_passbooks",
        responses={200: PassbookList, 401: NO_TOKEN},
        examples=[
            OpenApiExample(
                "a parent of one child",
                value=[
                    {"person_id": _PERSON_ID, "name": "王○明", "why": "self"},
                    {"person_id": "0196f1d2-6b3a-7c55-8d21-000000000002", "name": "王○華", "why": "child_under_15"},
                ],
                response_only=True,
            )
        ],
        tags=["app passbook"],
    )
    def get(self, request):
        if request.auth is None:
            raise exceptions.NotAuthenticated
        reader = Reader.person(request.auth.person)
        return Response(
            [{"person_id": str(p.pk), "name": p.masked_name, "why": why} for p, why in switchable_people(reader)]
        )


class VisitListView(PassbookEndpoint):
    category = ""

    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        page = visits.visit_list(viewing, self.category, request.query_params)
        top = visits.top_diagnoses(viewing, self.category) if self.category in visits.KINDS_IN_TOP_DIAGNOSES else None
        return Response({"page": page_info(page), "visits": page.rows, "top_diagnoses": top})


def _visit_list_schema(operation_id: str, what: str):
    return extend_schema(
        operation_id=operation_id,
        summary=what,
        parameters=[
            PERSON_PARAMETER,
            LANGUAGE_PARAMETER,
            *LIST_PARAMETERS,
            OpenApiParameter("icd", str, description="only visits with this primary diagnosis (ICD-10-CM)"),
            OpenApiParameter("institution", str, description="only visits at this institution (10-character code)"),
            OpenApiParameter("kind", str, description="only visits of this kind"),
        ],
        responses={200: VisitListOut, 400: BAD_PARAMETER, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "one page",
                value={
                    "page": {"page": 1, "pages": 1, "count": 1, "since": "2023-12-03", "has_older": False,
                             "sort": "-date"},
                    "visits": [_EXAMPLE_VISIT],
                    "top_diagnoses": [{"code": "I10", "name": "本態性(原發性)高血壓", "count": 12}],
                },
                response_only=True,
            )
        ],
        tags=["app passbook"],
    )  # fmt: skip


class OutpatientView(VisitListView):
    category = DataCategory.OUTPATIENT

    @_visit_list_schema("app_passbook_outpatient", "Western-medicine outpatient visits (with pharmacy refills)")
    def get(self, request, person_id):
        return super().get(request, person_id)


class ChineseMedicineView(VisitListView):
    category = DataCategory.CHINESE_MEDICINE

    @_visit_list_schema("app_passbook_chinese_medicine", "Chinese-medicine visits")
    def get(self, request, person_id):
        return super().get(request, person_id)


class VisitDetailView(PassbookEndpoint):
    @extend_schema(
        operation_id="app_passbook_visit",
        summary="One visit with its diagnoses, drug orders and other orders",
        parameters=[
            PERSON_PARAMETER,
            OpenApiParameter("visit_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            LANGUAGE_PARAMETER,
        ],
        responses={200: VisitDetailOut, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "a visit",
                value={
                    **_EXAMPLE_VISIT,
                    "drug_orders": [
                        {"code": "AC31223100", "name": "TENORMIN 100MG", "atc": "C07AB03", "atc_class": "乙型阻斷劑",
                         "days_supplied": 30, "quantity": 30, "frequency": "QD"}
                    ],
                    "non_drug_orders": [
                        {"code": "00158C", "name": "一般門診診察費", "quantity": 1, "tooth": None, "body_site": "",
                         "surgery": False}
                    ],
                    "reports": [],
                    "refill_number": None,
                    "card_medium": "virtual",
                    "card_medium_label": "虛擬健保卡",
                },
                response_only=True,
            )
        ],
        tags=["app passbook"],
    )  # fmt: skip
    def get(self, request, person_id, visit_id):
        viewing = self.viewing(request, person_id)
        return Response(visits.visit_detail(viewing, visit_id))


class SummaryView(PassbookEndpoint):
    @extend_schema(
        operation_id="app_passbook_summary",
        summary="Home: the last western, dental and Chinese-medicine visit",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: SummaryOut, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "home",
                value={
                    "person": {"person_id": _PERSON_ID, "name": "王○明"},
                    "last_visits": {"western": _EXAMPLE_VISIT, "dental": None, "chinese": None},
                    "reminders": [],
                    "news": [],
                },
                response_only=True,
            )
        ],
        tags=["app passbook"],
    )
    def get(self, request, person_id):
        from ..selectors import calendar

        viewing = self.viewing(request, person_id)
        extras = calendar.home_extras(viewing)
        return Response(
            {
                "person": {"person_id": str(viewing.person.pk), "name": viewing.person.masked_name},
                "last_visits": visits.last_visits(viewing),
                **{k: v for k, v in extras.items() if k != "calendar_weeks"},
            }
        )
