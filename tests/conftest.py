"""Shared fixtures: a small world of one clinic, one pharmacy, one person with two cards."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from django.db import connection
from rest_framework.test import APIClient

from healthbank.core import codes
from healthbank.identity.services import create_person, issue_card
from healthbank.records.auth import issue_api_key
from healthbank.records.models import Institution

TODAY = dt.date(2026, 11, 20)
PERSON_ID = "A123456789"
OTHER_ID = "F131104093"


@pytest.fixture(autouse=True)
def _default_language(settings):
    """Each test starts in the default language (Chinese): a page under /en/ that the test client opened leaves
    English active in this thread, which would otherwise decide what the next test reads."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _forget_the_shared_cache(settings):
    """Redis outlives a test (the database cache rolls back with it): throttles and challenges must not leak."""
    yield
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        from django.core.cache import cache

        cache.clear()


def make_institution(
    code: str, kind: str = "clinic", specialty: str = "western", *, accepts_virtual_card: bool = True
) -> Institution:
    return Institution.objects.create(
        accepts_virtual_card=accepts_virtual_card,
        code=code,
        name=f"測試{code[-3:]}診所",
        kind=kind,
        specialty=specialty,
        division=1,
        county="臺北市",
        township="中正區",
        phone="02-23456789",
        address="臺北市中正區測試路1號",
    )


@pytest.fixture
def frozen_today(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False)
    return TODAY


@pytest.fixture
def clinic(db):
    return make_institution("0140000011")


@pytest.fixture
def pharmacy(db):
    return make_institution("0170000011", kind="pharmacy", specialty="pharmacy")


@pytest.fixture
def person(db):
    p = create_person(national_id=PERSON_ID, name="王小明", sex="M", birth_date=dt.date(1970, 5, 4))
    issue_card(p, card_number="000011112222", issued_on=dt.date(2010, 1, 5))
    issue_card(p, card_number="000033334444", issued_on=dt.date(2025, 3, 1), reason="replacement")
    return p


@pytest.fixture
def other_person(db):
    p = create_person(national_id=OTHER_ID, name="林美玲", sex="M", birth_date=dt.date(1985, 2, 1))
    issue_card(p, card_number="000055556666", issued_on=dt.date(2012, 6, 1))
    return p


def api_for(institution=None, agency="") -> APIClient:
    _, key = issue_api_key(name="test", institution=institution, agency=agency)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def clinic_api(clinic):
    return api_for(clinic)


def post(client: APIClient, record_type: str, records) -> tuple[int, dict]:
    response = client.post(
        f"/api/ingest/v1/{record_type}", data=json.dumps({"records": records}), content_type="application/json"
    )
    return response.status_code, response.json()


class Codes:
    """Real codes from the shipped reference lists, so tests follow the data files."""

    @property
    def icd(self) -> str:
        return "J06.9" if "J06.9" in codes.diagnoses() else next(iter(codes.diagnoses()))

    @property
    def drug(self) -> str:
        return next(d.code for d in codes.drugs().values() if d.atc_code)

    @property
    def payment(self) -> str:
        return next(p.code for p in codes.payment_codes().values() if p.kind == "consultation")

    @property
    def surgery(self) -> codes.PaymentCode:
        return next(p for p in codes.payment_codes().values() if p.kind == "surgery" and p.body_site)

    @property
    def tooth_code(self) -> str:
        return next(p.code for p in codes.payment_codes().values() if p.dental)

    @property
    def vaccine(self) -> str:
        return next(iter(codes.vaccines()))


@pytest.fixture
def known():
    return Codes()


def visit_payload(known: Codes, **overrides) -> dict:
    payload = {
        "record_id": "V-1",
        "national_id": PERSON_ID,
        "card_number": "000033334444",
        "institution": "0140000011",
        "kind": "western",
        "visit_date": "2026-11-18",
        "card_sequence": "0012",
        "copayment": 50,
        "points": 420,
        "diagnoses": [known.icd],
        "drug_orders": [{"drug_code": known.drug, "days_supplied": 3, "quantity": "9", "frequency": "TID"}],
        "non_drug_orders": [{"payment_code": known.payment}],
    }
    payload.update(overrides)
    return payload


def pytest_collection_modifyitems(config, items):
    """``HEALTHBANK_BROWSER_SHARE=k/n``: of the browser-test files (sorted by name), only every n-th one from the
    k-th runs. CI runs the suite twice side by side (SQLite, PostgreSQL + Redis) on two cores; each browser test
    runs once there, in one of the two (docs/decisions.md, "CI: each browser test once"). Unset: all of them."""
    share = os.environ.get("HEALTHBANK_BROWSER_SHARE", "")
    if not share:
        return
    try:
        k, n = (int(part) for part in share.split("/"))
        assert 1 <= k <= n
    except (ValueError, AssertionError):
        raise pytest.UsageError(f"HEALTHBANK_BROWSER_SHARE={share!r}: expected k/n with 1 <= k <= n") from None
    files = sorted({str(item.path) for item in items if item.get_closest_marker("e2e")})
    mine = set(files[k - 1 :: n])
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("e2e") and str(item.path) not in mine else kept).append(item)
    if deselected:
        print(f"\nHEALTHBANK_BROWSER_SHARE={share}: {len(deselected)} browser tests run in the other share")
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def foreign_keys(*tables: str) -> set[tuple]:
    """Each foreign key of these tables as PostgreSQL holds it: table, name, definition, validated."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [list(tables)],
        )
        return set(cursor.fetchall())
