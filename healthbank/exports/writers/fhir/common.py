"""What every FHIR resource of a download shares: the IG's URLs, ids, references, numbers, the Patient and the
Organizations.

Code systems and identifier systems are the Taiwan Core IG 0.3.1's (``/work/shared/reference/twcore``), taken from
its profiles' patterns and its own examples; where the IG names none, base FHIR's, and where neither has one (our
vaccine codes, our record ids) a URI of ours under ``OUR_SYSTEMS``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from healthbank.passbook.selectors.common import institution_name

TWCORE = "https://twcore.mohw.gov.tw/ig/twcore"


def profile(name: str) -> str:
    """The canonical URL of a TW Core StructureDefinition (its ``url``), e.g. ``profile("Patient")``."""
    return f"{TWCORE}/StructureDefinition/{name}-twcore"


def twcore_system(name: str) -> str:
    return f"{TWCORE}/CodeSystem/{name}"


# Identifier systems, as the IG's Patient profile (idCardNumber slice) and Organization examples have them.
NATIONAL_ID_SYSTEM = "http://www.moi.gov.tw"
ORGANIZATION_SYSTEM = twcore_system("organization-identifier-tw")
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
IDENTIFIER_SUFFIX = f"{TWCORE}/StructureDefinition/identifier-suffix"

# Code systems. ICD-10-CM: the IG slices Condition.code by edition (2014/2021/2023 "-tw"); its own example uses the
# 2021 edition's CodeSystem URL, the only ICD-10-CM CodeSystem URL the IG's files show, so we use it.
ICD10CM = twcore_system("icd-10-cm-2021-tw")
NHI_DRUG = twcore_system("medication-nhi-tw")
NHI_HERBAL = twcore_system("nhi-medication-ch-herb-tw")
NHI_PAYMENT = twcore_system("medical-service-payment-tw")
NHI_FREQUENCY = twcore_system("medication-frequency-nhi-tw")
NHI_CONSULTATION_DEPARTMENT = twcore_system("medical-consultation-department-nhi-tw")
NHI_TREATMENT_DEPARTMENT = twcore_system("medical-treatment-department-nhi-tw")
WHO_ATC = "http://www.whocc.no/atc"  # the IG's own ATC CodeSystem lists only 27 codes, so the WHO's system
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
RFC3986 = "urn:ietf:rfc:3986"

# Neither the IG nor base FHIR has a system for Taiwan CDC's vaccine codes (HepB1, MMR1, …): ours, fixed (not the
# site's address, which differs between deployments and would make the same data different bytes).
OUR_SYSTEMS = "https://healthbank.example/fhir"
VACCINE_SYSTEM = f"{OUR_SYSTEMS}/CodeSystem/cdc-vaccine-tw"

# The payer of every Coverage: the NHI Administration, one fixed Organization.
NHI_ADMINISTRATION_NAME = "衛生福利部中央健康保險署"
NHI_ADMINISTRATION_ID = uuid.uuid5(uuid.NAMESPACE_URL, "https://www.nhi.gov.tw")

_DERIVED = uuid.UUID("3f0c9a2e-5b4d-4f51-9a53-6d1f7a0e2b10")  # namespace of ids derived from one of ours


def derived_id(base, part: str) -> uuid.UUID:
    """A stable id for a resource one of our rows yields several of (a measurement's weight, its pressure…)."""
    return uuid.uuid5(_DERIVED, f"{base}/{part}")


def full_url(pk) -> str:
    return f"urn:uuid:{pk}"


def ref(pk) -> dict:
    return {"reference": full_url(pk)}


def coding(system: str, code: str, display: str = "") -> dict:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(*codings: dict, text: str = "") -> dict:
    out: dict = {}
    if codings:
        out["coding"] = list(codings)
    if text:
        out["text"] = text
    return out


def number(value) -> int | float | None:
    """A Decimal (or numeric text) as a JSON number: 7.1000 → 7.1, 120.0 → 120; None when not a number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value).strip())
    except ArithmeticError:
        return None
    if not d.is_finite():
        return None
    d = d.normalize()
    return int(d) if d == d.to_integral_value() else float(d)


def quantity(value, unit: str = "", ucum: str | None = None) -> dict | None:
    amount = number(value)
    if amount is None:
        return None
    out: dict = {"value": amount}
    if unit:
        out["unit"] = unit
    if ucum is not None:
        out["system"] = UCUM
        out["code"] = ucum
    return out


def day(value: dt.date) -> str:
    return value.isoformat()


def instant(value: dt.date | dt.datetime) -> str:
    """A FHIR instant; a day is its start in Taiwan (UTC+8, no summer time)."""
    if not isinstance(value, dt.datetime):
        return f"{value.isoformat()}T00:00:00+08:00"
    return value.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0).isoformat()


def record_identifier(pk) -> dict:
    """Our id of the row a resource came from, so a reader can tell a re-sent record from a new one."""
    return {"system": RFC3986, "value": full_url(pk)}


def patient(person) -> dict:
    """TW Core Patient: the national ID as the IG's idCardNumber slice, the Chinese and passport names, sex, birth."""
    names = [{"use": "usual", "text": person.name}]
    if person.name_en:
        names.append({"use": "official", "text": person.name_en})
    out = {
        "resourceType": "Patient",
        "id": str(person.pk),
        "meta": {"profile": [profile("Patient")]},
        "identifier": [
            {
                "use": "official",
                "type": {
                    "coding": [
                        {
                            "system": V2_0203,
                            "code": "NNxxx",
                            # The IG's examples say which country's number it is with this suffix: NNTWN.
                            "_code": {
                                "extension": [
                                    {
                                        "extension": [
                                            {"url": "suffix", "valueString": "TWN"},
                                            {
                                                "url": "valueSet",
                                                "valueCanonical": "http://hl7.org/fhir/ValueSet/iso3166-1-3",
                                            },
                                        ],
                                        "url": IDENTIFIER_SUFFIX,
                                    }
                                ]
                            },
                        }
                    ]
                },
                "system": NATIONAL_ID_SYSTEM,
                "value": person.national_id,
            }
        ],
        "active": True,
        "name": names,
        "gender": {"M": "male", "F": "female"}.get(person.sex, "unknown"),
        "birthDate": day(person.birth_date),
    }
    if person.died_on:
        out["deceasedDateTime"] = day(person.died_on)
    return out


def organization(institution, viewing) -> dict:
    """TW Core Organization: the institution's 10-character NHI code under the IG's identifier system."""
    out = {
        "resourceType": "Organization",
        "id": str(institution.pk),
        "meta": {"profile": [profile("Organization")]},
        "identifier": [
            {
                "use": "official",
                "type": concept(coding(V2_0203, "PRN")),
                "system": ORGANIZATION_SYSTEM,
                "value": institution.code,
            }
        ],
        "active": True,
        "type": [concept(coding("http://terminology.hl7.org/CodeSystem/organization-type", "prov"))],
        "name": institution_name(institution, viewing) or institution.code,
    }
    if institution.name_en and institution.name_en != out["name"]:
        out["alias"] = [institution.name_en]
    if institution.phone:
        out["telecom"] = [{"system": "phone", "value": institution.phone, "use": "work"}]
    if institution.address:
        out["address"] = [{"text": institution.address, "country": "TW"}]
    return out


def nhi_administration() -> dict:
    return {
        "resourceType": "Organization",
        "id": str(NHI_ADMINISTRATION_ID),
        "meta": {"profile": [profile("Organization")]},
        "active": True,
        "type": [concept(coding("http://terminology.hl7.org/CodeSystem/organization-type", "pay"))],
        "name": NHI_ADMINISTRATION_NAME,
        "alias": ["National Health Insurance Administration"],
    }
