"""The FHIR R4 API as a connected health app uses it: consent on HealthBank, a token by the code flow with PKCE,
then Bundles of the person's labs and immunizations; nothing else, and nothing at all once the person revokes."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

import pytest
from django.test import Client as Browser
from fhir.resources.R4B import get_fhir_model_class

from healthbank import policy
from healthbank.audit.models import AccessLog
from healthbank.connect import services as connect_services
from healthbank.connect.models import AppConnection
from tests.connect.conftest import authorize_url, consent_form, exchange, pkce, register
from tests.fhir.conftest import REDIRECT, connect, health_app
from tests.passbook.conftest import web_as

pytestmark = pytest.mark.django_db
FHIR = "/fhir/R4/"


def fhir_get(path: str, token: str | None, **headers):
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Browser().get(path if path.startswith("/") else FHIR + path, **headers)


def outcome(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    get_fhir_model_class("OperationOutcome").model_validate(body)
    return body["issue"][0]


@pytest.fixture
def app():
    return health_app()


@pytest.fixture
def token(adult_with_visits, app):
    return connect(adult_with_visits, app)


def test_an_app_reads_labs_and_immunizations_as_fhir_bundles(adult_with_visits, app, token):
    labs = fhir_get("Observation?category=laboratory&_count=200", token)
    assert labs.status_code == 200
    assert labs["Content-Type"].startswith("application/fhir+json")
    bundle = labs.json()
    get_fhir_model_class("Bundle").model_validate(bundle)
    assert bundle["type"] == "searchset" and bundle["total"] > 0
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert resource["subject"]["reference"] == f"Patient/{adult_with_visits.pk}"
        assert entry["fullUrl"].endswith(f"/fhir/R4/Observation/{resource['id']}")
    immunizations = fhir_get("Immunization", token).json()
    assert immunizations["resourceType"] == "Bundle"
    for entry in immunizations["entry"]:
        get_fhir_model_class("Immunization").model_validate(entry["resource"])
    one = bundle["entry"][0]["resource"]
    # every reference is one the API answers: the lab that performed it is an Organization to read
    (performer,) = one["performer"]
    assert performer["reference"].startswith("Organization/")
    lab = fhir_get(performer["reference"], token)
    assert lab.status_code == 200 and lab.json()["resourceType"] == "Organization"
    get_fhir_model_class("Organization").model_validate(lab.json())
    read = fhir_get(f"Observation/{one['id']}", token)
    assert read.status_code == 200 and read.json() == one
    patient = fhir_get(f"Patient/{adult_with_visits.pk}", token).json()
    assert patient["resourceType"] == "Patient" and adult_with_visits.national_id not in str(patient)
    # every read is in the person's access log, as an app's FHIR read of that category
    logged = AccessLog.objects.filter(person_id=adult_with_visits.pk, what=AccessLog.What.FHIR_API)
    assert {"labs", "vaccinations"} <= set(logged.values_list("category", flat=True))
    assert set(logged.values_list("actor_kind", flat=True)) == {"app"}
    assert AppConnection.objects.get(person=adult_with_visits).last_used_at is not None


def test_what_the_person_did_not_grant_is_not_there(adult_with_visits, token):
    encounters = fhir_get("Encounter", token)
    assert encounters.status_code == 200 and encounters.json()["total"] == 0
    from healthbank.records.models import Visit

    visit = Visit.objects.filter(person=adult_with_visits).first()
    outcome(fhir_get(f"Encounter/{visit.pk}", token), 404)
    vitals = fhir_get("Observation?category=vital-signs", token).json()
    assert vitals["total"] == 0
    assert not AccessLog.objects.filter(person_id=adult_with_visits.pk, category="outpatient").exists()


def test_pages_follow_the_next_link_to_the_end(token):
    everything = fhir_get("Observation?_count=200", token).json()
    ids, url = [], FHIR + "Observation?_count=7"
    while url:
        page = fhir_get(url, token).json()
        assert page["total"] == everything["total"]
        ids += [e["resource"]["id"] for e in page.get("entry", [])]
        following = [link["url"] for link in page["link"] if link["relation"] == "next"]
        url = urlsplit(following[0])._replace(scheme="", netloc="").geturl() if following else None
    assert ids == [e["resource"]["id"] for e in everything["entry"]]


def test_a_date_range_narrows_the_search(token):
    everything = fhir_get("Observation?_count=200", token).json()["entry"]
    days = sorted(e["resource"]["effectiveDateTime"][:10] for e in everything)
    middle = days[len(days) // 2]
    later = fhir_get(f"Observation?date=ge{middle}&_count=200", token).json()
    assert later["total"] and all(e["resource"]["effectiveDateTime"][:10] >= middle for e in later["entry"])
    within = fhir_get(f"Observation?date=ge{middle}&date=le{middle}", token).json()
    assert within["total"] == days.count(middle)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("Observation?_count=1000000", "_count"),
        ("Observation?_count=-3", "_count"),
        ("Observation?date=2024-13-01", "date"),
        ("Observation?date=yesterday", "date"),
        ("Observation?category=imaging", "category"),
        ("Observation?code=1234-5", "code"),
        ("Coverage?date=2024", "date"),
        ("Observation?_offset=abc", "_offset"),
        ("Immunization?_count=1&_count=2", "_count"),
    ],
)
def test_bad_search_parameters_get_an_operation_outcome_naming_the_parameter(token, query, parameter):
    issue = outcome(fhir_get(query, token), 400)
    assert issue["code"] == "invalid" and issue["expression"] == [parameter]


def test_another_persons_data_is_not_found(adult_with_visits, family, token):
    parent, _child = family
    outcome(fhir_get(f"Patient/{parent.pk}", token), 404)
    from healthbank.records.models import LabResult

    theirs = LabResult.objects.exclude(person=adult_with_visits).first()
    outcome(fhir_get(f"Observation/{theirs.pk}", token), 404)
    assert fhir_get(f"Observation?patient=Patient/{parent.pk}", token).json()["total"] == 0
    outcome(fhir_get("Observation/not a valid id", token), 404)
    outcome(fhir_get("Medication/123", token), 404)
    outcome(fhir_get(f"Organization/{adult_with_visits.pk}", token), 404)


def test_no_token_a_wrong_token_or_a_revoked_app_reads_nothing(adult_with_visits, app, token):
    for bad in (None, "not-a-token", token[:-2] + "xx"):
        response = fhir_get("Observation", bad)
        issue = outcome(response, 401)
        assert issue["code"] == "login"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert fhir_get("Observation", token).status_code == 200
    connection = AppConnection.objects.get(person=adult_with_visits)
    connect_services.disconnect(adult_with_visits, connection.pk)
    outcome(fhir_get("Observation", token), 401)
    outcome(fhir_get(f"Patient/{adult_with_visits.pk}", token), 401)


def test_a_token_reads_only_its_own_apps_grant(adult_with_visits, app, token):
    other = health_app("運動紀錄", scopes="openid passbook.vaccinations passbook.labs")
    other_token = connect(adult_with_visits, other, categories=("passbook.vaccinations",))
    assert fhir_get("Observation", other_token).json()["total"] == 0
    assert fhir_get("Observation", token).json()["total"] > 0
    # revoking one app leaves the other's access as it was
    connection = AppConnection.objects.get(person=adult_with_visits, app_id=other.app.pk)
    connect_services.disconnect(adult_with_visits, connection.pk)
    assert fhir_get("Observation", token).status_code == 200
    assert fhir_get("Immunization", other_token).status_code == 401


def test_an_agencys_login_token_reads_no_passbook(adult_with_visits):
    agency = register("綜合所得稅申報", redirect=REDIRECT)
    browser = web_as(adult_with_visits, Browser())
    verifier, challenge = pkce()
    page = browser.get(authorize_url(agency, challenge, redirect=REDIRECT))
    fields = {k: html.unescape(v) for k, v in consent_form(page.content.decode()).items()}
    answer = browser.post("/oauth/authorize/", {**fields, "allow": "on"})
    code = dict(p.split("=", 1) for p in answer.url.split("?", 1)[1].split("&"))["code"]
    token = exchange(Browser(), agency, code, verifier, redirect=REDIRECT).json()["access_token"]
    outcome(fhir_get("Observation", token), 404)
    outcome(fhir_get(f"Patient/{adult_with_visits.pk}", token), 404)


def test_the_capability_statement_and_smart_configuration_describe_the_server():
    metadata = Browser().get(FHIR + "metadata")
    assert metadata.status_code == 200 and metadata["Content-Type"].startswith("application/fhir+json")
    statement = metadata.json()
    get_fhir_model_class("CapabilityStatement").model_validate(statement)
    types = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {"Patient", "Observation", "Immunization", "Encounter", "Coverage", "DocumentReference"} <= types
    smart = Browser().get(FHIR + ".well-known/smart-configuration").json()
    discovery = Browser().get("/.well-known/openid-configuration").json()
    assert smart["authorization_endpoint"] == discovery["authorization_endpoint"]
    assert smart["token_endpoint"] == discovery["token_endpoint"]
    assert smart["code_challenge_methods_supported"] == ["S256"]
    assert "passbook.labs" in smart["scopes_supported"]
    assert str(policy.FHIR_MAX_COUNT) in str(statement)


def test_english_names_for_an_english_speaking_app(token):
    chinese = fhir_get("Observation?_count=200", token).json()
    english = fhir_get("Observation?_count=200", token, HTTP_ACCEPT_LANGUAGE="en").json()
    assert [e["resource"]["id"] for e in chinese["entry"]] == [e["resource"]["id"] for e in english["entry"]]
    assert str(chinese) != str(english)


def test_only_reads_are_offered_and_huge_input_is_refused_briefly(token):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for method in ("post", "put", "delete", "patch"):
        response = getattr(Browser(), method)(
            FHIR + "Observation", data=b"{", content_type="application/json", **headers
        )
        assert outcome(response, 405)["code"] == "not-supported"
    huge = fhir_get("Observation?" + "x" * 50_000 + "=1", token)
    issue = outcome(huge, 400)
    assert len(issue["diagnostics"]) < 300 and len(issue["expression"][0]) < 50
    assert fhir_get("Observation?date=ge9999-12-31", token).json()["total"] == 0


def test_last_used_is_written_once_a_minute_at_most(adult_with_visits, token, time_machine):
    connection = AppConnection.objects.get(person=adult_with_visits)
    first = connection.last_used_at  # the token's issue is a use
    assert fhir_get("Observation", token).status_code == 200
    connection.refresh_from_db()
    assert connection.last_used_at == first
    time_machine.shift(policy.CONNECT_LAST_USE_EVERY)
    assert fhir_get("Observation", token).status_code == 200
    connection.refresh_from_db()
    assert connection.last_used_at > first
