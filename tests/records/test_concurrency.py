"""Senders at once: the same batch, the same correction, or one record id for two people, 20 requests in parallel.

Each request runs on its own thread and database connection against committed data (both databases:
SQLite serialises writers, PostgreSQL takes advisory locks on the buckets of the record ids), so every race
is real.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from healthbank.records.models import ChronicPrescription, RecordRevision, Visit
from healthbank.records.services import RECORD_LOCK_BUCKETS
from tests.conftest import OTHER_ID, api_for, visit_payload

pytestmark = pytest.mark.django_db(transaction=True)

PARALLEL = 20


def _key(api) -> str:
    return api._credentials["HTTP_AUTHORIZATION"]


def post_in_parallel(bodies: list[tuple[str, list[dict]]]) -> list[tuple[int, dict]]:
    """POST every (authorization, records) at the same moment, each from its own thread and connection."""
    start = threading.Barrier(len(bodies))

    def send(body: tuple[str, list[dict]]) -> tuple[int, dict]:
        authorization, records = body
        try:
            client = Client(HTTP_AUTHORIZATION=authorization)
            data = json.dumps({"records": records})
            start.wait(timeout=30)
            response = client.post("/api/ingest/v1/visits", data, content_type="application/json")
            return response.status_code, response.json()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


@pytest.mark.parametrize("size", [3, RECORD_LOCK_BUCKETS + 6], ids=["small batch", "large batch"])
def test_the_same_batch_twenty_times_at_once_stores_each_record_once(clinic_api, person, known, frozen_today, size):
    rx = {"record_id": "RX-1", "days_per_fill": 30, "fills": 3, "icd10": known.icd}
    batch = [visit_payload(known, record_id=f"V-{i}") for i in range(size)]
    batch[1]["chronic_prescription"] = rx
    batch.append(visit_payload(known, record_id="V-0"))  # the same record twice in the batch

    answers = post_in_parallel([(_key(clinic_api), batch)] * PARALLEL)

    assert {status for status, _ in answers} == {200}, answers[0]
    assert Visit.objects.count() == size
    assert ChronicPrescription.objects.count() == 1
    outcomes = Counter((r["record_id"], r["status"]) for _, body in answers for r in body["results"])
    for i in range(1, size):
        assert outcomes[(f"V-{i}", "created")] == 1
        assert outcomes[(f"V-{i}", "unchanged")] == PARALLEL - 1
    # V-0 is stored once; its copy in the same batch and every later copy are unchanged.
    assert outcomes[("V-0", "created")] == 1 and outcomes[("V-0", "unchanged")] == 2 * PARALLEL - 1
    assert not RecordRevision.objects.exists()


def test_twenty_identical_corrections_at_once_add_one_revision(clinic_api, person, known, frozen_today):
    first = [visit_payload(known)]
    Client(HTTP_AUTHORIZATION=_key(clinic_api)).post(
        "/api/ingest/v1/visits", json.dumps({"records": first}), content_type="application/json"
    )
    corrected = [visit_payload(known, copayment=150)]

    answers = post_in_parallel([(_key(clinic_api), corrected)] * PARALLEL)

    assert {status for status, _ in answers} == {200}
    statuses = Counter(body["results"][0]["status"] for _, body in answers)
    assert statuses == {"replaced": 1, "unchanged": PARALLEL - 1}
    visit = Visit.objects.get()
    assert (visit.copayment, visit.version) == (150, 2)
    assert RecordRevision.objects.count() == 1


def test_one_record_id_sent_for_two_people_at_once_stays_with_one(person, other_person, clinic, known, frozen_today):
    mine = [visit_payload(known, record_id="V-9")]
    theirs = [visit_payload(known, record_id="V-9", national_id=OTHER_ID, card_number="000055556666")]
    key_a, key_b = _key(api_for(clinic)), _key(api_for(clinic))  # two credentials of one institution

    answers = post_in_parallel([(key_a, mine), (key_b, theirs)] * (PARALLEL // 2))

    assert {status for status, _ in answers} <= {200, 422}
    owner = Visit.objects.get(source_record_id="V-9").person
    for status, body in answers:
        result = body["results"][0]
        if status == 422:
            assert "another person" in result["errors"]["record_id"][0]
    refused = sum(1 for status, _ in answers if status == 422)
    assert refused == PARALLEL // 2  # every request naming the other person
    assert Visit.objects.count() == 1 and owner in (person, other_person)
