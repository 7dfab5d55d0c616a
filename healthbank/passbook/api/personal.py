"""App endpoints of measurements and reminders (SPEC §6.2) and the app's data request (SPEC §6.3)."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework.response import Response

from healthbank.core.api import ErrorBody, error_response

from .. import forms, services
from ..selectors import calendar as calendars
from ..selectors import personal
from .common import LANGUAGE_PARAMETER, NO_TOKEN, NOT_FOUND, PERSON_PARAMETER, PassbookEndpoint

_PERSON_ID = "0196f1d2-6b3a-7c55-8d21-5e4f3a2b1c0d"
_ROW = {
    "id": "0196f1d2-8a11-7b20-9c3e-4d5f6a7b8c9d",
    "date": "2026-11-18",
    "height_cm": 168.0,
    "weight_kg": 71.5,
    "waist_cm": 86.0,
    "systolic": 128,
    "diastolic": 82,
    "fasting_glucose": 96,
    "heart_rate": 72,
    "entered_by": "self",
    "bmi": 25.3,
    "bmi_category": "overweight",
    "bmi_category_label": "過重",
    "abdominal_obesity": False,
}
_REMINDER = {
    "id": "5c1f0b7e-3d0a-5a3e-9b8c-1f2e3d4c5b6a",
    "kind": "refill",
    "date": "2026-12-19",
    "until": "2026-12-28",
    "when": "115/12/19~115/12/28",
    "what": "領取第 2 次 / 共 3 次：本態性(原發性)高血壓（北區虛擬診所）",
    "why": "慢性病連續處方箋可於前次給藥用完前 10 日內領取下一次藥。",
}


class MeasurementOut(BaseModel):
    id: str
    date: str = Field(description="the day measured (ISO)")
    height_cm: float | None
    weight_kg: float | None
    waist_cm: float | None
    systolic: int | None = Field(description="mmHg")
    diastolic: int | None = Field(description="mmHg")
    fasting_glucose: int | None = Field(description="mg/dL")
    heart_rate: int | None = Field(description="beats a minute")
    entered_by: str = Field(description="self, or parent (for a child under 15)")
    bmi: float | None = Field(description="kg/m², one decimal; from the latest height on or before that day")
    bmi_category: str | None = Field(
        description="adults: underweight, normal, overweight, obese_mild, obese_moderate, obese_severe (HPA)"
    )
    bmi_category_label: str
    abdominal_obesity: bool | None = Field(description="waist ≥ 90 cm (men) / 80 cm (women)")


class MeasurementIn(BaseModel):
    measured_on: str = Field(description="ISO date, not in the future and not before birth")
    height_cm: float | None = Field(None, description="30–250, one decimal")
    weight_kg: float | None = Field(None, description="1–400, one decimal")
    waist_cm: float | None = Field(None, description="20–250, one decimal")
    systolic: int | None = Field(None, description="50–300 mmHg")
    diastolic: int | None = Field(None, description="20–200 mmHg, below the systolic pressure")
    fasting_glucose: int | None = Field(None, description="10–1000 mg/dL")
    heart_rate: int | None = Field(None, description="20–300 a minute")


class MeasurementsOut(BaseModel):
    may_add: bool = Field(description="whether this reader may add measurements (the person, or a parent)")
    latest: dict[str, dict] = Field(description="value name → the newest value and its date")
    measurements: list[MeasurementOut] = Field(description="newest first")


class RefusedOut(BaseModel):
    errors: dict[str, list[str]] = Field(description="field name (or __all__) → why it was refused")


class ReminderOut(BaseModel):
    id: str = Field(description="stable: the same reminder keeps its id (and its .ics UID) as dates move")
    kind: str = Field(description="dental_scaling, refill, return_visit, preventive_check or hepatitis_screen")
    date: str = Field(description="ISO: the first day")
    until: str | None = Field(description="ISO: a window's last day; null for 'from this day on'")
    when: str = Field(description="the date or window as the page writes it")
    what: str
    why: str = Field(description="the rule behind the date, in words")


class RemindersOut(BaseModel):
    reminders: list[ReminderOut]
    links: list[dict] = Field(description="allergies, care wishes and refill records pages (web addresses)")


class CategoryStatus(BaseModel):
    category: str
    label: str
    status: str = Field(description="browse, or no data")


class DataRequestOut(BaseModel):
    status: str = Field(description="always ready: the data is served live")
    person_id: str
    categories: list[CategoryStatus] = Field(description="every category this reader may read")


class MeasurementsView(PassbookEndpoint):
    @extend_schema(
        operation_id="app_passbook_measurements",
        summary="The person's own measurements with BMI, and the latest values",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: MeasurementsOut, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "measurements",
                value={
                    "may_add": True,
                    "latest": {"weight_kg": {"value": 71.5, "date": "2026-11-18"}},
                    "measurements": [_ROW],
                },
                response_only=True,
            )
        ],
        tags=["app passbook"],
    )
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        rows = personal.measurements(viewing)
        return Response({"may_add": viewing.may_write, "latest": personal.latest_values(rows), "measurements": rows})

    @extend_schema(
        operation_id="app_passbook_measurements_add",
        summary="Add a measurement (the person, or the parent of a child under 15)",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request=MeasurementIn,
        responses={
            201: MeasurementOut,
            400: OpenApiResponse(RefusedOut, "values outside the rules, each named by its field; nothing stored"),
            401: NO_TOKEN,
            403: OpenApiResponse(ErrorBody, "this reader may read but not add"),
            404: NOT_FOUND,
        },
        examples=[
            OpenApiExample(
                "a morning's values",
                value={"measured_on": "2026-11-18", "weight_kg": 71.5, "systolic": 128, "diastolic": 82},
                request_only=True,
            ),
            OpenApiExample("stored", value=_ROW, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "refused",
                value={"errors": {"systolic": ["Systolic pressure (mmHg) must be between 50 and 300."]}},
                response_only=True,
                status_codes=["400"],
            ),
        ],
        tags=["app passbook"],
    )
    def post(self, request, person_id):
        viewing = self.viewing(request, person_id)
        try:
            stored = services.record_measurement(viewing, forms.coerce_json(request.data))
        except services.MayNotWrite:
            return error_response(403, "request", _("This passbook may be read here but not added to."))
        except services.MeasurementRefused as refused:
            errors = {
                ("request" if field == "__all__" else field): reasons for field, reasons in refused.errors.items()
            }
            return Response({"errors": errors}, status=400)
        row = next(r for r in personal.measurements(viewing) if r["id"] == str(stored.pk))
        return Response(row, status=201)


class RemindersView(PassbookEndpoint):
    @extend_schema(
        operation_id="app_passbook_reminders",
        summary="Upcoming reminders: dental scaling, chronic refills and return visits, preventive care",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: RemindersOut, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample("reminders", value={"reminders": [_REMINDER], "links": []}, response_only=True),
        ],
        tags=["app passbook"],
    )
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        found = [r.as_dict(viewing) for r in calendars.upcoming(viewing)]
        links = [{**link, "label": str(link["label"])} for link in personal.related_links(viewing)]
        return Response({"reminders": found, "links": links})


_DATA_REQUEST_EXAMPLE = OpenApiExample(
    "ready",
    value={
        "status": "ready",
        "person_id": _PERSON_ID,
        "categories": [
            {"category": "outpatient", "label": "西醫門診", "status": "browse"},
            {"category": "allergies", "label": "過敏", "status": "no data"},
        ],
    },
    response_only=True,
)


class DataRequestView(PassbookEndpoint):
    """SPEC §6.3: the app's "request today's data"; served live, so ready at once."""

    def answer(self, request, person_id, status: int):
        viewing = self.viewing(request, person_id)
        return Response(personal.data_request(viewing), status=status)

    @extend_schema(
        operation_id="app_passbook_data_request",
        summary="Request today's data: ready at once, each readable category 'browse' or 'no data'",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request=None,
        responses={200: DataRequestOut, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[_DATA_REQUEST_EXAMPLE],
        tags=["app passbook"],
    )
    def post(self, request, person_id):
        return self.answer(request, person_id, 200)

    @extend_schema(
        operation_id="app_passbook_data_request_status",
        summary="The status of the last data request (computed again: always ready)",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: DataRequestOut, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[_DATA_REQUEST_EXAMPLE],
        tags=["app passbook"],
    )
    def get(self, request, person_id):
        return self.answer(request, person_id, 200)


routes = [
    path("measurements", MeasurementsView.as_view(), name="app-passbook-measurements"),
    path("reminders", RemindersView.as_view(), name="app-passbook-reminders"),
    path("data-request", DataRequestView.as_view(), name="app-passbook-data-request"),
]
