"""App endpoints of insurance status, cards, premiums, vaccinations, allergies and care wishes."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from pydantic import BaseModel, Field
from rest_framework.response import Response

from ..selectors import insurance
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


class UnitOut(BaseModel):
    code: str = Field(description="9-digit insurance unit code")
    name: str


class EnrolmentOut(BaseModel):
    unit: UnitOut
    category: int = Field(description="insurance category 1–6")
    category_label: str
    role: str = Field(description="insured or dependent")
    role_label: str
    relationship: str
    relationship_label: str
    started_on: str
    ended_on: str | None
    current: bool


class PremiumExplanationOut(BaseModel):
    category: int
    insured_salary: int = Field(description="投保金額, NT$ a month")
    rate_per_ten_thousand: int = Field(description="premium rate ‱ (517 = 5.17 %)")
    rate_percent: str
    share_pct: int = Field(description="share the insured pays, %")
    dependents: int
    people_billed: int = Field(description="the insured plus at most 3 dependents")
    per_person: int
    amount: int = Field(description="NT$ a month")
    formula: str
    plain: str
    dependents_note: str


class CardOut(BaseModel):
    card_number: str = Field(description="masked: only the last four digits")
    issued_on: str
    reason: str
    reason_label: str
    reported_lost_on: str | None
    status: str = Field(description="valid, replaced or lost")
    status_label: str


class CardStatusOut(BaseModel):
    status: str = Field(description="valid, lost or none")
    status_label: str
    card: CardOut | None


class PremiumOut(BaseModel):
    month: str = Field(description="first day of the month billed")
    unit: UnitOut
    insured_salary: int
    rate_per_ten_thousand: int
    rate_percent: str
    share_pct: int
    people_billed: int
    amount: int


class PaymentOut(BaseModel):
    paid_on: str
    month: str
    amount: int
    method: str
    method_label: str


class InsuranceStatusOut(BaseModel):
    status: str = Field(description="insured, dependent or withdrawn")
    status_label: str
    name: str = Field(description="masked name")
    current: EnrolmentOut | None
    insured_salary: int | None = Field(description="the insured's own salary; null for a dependent")
    premium: PremiumExplanationOut | None = Field(description="how the month's premium follows; null for a dependent")
    premium_note: str
    enrolments: list[EnrolmentOut]


class InsuranceOut(BaseModel):
    insurance: InsuranceStatusOut
    card_status: CardStatusOut | None = Field(description="null when the reader may not see cards")
    cards: list[CardOut] | None = Field(description="the newest card records (null: not readable)")
    premiums: list[PremiumOut] | None
    payments: list[PaymentOut] | None


class CardListOut(BaseModel):
    page: PageInfo
    card_status: CardStatusOut
    cards: list[CardOut]


class PremiumListOut(BaseModel):
    page: PageInfo
    premiums: list[PremiumOut]


class PaymentListOut(BaseModel):
    page: PageInfo
    payments: list[PaymentOut]


class Place(BaseModel):
    code: str
    name: str


class VaccinationOut(BaseModel):
    id: str
    date: str
    code: str = Field(description="CDC vaccine code")
    name: str = Field(description="in the language asked for (lang)")
    institution: Place = Field(description="the institution, or only a name the CDC gave")


class VaccinationListOut(BaseModel):
    page: PageInfo
    vaccinations: list[VaccinationOut]


class AllergyInstitution(BaseModel):
    code: str
    name: str
    phone: str
    address: str


class AllergyOut(BaseModel):
    id: str
    date: str = Field(description="upload date")
    allergen: str
    drug: dict | None = Field(description="code, name, atc, atc_class of the drug, when the allergen is one")
    reaction: str
    doctor: str
    institution: AllergyInstitution


class AllergyListOut(BaseModel):
    page: PageInfo
    allergies: list[AllergyOut]


class WishOut(BaseModel):
    id: str
    kind: str = Field(description="organ_donation or hospice")
    kind_label: str
    signed_on: str
    registered_on: str
    withdrawn_on: str | None
    in_force: bool


class WishNowOut(BaseModel):
    kind: str
    kind_label: str
    registered: bool = Field(description="a wish of this kind is registered and not withdrawn")
    registered_on: str | None
    since: str = Field(description="the registry's records begin on this day")


class WishListOut(BaseModel):
    page: PageInfo
    now: dict[str, WishNowOut]
    wishes: list[WishOut]


_UNIT = {"code": "123456789", "name": "郝公司"}
_ENROLMENT = {
    "unit": _UNIT,
    "category": 1,
    "category_label": "第1類：受僱者、雇主、公務人員",
    "role": "insured",
    "role_label": "被保險人",
    "relationship": "self",
    "relationship_label": "本人",
    "started_on": "2003-05-01",
    "ended_on": None,
    "current": True,
}
_CARD = {
    "card_number": "********1234",
    "issued_on": "2026-03-02",
    "reason": "replacement",
    "reason_label": "補發",
    "reported_lost_on": None,
    "status": "valid",
    "status_label": "有效",
}
_PREMIUM = {
    "month": "2026-10-01",
    "unit": _UNIT,
    "insured_salary": 45800,
    "rate_per_ten_thousand": 517,
    "rate_percent": "5.17",
    "share_pct": 30,
    "people_billed": 2,
    "amount": 1420,
}
_PAYMENT = {"paid_on": "2026-11-15", "month": "2026-10-01", "amount": 1420, "method": "payroll",
            "method_label": "薪資扣繳"}  # fmt: skip
_PAGE = {"page": 1, "pages": 1, "count": 1, "since": "2025-11-20", "has_older": False, "sort": "-date"}


def _schema(operation_id: str, summary: str, response, example: dict, *, lists: bool = True, filters=()):
    parameters = [PERSON_PARAMETER, LANGUAGE_PARAMETER, *(LIST_PARAMETERS if lists else []), *filters]
    responses = {200: response, 401: NO_TOKEN, 404: NOT_FOUND}
    if lists:
        responses[400] = BAD_PARAMETER
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        parameters=parameters,
        responses=responses,
        examples=[OpenApiExample("an example", value=example, response_only=True)],
        tags=["app passbook"],
    )


class InsuranceView(PassbookEndpoint):
    @_schema(
        "app_passbook_insurance",
        "Insurance status: enrolment, how the premium follows from the insured salary, newest card and premium rows",
        InsuranceOut,
        {
            "insurance": {
                "status": "insured",
                "status_label": "在保中（被保險人身分）",
                "name": "甄○康",
                "current": _ENROLMENT,
                "insured_salary": 45800,
                "premium": {
                    "category": 1, "insured_salary": 45800, "rate_per_ten_thousand": 517, "rate_percent": "5.17",
                    "share_pct": 30, "dependents": 1, "people_billed": 2, "per_person": 710, "amount": 1420,
                    "formula": "45,800 × 5.17 % × 30 % = 710 per person × 2 people = NT$1,420",
                    "plain": "…", "dependents_note": "",
                },
                "premium_note": "",
                "enrolments": [_ENROLMENT],
            },
            "card_status": {"status": "valid", "status_label": "…", "card": _CARD},
            "cards": [_CARD],
            "premiums": [_PREMIUM],
            "payments": [_PAYMENT],
        },
        lists=False,
    )  # fmt: skip
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        return Response(insurance.insurance_page(viewing))


class CardListView(PassbookEndpoint):
    @_schema(
        "app_passbook_insurance_cards",
        "NHI card issuance records (past year; older=1 for all) and the card status",
        CardListOut,
        {"page": {**_PAGE, "sort": "-issued"}, "card_status": {"status": "valid", "status_label": "…", "card": _CARD},
         "cards": [_CARD]},
    )  # fmt: skip
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        page = insurance.card_list(viewing, self.get_query(request))
        return Response({"page": page_info(page), "card_status": insurance.card_status(viewing), "cards": page.rows})


class PremiumListView(PassbookEndpoint):
    @_schema(
        "app_passbook_insurance_premiums",
        "Premium calculations (past year; older=1 for all)",
        PremiumListOut,
        {"page": {**_PAGE, "sort": "-month"}, "premiums": [_PREMIUM]},
    )
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        page = insurance.premium_list(viewing, self.get_query(request))
        return Response({"page": page_info(page), "premiums": page.rows})


class PaymentListView(PassbookEndpoint):
    @_schema(
        "app_passbook_insurance_payments",
        "Premium payments (past 3 years; older=1 for all)",
        PaymentListOut,
        {"page": {**_PAGE, "sort": "-paid"}, "payments": [_PAYMENT]},
        filters=[OpenApiParameter("method", str, enum=["payroll", "direct_debit", "store", "online"])],
    )
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        page = insurance.payment_list(viewing, self.get_query(request))
        return Response({"page": page_info(page), "payments": page.rows})


class VaccinationListView(PassbookEndpoint):
    @_schema(
        "app_passbook_vaccinations",
        "Vaccinations from the CDC (since 2003); sort by date, code or name",
        VaccinationListOut,
        {
            "page": {**_PAGE, "since": "2003-01-01"},
            "vaccinations": [
                {"id": "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e78", "date": "2025-10-20", "code": "Flu",
                 "name": "流感疫苗", "institution": {"code": "2301010011", "name": "臺北市中正區健康服務中心"}}
            ],
        },
        filters=[OpenApiParameter("code", str, description="only this vaccine code (CDC catalogue)")],
    )  # fmt: skip
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        page = insurance.vaccination_list(viewing, self.get_query(request))
        return Response({"page": page_info(page), "vaccinations": page.rows})


class AllergyListView(PassbookEndpoint):
    @_schema(
        "app_passbook_allergies",
        "Allergies uploaded from the NHI card (since 2015)",
        AllergyListOut,
        {
            "page": {**_PAGE, "since": "2015-01-01"},
            "allergies": [
                {"id": "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e79", "date": "2015-11-12", "allergen": "Amoxicillin",
                 "drug": {"code": "AC12345100", "name": "AMOXICILLIN 500MG", "atc": "J01CA04",
                          "atc_class": "盤尼西林類"},
                 "reaction": "皮疹 Rash", "doctor": "王大明",
                 "institution": {"code": "3501200000", "name": "中區虛擬診所", "phone": "0422583988",
                                 "address": "臺中市西屯區市政北一路66號"}}
            ],
        },
    )  # fmt: skip
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        page = insurance.allergy_list(viewing, self.get_query(request))
        return Response({"page": page_info(page), "allergies": page.rows})


class WishListView(PassbookEndpoint):
    @_schema(
        "app_passbook_wishes",
        "Organ-donation and hospice wishes, and whether one of each kind is registered now",
        WishListOut,
        {
            "page": {**_PAGE, "since": None, "sort": "-registered"},
            "now": {
                "organ_donation": {"kind": "organ_donation", "kind_label": "器官捐贈", "registered": False,
                                   "registered_on": None, "since": "2004-11-01"},
                "hospice": {"kind": "hospice", "kind_label": "安寧緩和醫療", "registered": True,
                            "registered_on": "2020-05-12", "since": "2006-09-01"},
            },
            "wishes": [
                {"id": "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e7a", "kind": "hospice", "kind_label": "安寧緩和醫療",
                 "signed_on": "2020-04-30", "registered_on": "2020-05-12", "withdrawn_on": None, "in_force": True}
            ],
        },
    )  # fmt: skip
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        result = insurance.wish_list(viewing, self.get_query(request))
        return Response({"page": page_info(result["page"]), "now": result["now"], "wishes": result["page"].rows})


routes = [
    path("insurance", InsuranceView.as_view(), name="app-passbook-insurance"),
    path("insurance/cards", CardListView.as_view(), name="app-passbook-insurance-cards"),
    path("insurance/premiums", PremiumListView.as_view(), name="app-passbook-insurance-premiums"),
    path("insurance/payments", PaymentListView.as_view(), name="app-passbook-insurance-payments"),
    path("vaccinations", VaccinationListView.as_view(), name="app-passbook-vaccinations"),
    path("allergies", AllergyListView.as_view(), name="app-passbook-allergies"),
    path("wishes", WishListView.as_view(), name="app-passbook-wishes"),
]
