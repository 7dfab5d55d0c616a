"""The ingestion API as an institution and the agencies see it."""

from __future__ import annotations

import json

import pytest

from healthbank.records.models import ChronicPrescription, RecordRevision, Visit
from tests.conftest import OTHER_ID, PERSON_ID, api_for, make_institution, post, visit_payload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


def test_a_visit_lands_in_the_persons_data_at_once(clinic_api, person, known):
    status, body = post(clinic_api, "visits", [visit_payload(known)])
    assert status == 200
    assert body["summary"] == {"created": 1, "replaced": 0, "unchanged": 0, "rejected": 0}
    visit = Visit.objects.get(person=person)
    assert str(visit.pk) == body["results"][0]["id"]
    assert visit.card.card_number == "000033334444"
    assert [d.icd10 for d in visit.diagnoses.all()] == [known.icd]
    assert visit.drug_orders.get().quantity == 9
    assert visit.non_drug_orders.get().payment_code == known.payment


def test_sending_the_same_record_again_changes_nothing(clinic_api, person, known):
    post(clinic_api, "visits", [visit_payload(known)])
    status, body = post(clinic_api, "visits", [visit_payload(known)])
    assert status == 200
    assert body["results"][0]["status"] == "unchanged"
    assert Visit.objects.count() == 1


def test_a_correction_replaces_the_record_and_keeps_the_earlier_version(clinic_api, person, known):
    _, first = post(clinic_api, "visits", [visit_payload(known)])
    corrected = visit_payload(known, copayment=150, drug_orders=[])
    status, body = post(clinic_api, "visits", [corrected])
    assert status == 200 and body["results"][0]["status"] == "replaced"
    assert body["results"][0]["id"] == first["results"][0]["id"]  # same record, same public id
    visit = Visit.objects.get()
    assert (visit.copayment, visit.version, visit.drug_orders.count()) == (150, 2, 0)
    revision = RecordRevision.objects.get(record_id=visit.pk)
    assert revision.version == 1
    assert revision.payload["copayment"] == 50
    assert revision.payload["drugorder"][0]["drug_code"] == known.drug
    assert PERSON_ID not in json.dumps(revision.payload)


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"national_id": "A123456788"}, "national_id", "checksum"),
        ({"national_id": "A12345"}, "national_id", "10 characters"),
        ({"diagnoses": ["X99.999"]}, "diagnoses[0]", "not a known ICD-10-CM code"),
        ({"visit_date": "2026-11-21"}, "visit_date", "in the future"),
        ({"visit_date": "2026-02-30"}, "visit_date", "date"),
        ({"card_number": "000011112222"}, "card_number", "only the newest card is valid"),
        ({"card_number": "999999999999"}, "card_number", "not one of this person's"),
        ({"card_number": "12345"}, "card_number", "pattern"),
        ({"institution": "0140000099"}, "institution", "may only send records of institution 0140000011"),
        ({"diagnoses": []}, "diagnoses", "at least 1"),
        ({"copayment": -5}, "copayment", "greater than or equal to 0"),
        (
            {"kind": "dental", "non_drug_orders": [{"payment_code": "00158C", "tooth": 19}]},
            "non_drug_orders[0].tooth",
            "FDI",
        ),
        ({"end_date": "2026-11-19"}, "end_date", "only for inpatient"),
        ({"surprise": 1}, "surprise", "Unknown field"),
        ({"visit_date": "1960-01-01"}, "visit_date", "before the person's birth date"),
    ],
)
def test_bad_records_are_refused_with_the_field_and_reason(clinic_api, person, known, overrides, field, reason):
    status, body = post(clinic_api, "visits", [visit_payload(known, **overrides)])
    assert status == 422
    errors = body["results"][0]["errors"]
    assert field in errors, errors
    assert any(reason in message for message in errors[field]), errors[field]
    assert Visit.objects.count() == 0


@pytest.mark.parametrize(
    ("order", "field"),
    [
        ({"days_supplied": 3, "quantity": "-1"}, "drug_orders[0].quantity"),
        ({"days_supplied": 3, "quantity": "0"}, "drug_orders[0].quantity"),
        ({"days_supplied": 0, "quantity": "3"}, "drug_orders[0].days_supplied"),
        ({"days_supplied": 91, "quantity": "3"}, "drug_orders[0].days_supplied"),
        ({"days_supplied": 3, "quantity": "1e9"}, "drug_orders[0].quantity"),
    ],
)
def test_insane_quantities_are_refused(clinic_api, person, known, order, field):
    payload = visit_payload(known, drug_orders=[{"drug_code": known.drug, **order}])
    status, body = post(clinic_api, "visits", [payload])
    assert status == 422
    assert field in body["results"][0]["errors"]


def test_unknown_drug_code_is_named(clinic_api, person, known):
    payload = visit_payload(known, drug_orders=[{"drug_code": "ZZ99999999", "days_supplied": 3, "quantity": "3"}])
    _, body = post(clinic_api, "visits", [payload])
    assert "not a known NHI drug code" in body["results"][0]["errors"]["drug_orders[0].drug_code"][0]


def test_unknown_person_is_refused(clinic_api, person, known):
    _, body = post(clinic_api, "visits", [visit_payload(known, national_id=OTHER_ID)])
    assert body["results"][0]["errors"]["national_id"] == ["No insured person has this national ID."]


def test_a_bad_record_never_blocks_the_good_ones(clinic_api, person, known):
    good = visit_payload(known, record_id="V-good")
    bad = visit_payload(known, record_id="V-bad", visit_date="2030-01-01")
    status, body = post(clinic_api, "visits", [bad, good])
    assert status == 207
    assert [r["status"] for r in body["results"]] == ["rejected", "created"]
    assert list(Visit.objects.values_list("source_record_id", flat=True)) == ["V-good"]


def test_a_bad_correction_leaves_the_stored_record_untouched(clinic_api, person, known):
    post(clinic_api, "visits", [visit_payload(known)])
    status, _ = post(clinic_api, "visits", [visit_payload(known, copayment=-1)])
    assert status == 422
    visit = Visit.objects.get()
    assert (visit.copayment, visit.version) == (50, 1)
    assert not RecordRevision.objects.exists()


def test_the_same_record_id_twice_in_one_batch_is_taken_in_order(clinic_api, person, known):
    batch = [visit_payload(known), visit_payload(known, copayment=9), visit_payload(known, copayment=9)]
    status, body = post(clinic_api, "visits", batch)
    assert status == 200, body
    assert [r["status"] for r in body["results"]] == ["created", "replaced", "unchanged"]
    assert len({r["id"] for r in body["results"]}) == 1
    visit = Visit.objects.get()
    assert (visit.copayment, visit.version) == (9, 2)
    assert RecordRevision.objects.get(record_id=visit.pk).payload["copayment"] == 50


def test_a_record_id_cannot_move_to_another_person(clinic_api, person, other_person, known):
    post(clinic_api, "visits", [visit_payload(known)])
    moved = visit_payload(known, national_id=OTHER_ID, card_number="000055556666")
    status, body = post(clinic_api, "visits", [moved])
    assert status == 422
    assert "another person" in body["results"][0]["errors"]["record_id"][0]
    assert Visit.objects.get().person == person


def test_malformed_json_is_a_400_naming_the_body(clinic_api, person):
    response = clinic_api.post("/api/ingest/v1/visits", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["errors"]["body"][0]


@pytest.mark.parametrize("body", [[], {"records": "x"}, {"records": []}, {"rows": []}])
def test_a_body_without_records_is_a_400(clinic_api, body):
    response = clinic_api.post("/api/ingest/v1/visits", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "records" in response.json()["errors"]


def test_oversized_batches_are_refused_before_anything_is_stored(clinic_api, person, known, settings):
    from healthbank import policy

    records = [visit_payload(known, record_id=f"V-{i}") for i in range(policy.INGEST_MAX_RECORDS_PER_BATCH + 1)]
    status, body = post(clinic_api, "visits", records)
    assert status == 413
    assert "at most" in body["errors"]["records"][0]
    assert Visit.objects.count() == 0


def test_an_oversized_body_is_refused(clinic_api, person):
    from healthbank import policy

    blob = json.dumps({"records": [{"pad": "x" * (policy.INGEST_MAX_BODY_BYTES + 10)}]})
    response = clinic_api.post("/api/ingest/v1/visits", data=blob, content_type="application/json")
    assert response.status_code == 413


@pytest.mark.parametrize("header", [None, "Bearer hb_nope_nope", "Basic abc"])
def test_without_a_valid_key_nothing_is_accepted(person, known, header):
    from rest_framework.test import APIClient

    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    status, body = post(client, "visits", [visit_payload(known)])
    assert status == 401
    assert "authorization" in body["errors"]
    assert Visit.objects.count() == 0


def test_institutions_may_not_send_agency_records(clinic_api, person, known):
    status, body = post(clinic_api, "vaccinations", [{"record_id": "C1", "national_id": PERSON_ID}])
    assert status == 403
    assert "may not send vaccinations" in body["errors"]["record_type"][0]


def test_agencies_send_their_own_records(person, clinic, known):
    cdc, hpa, mohw = api_for(agency="CDC"), api_for(agency="HPA"), api_for(agency="MOHW")
    status, body = post(
        cdc,
        "vaccinations",
        [{"record_id": "C1", "national_id": PERSON_ID, "vaccine_code": known.vaccine, "vaccinated_on": "2025-10-20",
          "institution": clinic.code}],
    )  # fmt: skip
    assert status == 200, body
    status, body = post(
        hpa,
        "preventive-checks",
        [{"record_id": "P1", "national_id": PERSON_ID, "institution": clinic.code, "checked_on": "2025-06-01",
          "height_cm": "170.5", "weight_kg": "70", "systolic": 128, "diastolic": 82, "hbsag": "negative"}],
    )  # fmt: skip
    assert status == 200, body
    status, body = post(
        mohw,
        "care-wishes",
        [{"record_id": "W1", "national_id": PERSON_ID, "kind": "hospice", "signed_on": "2020-01-02",
          "registered_on": "2020-01-20"}],
    )  # fmt: skip
    assert status == 200, body
    assert person.pk  # records hang off the person
    from healthbank.records.models import CareWish, PreventiveCheck, Vaccination

    assert Vaccination.objects.get().institution == clinic
    assert PreventiveCheck.objects.get().systolic == 128
    assert CareWish.objects.get().kind == "hospice"


def test_agency_record_with_an_unknown_institution_is_refused(person, known):
    status, body = post(
        api_for(agency="CDC"),
        "vaccinations",
        [{"record_id": "C1", "national_id": PERSON_ID, "vaccine_code": known.vaccine, "vaccinated_on": "2025-10-20",
          "institution": "9999999999"}],
    )  # fmt: skip
    assert status == 422
    assert "not a known institution code" in body["results"][0]["errors"]["institution"][0]


def test_chronic_prescription_and_its_refills(clinic_api, pharmacy, person, known):
    rx = {"record_id": "RX-1", "days_per_fill": 30, "fills": 3, "icd10": known.icd}
    status, _ = post(clinic_api, "visits", [visit_payload(known, chronic_prescription=rx, visit_date="2026-08-01")])
    assert status == 200
    prescription = ChronicPrescription.objects.get()
    pharmacy_api = api_for(pharmacy)
    refill = visit_payload(
        known,
        record_id="R-2",
        institution=pharmacy.code,
        kind="pharmacy",
        visit_date="2026-08-25",
        refill_of={"institution": "0140000011", "record_id": "RX-1", "refill_number": 2},
    )
    status, body = post(pharmacy_api, "visits", [refill])
    assert status == 200, body
    assert Visit.objects.get(source=pharmacy.code).chronic_prescription == prescription
    fourth = dict(
        refill, record_id="R-4", refill_of={"institution": "0140000011", "record_id": "RX-1", "refill_number": 4}
    )
    status, body = post(pharmacy_api, "visits", [fourth])
    assert status == 422
    assert "refill_of.refill_number" in body["results"][0]["errors"]


def test_chronic_prescription_over_ninety_days_is_refused(clinic_api, person, known):
    rx = {"record_id": "RX-1", "days_per_fill": 30, "fills": 4, "icd10": known.icd}
    status, body = post(clinic_api, "visits", [visit_payload(known, chronic_prescription=rx)])
    assert status == 422
    assert "chronic_prescription.fills" in body["results"][0]["errors"]


def test_surgery_keeps_its_body_site_and_a_discharge_summary_links_to_the_stay(clinic_api, person, known):
    surgery = known.surgery
    stay = visit_payload(
        known, kind="inpatient", visit_date="2026-10-01", end_date="2026-10-05",
        non_drug_orders=[{"payment_code": surgery.code}],
    )  # fmt: skip
    assert post(clinic_api, "visits", [stay])[0] == 200
    order = Visit.objects.get().non_drug_orders.get()
    assert order.is_surgery and order.body_site == surgery.body_site
    report = {
        "record_id": "D-1", "national_id": PERSON_ID, "institution": "0140000011", "kind": "discharge",
        "performed_on": "2026-10-05", "title": "出院病歷摘要", "text": "術後恢復良好。", "visit_record_id": "V-1",
    }  # fmt: skip
    status, body = post(clinic_api, "reports", [report])
    assert status == 200, body
    from healthbank.records.models import Report

    assert Report.objects.get().visit == Visit.objects.get()
    missing = dict(report, record_id="D-2", visit_record_id="V-404")
    status, body = post(clinic_api, "reports", [missing])
    assert status == 422 and "visit_record_id" in body["results"][0]["errors"]


def test_dental_orders_carry_tooth_numbers(clinic_api, person, known):
    payload = visit_payload(known, kind="dental", non_drug_orders=[{"payment_code": known.tooth_code, "tooth": 36}])
    assert post(clinic_api, "visits", [payload])[0] == 200
    assert Visit.objects.get().non_drug_orders.get().tooth == 36


def test_lab_results_take_unit_and_range_from_the_reference_list_when_not_sent(clinic_api, person):
    lab = {"record_id": "L-1", "national_id": PERSON_ID, "institution": "0140000011", "collected_on": "2026-11-01",
           "lab_key": "hba1c", "value": "7.2"}  # fmt: skip
    status, body = post(clinic_api, "lab-results", [lab])
    assert status == 200, body
    from healthbank.records.models import LabResult

    result = LabResult.objects.get()
    assert result.loinc == "4548-4"
    assert str(result.value_numeric.normalize()) == "7.2"
    assert result.unit == "%"
    bad = dict(lab, record_id="L-2", lab_key="unobtainium")
    status, body = post(clinic_api, "lab-results", [bad])
    assert status == 422 and "lab_key" in body["results"][0]["errors"]


def test_another_institution_cannot_correct_my_records(clinic_api, person, known, db):
    post(clinic_api, "visits", [visit_payload(known)])
    other = make_institution("0140000022")
    status, body = post(api_for(other), "visits", [visit_payload(known, copayment=999)])
    assert status == 422
    assert "institution" in body["results"][0]["errors"]
    assert Visit.objects.get().copayment == 50
