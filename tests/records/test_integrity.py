"""Ingestion integrity: every record type corrects and re-sends cleanly, a record never changes owner,
every fault of a record is reported at once and at its place, and the order an institution sent is kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from healthbank.identity.models import InsuranceUnit
from healthbank.identity.services import start_household
from healthbank.records.models import ChronicPrescription, RecordRevision, Report, Visit
from healthbank.records.selectors import visits_since
from tests.conftest import OTHER_ID, PERSON_ID, api_for, post, visit_payload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


def _record(record_type: str, known) -> tuple[str, dict, dict, str]:
    """(sender, first version, the correction's changes, the field whose value a correction changes)."""
    who = {"record_id": f"{record_type}-1", "national_id": PERSON_ID}
    clinic = "0140000011"
    return {
        "visits": ("clinic", visit_payload(known), {"copayment": 150}, "copayment"),
        "lab-results": (
            "clinic",
            who | {"institution": clinic, "collected_on": "2026-11-01", "lab_key": "hba1c", "value": "7.2"},
            {"value": "6.8"},
            "value",
        ),
        "reports": (
            "clinic",
            who | {"institution": clinic, "kind": "imaging", "performed_on": "2026-10-01", "title": "胸部X光",
                   "text": "No active lung lesion."},
            {"text": "No active lung lesion. Mild cardiomegaly."},
            "text",
        ),
        "allergies": (
            "clinic",
            who | {"institution": clinic, "uploaded_on": "2026-03-01", "allergen": "Penicillin", "reaction": "rash"},
            {"reaction": "anaphylaxis"},
            "reaction",
        ),
        "follow-ups": (
            "clinic",
            who | {"institution": clinic, "program": "diabetes", "measured_on": "2026-10-20",
                   "values": {"hba1c": "7.1"}},
            {"values": {"hba1c": "6.9"}},
            "values",
        ),
        "vaccinations": (
            "CDC",
            who | {"vaccine_code": known.vaccine, "vaccinated_on": "2025-10-20", "institution": clinic},
            {"vaccinated_on": "2025-10-21"},
            "vaccinated_on",
        ),
        "preventive-checks": (
            "HPA",
            who | {"institution": clinic, "checked_on": "2025-06-01", "systolic": 128, "diastolic": 82},
            {"systolic": 138},
            "systolic",
        ),
        "cancer-screenings": (
            "HPA",
            who | {"institution": clinic, "kind": "oral", "screened_on": "2025-07-15", "result": "陰性 negative"},
            {"result": "白斑 leukoplakia", "abnormal": True},
            "result",
        ),
        "care-wishes": (
            "MOHW",
            who | {"kind": "organ_donation", "signed_on": "2020-01-02", "registered_on": "2020-01-20"},
            {"withdrawn_on": "2024-05-01"},
            "withdrawn_on",
        ),
        "subsidy-cases": (
            "NHIA",
            who | {"kind": "near_poor", "applied_on": "2026-03-01",
                   "steps": [{"step": "received", "on": "2026-03-02"}]},
            {"applied_on": "2026-02-27"},
            "applied_on",
        ),
        "catastrophic-illness": (
            "NHIA",
            who | {"icd10": "C18.9", "applied_on": "2026-09-10", "steps": [{"step": "received", "on": "2026-09-10"}]},
            {"icd10": "C18.0"},
            "icd10",
        ),
        "reimbursements": (
            "NHIA",
            who | {"where": "abroad", "country": "JP", "treated_from": "2026-08-03", "applied_on": "2026-10-15",
                   "amount_claimed": 48200, "steps": [{"step": "received", "on": "2026-10-15"}]},
            {"amount_claimed": 48500},
            "amount_claimed",
        ),
        "prior-reviews": (
            "clinic",
            who | {"institution": clinic, "drug_code": "BC59114100", "applied_on": "2026-11-05",
                   "steps": [{"step": "received", "on": "2026-11-06"}]},
            {"drug_code": "BC26096100"},
            "drug_code",
        ),
        "salary-reports": (
            "NHIA",
            who | {"unit": "040123456", "reason": "adjustment", "reported_on": "2026-01-28",
                   "effective_on": "2026-02-01", "insured_salary": 45800},
            {"insured_salary": 48200},
            "insured_salary",
        ),
        "welfare-subsidies": (
            "NHIA",
            who | {"month": "2026-10-01", "amount": 413, "fund": "lottery"},
            {"amount": 826},
            "amount",
        ),
    }[record_type]  # fmt: skip


RECORD_TYPE_NAMES = [
    "visits", "lab-results", "reports", "allergies", "follow-ups", "vaccinations", "preventive-checks",
    "cancer-screenings", "care-wishes", "subsidy-cases", "catastrophic-illness", "reimbursements", "prior-reviews",
    "salary-reports", "welfare-subsidies",
]  # fmt: skip


def test_the_tests_cover_every_record_type():
    from healthbank.records.services import RECORD_TYPES

    assert sorted(RECORD_TYPE_NAMES) == sorted(RECORD_TYPES)


@pytest.mark.parametrize("record_type", RECORD_TYPE_NAMES)
def test_every_record_type_is_stored_corrected_and_resent_idempotently(record_type, clinic, person, known):
    from healthbank.records.services import RECORD_TYPES

    sender, first, changes, changed_field = _record(record_type, known)
    api = api_for(clinic) if sender == "clinic" else api_for(agency=sender)
    model = RECORD_TYPES[record_type].model
    if record_type == "salary-reports":  # the unit reports for a person insured there
        employer = InsuranceUnit.objects.create(code="040123456", name="範例公司", kind="employer", county="臺北市")
        start_household(person, employer, category=1, salary=45800, since=dt.date(2020, 1, 1))

    status, body = post(api, record_type, [first])
    assert (status, body["results"][0]["status"]) == (200, "created"), body
    record_id = body["results"][0]["id"]
    status, body = post(api, record_type, [first])
    assert (status, body["results"][0]["status"], body["results"][0]["id"]) == (200, "unchanged", record_id)

    corrected = first | changes
    status, body = post(api, record_type, [corrected])
    assert (status, body["results"][0]["status"], body["results"][0]["id"]) == (200, "replaced", record_id)
    status, body = post(api, record_type, [corrected])
    assert (status, body["results"][0]["status"]) == (200, "unchanged")

    stored = model.objects.get()
    assert (str(stored.pk), stored.version, stored.person_id) == (record_id, 2, person.pk)
    revision = RecordRevision.objects.get(record_id=stored.pk)
    assert (revision.record_type, revision.version, revision.person_id) == (record_type, 1, person.pk)
    old = first.get(changed_field)
    assert revision.payload[changed_field] == old, revision.payload
    assert getattr(stored, changed_field) != revision.payload[changed_field]


# ------------------------------------------------------------------ a record never changes owner


def test_a_correction_cannot_take_over_another_persons_prescription(clinic_api, person, other_person, known):
    """The defect: a visit correction looked its prescription up by sender and record id alone and overwrote it."""
    rx = {"record_id": "RX-1", "days_per_fill": 30, "fills": 3, "icd10": known.icd}
    post(clinic_api, "visits", [visit_payload(known, chronic_prescription=rx)])
    theirs = {"national_id": OTHER_ID, "card_number": "000055556666"}
    post(clinic_api, "visits", [visit_payload(known, record_id="V-2", **theirs)])

    grab = visit_payload(known, record_id="V-2", copayment=0, chronic_prescription=rx | {"fills": 2}, **theirs)
    status, body = post(clinic_api, "visits", [grab])

    assert status == 422
    assert "another person" in body["results"][0]["errors"]["chronic_prescription.record_id"][0]
    prescription = ChronicPrescription.objects.get()
    assert (prescription.person, prescription.fills, prescription.version) == (person, 3, 1)
    assert Visit.objects.get(source_record_id="V-2").copayment == 50  # the refused correction changed nothing
    assert not RecordRevision.objects.exists()


def test_a_new_visit_of_another_person_cannot_reuse_a_prescription_id(clinic_api, person, other_person, known):
    rx = {"record_id": "RX-1", "days_per_fill": 30, "fills": 3, "icd10": known.icd}
    post(clinic_api, "visits", [visit_payload(known, chronic_prescription=rx)])
    theirs = visit_payload(
        known, record_id="V-2", national_id=OTHER_ID, card_number="000055556666", chronic_prescription=rx
    )
    status, body = post(clinic_api, "visits", [theirs])
    assert status == 422 and "chronic_prescription.record_id" in body["results"][0]["errors"]
    assert ChronicPrescription.objects.get().person == person
    assert not Visit.objects.filter(source_record_id="V-2").exists()


@pytest.mark.parametrize("record_type", ["lab-results", "allergies", "reports"])
def test_no_record_type_moves_to_another_person(record_type, clinic, clinic_api, person, other_person, known):
    _, first, changes, _field = _record(record_type, known)
    post(clinic_api, record_type, [first])
    status, body = post(clinic_api, record_type, [first | changes | {"national_id": OTHER_ID}])
    assert status == 422
    assert "another person" in body["results"][0]["errors"]["record_id"][0]
    from healthbank.records.services import RECORD_TYPES

    stored = RECORD_TYPES[record_type].model.objects.get()
    assert (stored.person, stored.version) == (person, 1)
    assert not RecordRevision.objects.exists()


def test_one_batch_naming_two_people_for_one_record_id_stores_the_first(clinic_api, person, other_person, known):
    theirs = visit_payload(known, national_id=OTHER_ID, card_number="000055556666")
    status, body = post(clinic_api, "visits", [visit_payload(known), theirs])
    assert status == 207
    assert [r["status"] for r in body["results"]] == ["created", "rejected"]
    assert Visit.objects.get().person == person


def test_a_refill_names_a_prescription_of_the_same_person_only(clinic_api, pharmacy, person, other_person, known):
    rx = {"record_id": "RX-1", "days_per_fill": 30, "fills": 3, "icd10": known.icd}
    post(clinic_api, "visits", [visit_payload(known, chronic_prescription=rx, visit_date="2026-08-01")])
    refill = visit_payload(
        known, record_id="R-2", national_id=OTHER_ID, card_number="000055556666", institution=pharmacy.code,
        kind="pharmacy", visit_date="2026-08-25",
        refill_of={"institution": "0140000011", "record_id": "RX-1", "refill_number": 2},
    )  # fmt: skip
    status, body = post(api_for(pharmacy), "visits", [refill])
    assert status == 422 and "refill_of" in body["results"][0]["errors"]


def test_a_report_links_only_to_a_visit_of_the_same_person(clinic_api, person, other_person, known):
    post(clinic_api, "visits", [visit_payload(known)])
    report = {
        "record_id": "D-1", "national_id": OTHER_ID, "institution": "0140000011", "kind": "discharge",
        "performed_on": "2026-11-19", "title": "出院病歷摘要", "text": "…", "visit_record_id": "V-1",
    }  # fmt: skip
    status, body = post(clinic_api, "reports", [report])
    assert status == 422 and "visit_record_id" in body["results"][0]["errors"]
    assert not Report.objects.exists()


# ------------------------------------------------------------------ corrections keep what they replace


def test_correcting_the_prescription_a_visit_carries_keeps_its_earlier_version(clinic_api, person, known):
    rx = {"record_id": "RX-1", "days_per_fill": 30, "fills": 3, "icd10": known.icd}
    post(clinic_api, "visits", [visit_payload(known, chronic_prescription=rx)])
    status, body = post(clinic_api, "visits", [visit_payload(known, chronic_prescription=rx | {"fills": 2})])
    assert status == 200 and body["results"][0]["status"] == "replaced"

    prescription = ChronicPrescription.objects.get()
    assert (prescription.fills, prescription.version, prescription.person) == (2, 2, person)
    kept = RecordRevision.objects.get(record_type="prescriptions")
    assert (kept.record_id, kept.version, kept.payload["fills"]) == (prescription.pk, 1, 3)
    assert RecordRevision.objects.get(record_type="visits").payload["copayment"] == 50


def test_a_visit_correction_that_leaves_its_prescription_alone_adds_no_prescription_revision(clinic_api, person, known):
    rx = {"record_id": "RX-1", "days_per_fill": 30, "fills": 3, "icd10": known.icd}
    post(clinic_api, "visits", [visit_payload(known, chronic_prescription=rx)])
    post(clinic_api, "visits", [visit_payload(known, copayment=80, chronic_prescription=rx)])
    assert ChronicPrescription.objects.get().version == 1
    assert list(RecordRevision.objects.values_list("record_type", flat=True)) == ["visits"]


def test_a_new_visit_may_carry_this_persons_stored_prescription(clinic_api, person, known):
    """The institution moved the prescription to another of the person's visits: a correction, kept."""
    rx = {"record_id": "RX-1", "days_per_fill": 30, "fills": 3, "icd10": known.icd}
    post(clinic_api, "visits", [visit_payload(known, chronic_prescription=rx)])
    status, body = post(
        clinic_api, "visits", [visit_payload(known, record_id="V-2", visit_date="2026-11-19", chronic_prescription=rx)]
    )
    assert status == 200 and body["results"][0]["status"] == "created"
    prescription = ChronicPrescription.objects.get()
    assert prescription.visit == Visit.objects.get(source_record_id="V-2")
    assert prescription.prescribed_on == dt.date(2026, 11, 19) and prescription.version == 2
    assert RecordRevision.objects.get(record_type="prescriptions").payload["prescribed_on"] == "2026-11-18"


# ------------------------------------------------------------------ every fault at once, at its place


def test_every_fault_of_a_record_is_reported_at_once(clinic_api, person, known):
    """Shape faults no longer hide the sender, person and card checks."""
    payload = visit_payload(
        known,
        institution="0140000099",
        card_number="999999999999",
        copayment=-5,
        drug_orders=[{"drug_code": known.drug, "days_supplied": 3, "quantity": "0"}],
        non_drug_orders=[{"payment_code": known.payment}, {"payment_code": known.payment, "tooth": 36}],
    )
    status, body = post(clinic_api, "visits", [payload])
    assert status == 422
    errors = body["results"][0]["errors"]
    assert set(errors) == {
        "institution", "card_number", "copayment", "drug_orders[0].quantity", "non_drug_orders[1].tooth",
    }, errors  # fmt: skip
    assert "may only send records of institution 0140000011" in errors["institution"][0]
    assert "not one of this person's" in errors["card_number"][0]
    assert errors["non_drug_orders[1].tooth"] == ["tooth numbers are only for dental visits."]


def test_an_unknown_person_and_a_faulty_field_are_both_reported(clinic_api, person, known):
    status, body = post(clinic_api, "visits", [visit_payload(known, national_id=OTHER_ID, visit_date="2030-01-01")])
    assert status == 422
    errors = body["results"][0]["errors"]
    assert set(errors) == {"national_id", "visit_date"}, errors


def test_an_agency_record_with_a_faulty_field_still_names_an_unknown_institution(person, known):
    record = {
        "record_id": "C1", "national_id": PERSON_ID, "vaccine_code": "NOPE", "vaccinated_on": "2025-10-20",
        "institution": "9999999999",
    }  # fmt: skip
    status, body = post(api_for(agency="CDC"), "vaccinations", [record])
    assert status == 422
    assert set(body["results"][0]["errors"]) == {"vaccine_code", "institution"}


# ------------------------------------------------------------------ the order an institution sent


def test_diagnoses_and_drugs_keep_the_order_the_institution_sent(clinic_api, person, known):
    from healthbank.core import codes

    icd = [c for c in codes.diagnoses() if c != known.icd][:9]
    sent = [known.icd, *icd]  # the first is the primary diagnosis
    drugs = list(codes.drugs())[:8]
    orders = [{"drug_code": d, "days_supplied": 3, "quantity": "3"} for d in drugs]
    status, body = post(clinic_api, "visits", [visit_payload(known, diagnoses=sent, drug_orders=orders)])
    assert status == 200, body

    (line,) = visits_since(person, dt.date(2026, 1, 1))
    assert [code for code, _zh, _en in line.diagnoses] == sent
    assert line.drugs == [codes.drugs()[d].name for d in drugs]
    visit = Visit.objects.get()
    assert [d.icd10 for d in visit.diagnoses.all()] == sent
    assert [o.drug_code for o in visit.drug_orders.all()] == drugs


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite keeps a child row's two single keys (visit, person): the one key of both is PostgreSQL's",
)
def test_a_visits_diagnoses_and_orders_can_only_belong_to_the_visits_person(clinic_api, person, other_person, known):
    """The database itself refuses a child row naming another person than its visit's: one key of (visit, person)
    per child row (migration records 0010) instead of a key to each."""
    assert post(clinic_api, "visits", [visit_payload(known)])[0] == 200
    visit = Visit.objects.get(source_record_id="V-1")
    children = [visit.diagnoses.get(), visit.drug_orders.get(), visit.non_drug_orders.get()]
    for child in children:
        assert child.person_id == visit.person_id == person.pk
        with pytest.raises(IntegrityError), transaction.atomic():
            type(child).objects.filter(pk=child.pk).update(person=other_person)
            with connection.cursor() as cursor:  # the keys are checked at commit: check them now
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        child.refresh_from_db()
        assert child.person_id == person.pk
        with connection.cursor() as cursor:
            keys = connection.introspection.get_constraints(cursor, type(child)._meta.db_table)
        shapes = {tuple(c["columns"]) for c in keys.values() if c["foreign_key"]}
        assert ("visit_id", "person_id") in shapes and ("person_id",) not in shapes and ("visit_id",) not in shapes
