"""App endpoints of lab results, reports, adult preventive care, cancer screening, follow-up care and risk."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field, RootModel
from rest_framework.response import Response

from healthbank.core.api import ErrorBody

from ..selectors import labs
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

_ID = "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e77"
_INSTITUTION = {"code": "3501200000", "name": "北區虛擬診所"}
TAGS = ["app passbook"]


class InstitutionOut(BaseModel):
    code: str
    name: str


class LabOut(BaseModel):
    id: str
    key: str = Field(description="our lab key, e.g. hba1c, ldl, creatinine")
    name: str
    loinc: str
    date: str = Field(description="collected on (ISO)")
    value: str = Field(description="as the lab sent it")
    unit: str
    reference_range: str = Field(description="as the lab sent it")
    flag: str | None = Field(description="high, low, normal; null when the value or range cannot be compared")
    institution: InstitutionOut


class LabTestOut(BaseModel):
    key: str
    name: str
    latest: LabOut | None
    history: list[LabOut] = Field(description="every result of the span, oldest first")
    chart: dict | None = Field(description="the trend chart (Chart.js line JSON, see passbook-charts.js)")


class LabsOut(BaseModel):
    glucose_and_lipids: list[LabTestOut]
    other_labs: list[LabOut]
    page: PageInfo = Field(description="the page of other_labs")


class ReportOut(BaseModel):
    id: str
    kind: str = Field(description="imaging, pathology or discharge")
    kind_label: str
    date: str
    title: str
    institution: InstitutionOut
    visit_id: str | None
    text: str


class ReportListOut(BaseModel):
    page: PageInfo
    reports: list[ReportOut]


def _str(value) -> str | None:
    return None if value is None else str(value)


def _lab(row: dict) -> dict:
    return {**row, "id": str(row["id"]), "date": row["date"].isoformat()}


def _example_lab(key="hba1c", value="7.4", unit="%", range_text="<5.7", flag="high") -> dict:
    return {"id": _ID, "key": key, "name": "糖化血色素", "loinc": "4548-4", "date": "2026-10-02", "value": value,
            "unit": unit, "reference_range": range_text, "flag": flag, "institution": _INSTITUTION}  # fmt: skip


class LabsView(PassbookEndpoint):
    @extend_schema(
        operation_id="app_passbook_labs",
        summary="Lab results: glucose and lipids with their history, and a page of the other labs",
        parameters=[
            PERSON_PARAMETER,
            LANGUAGE_PARAMETER,
            *LIST_PARAMETERS,
            OpenApiParameter("lab", str, description="other labs: only this lab key (e.g. creatinine, uacr, alt)"),
        ],
        responses={200: LabsOut, 400: BAD_PARAMETER, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "labs",
                value={
                    "glucose_and_lipids": [
                        {"key": "hba1c", "name": "糖化血色素", "latest": _example_lab(), "history": [_example_lab()],
                         "chart": {"type": "line", "title": "糖化血色素", "unit": "%",
                                   "series": [{"label": "糖化血色素",
                                               "points": [{"x": "2026-10-02", "y": 7.4, "flag": "high"}]}],
                                   "reference": {"low": None, "high": 5.7, "label": "<5.7"},
                                   "x_labels": {"2026-10-02": "115/10/02"}}}
                    ],
                    "other_labs": [_example_lab("creatinine", "1.02", "mg/dL", "0.7-1.3", "normal")],
                    "page": {"page": 1, "pages": 1, "count": 1, "since": "2023-11-20", "has_older": False,
                             "sort": "-date"},
                },
                response_only=True,
            )
        ],
        tags=TAGS,
    )  # fmt: skip
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        query = self.get_query(request)
        page = labs.other_labs(viewing, query)
        tests = labs.glucose_and_lipids(viewing, older=page.params.older)
        return Response(
            {
                "glucose_and_lipids": [
                    {
                        **t,
                        "latest": _lab(t["latest"]) if t["latest"] else None,
                        "history": [_lab(r) for r in t["history"]],
                    }
                    for t in tests
                ],
                "other_labs": [_lab(r) for r in page.rows],
                "page": page_info(page),
            }
        )


def _report(row: dict) -> dict:
    return {**row, "id": str(row["id"]), "date": row["date"].isoformat(), "visit_id": _str(row["visit_id"])}


_EXAMPLE_REPORT = {"id": _ID, "kind": "imaging", "kind_label": "影像", "date": "2026-05-04",
                   "title": "腹部超音波 Abdominal ultrasound", "institution": _INSTITUTION, "visit_id": None,
                   "text": "肝臟實質回音稍粗糙，未見局部病灶。"}  # fmt: skip


class ReportsView(PassbookEndpoint):
    @extend_schema(
        operation_id="app_passbook_reports",
        summary="Imaging and pathology reports, with their text",
        parameters=[
            PERSON_PARAMETER,
            LANGUAGE_PARAMETER,
            *LIST_PARAMETERS,
            OpenApiParameter("kind", str, enum=["imaging", "pathology"], description="only reports of this kind"),
        ],
        responses={200: ReportListOut, 400: BAD_PARAMETER, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "reports",
                value={"page": {"page": 1, "pages": 1, "count": 1, "since": "2023-11-20", "has_older": False,
                                "sort": "-date"}, "reports": [_EXAMPLE_REPORT]},
                response_only=True,
            )
        ],
        tags=TAGS,
    )  # fmt: skip
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        page = labs.report_list(viewing, self.get_query(request))
        return Response({"page": page_info(page), "reports": [_report(r) for r in page.rows]})


class ReportView(PassbookEndpoint):
    @extend_schema(
        operation_id="app_passbook_report",
        summary="One imaging, pathology or discharge-summary report",
        parameters=[PERSON_PARAMETER, OpenApiParameter("report_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
                    LANGUAGE_PARAMETER],
        responses={200: ReportOut, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[OpenApiExample("a report", value=_EXAMPLE_REPORT, response_only=True)],
        tags=TAGS,
    )  # fmt: skip
    def get(self, request, person_id, report_id):
        viewing = self.viewing(request, person_id)
        return Response(_report(labs.report_detail(viewing, report_id)))


class PreventiveSection(BaseModel):
    key: str
    title: str
    items: list[dict] = Field(description="label, value, unit, flag")
    result: str = Field(description="normal, abnormal or unknown (not done / cannot tell)")
    reasons: list[str] = Field(description="the rules that made it abnormal")


class PreventiveCheckOut(BaseModel):
    id: str
    date: str
    institution: dict = Field(description="code, name, phone")
    sections: list[PreventiveSection]


class PreventiveOut(BaseModel):
    checks: list[PreventiveCheckOut] = Field(description="the last two checks, newest first")


class PreventiveView(PassbookEndpoint):
    @extend_schema(
        operation_id="app_passbook_preventive",
        summary="Adult preventive care: the last two checks, each section normal or abnormal (and why)",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: PreventiveOut, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "one check",
                value={"checks": [{"id": _ID, "date": "2026-03-02",
                                   "institution": {**_INSTITUTION, "phone": "02-2345-6789"},
                                   "sections": [{"key": "glucose", "title": "血糖", "result": "abnormal",
                                                 "items": [{"label": "空腹血糖", "value": "112", "unit": "mg/dL",
                                                            "flag": "high"}],
                                                 "reasons": ["空腹血糖 112 mg/dL 高於成人參考值 70-99。"]}]}]},
                response_only=True,
            )
        ],
        tags=TAGS,
    )  # fmt: skip
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        data = labs.preventive_checks(viewing)
        return Response(
            {
                "checks": [
                    {**c, "id": str(c["id"]), "date": c["date"].isoformat(),
                     "sections": [{**s, "title": str(s["title"]),
                                   "items": [{**i, "label": str(i["label"])} for i in s["items"]]}
                                  for s in c["sections"]]}
                    for c in data["checks"]
                ]
            }
        )  # fmt: skip


class ScreeningKindOut(BaseModel):
    kind: str = Field(description="cervical, breast, colorectal or oral")
    label: str
    results: list[dict] = Field(description="newest first: id, date, institution, result, abnormal")
    next: dict | None = Field(
        description="status (due_now, due_on, not_yet, past_ages, not_for_sex), due_on, from_age, to_age, every_years"
    )


class ScreeningList(RootModel[list[ScreeningKindOut]]):
    """Each kind of cancer screening: its results and when the next one is covered."""


class ScreeningView(PassbookEndpoint):
    @extend_schema(
        operation_id="app_passbook_screening",
        summary="Cancer screening results by kind and when the next one is covered",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: ScreeningList, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "screening",
                value=[{"kind": "colorectal", "label": "大腸癌",
                        "results": [{"id": _ID, "date": "2025-04-01", "institution": _INSTITUTION,
                                     "result": "糞便潛血 陰性 Negative", "abnormal": False}],
                        "next": {"status": "due_on", "due_on": "2027-04-01", "from_age": 45, "to_age": 74,
                                 "every_years": 2}}],
                response_only=True,
            )
        ],
        tags=TAGS,
    )  # fmt: skip
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        out = []
        for k in labs.cancer_screenings(viewing):
            nxt = k["next"]
            out.append(
                {
                    **k,
                    "results": [{**r, "id": str(r["id"]), "date": r["date"].isoformat()} for r in k["results"]],
                    "next": {**nxt, "due_on": nxt["due_on"].isoformat() if nxt["due_on"] else None} if nxt else None,
                }
            )
        return Response(out)


class FollowUpProgramOut(BaseModel):
    program: str = Field(description="diabetes, ckd_early, hepatitis_b or hepatitis_c")
    label: str
    values: list[dict] = Field(description="each value key with its name, unit, range and trend chart")
    rows: list[dict] = Field(description="oldest first: id, date, institution, values (key → value)")


class FollowUpList(RootModel[list[FollowUpProgramOut]]):
    """Each care programme the reader may see: its values over time."""


class FollowUpView(PassbookEndpoint):
    @extend_schema(
        operation_id="app_passbook_follow_up",
        summary="Diabetes, early CKD and hepatitis B/C follow-up values over time (the programmes the reader may see)",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: FollowUpList, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "diabetes",
                value=[{"program": "diabetes", "label": "糖尿病",
                        "values": [{"key": "hba1c", "name": "糖化血色素", "unit": "%", "reference_range": "<5.7",
                                    "chart": None}],
                        "rows": [{"id": _ID, "date": "2026-01-10", "institution": _INSTITUTION,
                                  "values": {"hba1c": "7.2"}}]}],
                response_only=True,
            )
        ],
        tags=TAGS,
    )  # fmt: skip
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        return Response(
            [
                {**p, "rows": [{**r, "id": str(r["id"]), "date": r["date"].isoformat()} for r in p["rows"]]}
                for p in labs.follow_ups(viewing)
            ]
        )


class RiskOut(BaseModel):
    loaded: dict = Field(
        description="field → {value, source (lab, preventive, person), lab, date, institution} or null"
    )
    form: dict[str, str] = Field(description="the values used")
    errors: dict[str, str]
    result: dict | None = Field(description="liver (points, band, caveats), kidney (GFR, albuminuria, colour, "
                                "follow-up), heat_map (rows of cells, the person's marked here)")  # fmt: skip
    recalculated: bool


class RiskIn(BaseModel):
    sex: str = Field(description="M or F")
    age: str = Field(description="whole years, 0–130")
    alt: str | None = Field(default=None, description="U/L, 0–10000; blank: not known")
    hbeag: str | None = Field(default=None, description="positive, negative or blank")
    hbsag: str | None = Field(default=None, description="positive, negative or blank")
    egfr: str | None = Field(default=None, description="mL/min/1.73 m², 0–200")
    creatinine: str | None = Field(default=None, description="mg/dL, 0.1–30 (eGFR from it when eGFR is blank)")
    uacr: str | None = Field(default=None, description="urine albumin/creatinine mg/g")
    upcr: str | None = Field(default=None, description="urine protein/creatinine mg/g")


def _risk_json(data: dict) -> dict:
    loaded = {
        k: ({**v, "date": v["date"].isoformat() if v["date"] else None, "lab": str(v["lab"])} if v else None)
        for k, v in data["loaded"].items()
    }
    return {**data, "loaded": loaded, "errors": {k: str(v) for k, v in data["errors"].items()}}


_EXAMPLE_RISK = {
    "loaded": {"alt": {"value": "38", "source": "lab", "lab": "ALT", "date": "2026-09-01", "institution": "北區醫院"}},
    "form": {"sex": "M", "age": "52", "alt": "38", "hbeag": "negative", "hbsag": "positive", "egfr": "72.5",
             "creatinine": "", "uacr": "18", "upcr": ""},
    "errors": {},
    "result": {"liver": {"points": 7, "band": "1-10%", "caveats": []}, "liver_missing": [], "hbsag_carrier": True,
               "hbsag_known": True,
               "kidney": {"egfr": "72.5", "egfr_computed": False, "gfr_category": "G2", "albuminuria": "A1",
                          "colour": "green", "colour_words": "green", "follow_up": "1 if CKD",
                          "follow_up_words": "once a year if CKD"},
               "heat_map": []},
    "recalculated": False,
}  # fmt: skip


class RiskView(PassbookEndpoint):
    @extend_schema(
        operation_id="app_passbook_risk",
        summary="Liver-cancer risk and the KDIGO CKD heat map from the latest uploaded labs",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: RiskOut, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[OpenApiExample("loaded", value=_EXAMPLE_RISK, response_only=True)],
        tags=TAGS,
    )
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        return Response(_risk_json(labs.risk_page(viewing)))

    @extend_schema(
        operation_id="app_passbook_risk_recalculate",
        summary="Recalculate both assessments with the person's own values (nothing is stored)",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request=RiskIn,
        responses={
            200: RiskOut,
            400: OpenApiResponse(ErrorBody, "a value outside human ranges, or not a number: the field is named"),
            401: NO_TOKEN,
            404: NOT_FOUND,
        },
        examples=[
            OpenApiExample(
                "my own values",
                value={"sex": "M", "age": "52", "alt": "50", "hbeag": "positive", "egfr": "40", "uacr": "120"},
                request_only=True,
            ),
            OpenApiExample("recalculated", value={**_EXAMPLE_RISK, "recalculated": True}, response_only=True),
            OpenApiExample(
                "refused", value={"errors": {"alt": ["ALT must be from 0 to 10000."]}}, response_only=True,
                status_codes=["400"],
            ),
        ],
        tags=TAGS,
    )  # fmt: skip
    def post(self, request, person_id):
        viewing = self.viewing(request, person_id)
        body = request.data if isinstance(request.data, dict) else {}
        data = labs.risk_page(viewing, body)
        if data["errors"]:
            return Response({"errors": {k: [str(v)] for k, v in data["errors"].items()}}, status=400)
        return Response(_risk_json(data))


routes = [
    path("labs", LabsView.as_view(), name="app-passbook-labs"),
    path("reports", ReportsView.as_view(), name="app-passbook-reports"),
    path("reports/<uuid:report_id>", ReportView.as_view(), name="app-passbook-report"),
    path("preventive", PreventiveView.as_view(), name="app-passbook-preventive"),
    path("screening", ScreeningView.as_view(), name="app-passbook-screening"),
    path("follow-up", FollowUpView.as_view(), name="app-passbook-follow-up"),
    path("risk", RiskView.as_view(), name="app-passbook-risk"),
]
