"""The resources of each category's bundle, from the snapshot's rows and the cached code lists only."""

from __future__ import annotations

import base64

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from healthbank.assessments.labs import parse_reference_range, reference_flag
from healthbank.core import codes
from healthbank.passbook.selectors.care import department
from healthbank.passbook.selectors.common import diagnosis, drug, institution_name, payment_item
from healthbank.passbook.selectors.labs import lab_name
from healthbank.records.models import CancerScreening, CareWish, Report, Visit

from .common import (
    ACT_CODE,
    ICD10CM,
    INTERPRETATION,
    LOINC,
    NHI_ADMINISTRATION_ID,
    NHI_CONSULTATION_DEPARTMENT,
    NHI_DRUG,
    NHI_FREQUENCY,
    NHI_HERBAL,
    NHI_PAYMENT,
    NHI_TREATMENT_DEPARTMENT,
    OBSERVATION_CATEGORY,
    SNOMED,
    VACCINE_SYSTEM,
    WHO_ATC,
    coding,
    concept,
    day,
    derived_id,
    instant,
    number,
    profile,
    quantity,
    record_identifier,
    ref,
)


class Out:
    """The resources of one bundle as they are made, and the institutions they reference."""

    def __init__(self, snapshot):
        self.viewing = snapshot.viewing
        self.person = snapshot.person
        self.patient = ref(self.person.pk)
        self.resources: list[dict] = []
        self.institutions: dict = {}
        self.nhi_payer = False

    def add(self, resource: dict) -> dict:
        self.resources.append(resource)
        return resource

    def org(self, institution) -> dict:
        self.institutions[institution.pk] = institution
        return ref(institution.pk)


# The codes of the IG's two NHI department code systems (codesystems/ in the reference): a visit's department is a
# 就醫科別 (consultation) code; the dental specialties (45, 46, 50) exist only among the 診療科別 (treatment) codes.
_CONSULTATION = frozenset(
    "00 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 22 23 2A 2B 40 60 81 82 83 84 AA AB AC AD AE AF AG AH AI AJ AK "
    "BA BB BC BD CA CB DA EA FA FB GA HA TB".split()
)
_TREATMENT = frozenset(
    "00 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 22 2A 2B 40 41 42 43 44 45 46 47 48 49 50 51 60 81 82 83 84 "
    "85 86 87 88".split()
)


def _base(resource_type: str, pk, profile_name: str | None = None) -> dict:
    out: dict = {"resourceType": resource_type, "id": str(pk)}
    if profile_name:
        out["meta"] = {"profile": [profile_name]}
    return out


# ---------------------------------------------------------------- visits


def visits(out: Out, rows) -> None:
    for visit in rows:
        _visit(out, visit)


def _children(visit, name: str) -> list:
    """A visit's prefetched diagnoses or orders. Read from the prefetch cache: ``visit.diagnoses.all()`` builds a
    related manager each time, which was most of a heavy person's FHIR time (~0.3 ms a call, 3 calls a visit)."""
    cached = getattr(visit, "_prefetched_objects_cache", {}).get(name)
    return list(cached) if cached is not None else list(getattr(visit, name).all())


def _visit(out: Out, visit) -> None:
    viewing = out.viewing
    encounter = _base("Encounter", visit.pk, profile("Encounter"))
    encounter["identifier"] = [record_identifier(visit.pk)]
    encounter["status"] = "finished"
    inpatient = visit.kind == Visit.Kind.INPATIENT
    encounter["class"] = (
        coding(ACT_CODE, "IMP", "inpatient encounter") if inpatient else coding(ACT_CODE, "AMB", "ambulatory")
    )
    encounter["type"] = [concept(text=str(Visit.Kind(visit.kind).label))]
    if visit.department:
        name = department(visit.department, viewing)["name"]
        if visit.department in _CONSULTATION:
            encounter["serviceType"] = concept(coding(NHI_CONSULTATION_DEPARTMENT, visit.department), text=name)
        elif visit.department in _TREATMENT:
            encounter["serviceType"] = concept(coding(NHI_TREATMENT_DEPARTMENT, visit.department), text=name)
    encounter["subject"] = out.patient
    period = {"start": day(visit.visit_date)}
    if visit.end_date:
        period["end"] = day(visit.end_date)
    elif not inpatient:
        period["end"] = day(visit.visit_date)
    encounter["period"] = period
    encounter["serviceProvider"] = out.org(visit.institution)
    out.add(encounter)
    at = ref(visit.pk)
    conditions = []
    for d in _children(visit, "diagnoses"):
        conditions.append({"condition": ref(d.pk), "rank": d.position + 1})
        out.add(_condition(out, d, visit, at))
    if conditions:
        encounter["diagnosis"] = conditions
    for order in _children(visit, "drug_orders"):
        out.add(_medication_request(out, order, visit, at))
    dental_visit = visit.kind == Visit.Kind.DENTAL
    for order in _children(visit, "non_drug_orders"):
        known = codes.payment_codes().get(order.payment_code)
        kind = known.kind if known else ""
        if order.is_surgery or kind in ("surgery", "procedure", "dental") or (dental_visit and order.tooth):
            out.add(_procedure(out, order, visit, at))


def _condition(out: Out, d, visit, at: dict) -> dict:
    named = diagnosis(d.icd10, out.viewing)
    resource = _base("Condition", d.pk, profile("Condition"))
    # The claim says the condition was treated at this visit; whether it still is, nobody sent: "active" (the
    # profile requires a clinical status) dated by recordedDate.
    resource["clinicalStatus"] = concept(coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"))
    resource["verificationStatus"] = concept(
        coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed")
    )
    resource["category"] = [
        concept(coding("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis"))
    ]
    resource["code"] = concept(coding(ICD10CM, d.icd10), text=named["name"])
    resource["subject"] = out.patient
    resource["encounter"] = at
    resource["recordedDate"] = day(visit.visit_date)
    return resource


def _medication_request(out: Out, order, visit, at: dict) -> dict:
    named = drug(order.drug_code, out.viewing)
    known = codes.drugs().get(order.drug_code)
    codings = [coding(NHI_HERBAL if known is not None and known.herbal else NHI_DRUG, order.drug_code)]
    if named["atc"]:
        codings.append(coding(WHO_ATC, named["atc"]))
    resource = _base("MedicationRequest", order.pk, profile("MedicationRequest"))
    resource["status"] = "completed"
    resource["intent"] = "order"
    resource["medicationCodeableConcept"] = concept(*codings, text=named["name"] or order.drug_code)
    resource["subject"] = out.patient
    resource["encounter"] = at
    resource["authoredOn"] = day(visit.visit_date)
    resource["requester"] = out.org(visit.institution)
    if order.frequency:
        resource["dosageInstruction"] = [
            {"text": order.frequency, "timing": {"code": concept(coding(NHI_FREQUENCY, order.frequency))}}
        ]
    dispense: dict = {}
    amount = quantity(order.quantity)
    if amount is not None:
        dispense["quantity"] = amount
    if order.days_supplied:
        dispense["expectedSupplyDuration"] = quantity(order.days_supplied, "days", "d")
    if dispense:
        resource["dispenseRequest"] = dispense
    return resource


def _procedure(out: Out, order, visit, at: dict) -> dict:
    named = payment_item(order.payment_code, out.viewing)
    resource = _base("Procedure", order.pk, profile("Procedure"))
    resource["status"] = "completed"
    resource["code"] = concept(coding(NHI_PAYMENT, order.payment_code), text=named["name"])
    resource["subject"] = out.patient
    resource["encounter"] = at
    resource["performedDateTime"] = day(visit.visit_date)
    resource["performer"] = [{"actor": out.org(visit.institution)}]
    sites = []
    if order.tooth:
        sites.append(concept(text=_("Tooth %(number)s (FDI)") % {"number": order.tooth}))
    if order.body_site:
        sites.append(concept(text=order.body_site))
    if sites:
        resource["bodySite"] = sites
    if number(order.quantity) not in (None, 1):
        resource["note"] = [{"text": _("Quantity: %(quantity)s") % {"quantity": number(order.quantity)}}]
    return resource


# ---------------------------------------------------------------- lab values


_FLAG_CODES = {"high": ("H", "High"), "low": ("L", "Low"), "normal": ("N", "Normal")}


def _interpretation(flag: str | None) -> list | None:
    if flag not in _FLAG_CODES:
        return None
    code, display = _FLAG_CODES[flag]
    return [concept(coding(INTERPRETATION, code, display))]


def _reference_range(text: str, unit: str) -> list | None:
    if not text:
        return None
    item: dict = {}
    parsed = parse_reference_range(text)
    if parsed is not None:
        low, _low_inclusive, high, _high_inclusive = parsed
        if low is not None:
            item["low"] = quantity(low, unit)
        if high is not None:
            item["high"] = quantity(high, unit)
    item["text"] = text
    return [item]


def _lab(out: Out, pk, key: str, name: str, loinc: str, value, unit: str, range_text: str, when, institution) -> dict:
    """A TW Core laboratoryResult Observation: a Quantity when the value is a number, its text otherwise."""
    resource = _base("Observation", pk, profile("Observation-laboratoryResult"))
    resource["status"] = "final"
    resource["category"] = [concept(coding(OBSERVATION_CATEGORY, "laboratory"))]
    resource["code"] = concept(*([coding(LOINC, loinc)] if loinc else []), text=lab_name(key, name, out.viewing))
    resource["subject"] = out.patient
    resource["effectiveDateTime"] = day(when)
    if institution is not None:
        resource["performer"] = [out.org(institution)]
    amount = quantity(value, unit)
    if amount is not None:
        resource["valueQuantity"] = amount
    else:
        resource["valueString"] = str(value)
    interpretation = _interpretation(reference_flag(value, range_text))
    if interpretation:
        resource["interpretation"] = interpretation
    ranges = _reference_range(range_text, unit)
    if ranges:
        resource["referenceRange"] = ranges
    return resource


def labs(out: Out, rows) -> None:
    for r in rows:
        out.add(
            _lab(
                out, r.pk, r.lab_key, r.name, r.loinc, r.value, r.unit, r.reference_range, r.collected_on, r.institution
            )
        )


def _catalogued(out: Out, pk, key: str, value, when, institution) -> dict:
    """A value sent without its test's name, unit or range (follow-ups, preventive checks): the catalogue's."""
    test = codes.lab_test(key, out.person.sex)
    if test is None:
        return _lab(out, pk, key, key, "", value, "", "", when, institution)
    return _lab(out, pk, key, test.name_zh, test.loinc, value, test.unit, test.ref_text, when, institution)


def follow_ups(out: Out, rows) -> None:
    for r in rows:
        for key in sorted(r.values):
            value = r.values[key]
            if value in (None, ""):
                continue
            out.add(_catalogued(out, derived_id(r.pk, key), key, value, r.measured_on, r.institution))


# ---------------------------------------------------------------- body measures (base FHIR vital signs)

VITALS = {  # field → (LOINC, English name, base FHIR profile or None, UCUM unit)
    "height_cm": ("8302-2", gettext_noop("Body height"), "bodyheight", "cm"),
    "weight_kg": ("29463-7", gettext_noop("Body weight"), "bodyweight", "kg"),
    "waist_cm": ("8280-0", gettext_noop("Waist circumference"), None, "cm"),
    "heart_rate": ("8867-4", gettext_noop("Heart rate"), "heartrate", "/min"),
}
BASE_PROFILE = "http://hl7.org/fhir/StructureDefinition/"


def _vital_base(out: Out, pk, loinc: str, text: str, profile_name: str | None, when, performer: dict) -> dict:
    resource = _base("Observation", pk, BASE_PROFILE + profile_name if profile_name else None)
    resource["status"] = "final"
    category = "vital-signs" if profile_name else "exam"
    resource["category"] = [concept(coding(OBSERVATION_CATEGORY, category))]
    resource["code"] = concept(coding(LOINC, loinc), text=_(text))
    resource["subject"] = out.patient
    resource["effectiveDateTime"] = day(when)
    resource["performer"] = [performer]
    return resource


def _vitals(out: Out, row, when, performer: dict) -> None:
    for field, (loinc, text, profile_name, unit) in VITALS.items():
        value = getattr(row, field, None)
        if value is None:
            continue
        resource = _vital_base(out, derived_id(row.pk, field), loinc, text, profile_name, when, performer)
        resource["valueQuantity"] = quantity(value, unit, unit)
        out.add(resource)
    if row.systolic is not None or row.diastolic is not None:
        resource = _vital_base(
            out, derived_id(row.pk, "bp"), "85354-9", gettext_noop("Blood pressure"), "bp", when, performer
        )
        resource["component"] = [
            _pressure("8480-6", _("Systolic blood pressure"), row.systolic),
            _pressure("8462-4", _("Diastolic blood pressure"), row.diastolic),
        ]
        out.add(resource)


def _pressure(loinc: str, text: str, value) -> dict:
    """One side of a blood pressure; a person may note only one, and the bp profile wants both components."""
    out: dict = {"code": concept(coding(LOINC, loinc), text=text)}
    if value is None:
        out["dataAbsentReason"] = concept(
            coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed")
        )
    else:
        out["valueQuantity"] = quantity(value, "mmHg", "mm[Hg]")
    return out


def measurements(out: Out, rows) -> None:
    for m in rows:
        _vitals(out, m, m.measured_on, out.patient)
        if m.fasting_glucose is not None:
            resource = _base("Observation", derived_id(m.pk, "fasting_glucose"))
            resource["status"] = "final"
            resource["category"] = [concept(coding(OBSERVATION_CATEGORY, "laboratory"))]
            resource["code"] = concept(coding(LOINC, "41604-0"), text=_("Fasting glucose (glucometer)"))
            resource["subject"] = out.patient
            resource["effectiveDateTime"] = day(m.measured_on)
            resource["performer"] = [out.patient]
            resource["valueQuantity"] = quantity(m.fasting_glucose, "mg/dL", "mg/dL")
            out.add(resource)


PREVENTIVE_LABS = {  # PreventiveCheck field → catalogue lab key
    "fasting_glucose": "glucose_fasting",
    "cholesterol_total": "cholesterol_total",
    "triglycerides": "triglycerides",
    "hdl": "hdl",
    "ldl": "ldl",
    "bun": "bun",
    "creatinine": "creatinine",
    "egfr": "egfr",
    "urine_protein": "urine_protein",
    "got": "ast",
    "gpt": "alt",
    "hbsag": "hbsag",
    "anti_hcv": "anti_hcv",
}


def preventive_checks(out: Out, rows) -> None:
    for check in rows:
        _vitals(out, check, check.checked_on, out.org(check.institution))
        for field, key in PREVENTIVE_LABS.items():
            value = getattr(check, field)
            if value in (None, ""):
                continue
            out.add(_catalogued(out, derived_id(check.pk, field), key, value, check.checked_on, check.institution))


# ---------------------------------------------------------------- reports and documents

_V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
_REPORT_CATEGORY = {
    Report.Kind.IMAGING: ("RAD", "Radiology"),
    Report.Kind.PATHOLOGY: ("PAT", "Pathology (gross & histopath, not surgical)"),
}


def _text_attachment(text: str, title: str, language: str = "") -> dict:
    out = {
        "contentType": "text/plain; charset=utf-8",
        "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
        "title": title,
    }
    if language:
        out["language"] = language
    return out


def reports(out: Out, rows) -> None:
    for r in rows:
        resource = _base("DiagnosticReport", r.pk, profile("DiagnosticReport"))
        resource["identifier"] = [record_identifier(r.pk)]
        resource["status"] = "final"
        code, display = _REPORT_CATEGORY.get(r.kind, ("OTH", "Other"))
        resource["category"] = [concept(coding(_V2_0074, code, display))]
        resource["code"] = concept(text=r.title)
        resource["subject"] = out.patient
        resource["effectiveDateTime"] = day(r.performed_on)
        resource["performer"] = [out.org(r.institution)]
        resource["conclusion"] = r.text
        resource["presentedForm"] = [_text_attachment(r.text, r.title)]
        out.add(resource)


def discharge_summaries(out: Out, rows) -> None:
    for r in rows:
        resource = _base("DocumentReference", r.pk, profile("DocumentReference"))
        resource["identifier"] = [record_identifier(r.pk)]
        resource["status"] = "current"
        resource["type"] = concept(coding(LOINC, "18842-5", "Discharge summary"), text=r.title)
        resource["subject"] = out.patient
        resource["date"] = instant(r.performed_on)
        resource["custodian"] = out.org(r.institution)
        resource["description"] = r.title
        resource["content"] = [{"attachment": _text_attachment(r.text, r.title)}]
        if r.visit_id is not None and r.visit is not None and r.visit.end_date:
            resource["context"] = {"period": {"start": day(r.visit.visit_date), "end": day(r.visit.end_date)}}
        out.add(resource)


# Screening kinds → the LOINC code of the test the HPA programme pays for (oral: a visual examination, no code).
SCREENING_CODES = {
    CancerScreening.Kind.CERVICAL: ("10524-7", "CP", "Cytopathology"),
    CancerScreening.Kind.BREAST: ("24606-6", "RAD", "Radiology"),
    CancerScreening.Kind.COLORECTAL: ("29771-3", "LAB", "Laboratory"),
    CancerScreening.Kind.ORAL: ("", "OTH", "Other"),
}


def cancer_screenings(out: Out, rows) -> None:
    for s in rows:
        loinc, category, display = SCREENING_CODES[s.kind]
        resource = _base("DiagnosticReport", s.pk, profile("DiagnosticReport"))
        resource["identifier"] = [record_identifier(s.pk)]
        resource["status"] = "final"
        resource["category"] = [concept(coding(_V2_0074, category, display))]
        label = str(CancerScreening.Kind(s.kind).label)
        resource["code"] = concept(*([coding(LOINC, loinc)] if loinc else []), text=label)
        resource["subject"] = out.patient
        resource["effectiveDateTime"] = day(s.screened_on)
        resource["performer"] = [out.org(s.institution)]
        resource["conclusion"] = s.result
        resource["conclusionCode"] = [
            concept(coding(SNOMED, "263654008", "Abnormal") if s.abnormal else coding(SNOMED, "17621005", "Normal"))
        ]
        out.add(resource)


# ---------------------------------------------------------------- the rest


def vaccinations(out: Out, rows) -> None:
    for v in rows:
        known = codes.vaccines().get(v.vaccine_code)
        resource = _base("Immunization", v.pk, profile("Immunization"))
        resource["identifier"] = [record_identifier(v.pk)]
        resource["status"] = "completed"
        name = known.name_in(out.viewing.language) if known else ""
        resource["vaccineCode"] = concept(coding(VACCINE_SYSTEM, v.vaccine_code), text=name or v.vaccine_code)
        resource["patient"] = out.patient
        resource["occurrenceDateTime"] = day(v.vaccinated_on)
        # From the CDC's registry, not from whoever gave the dose.
        resource["primarySource"] = False
        if v.institution is not None:
            resource["performer"] = [{"actor": out.org(v.institution)}]
        elif v.institution_name:
            resource["location"] = {"display": v.institution_name}
        out.add(resource)


def allergies(out: Out, rows) -> None:
    for a in rows:
        resource = _base("AllergyIntolerance", a.pk, profile("AllergyIntolerance"))
        resource["identifier"] = [record_identifier(a.pk)]
        resource["clinicalStatus"] = concept(
            coding("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active")
        )
        if a.drug_code:
            known = codes.drugs().get(a.drug_code)
            system = NHI_HERBAL if known is not None and known.herbal else NHI_DRUG
            resource["category"] = ["medication"]
            resource["code"] = concept(coding(system, a.drug_code), text=a.allergen)
        else:
            resource["code"] = concept(text=a.allergen)
        resource["patient"] = out.patient
        resource["recordedDate"] = day(a.uploaded_on)
        if a.doctor_name:
            resource["recorder"] = {"display": a.doctor_name}
        if a.reaction:
            resource["reaction"] = [{"manifestation": [concept(text=a.reaction)]}]
        # The institution that uploaded it from the card: a note, as AllergyIntolerance names no organisation.
        resource["note"] = [{"text": institution_name(a.institution, out.viewing) or a.institution.code}]
        out.add(resource)


_SUBSCRIBER_RELATIONSHIP = {"self": "self", "spouse": "spouse", "child": "child", "parent": "parent"}


def coverages(out: Out, rows) -> None:
    for e in rows:
        out.nhi_payer = True
        resource = _base("Coverage", e.pk, profile("Coverage"))
        resource["status"] = "active"
        resource["type"] = concept(
            coding(ACT_CODE, "PUBLICPOL", "public healthcare"), text=_("National Health Insurance")
        )
        resource["beneficiary"] = out.patient
        if e.relationship == "self":
            resource["subscriber"] = out.patient
        relationship = _SUBSCRIBER_RELATIONSHIP.get(e.relationship, "other")
        resource["relationship"] = concept(
            coding("http://terminology.hl7.org/CodeSystem/subscriber-relationship", relationship),
            text=e.get_relationship_display(),
        )
        period = {"start": day(e.started_on)}
        if e.ended_on:
            period["end"] = day(e.ended_on)
        resource["period"] = period
        resource["payor"] = [ref(NHI_ADMINISTRATION_ID)]
        classes = "http://terminology.hl7.org/CodeSystem/coverage-class"
        resource["class"] = [
            {"type": concept(coding(classes, "group")), "value": e.unit.code, "name": e.unit.name},
            {"type": concept(coding(classes, "plan")), "value": str(e.category), "name": e.get_category_display()},
        ]
        out.add(resource)


def care_wishes(out: Out, rows) -> None:
    for w in rows:
        resource = _base("Consent", w.pk)
        resource["identifier"] = [record_identifier(w.pk)]
        resource["status"] = "inactive" if w.withdrawn_on else "active"
        resource["scope"] = concept(coding("http://terminology.hl7.org/CodeSystem/consentscope", "adr"))
        resource["category"] = [
            concept(
                coding("http://terminology.hl7.org/CodeSystem/consentcategorycodes", "acd"),
                text=str(CareWish.Kind(w.kind).label),
            )
        ]
        resource["patient"] = out.patient
        resource["dateTime"] = day(w.registered_on)
        resource["policyRule"] = concept(coding(ACT_CODE, "OPTIN"))
        period = {"start": day(w.signed_on)}
        if w.withdrawn_on:
            period["end"] = day(w.withdrawn_on)
        resource["provision"] = {"type": "permit", "period": period}
        out.add(resource)
