"""App endpoints of the care pages: dental teeth, inpatient stays, surgery sites, medication, refill records."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from pydantic import BaseModel, Field
from rest_framework.response import Response

from ..selectors import care
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
from .visits import _EXAMPLE_VISIT, Coded, VisitOut

_PAGE = {"page": 1, "pages": 1, "count": 1, "since": "2023-12-03", "has_older": False, "sort": "-date"}
_ERRORS = {400: BAD_PARAMETER, 401: NO_TOKEN, 404: NOT_FOUND}


class ToothOrder(BaseModel):
    tooth: int = Field(description="FDI tooth number")
    code: str = Field(description="NHI payment code of the treatment")
    name: str


class DentalVisitOut(VisitOut):
    teeth: list[ToothOrder]


class ToothCount(BaseModel):
    tooth: int = Field(description="FDI number: 11-48 adult teeth, 51-85 primary teeth")
    visits: int


class DentalOut(BaseModel):
    page: PageInfo
    teeth: list[ToothCount] = Field(description="teeth treated in the span (or all years with older=1), with visits")
    visits: list[DentalVisitOut]


class DischargeLink(BaseModel):
    id: str = Field(description="report id (GET reports/<id>)")
    title: str
    date: str


class StayOut(VisitOut):
    year: int = Field(description="year of admission")
    discharge_summary: DischargeLink | None = Field(
        description="the stay's discharge summary, when uploaded and readable by this reader"
    )


class YearCount(BaseModel):
    year: int
    stays: int


class InpatientOut(BaseModel):
    page: PageInfo
    years: list[YearCount]
    stays: list[StayOut] = Field(description="grouped by year of admission: the year leads every sort")


class SiteCount(BaseModel):
    site: str = Field(description="body-site code; 'other' for sites outside the diagram")
    name: str
    operations: int


class OperationOut(BaseModel):
    visit_id: str
    kind: str = Field(description="the visit's kind: inpatient, western, ...")
    date: str = Field(description="visit or admission date")
    end_date: str | None
    institution: Coded
    code: str = Field(description="NHI payment code of the operation")
    name: str
    site: str
    site_name: str
    copayment: int
    points: int


class SurgeryOut(BaseModel):
    page: PageInfo
    sex: str = Field(description="the figure to draw: M or F")
    sites: list[SiteCount]
    operations: list[OperationOut]


class DrugOut(BaseModel):
    code: str
    name: str
    atc: str
    atc_class: str
    last_dispensed: str
    dispensings: int
    total_quantity: float
    group: str = Field(description="ATC pharmacological subgroup (first 5 characters), or 'herbal'")
    group_name: str
    herbal: bool


class DrugGroup(BaseModel):
    key: str
    name: str
    drugs: int
    herbal: bool


class MedicationOut(BaseModel):
    page: PageInfo
    groups: list[DrugGroup] = Field(description="the classes present in the span, herbal preparations last")
    drugs: list[DrugOut] = Field(description="sorted by class, then by the asked sort within each class")


class RefillDrug(BaseModel):
    code: str
    name: str
    atc: str
    atc_class: str
    days_supplied: int
    quantity: float


class RefillOut(BaseModel):
    id: str = Field(description="the dispensing's visit id (GET visits/<id>)")
    date: str
    department: Coded = Field(description="NHI department code of the prescription, with its name")
    diagnosis: Coded
    institution: Coded = Field(description="the pharmacy")
    prescribed_by: Coded
    prescribed_on: str
    card_sequence: str
    refill_number: int | None
    fills: int
    drugs: list[RefillDrug]


class RefillsOut(BaseModel):
    page: PageInfo
    refills: list[RefillOut]


def _schema(operation_id: str, summary: str, response, example: dict, filters=()):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER, *LIST_PARAMETERS, *filters],
        responses={200: response, **_ERRORS},
        examples=[OpenApiExample("one page", value=example, response_only=True)],
        tags=["app passbook"],
    )


_ICD = OpenApiParameter("icd", str, description="only records with this primary diagnosis (ICD-10-CM)")
_INSTITUTION = OpenApiParameter("institution", str, description="only records of this institution (10-character code)")


class DentalView(PassbookEndpoint):
    @_schema(
        "app_passbook_dental",
        "Dental visits and the teeth they treated (tooth chart)",
        DentalOut,
        {
            "page": _PAGE,
            "teeth": [{"tooth": 16, "visits": 2}, {"tooth": 54, "visits": 1}],
            "visits": [
                {
                    **_EXAMPLE_VISIT,
                    "kind": "dental",
                    "kind_label": "牙醫門診",
                    "department": "40",
                    "teeth": [{"tooth": 16, "code": "89008C", "name": "後牙複合樹脂充填－單面"}],
                }
            ],
        },
        filters=[
            OpenApiParameter("tooth", int, description="only visits that treated this FDI tooth (11-48, 51-85)"),
            _ICD,
            _INSTITUTION,
        ],
    )
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        query = self.get_query(request)
        page = care.dental_list(viewing, query)
        counts = care.tooth_counts(viewing, older=page.params.older)
        teeth = [{"tooth": tooth, "visits": n} for tooth, n in sorted(counts.items())]
        return Response({"page": page_info(page), "teeth": teeth, "visits": page.rows})


class InpatientView(PassbookEndpoint):
    @_schema(
        "app_passbook_inpatient",
        "Inpatient stays by year of admission, with their discharge summaries",
        InpatientOut,
        {
            "page": _PAGE,
            "years": [{"year": 2025, "stays": 1}],
            "stays": [
                {
                    **_EXAMPLE_VISIT,
                    "kind": "inpatient",
                    "kind_label": "住院",
                    "end_date": "2025-08-09",
                    "date": "2025-08-06",
                    "year": 2025,
                    "discharge_summary": {
                        "id": "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e78",
                        "title": "出院病歷摘要 肺炎",
                        "date": "2025-08-09",
                    },
                }
            ],
        },
        filters=[OpenApiParameter("year", int, description="only stays admitted in this year"), _ICD, _INSTITUTION],
    )
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        page = care.inpatient_list(viewing, self.get_query(request))
        years = care.inpatient_years(viewing, older=page.params.older)
        return Response({"page": page_info(page), "years": years, "stays": page.rows})


class SurgeryView(PassbookEndpoint):
    @_schema(
        "app_passbook_surgery",
        "Operations by body site (outpatient and inpatient, as far as this reader may read them)",
        SurgeryOut,
        {
            "page": _PAGE,
            "sex": "F",
            "sites": [{"site": "liver_gallbladder", "name": "肝、膽", "operations": 1}],
            "operations": [
                {
                    "visit_id": "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e77",
                    "kind": "inpatient",
                    "date": "2025-08-06",
                    "end_date": "2025-08-09",
                    "institution": {"code": "1101020018", "name": "北區虛擬醫院"},
                    "code": "75020B",
                    "name": "腹腔鏡膽囊切除術",
                    "site": "liver_gallbladder",
                    "site_name": "肝、膽",
                    "copayment": 8690,
                    "points": 82062,
                }
            ],
        },
        filters=[
            OpenApiParameter("site", str, description="only operations on this body site ('other': the rest)"),
            OpenApiParameter("institution", str, description="only operations at this institution"),
        ],
    )
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        page = care.surgery_list(viewing, self.get_query(request))
        counts = care.surgery_sites(viewing, older=page.params.older)
        sites = [
            {"site": code, "name": care.site_name(code), "operations": n}
            for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
        sex = "F" if viewing.person.sex == "F" else "M"
        return Response({"page": page_info(page), "sex": sex, "sites": sites, "operations": page.rows})


class MedicationView(PassbookEndpoint):
    @_schema(
        "app_passbook_medication",
        "Drugs of the span grouped by pharmacological class (ATC subgroup), herbal preparations apart",
        MedicationOut,
        {
            "page": {**_PAGE, "sort": "-last"},
            "groups": [{"key": "C07AB", "name": "乙型阻斷劑", "drugs": 1, "herbal": False}],
            "drugs": [
                {
                    "code": "AC31223100",
                    "name": "TENORMIN 100MG",
                    "atc": "C07AB03",
                    "atc_class": "乙型阻斷劑",
                    "last_dispensed": "2026-10-27",
                    "dispensings": 12,
                    "total_quantity": 360.0,
                    "group": "C07AB",
                    "group_name": "乙型阻斷劑",
                    "herbal": False,
                }
            ],
        },
        filters=[
            OpenApiParameter("class", str, description="only this ATC subgroup (e.g. C09CA) or 'herbal'"),
        ],
    )
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        result = care.medication(viewing, self.get_query(request))
        page = result["page"]
        return Response({"page": page_info(page), "groups": result["groups"], "drugs": page.rows})


class RefillsView(PassbookEndpoint):
    @_schema(
        "app_passbook_refills",
        "Refill records of chronic continuous prescriptions",
        RefillsOut,
        {
            "page": _PAGE,
            "refills": [
                {
                    "id": "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e79",
                    "date": "2026-10-20",
                    "department": {"code": "02", "name": "內科"},
                    "diagnosis": {"code": "I10", "name": "本態性(原發性)高血壓"},
                    "institution": {"code": "5901010019", "name": "中山健保藥局"},
                    "prescribed_by": {"code": "3501200000", "name": "北區虛擬診所"},
                    "prescribed_on": "2026-09-22",
                    "card_sequence": "0023",
                    "refill_number": 2,
                    "fills": 3,
                    "drugs": [
                        {
                            "code": "AC31223100",
                            "name": "TENORMIN 100MG",
                            "atc": "C07AB03",
                            "atc_class": "乙型阻斷劑",
                            "days_supplied": 30,
                            "quantity": 30.0,
                        }
                    ],
                }
            ],
        },
        filters=[_ICD, _INSTITUTION],
    )
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        page = care.refill_list(viewing, self.get_query(request))
        return Response({"page": page_info(page), "refills": page.rows})


routes = [
    path("dental", DentalView.as_view(), name="app-passbook-dental"),
    path("inpatient", InpatientView.as_view(), name="app-passbook-inpatient"),
    path("surgery", SurgeryView.as_view(), name="app-passbook-surgery"),
    path("medication", MedicationView.as_view(), name="app-passbook-medication"),
    path("refills", RefillsView.as_view(), name="app-passbook-refills"),
]
