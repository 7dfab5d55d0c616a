"""What an app reads through the FHIR API's searches and reads: the download's resources, only the categories
its grant names, dated and paged as asked, every read in the person's access log."""

from __future__ import annotations

import datetime as dt

import pytest
from fhir.resources.R4B import get_fhir_model_class

from healthbank.access.services import end_grant
from healthbank.audit.models import AccessLog
from healthbank.exports.writers.fhir import bundle
from healthbank.fhir import selectors
from healthbank.fhir.params import parse_date
from healthbank.fhir.selectors import Search
from tests.exports.conftest import snapshot_of
from tests.fhir.conftest import app_grant, app_viewing, own_viewing

pytestmark = pytest.mark.django_db


def _ids(resources) -> list[str]:
    return [r["id"] for r in resources]


def _download(person, category: str, resource_type: str) -> list[dict]:
    b = bundle(snapshot_of(person, [category]), category)
    return [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == resource_type]


def _everything(viewing, resource_type: str, **query) -> list[dict]:
    page = selectors.search(viewing, resource_type, Search(count=10_000, **query))
    assert page.total == len(page.resources)
    return page.resources


def test_labs_are_the_downloads_lab_observations_and_valid_fhir(adult_with_visits):
    viewing = own_viewing(adult_with_visits)
    labs = _everything(viewing, "Observation", observation_category="laboratory")
    expected = [r for r in _download(adult_with_visits, "labs", "Observation")]
    assert expected and set(_ids(expected)) <= set(_ids(labs))
    for resource in labs:
        assert {c["code"] for cc in resource["category"] for c in cc["coding"]} >= {"laboratory"}
        get_fhir_model_class("Observation").model_validate(resource)
    vitals = _everything(viewing, "Observation", observation_category="vital-signs")
    assert not set(_ids(vitals)) & set(_ids(labs))


@pytest.mark.parametrize("resource_type", ["Encounter", "Condition", "MedicationRequest"])
def test_visit_resources_match_the_download_and_validate(adult_with_visits, resource_type):
    viewing = own_viewing(adult_with_visits)
    found = _everything(viewing, resource_type)
    expected = _download(adult_with_visits, "outpatient", resource_type)
    assert expected and set(_ids(expected)) <= set(_ids(found))
    for resource in found[:50]:
        get_fhir_model_class(resource_type).model_validate(resource)


def test_a_date_range_keeps_the_resources_of_those_days_and_its_complement_the_rest(adult_with_visits):
    viewing = own_viewing(adult_with_visits)
    everything = _everything(viewing, "Encounter")
    days = sorted({r["period"]["start"] for r in everything})
    middle = days[len(days) // 2]
    before = _everything(viewing, "Encounter", dates=(parse_date(f"lt{middle}"),))
    after = _everything(viewing, "Encounter", dates=(parse_date(f"ge{middle}"),))
    assert before and after
    assert all(r["period"]["start"] < middle for r in before)
    assert all(r["period"]["start"] >= middle for r in after)
    assert sorted(_ids(before) + _ids(after)) == sorted(_ids(everything))
    year = middle[:4]
    within = _everything(viewing, "Encounter", dates=(parse_date(f"ge{year}-01-01"), parse_date(f"le{year}-12")))
    assert {r["period"]["start"][:4] for r in within} == {year}


def test_pages_cover_every_resource_once_in_the_same_order(adult_with_visits):
    viewing = own_viewing(adult_with_visits)
    everything = _everything(viewing, "MedicationRequest")
    assert len(everything) > 25
    pages, offset = [], 0
    while True:
        page = selectors.search(viewing, "MedicationRequest", Search(count=10, offset=offset))
        assert page.total == len(everything)
        if not page.resources:
            break
        assert len(page.resources) <= 10
        pages += page.resources
        offset += 10
    assert _ids(pages) == _ids(everything)
    assert selectors.search(viewing, "MedicationRequest", Search(count=0)).resources == []


def test_an_app_reads_only_the_categories_its_grant_names_and_each_read_is_logged(adult_with_visits):
    grant = app_grant(adult_with_visits, ["labs", "vaccinations"])
    viewing = app_viewing(adult_with_visits, grant)
    labs = _everything(viewing, "Observation")
    assert labs and all("laboratory" in {c["code"] for cc in r["category"] for c in cc["coding"]} for r in labs)
    own_observations = _everything(own_viewing(adult_with_visits), "Observation")
    assert len(own_observations) >= len(labs)
    # measurements, preventive checks and follow-ups were not lent: none of theirs
    assert set(_ids(labs)) == set(_ids(_download(adult_with_visits, "labs", "Observation")))
    assert _everything(viewing, "Encounter") == []
    an_encounter = _everything(own_viewing(adult_with_visits), "Encounter")[0]
    assert selectors.read(viewing, "Encounter", an_encounter["id"]) is None
    assert selectors.read(viewing, "Observation", labs[0]["id"]) == labs[0]
    logged = AccessLog.objects.filter(person_id=adult_with_visits.pk, what=AccessLog.What.FHIR_API)
    assert set(logged.values_list("category", flat=True)) == {"labs"}
    assert set(logged.values_list("actor_kind", flat=True)) == {AccessLog.ActorKind.APP}
    assert set(logged.values_list("detail", flat=True)) == {"Observation"}
    assert not logged.filter(category__in=["outpatient", "inpatient"]).exists()


def test_a_search_naming_another_person_finds_nothing_and_reads_nothing(adult_with_visits, family):
    parent, _child = family
    grant = app_grant(adult_with_visits, ["labs"])
    viewing = app_viewing(adult_with_visits, grant)
    before = AccessLog.objects.count()
    page = selectors.search(viewing, "Observation", Search(patient=f"Patient/{parent.pk}"))
    assert page.total == 0 and page.resources == []
    assert AccessLog.objects.count() == before
    assert selectors.read(viewing, "Patient", str(parent.pk)) is None
    mine = selectors.search(viewing, "Observation", Search(patient=str(adult_with_visits.pk), count=1))
    assert mine.total > 0


def test_the_patient_carries_the_national_id_only_when_the_app_may_have_it(adult_with_visits):
    grant = app_grant(adult_with_visits, ["labs"])
    viewing = app_viewing(adult_with_visits, grant)
    plain = selectors.read(viewing, "Patient", str(adult_with_visits.pk))
    assert adult_with_visits.national_id not in str(plain)
    assert plain["birthDate"] == adult_with_visits.birth_date.isoformat()
    get_fhir_model_class("Patient").model_validate(plain)
    with_id = selectors.read(viewing, "Patient", str(adult_with_visits.pk), national_id=True)
    assert adult_with_visits.national_id in str(with_id)
    assert AccessLog.objects.filter(person_id=adult_with_visits.pk, detail="Patient").count() == 2


def test_an_ended_grant_reads_nothing(adult_with_visits, time_machine):
    from healthbank.access.services import NotReadable

    grant = app_grant(adult_with_visits, ["labs"])
    viewing = app_viewing(adult_with_visits, grant)
    assert _everything(viewing, "Observation")
    end_grant(grant)
    time_machine.shift(dt.timedelta(seconds=1))
    with pytest.raises(NotReadable):
        app_viewing(adult_with_visits, grant)
