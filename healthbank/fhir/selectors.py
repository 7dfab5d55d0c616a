"""Reads of the FHIR API (issue 14): one person's resources of one type, from the categories the reader may read.

The resources are the download's (``exports.writers.fhir``, Taiwan Core), made from the same rows over the same
spans, so an app reads exactly what the person's FHIR download holds. Every category is opened through the access
rule (``passbook.selectors.common.open_category``): a category the reader may not read is never loaded, and every
read by an app is in the person's access log (what: "fhir_api", detail: the resource type).

A search loads the type's categories, builds their resources and keeps those that match; a person's three years
are a few hundred rows a category, and the bench (``bench/fhir_bench.py``) measures what that costs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from healthbank.audit.models import AccessLog
from healthbank.audit.services import record_access
from healthbank.exports.choices import ACCESS_CATEGORY, ExportCategory
from healthbank.exports.collect import collect
from healthbank.exports.writers.fhir import BUILDERS
from healthbank.exports.writers.fhir import common as fhir_common
from healthbank.exports.writers.fhir import resources as fhir_resources
from healthbank.passbook.viewing import Viewing
from healthbank.records.models import Institution

from .params import DateFilter

C = ExportCategory
VISITS = (C.OUTPATIENT, C.INPATIENT, C.DENTAL, C.CHINESE_MEDICINE)

# Which export categories each resource type is made from (the download's mapping, exports/writers/fhir).
RESOURCE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Encounter": VISITS,
    "Condition": VISITS,
    "MedicationRequest": VISITS,
    "Procedure": VISITS,
    "Observation": (C.LABS, C.DIABETES, C.CKD_EARLY, C.HEPATITIS, C.PREVENTIVE_CARE, C.MEASUREMENTS),
    "Immunization": (C.VACCINATIONS,),
    "AllergyIntolerance": (C.ALLERGIES,),
    "DiagnosticReport": (C.IMAGING_PATHOLOGY, C.CANCER_SCREENING),
    "DocumentReference": (C.DISCHARGE_SUMMARIES,),
    "Coverage": (C.INSURANCE,),
}
RESOURCE_TYPES = ("Patient", *RESOURCE_CATEGORIES)


def _period_start(resource: dict) -> str | None:
    return resource.get("period", {}).get("start")


# The element FHIR R4's ``date`` search parameter reads on each type (Coverage has none).
DATE_OF = {
    "Encounter": _period_start,
    "Condition": lambda r: r.get("recordedDate"),
    "MedicationRequest": lambda r: r.get("authoredOn"),
    "Procedure": lambda r: r.get("performedDateTime"),
    "Observation": lambda r: r.get("effectiveDateTime"),
    "Immunization": lambda r: r.get("occurrenceDateTime"),
    "AllergyIntolerance": lambda r: r.get("recordedDate"),
    "DiagnosticReport": lambda r: r.get("effectiveDateTime"),
    "DocumentReference": lambda r: r.get("date"),
}
OBSERVATION_CATEGORIES = ("laboratory", "vital-signs")


@dataclass(frozen=True)
class Search:
    """What an app asked for, parsed (``params``): dates, an Observation category, the page."""

    dates: tuple[DateFilter, ...] = ()
    observation_category: str = ""
    count: int = 50
    offset: int = 0
    patient: str = ""  # a ``patient``/``subject`` the app named: only its own person matches


@dataclass(frozen=True)
class Page:
    total: int
    resources: list[dict]


@dataclass(frozen=True)
class Built:
    """The resources of one type as the download's writers made them, and the type behind each ``urn:uuid``."""

    resources: list[dict]
    types: dict[str, str]

    def for_rest(self, resources: list[dict]) -> list[dict]:
        """``resources`` with the REST API's references (``Encounter/<id>``) for the bundle's (``urn:uuid:<id>``);
        only what is answered is rewritten."""
        return [_rest_references(r, self.types) for r in resources]


def _resources(viewing: Viewing, resource_type: str) -> Built:
    """Every resource of ``resource_type`` in the categories the reader may read (each opened and logged)."""
    wanted = [c for c in RESOURCE_CATEGORIES[resource_type] if viewing.can(ACCESS_CATEGORY[c])]
    if not wanted:
        return Built([], {})
    snapshot = collect(viewing, wanted, detail=resource_type, what=AccessLog.What.FHIR_API)
    out = fhir_resources.Out(snapshot)
    for category in snapshot.categories:
        BUILDERS[category](out, snapshot.rows(category))
    types = {fhir_common.full_url(r["id"]): r["resourceType"] for r in out.resources}
    types[fhir_common.full_url(viewing.person.pk)] = "Patient"
    types |= dict.fromkeys((fhir_common.full_url(pk) for pk in out.institutions), "Organization")
    types[fhir_common.full_url(fhir_common.NHI_ADMINISTRATION_ID)] = "Organization"
    return Built([r for r in out.resources if r["resourceType"] == resource_type], types)


def _rest_references(node, types: dict[str, str]):
    """``{"reference": "urn:uuid:<id>"}`` → ``{"reference": "<Type>/<id>"}`` wherever the type is known."""
    if isinstance(node, dict):
        found = {key: _rest_references(value, types) for key, value in node.items()}
        reference = node.get("reference")
        if isinstance(reference, str) and reference in types:
            found["reference"] = f"{types[reference]}/{reference.removeprefix('urn:uuid:')}"
        return found
    if isinstance(node, list):
        return [_rest_references(item, types) for item in node]
    return node


def organization(viewing: Viewing, organization_id: str) -> dict | None:
    """An institution (or the NHI Administration as payer) a resource names: a public register, no one's data."""
    if organization_id == str(fhir_common.NHI_ADMINISTRATION_ID):
        return fhir_common.nhi_administration()
    try:
        institution = Institution.objects.filter(pk=uuid.UUID(organization_id)).first()
    except ValueError:
        return None
    return fhir_common.organization(institution, viewing) if institution is not None else None


def _day(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _observation_category(resource: dict) -> set[str]:
    return {
        coding.get("code")
        for concept in resource.get("category", [])
        for coding in concept.get("coding", [])
        if coding.get("system") == fhir_common.OBSERVATION_CATEGORY
    }


def _matches(resource_type: str, resource: dict, search: Search) -> bool:
    if search.dates:
        day = _day(DATE_OF[resource_type](resource))
        if day is None or not all(f.matches(day) for f in search.dates):
            return False
    if search.observation_category and search.observation_category not in _observation_category(resource):
        return False
    return True


def search(viewing: Viewing, resource_type: str, query: Search, *, national_id: bool = False) -> Page:
    """One page of the person's ``resource_type`` resources matching ``query``, oldest first, and how many match.

    ``national_id``: whether a Patient carries the national ID (``patient``)."""
    if resource_type == "Patient":
        named = _names_person(viewing, query.patient or str(viewing.person.pk))
        found = [patient(viewing, with_national_id=national_id)] if named else []
        return Page(len(found), found[query.offset : query.offset + query.count])
    if query.patient and not _names_person(viewing, query.patient):
        return Page(0, [])  # another person: nothing matches, and nothing of theirs is read
    built = _resources(viewing, resource_type)
    matching = [r for r in built.resources if _matches(resource_type, r, query)]
    return Page(len(matching), built.for_rest(matching[query.offset : query.offset + query.count]))


def read(viewing: Viewing, resource_type: str, resource_id: str, *, national_id: bool = False) -> dict | None:
    """The person's resource of this type and id; ``None`` when it is not theirs, not readable, or not there."""
    if resource_type == "Patient":
        return patient(viewing, with_national_id=national_id) if resource_id == str(viewing.person.pk) else None
    built = _resources(viewing, resource_type)
    found = [r for r in built.resources if r["id"] == resource_id]
    return built.for_rest(found)[0] if found else None


def _names_person(viewing: Viewing, reference: str) -> bool:
    """``patient=<id>`` or ``Patient/<id>``: whether it names the viewing's person."""
    return reference.removeprefix("Patient/") == str(viewing.person.pk)


def patient(viewing: Viewing, *, with_national_id: bool = False) -> dict:
    """The TW Core Patient of the viewing's person. An app reads the national ID only when its registration
    allows it (``with_national_id``); otherwise the Patient is identified by HealthBank's public id alone."""
    resource = fhir_common.patient(viewing.person)
    if not with_national_id:
        resource["identifier"] = [fhir_common.record_identifier(viewing.person.pk)]
    if viewing.reader.kind == "app":
        record_access(
            viewing.person.pk,
            what=AccessLog.What.FHIR_API,
            detail="Patient",
            actor_kind=AccessLog.ActorKind.APP,
            actor_label=viewing.reader.label,
            address=viewing.reader.address,
        )
    return resource
