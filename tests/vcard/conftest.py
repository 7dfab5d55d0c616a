"""Shared fixtures of the virtual-card tests (others import these names: keep them stable).

- ``jpeg()``: a photo as a phone sends it; ``approved_card(person)``: a card submitted and approved.
- ``holder``: the person of tests/conftest.py (王小明), insured, with an approved virtual card.
- ``institution`` / ``institution_api``: a clinic that accepts the virtual card, and an API client with its key.
- ``app_client_for(person)``: the person logged in on the app (a bound device and an app token).
- ``household``: an insured parent, a spouse, a child of 13 (under 14: the NHI card will do as the ID
  document; turns 14 in ``CHILD_TURNS_14_IN``) and a child of 16, the three enrolled as the parent's
  dependents; the child-under-15 grant is the signal's.

An app token lasts 8 hours: a test that moves the clock further makes a new ``app_client_for`` afterwards.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import uuid
from dataclasses import dataclass

import pytest
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from healthbank.accounts.models import OnlineAccount
from healthbank.assessments.dates import birthday
from healthbank.core.national_id import with_check_digit
from healthbank.devices import services as devices
from healthbank.identity.models import Enrolment, InsuranceUnit, Person
from healthbank.identity.services import create_person, enrol_dependent, issue_card, start_household
from healthbank.records.models import Institution
from healthbank.vcard import services
from healthbank.vcard.models import CardApplication
from tests.conftest import api_for, make_institution

PASSWORD = "Hb-2026ok"
INSTITUTION_CODE = "0140090011"
CHILD_TURNS_14_IN = dt.timedelta(days=40)
SCANS = "/api/vcard/v1/scans"
APP = "/api/app/v1/vcard"
_addresses = itertools.count(1)


def jpeg(size: tuple[int, int] = (600, 800), name: str = "photo.jpg") -> io.BytesIO:
    """A JPEG as a phone uploads it: a gradient (not a flat colour, which compresses unlike a photo)."""
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(buffer, format="JPEG", quality=85)
    buffer.seek(0)
    buffer.name = name
    return buffer


def jpeg_upload(name: str = "photo.jpg", size: tuple[int, int] = (600, 800)) -> SimpleUploadedFile:
    """The same photo as a multipart file part (for the test client's ``format="multipart"``)."""
    return SimpleUploadedFile(name, jpeg(size).getvalue(), content_type="image/jpeg")


def submit(person: Person, *, applicant: Person | None = None, email: str = "card@example.tw") -> CardApplication:
    """An application as the app sends it: the ID card (or, under 14, the NHI card without a portrait)."""
    young = person.age_on(timezone.localdate()) < 14
    return services.submit_application(
        applicant or person,
        person,
        terms_accepted=True,
        document=CardApplication.Document.NHI_CARD if young else CardApplication.Document.NATIONAL_ID_CARD,
        document_photo=jpeg(),
        portrait=None if young else jpeg(),
        phone="0912345678",
        email=email,
    )


def approved_card(person: Person, *, applicant: Person | None = None, email: str = "card@example.tw"):
    """Submit and approve (no operator: the review queue is tested elsewhere); the approved application."""
    return services.approve_application(None, submit(person, applicant=applicant, email=email))


def unit(code: str = "987654321") -> InsuranceUnit:
    found = InsuranceUnit.objects.filter(code=code).first()
    return found or InsuranceUnit.objects.create(code=code, name="測試公司", kind="employer", county="臺北市")


@pytest.fixture
def holder(person) -> Person:
    """王小明 of tests/conftest.py, insured under his employer since 2010, with an approved virtual card."""
    start_household(person, unit("987654320"), category=1, salary=45800, since=dt.date(2010, 1, 1))
    approved_card(person)
    return person


@pytest.fixture
def institution(db) -> Institution:
    clinic = make_institution(INSTITUTION_CODE)
    clinic.accepts_virtual_card = True
    clinic.save(update_fields=["accepts_virtual_card"])
    return clinic


@pytest.fixture
def institution_api(institution) -> APIClient:
    return api_for(institution)


def app_client_for(person: Person, *, address: str = "") -> APIClient:
    """The person logged in on the app from a newly bound phone (binding disables their earlier phone).

    ``client.person`` and ``client.device`` say who and which phone; ``address`` is the phone's address.
    """
    address = address or f"10.88.{next(_addresses) % 250}.{next(_addresses) % 250 + 1}"
    if not OnlineAccount.objects.filter(person=person).exists():
        OnlineAccount.objects.create(
            person=person,
            status="active",
            channel="online",
            password=make_password(PASSWORD),
            email=f"{person.pk.hex[:8]}@example.tw",
            mobile="0912345678",
            created_at=timezone.now(),
            activated_at=timezone.now(),
        )
    issued = devices.issue_device_code(person)
    binding, credential = devices.bind_device(
        issued.code, platform="Android", model="Pixel 9", device_identifier=f"dev-{uuid.uuid4().hex[:12]}"
    )
    _row, token = devices.app_login(
        national_id=person.national_id, password=PASSWORD, device_credential=credential, source=address
    )
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.person = person
    client.device = binding
    return client


def post_json(client: APIClient, path: str, body=None):
    return client.post(path, data=json.dumps(body if body is not None else {}), content_type="application/json")


def new_qr(app: APIClient, holder: Person | None = None) -> str:
    """A card QR made in the app: the user's own card, or ``holder``'s card lent to them."""
    body = {"person_id": str(holder.pk)} if holder is not None else {}
    response = post_json(app, f"{APP}/qr", body)
    assert response.status_code == 200, response.content
    return response.json()["qr"]


def scan(api: APIClient, text):
    """The institution's scanner posts what it read."""
    return post_json(api, SCANS, {"qr": text})


@dataclass(frozen=True)
class Household:
    """健保戶: ``parent`` is the insured; the rest are enrolled as dependents."""

    parent: Person
    spouse: Person
    child: Person  # 13, turns 14 CHILD_TURNS_14_IN from the day the fixture ran
    teen: Person  # 16

    @property
    def child_turns_15_on(self) -> dt.date:
        return birthday(self.child.birth_date, 15)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


@pytest.fixture
def household(db) -> Household:
    today = timezone.localdate()
    child_born = _years_before(today + CHILD_TURNS_14_IN, 14)
    teen_born = _years_before(today - dt.timedelta(days=10), 16)
    parent = create_person(
        national_id=with_check_digit("C10000001"), name="陳大文", sex="M", birth_date=dt.date(1978, 3, 3)
    )
    spouse = create_person(
        national_id=with_check_digit("C20000002"), name="林淑芬", sex="F", birth_date=dt.date(1980, 8, 8)
    )
    child = create_person(national_id=with_check_digit("C10000003"), name="陳小安", sex="M", birth_date=child_born)
    teen = create_person(national_id=with_check_digit("C20000004"), name="陳小華", sex="F", birth_date=teen_born)
    for number, somebody in enumerate((parent, spouse, child, teen), start=1):
        issue_card(
            somebody, card_number=f"00007777{number:04d}", issued_on=max(somebody.birth_date, dt.date(2015, 1, 1))
        )
    family = start_household(parent, unit(), category=1, salary=45800, since=dt.date(2010, 1, 1))
    enrol_dependent(family, spouse, relationship=Enrolment.Relationship.SPOUSE, since=dt.date(2010, 1, 1))
    enrol_dependent(family, child, relationship=Enrolment.Relationship.CHILD, since=child_born)
    enrol_dependent(family, teen, relationship=Enrolment.Relationship.CHILD, since=teen_born)
    return Household(parent, spouse, child, teen)
