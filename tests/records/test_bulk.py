"""The bulk loader (issue 12): a file of batches through ``manage.py ingest_file``, split over worker processes.

The workers are real forked processes on their own connections (transactional database), so what the file
stores with two workers must be what it stores with one: every record once, corrections in file order, a record
id kept by its first person, a report finding its visit written by the other worker, rejections named by line.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from healthbank.identity.models import NhiCard
from healthbank.records import bulk
from healthbank.records.models import ChronicPrescription, DrugOrder, RecordRevision, Report, Visit
from healthbank.records.services import RECORD_TYPES, Row, insert_rows, record_bucket
from tests.conftest import OTHER_ID, foreign_keys, visit_payload

pytestmark = pytest.mark.django_db(transaction=True)


def write(tmp_path, lines: list[dict]) -> str:
    path = tmp_path / "batches.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return str(path)


def run(path: str, *args: str) -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("ingest_file", path, *args, stdout=out)
    except SystemExit as stop:
        return out.getvalue(), stop.code
    return out.getvalue(), 0


def the_file(known) -> list[dict]:
    visits = [visit_payload(known, record_id=f"V-{i}") for i in range(40)]
    visits[3]["chronic_prescription"] = {"record_id": "RX-1", "days_per_fill": 30, "fills": 3, "icd10": known.icd}
    second = [
        visit_payload(known, record_id="V-5", copayment=150),  # a correction, after the record
        visit_payload(known, record_id="V-6"),  # sent again: unchanged
        visit_payload(known, record_id="V-7", national_id=OTHER_ID, card_number="000055556666"),  # not theirs
        visit_payload(known, record_id="V-bad", visit_date="2026-02-30"),  # no such day
    ]
    reports = [
        {
            "record_id": f"D-{i}", "national_id": visits[i]["national_id"], "institution": "0140000011",
            "kind": "discharge", "performed_on": "2026-11-19", "title": "出院病歷摘要", "text": "恢復良好。",
            "visit_record_id": f"V-{i}",
        }
        for i in range(0, 40, 5)
    ]  # fmt: skip
    return [
        {"record_type": "visits", "records": visits},
        {"record_type": "visits", "records": second},
        {"record_type": "reports", "records": reports},
    ]


def stored() -> dict:
    return {
        "visits": sorted(Visit.objects.values_list("source_record_id", "person_id", "copayment", "version")),
        "prescriptions": ChronicPrescription.objects.count(),
        "revisions": RecordRevision.objects.count(),
        "reports": sorted(Report.objects.values_list("source_record_id", "visit__source_record_id")),
    }


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_file_stores_what_the_api_would_and_names_each_rejection_by_line(
    person, other_person, clinic, known, frozen_today, tmp_path, workers
):
    path = write(tmp_path, the_file(known))
    out, code = run(path, "--institution", clinic.code, "--workers", workers, "--chunk", "7")
    assert code == 1  # something was rejected
    assert "52 records" in out and f"{workers} workers" in out
    assert "48 created, 1 replaced, 1 unchanged, 2 rejected" in out  # 40 visits and 8 reports created
    assert "line 2 record 2 (V-7): record_id:" in out and "another person" in out
    assert "line 2 record 3 (V-bad): visit_date:" in out
    now = stored()
    assert [v[0] for v in now["visits"]] == sorted(f"V-{i}" for i in range(40))
    assert {v[0]: (v[2], v[3]) for v in now["visits"]}["V-5"] == (150, 2)  # corrected, in file order
    assert now["prescriptions"] == 1 and now["revisions"] == 1
    assert now["reports"] == sorted((f"D-{i}", f"V-{i}") for i in range(0, 40, 5))  # every visit found

    again, code = run(path, "--institution", clinic.code, "--workers", workers, "--chunk", "7")
    # The same file again, in order: nothing new; V-5 goes back to the first copy and then to its correction.
    assert code == 1 and "0 created, 2 replaced, 48 unchanged, 2 rejected" in again
    replayed = stored()
    assert {v[0]: (v[2], v[3]) for v in replayed["visits"]}["V-5"] == (150, 4)
    assert [v[:3] for v in replayed["visits"]] == [v[:3] for v in now["visits"]]
    assert replayed["reports"] == now["reports"] and replayed["prescriptions"] == 1


def test_the_split_gives_each_record_id_one_worker_and_each_worker_its_own_lock_buckets(known):
    model = RECORD_TYPES["visits"].model
    ids = [f"V-{i}" for i in range(500)]
    workers = {i: bulk.worker_of("visits", {"record_id": i}, 2) for i in ids}
    assert set(workers.values()) == {0, 1}
    buckets = {w: {record_bucket(model, i) for i in ids if workers[i] == w} for w in (0, 1)}
    assert not buckets[0] & buckets[1]


def test_a_bad_file_is_refused_naming_the_line_before_anything_is_stored(person, clinic, known, tmp_path):
    good = {"record_type": "visits", "records": [visit_payload(known)]}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(good) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2: not JSON"):
        call_command("ingest_file", str(path), "--institution", clinic.code)
    unknown = write(tmp_path, [good, {"record_type": "x-rays", "records": []}])
    with pytest.raises(CommandError, match="line 2: record_type: unknown 'x-rays'"):
        call_command("ingest_file", unknown, "--institution", clinic.code)
    with pytest.raises(CommandError, match="--institution: no institution 9999999999"):
        call_command("ingest_file", write(tmp_path, [good]), "--institution", "9999999999")
    with pytest.raises(CommandError, match="may not send visits"):
        call_command("ingest_file", write(tmp_path, [good]), "--agency", "CDC", "--workers", "2")
    assert not Visit.objects.exists()


def test_the_collector_is_put_back_after_bulk_work_even_when_nested():
    import gc

    before = gc.get_threshold()
    with bulk.bulk_collection():
        assert gc.get_threshold()[0] == bulk.BULK_GC_THRESHOLD and gc.get_freeze_count() > 0
        with bulk.bulk_collection():
            pass
        assert gc.get_freeze_count() > 0  # the inner block does not thaw what the outer froze
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def commit_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def test_only_a_load_that_is_not_durable_lets_commits_skip_the_disk_and_the_setting_is_put_back():
    """The synthetic population is loaded with ``durable=False``; a sender's file never is (its report says
    "stored" only once the disk has it)."""
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's; SQLite commits as it always does")
    before = commit_setting()
    with bulk._commits(durable=True):
        assert commit_setting() == before == "on"
    with bulk._commits(durable=False):
        assert commit_setting() == "off"
    assert commit_setting() == "on"


def test_a_bulk_session_plans_its_look_ups_for_memory_and_puts_the_setting_back():
    """A chunk's look-ups of a thousand people go through the index, not a scan of the whole table (the cost of a
    page read at random as on SSD); the connection is as it was afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("random_page_cost is PostgreSQL's planner setting")

    def cost() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            return float(cursor.fetchone()[0])

    before = cost()
    with bulk._lookup_costs():
        assert cost() == bulk.BULK_RANDOM_PAGE_COST < before
    assert cost() == before


def add_card(person_id, number: str) -> None:
    """A card row written by the bulk path (COPY), whoever ``person_id`` names."""
    row = Row(NhiCard, person_id=person_id, card_number=number, issued_on=dt.date(2020, 1, 2), reason="first")
    with transaction.atomic():
        insert_rows(NhiCard, [row])


def test_keys_set_aside_for_a_load_are_put_back_as_they_were_and_a_row_that_breaks_one_is_named(person):
    """The generator's tables load without their foreign keys, which are put back and checked in one pass each.
    A row naming a person who is not there is caught at the check, by key and value; the key stays enforced for
    new rows meanwhile; once the row is gone the keys are exactly what they were."""
    if connection.vendor != "postgresql":
        pytest.skip("the keys are set aside on PostgreSQL only (SQLite loads in one process, keys as they are)")
    tables = ("identity_nhicard", "records_visit", "records_drugorder")
    before = foreign_keys(*tables)
    assert len(before) >= 6 and all(validated for *_, validated in before)
    keys = bulk.KeysCheckedAtEnd([NhiCard, Visit, DrugOrder])
    keys.set_aside()
    try:
        assert foreign_keys(*tables) == set()
        nobody = uuid.uuid4()
        add_card(nobody, "000099998888")  # nothing checks it while the keys are aside
    finally:
        keys.put_back()
    assert foreign_keys(*tables) == {(t, n, f"{d} NOT VALID", False) for t, n, d, _ in before}
    with pytest.raises(IntegrityError):  # enforced again for every new row, before the check
        add_card(nobody, "000099997777")
    with pytest.raises(bulk.BrokenKey) as broken:
        keys.check()
    assert "identity_nhicard" in str(broken.value) and str(nobody) in str(broken.value)
    assert "person_id" in str(broken.value)
    NhiCard.objects.filter(card_number="000099998888").delete()
    keys.check_aside().result()
    assert foreign_keys(*tables) == before
    assert NhiCard.objects.filter(person=person).count() == 2
