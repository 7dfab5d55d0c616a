"""The FHIR R4 download: bundles another app can read with a FHIR library, shaped to the Taiwan Core IG."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class

from healthbank.exports.choices import SPLITTABLE, ExportCategory
from healthbank.exports.writers.fhir import bundle, to_json
from healthbank.identity.models import Person
from healthbank.records.models import Visit
from tests.accounts.conftest import TODAY
from tests.exports.conftest import snapshot_of

C = ExportCategory
TWCORE = Path("/work/shared/reference/twcore")
NONE_CATEGORIES = {C.CALENDAR, C.CARDS, C.PREMIUM_CALCULATIONS, C.PREMIUM_PAYMENTS}


def _json(path: str) -> dict:
    return json.loads((TWCORE / path).read_text(encoding="utf-8"))


def _profiles() -> dict[str, str]:
    """Resource type (lab Observations as "Observation-laboratoryResult") → the IG's canonical profile URL."""
    out = {}
    for path in (TWCORE / "profiles").glob("StructureDefinition-*.json"):
        definition = json.loads(path.read_text(encoding="utf-8"))
        out[definition["id"].removesuffix("-twcore")] = definition["url"]
    return out


PROFILES = _profiles()
# The IG's own examples say which systems it means.
NATIONAL_ID_SYSTEM = _json("examples/Patient-pat-example.json")["identifier"][0]["system"]
ORGANIZATION_SYSTEM = _json("examples/Organization-org-hosp-example.json")["identifier"][0]["system"]
ICD10CM_SYSTEM = _json("examples/Condition-con-example.json")["code"]["coding"][0]["system"]
PAYMENT_SYSTEM = _json("codesystems/CodeSystem-medical-service-payment-tw.json")["url"]
FREQUENCY_SYSTEM = _json("codesystems/CodeSystem-medication-frequency-nhi-tw.json")["url"]
HERBAL_SYSTEM = _json("codesystems/CodeSystem-nhi-medication-ch-herb-tw.json")["url"]
NHI_DRUG_SYSTEM = "https://twcore.mohw.gov.tw/ig/twcore/CodeSystem/medication-nhi-tw"  # MedicationStatement example
BASE_VITALS = {f"http://hl7.org/fhir/StructureDefinition/{n}" for n in ("bodyheight", "bodyweight", "bp", "heartrate")}


def _all_bundles(snapshot):
    for category in ExportCategory.values:
        yield category, None, bundle(snapshot, category)
        if category in SPLITTABLE:
            for month in snapshot.months(category):
                yield category, month, bundle(snapshot, category, month)


def _references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference":
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _resources(b: dict, resource_type: str) -> list[dict]:
    return [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == resource_type]


def _expected_profile(resource: dict) -> set[str] | None:
    kind = resource["resourceType"]
    if kind == "Observation":
        categories = {c["code"] for cc in resource["category"] for c in cc["coding"]}
        if "vital-signs" in categories:
            return BASE_VITALS
        if resource.get("meta") is None:  # waist (exam) and the person's own glucometer reading
            return None
        return {PROFILES["Observation-laboratoryResult"]}
    if kind == "Consent":
        return None
    return {PROFILES[kind]}


def _check(b: dict) -> None:
    """Parses as a FHIR Bundle and each resource as itself; profiles and references as the IG asks."""
    get_fhir_model_class("Bundle").model_validate(b)
    assert b["type"] == "collection"
    urls = [e["fullUrl"] for e in b["entry"]]
    assert len(urls) == len(set(urls)), "every entry's fullUrl is its own"
    assert all(u.startswith("urn:uuid:") for u in urls)
    for entry in b["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        expected = _expected_profile(resource)
        if expected is None:
            assert "profile" not in resource.get("meta", {}), resource["resourceType"]
        else:
            assert len(resource["meta"]["profile"]) == 1 and resource["meta"]["profile"][0] in expected
    assert b["entry"][0]["resource"]["resourceType"] == "Patient"
    missing = set(_references(b)) - set(urls)
    assert not missing, f"references outside the bundle: {sorted(missing)[:3]}"


def test_every_bundle_of_every_category_parses_and_carries_the_ig_profiles(full_snapshot, family):
    parent, child = family
    made = 0
    kinds = set()
    for snapshot in (full_snapshot, snapshot_of(parent), snapshot_of(child, language="en")):
        for category, _month, b in _all_bundles(snapshot):
            if category in NONE_CATEGORIES:
                assert b is None
                continue
            _check(b)
            made += 1
            kinds |= {e["resource"]["resourceType"] for e in b["entry"]}
    assert made > 3 * 17
    # The population has every kind of record somewhere among these three people.
    assert {"Encounter", "Condition", "MedicationRequest", "Observation", "Coverage", "Immunization"} <= kinds


def test_patient_and_organizations_use_the_igs_identifier_systems(full_snapshot):
    person = full_snapshot.person
    b = bundle(full_snapshot, C.OUTPATIENT)
    (patient,) = _resources(b, "Patient")
    (national_id,) = [i for i in patient["identifier"] if i["system"] == NATIONAL_ID_SYSTEM]
    assert national_id["value"] == person.national_id
    assert national_id["type"]["coding"][0]["code"] == "NNxxx"
    assert patient["gender"] == {"M": "male", "F": "female"}[person.sex]
    assert patient["birthDate"] == person.birth_date.isoformat()
    assert any(n["text"] == person.name for n in patient["name"])

    codes = {o["identifier"][0]["value"] for o in _resources(b, "Organization")}
    assert all(o["identifier"][0]["system"] == ORGANIZATION_SYSTEM for o in _resources(b, "Organization"))
    assert codes == {v.institution.code for v in full_snapshot.rows(C.OUTPATIENT)}


def test_a_known_visits_diagnosis_and_drug_appear_with_their_systems(full_snapshot):
    visit = next(v for v in full_snapshot.rows(C.OUTPATIENT) if v.diagnoses.all() and v.drug_orders.all())
    b = bundle(full_snapshot, C.OUTPATIENT)
    at = f"urn:uuid:{visit.pk}"
    (encounter,) = [e for e in _resources(b, "Encounter") if e["id"] == str(visit.pk)]
    assert encounter["class"]["code"] == "AMB"
    assert encounter["period"]["start"] == visit.visit_date.isoformat()
    served_by = {o["identifier"][0]["value"]: f"urn:uuid:{o['id']}" for o in _resources(b, "Organization")}
    assert encounter["serviceProvider"]["reference"] == served_by[visit.institution.code]

    conditions = [c for c in _resources(b, "Condition") if c["encounter"]["reference"] == at]
    first = visit.diagnoses.all()[0]
    assert {"system": ICD10CM_SYSTEM, "code": first.icd10} in [c["code"]["coding"][0] for c in conditions]
    assert len(conditions) == len(visit.diagnoses.all())

    orders = [m for m in _resources(b, "MedicationRequest") if m["encounter"]["reference"] == at]
    order = visit.drug_orders.all()[0]
    (request,) = [m for m in orders if m["id"] == str(order.pk)]
    assert request["medicationCodeableConcept"]["coding"][0] == {"system": NHI_DRUG_SYSTEM, "code": order.drug_code}
    assert request["dispenseRequest"]["expectedSupplyDuration"]["value"] == order.days_supplied
    assert request["dispenseRequest"]["quantity"]["value"] == float(order.quantity)
    if order.frequency:
        assert request["dosageInstruction"][0]["timing"]["code"]["coding"][0] == {
            "system": FREQUENCY_SYSTEM,
            "code": order.frequency,
        }


def test_a_month_bundle_holds_only_that_months_encounters(full_snapshot):
    months = full_snapshot.months(C.OUTPATIENT)
    assert len(months) > 1
    month = months[len(months) // 2]
    b = bundle(full_snapshot, C.OUTPATIENT, month)
    encounters = _resources(b, "Encounter")
    assert encounters and all(e["period"]["start"].startswith(month.strftime("%Y-%m-")) for e in encounters)
    assert len(encounters) == len(full_snapshot.rows(C.OUTPATIENT, month))
    assert len(_resources(bundle(full_snapshot, C.OUTPATIENT), "Encounter")) > len(encounters)


def test_stays_are_inpatient_encounters_and_chinese_medicine_uses_the_herbal_code_system(world):
    stay = Visit.objects.filter(kind=Visit.Kind.INPATIENT).order_by("-visit_date", "pk").first()
    snapshot = snapshot_of(stay.person, [C.INPATIENT, C.CHINESE_MEDICINE])
    b = bundle(snapshot, C.INPATIENT)
    (encounter,) = [e for e in _resources(b, "Encounter") if e["id"] == str(stay.pk)]
    assert encounter["class"]["code"] == "IMP"
    if stay.end_date:
        assert encounter["period"]["end"] == stay.end_date.isoformat()

    herbal = (
        Visit.objects.filter(kind=Visit.Kind.CHINESE, drug_orders__isnull=False).order_by("-visit_date", "pk").first()
    )
    b = bundle(snapshot_of(herbal.person, [C.CHINESE_MEDICINE]), C.CHINESE_MEDICINE)
    systems = {m["medicationCodeableConcept"]["coding"][0]["system"] for m in _resources(b, "MedicationRequest")}
    assert systems == {HERBAL_SYSTEM}


def test_labs_are_quantities_with_loinc_range_and_flag(full_snapshot):
    rows = full_snapshot.rows(C.LABS)
    assert rows
    b = bundle(full_snapshot, C.LABS)
    by_id = {o["id"]: o for o in _resources(b, "Observation")}
    for row in rows:
        observation = by_id[str(row.pk)]
        assert observation["category"][0]["coding"][0]["code"] == "laboratory"
        if row.loinc:
            assert {"system": "http://loinc.org", "code": row.loinc} in observation["code"]["coding"]
        if row.value_numeric is not None:
            assert observation["valueQuantity"]["value"] == float(row.value_numeric)
        else:
            assert observation["valueString"] == row.value
        if row.reference_range:
            assert observation["referenceRange"][0]["text"] == row.reference_range
    flags = {o["interpretation"][0]["coding"][0]["code"] for o in by_id.values() if "interpretation" in o}
    assert flags <= {"H", "L", "N"} and flags


def test_discharge_summaries_carry_their_text_as_utf8_plain_text(world):
    from healthbank.records.models import Report

    report = Report.objects.filter(kind=Report.Kind.DISCHARGE).order_by("-performed_on", "pk").first()  # in the span
    b = bundle(snapshot_of(report.person, [C.DISCHARGE_SUMMARIES]), C.DISCHARGE_SUMMARIES)
    (document,) = [d for d in _resources(b, "DocumentReference") if d["id"] == str(report.pk)]
    attachment = document["content"][0]["attachment"]
    assert attachment["contentType"] == "text/plain; charset=utf-8"
    assert base64.b64decode(attachment["data"]).decode("utf-8") == report.text


def test_same_data_gives_the_same_bytes(full_snapshot):
    again = snapshot_of(full_snapshot.person)
    again.made_at = full_snapshot.made_at
    for category in (C.OUTPATIENT, C.LABS, C.INSURANCE, C.MEASUREMENTS, C.PREVENTIVE_CARE):
        first = to_json(bundle(full_snapshot, category))
        assert first == to_json(bundle(again, category))
        assert full_snapshot.person.name.encode("utf-8") in first  # Chinese as itself, not \u escapes


def _measure(person) -> None:
    """The loaded population enters no measurements of its own: a full day and a partial one."""
    from healthbank.passbook.models import Measurement

    Measurement.objects.create(
        person=person, measured_on=TODAY, height_cm=Decimal("170.5"), weight_kg=Decimal("68.2"),
        waist_cm=Decimal("82.0"), systolic=128, diastolic=82, fasting_glucose=97, heart_rate=71, entered_by="self",
    )  # fmt: skip
    Measurement.objects.create(person=person, measured_on=TODAY - dt.timedelta(days=3), systolic=131, entered_by="self")


def test_each_categorys_fullest_bundle_in_the_population_parses(world):
    measured = Person.objects.order_by("pk").first()
    _measure(measured)
    snapshots = [snapshot_of(p) for p in Person.objects.order_by("pk")]
    kinds = set()
    for category in ExportCategory.values:
        if category in NONE_CATEGORIES:
            continue
        fullest = max(snapshots, key=lambda s: len(s.rows(category)))
        assert fullest.rows(category), f"nobody has {category}"
        b = bundle(fullest, category)
        _check(b)
        kinds |= {e["resource"]["resourceType"] for e in b["entry"]}
    assert kinds == {
        "Patient", "Organization", "Encounter", "Condition", "MedicationRequest", "Procedure", "Observation",
        "DiagnosticReport", "DocumentReference", "Immunization", "AllergyIntolerance", "Coverage", "Consent",
    }  # fmt: skip

    b = bundle(next(s for s in snapshots if s.person == measured), C.MEASUREMENTS)
    values = {
        o["code"]["coding"][0]["code"]: o.get("valueQuantity", {}).get("value") for o in _resources(b, "Observation")
    }
    assert values == {"8302-2": 170.5, "29463-7": 68.2, "8280-0": 82, "8867-4": 71, "41604-0": 97, "85354-9": None}
    pressures = [
        [c.get("valueQuantity", {}).get("value") for c in o["component"]]
        for o in _resources(b, "Observation")
        if o["code"]["coding"][0]["code"] == "85354-9"
    ]
    assert sorted(pressures, key=str) == [[128, 82], [131, None]]


@pytest.mark.parametrize("category", sorted(NONE_CATEGORIES))
def test_categories_without_a_fitting_resource_give_no_bundle(full_snapshot, category):
    assert bundle(full_snapshot, category) is None
