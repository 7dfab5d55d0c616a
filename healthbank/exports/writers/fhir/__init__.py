"""The FHIR R4 download (SPEC §8): one ``Bundle`` of type ``collection`` per export category (and month), shaped to
the Taiwan Core IG 0.3.1 (``/work/shared/reference/twcore``) so that other health apps can import it.

Every bundle holds the TW Core ``Patient`` first, then the ``Organization``\\ s its resources reference (by NHI
code), then the category's resources in the snapshot's order. Every entry's ``fullUrl`` is ``urn:uuid:<our public
id>`` (ids derived with uuid5 from ours where one row yields several resources) and every reference names one of
them, so the bundle stands on its own. Same data, same bytes: no clock, no random ids, no set order.

Resources per category (profile: TW Core unless said):

- outpatient, inpatient, dental, Chinese medicine: ``Encounter`` (class AMB, or IMP for a stay; NHI department
  code), ``Condition`` per diagnosis (ICD-10-CM), ``MedicationRequest`` per drug order (NHI drug or herbal code,
  NHI frequency, quantity, days supplied), ``Procedure`` per surgery, procedure or dental order (NHI payment code);
- labs, diabetes, early CKD, hepatitis follow-ups: ``Observation`` laboratoryResult (LOINC where known);
- imaging and pathology: ``DiagnosticReport`` (conclusion and the text as presentedForm);
- discharge summaries: ``DocumentReference`` (the text, base64, ``text/plain; charset=utf-8``);
- cancer screenings: ``DiagnosticReport`` (the result is a conclusion more than a value; abnormal/normal as a
  SNOMED conclusionCode);
- adult preventive checks: body measures as base FHIR vital-signs ``Observation``\\ s (TW Core 0.3.1 here has no
  vital-signs profile: ``meta.profile`` is base FHIR's bodyheight / bodyweight / bp; waist has none), the blood and
  urine values as TW Core laboratory ``Observation``\\ s;
- my measurements: vital-signs ``Observation``\\ s as above (heart rate: base heartrate), fasting glucose by
  glucometer a plain ``Observation`` (category laboratory, no profile: not a lab's result);
- vaccinations: ``Immunization`` (Taiwan CDC vaccine codes under our system: neither the IG nor FHIR has one);
- allergies: ``AllergyIntolerance``; insurance: ``Coverage`` (the NHI Administration as payor, the insurance unit
  as group class, the insured category as plan class);
- care wishes: base FHIR ``Consent`` (no profile; scope advance directive, permit from the signing day,
  inactive once withdrawn).

No FHIR resource fits, so ``bundle`` returns ``None`` for: the calendar (future reminders are not records), NHI
cards (card issues are not a coverage), premium calculations and premium payments (billing, not care).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from ...choices import ExportCategory
from . import common, resources

C = ExportCategory

NOT_IN_FHIR = frozenset({C.CALENDAR, C.CARDS, C.PREMIUM_CALCULATIONS, C.PREMIUM_PAYMENTS})

BUILDERS = {
    C.OUTPATIENT: resources.visits,
    C.INPATIENT: resources.visits,
    C.DENTAL: resources.visits,
    C.CHINESE_MEDICINE: resources.visits,
    C.LABS: resources.labs,
    C.IMAGING_PATHOLOGY: resources.reports,
    C.DISCHARGE_SUMMARIES: resources.discharge_summaries,
    C.ALLERGIES: resources.allergies,
    C.CARE_WISHES: resources.care_wishes,
    C.VACCINATIONS: resources.vaccinations,
    C.PREVENTIVE_CARE: resources.preventive_checks,
    C.CANCER_SCREENING: resources.cancer_screenings,
    C.DIABETES: resources.follow_ups,
    C.CKD_EARLY: resources.follow_ups,
    C.HEPATITIS: resources.follow_ups,
    C.MEASUREMENTS: resources.measurements,
    C.INSURANCE: resources.coverages,
}


def bundle(snapshot, category: str, month: dt.date | None = None) -> dict | None:
    """The category's (or with ``month``, its first day, that month's) FHIR R4 collection Bundle as a JSON-ready
    dict; ``None`` for a category no FHIR resource fits (see the module's docstring)."""
    if category in NOT_IN_FHIR:
        return None
    build = BUILDERS.get(category)
    if build is None:
        raise ValueError(f"unknown export category {category!r}")
    out = resources.Out(snapshot)
    build(out, snapshot.rows(category, month))
    person = snapshot.person
    entries = [common.patient(person)]
    entries += [common.organization(i, snapshot.viewing) for i in sorted(out.institutions.values(), key=_code)]
    if out.nhi_payer:
        entries.append(common.nhi_administration())
    entries += out.resources
    name = f"{person.pk}/{category}/{month.isoformat() if month else 'all'}"
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(common._DERIVED, name)),
        "meta": {"lastUpdated": common.instant(snapshot.made_at)},
        "type": "collection",
        "timestamp": common.instant(snapshot.made_at),
        "entry": [{"fullUrl": common.full_url(r["id"]), "resource": r} for r in entries],
    }


def _code(institution) -> str:
    return institution.code


def to_json(bundle: dict) -> bytes:
    """The bundle as compact UTF-8 JSON (Chinese as itself, not ``\\u`` escapes)."""
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
