"""The app's records endpoints (SPEC §10): enrolment records (the person or a dependent), the mailing address
(read and change), notices sent, and the last adult preventive check. Each through ``ServiceEndpoint``."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework.response import Response

from healthbank.access.services import NotReadable
from healthbank.core import display
from healthbank.core.api import ErrorBody
from healthbank.identity.models import Person

from .. import addresses, notices, preventive, records
from .common import LANGUAGE_PARAMETER, NO_TOKEN, NOT_FOUND, PERSON_PARAMETER, ServiceEndpoint


class EnrolmentItem(BaseModel):
    id: str
    unit_code: str
    unit_name: str
    category: int
    category_label: str
    role: str
    role_label: str
    relationship: str
    relationship_label: str
    insured_salary: int = Field(description="NT$ a month")
    started_on: str
    ended_on: str | None = Field(description="null: insured now")
    start_reason: str
    end_reason: str = Field(description="empty while insured")


class Enrolments(BaseModel):
    person_id: str
    name: str = Field(description="masked")
    enrolments: list[EnrolmentItem] = Field(description="newest first")


class AddressItem(BaseModel):
    county: str
    township: str
    village: str
    postal_code: str
    street: str
    one_line: str
    valid_from: str
    valid_until: str | None = Field(description="null: the current address")


class Address(BaseModel):
    current: AddressItem | None = Field(description="null: none on file (letters go to the household registry)")
    history: list[AddressItem] = Field(description="newest first")


class AddressChange(BaseModel):
    county: str
    township: str
    village: str
    street: str


class AddressChanged(Address):
    changed: bool = Field(description="false: it was already the address; nothing stored")


class NoticeItem(BaseModel):
    channel: str = Field(description="post or email")
    id: str
    kind: str
    kind_label: str
    subject: str
    sent_at: str = Field(description="a date (post) or a moment (email)")


class NoticeDetail(NoticeItem):
    text: str | None = Field(description="null: not kept (the e-mail carried a one-time link); links removed")


class Notices(BaseModel):
    notices: list[NoticeItem]


class Preventive(BaseModel):
    last_check: str | None
    last_institution: str
    next_due: str = Field(description="the first day the next check is covered (today when due now)")
    due_now: bool
    interval_years: int | None
    rule: str
    next_due_text: str = Field(description="next_due as the language writes it (ROC calendar in Chinese)")


def _example(name: str, value: dict, status: str = "200", *, request: bool = False) -> OpenApiExample:
    if request:
        return OpenApiExample(name, value=value, request_only=True)
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status])


_ADDRESS = {
    "county": "臺北市",
    "township": "中正區",
    "village": "黎明里",
    "postal_code": "100",
    "street": "重慶南路一段122號3樓",
    "one_line": "100 臺北市中正區黎明里重慶南路一段122號3樓",
    "valid_from": "2026-12-04T10:15:00+08:00",
    "valid_until": None,
}
ENROLMENTS_EXAMPLE = _example(
    "a move between employers",
    {
        "person_id": "01a2b3c4-d5e6-7f80-9a1b-2c3d4e5f6a7b",
        "name": "陳○文",
        "enrolments": [
            {
                "id": "01a2b3c4-0000-7000-8000-000000000001",
                "unit_code": "222222222",
                "unit_name": "新公司有限公司",
                "category": 1,
                "category_label": "第一類：受僱者、雇主、公務人員",
                "role": "insured",
                "role_label": "被保險人",
                "relationship": "self",
                "relationship_label": "本人",
                "insured_salary": 52400,
                "started_on": "2020-01-01",
                "ended_on": None,
                "start_reason": "自舊公司股份有限公司轉入",
                "end_reason": "",
            }
        ],
    },
)
ADDRESS_EXAMPLE = _example("one change", {"current": _ADDRESS, "history": [_ADDRESS]})
ADDRESS_CHANGE_EXAMPLES = [
    _example(
        "a new address",
        {"county": "臺北市", "township": "中正區", "village": "黎明里", "street": "重慶南路一段122號3樓"},
        request=True,
    ),
    _example("changed", {"current": _ADDRESS, "history": [_ADDRESS], "changed": True}),
    _example("a village of another township", {"errors": {"village": ["光能里不是中正區的村里。"]}}, "400"),
]
_NOTICE = {
    "channel": "post",
    "id": "01a2b3c4-0000-7000-8000-000000000002",
    "kind": "premium_arrears",
    "kind_label": "保險費欠費催繳通知",
    "subject": "全民健康保險保險費欠費催繳通知",
    "sent_at": "2026-09-10",
}
NOTICES_EXAMPLE = _example("a letter", {"notices": [_NOTICE]})
NOTICE_EXAMPLE = _example("a letter with its text", {**_NOTICE, "text": "您115年7月之健保費逾繳納期限尚未繳納……"})
PREVENTIVE_EXAMPLE = _example(
    "checked in 2024",
    {
        "last_check": "2024-05-06",
        "last_institution": "臺北市立聯合醫院",
        "next_due": "2027-05-06",
        "next_due_text": "116/05/06",
        "due_now": False,
        "interval_years": 3,
        "rule": "成人預防保健：30 歲以上每 5 年一次……",
    },
)


def _address(a) -> dict:
    return {
        "county": a.county,
        "township": a.township,
        "village": a.village,
        "postal_code": a.postal_code,
        "street": a.street,
        "one_line": a.one_line,
        "valid_from": a.valid_from.isoformat(),
        "valid_until": a.valid_until.isoformat() if a.valid_until else None,
    }


def _address_body(person: Person) -> dict:
    history = addresses.address_history(person)
    current = next((a for a in history if a.valid_until is None), None)
    return {"current": _address(current) if current else None, "history": [_address(a) for a in history]}


class EnrolmentsView(ServiceEndpoint):
    service = "enrolments"

    @extend_schema(
        operation_id="app_services_enrolments",
        summary="Enrolment and withdrawal records (投退保資料) of the user or a dependent",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: Enrolments, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[ENROLMENTS_EXAMPLE],
    )
    def get(self, request, person_id):
        person = self.person(request, person_id)
        found = records.enrolment_records(person, household_of=request.auth.person)
        return Response(
            {"person_id": str(person.pk), "name": person.masked_name, "enrolments": [r.as_dict() for r in found]}
        )


class SelfOnlyEndpoint(ServiceEndpoint):
    """A service for the user only: a dependent's id answers 404 like any id not theirs (nothing read)."""

    def person(self, request, person_id) -> Person:
        self.reader(request)
        if person_id != request.auth.person.pk:
            raise NotReadable
        return super().person(request, person_id)


class AddressView(SelfOnlyEndpoint):
    service = "address"

    @extend_schema(
        operation_id="app_services_address",
        summary="The user's mailing address (通訊地址) and its history",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: Address, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[ADDRESS_EXAMPLE],
    )
    def get(self, request, person_id):
        return Response(_address_body(self.person(request, person_id)))

    @extend_schema(
        operation_id="app_services_address_change",
        summary="Change the mailing address, at once (通訊地址變更); an e-mail tells the user",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request=AddressChange,
        responses={
            200: AddressChanged,
            400: OpenApiResponse(ErrorBody, "a field is missing, or the county/township/village is not in the list"),
            401: NO_TOKEN,
            404: NOT_FOUND,
        },
        examples=ADDRESS_CHANGE_EXAMPLES,
    )
    def post(self, request, person_id):
        person = self.person(request, person_id)
        data = request.data if isinstance(request.data, dict) else {}
        errors = {}
        values = {}
        for field in ("county", "township", "village", "street"):
            value = data.get(field)
            if not isinstance(value, str) or not value.strip():
                errors[field] = [_("This field is required.")]
            else:
                values[field] = value
        if errors:
            return Response({"errors": errors}, status=400)
        try:
            _new, changed = addresses.change_address(person, addresses.AddressInput(**values), language=get_language())
        except addresses.AddressError as exc:
            return Response({"errors": exc.errors}, status=400)
        return Response({**_address_body(person), "changed": changed})


class NoticesView(SelfOnlyEndpoint):
    service = "notices"

    @extend_schema(
        operation_id="app_services_notices",
        summary="Notices sent (寄發通知): the letters and e-mails the NHI sent the user, newest first",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: Notices, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[NOTICES_EXAMPLE],
    )
    def get(self, request, person_id):
        person = self.person(request, person_id)
        return Response({"notices": [n.as_dict() for n in notices.notices_sent(person)]})


class NoticeView(SelfOnlyEndpoint):
    service = "notices"

    @extend_schema(
        operation_id="app_services_notice",
        summary="One notice with its text",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: NoticeDetail, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[NOTICE_EXAMPLE],
    )
    def get(self, request, person_id, channel, notice_id):
        person = self.person(request, person_id)
        found = notices.notice(person, channel, notice_id)
        if found is None:
            raise NotReadable
        return Response(found.as_dict(with_text=True))


class PreventiveView(SelfOnlyEndpoint):
    service = "preventive_check"

    @extend_schema(
        operation_id="app_services_preventive_check",
        summary="The last adult preventive check (成人預防保健) and when the next is covered",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: Preventive, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[PREVENTIVE_EXAMPLE],
    )
    def get(self, request, person_id):
        person = self.person(request, person_id)
        status = preventive.preventive_status(person)
        body = status.as_dict()
        body["next_due_text"] = display.format_date(status.next_due)
        return Response(body)


routes = [
    path("enrolments/", EnrolmentsView.as_view(), name="app-services-enrolments"),
    path("address/", AddressView.as_view(), name="app-services-address"),
    path("notices/", NoticesView.as_view(), name="app-services-notices"),
    path("notices/<str:channel>/<uuid:notice_id>/", NoticeView.as_view(), name="app-services-notice"),
    path("preventive-check/", PreventiveView.as_view(), name="app-services-preventive-check"),
]
