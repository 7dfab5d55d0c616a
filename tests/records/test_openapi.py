import datetime as dt

import pytest

from healthbank.identity.models import InsuranceUnit
from healthbank.identity.services import start_household
from healthbank.records.services import RECORD_TYPES
from tests.conftest import api_for, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_the_openapi_document_describes_every_ingestion_endpoint(document):
    schema = document
    for name in RECORD_TYPES:
        operation = schema["paths"][f"/api/ingest/v1/{name}"]["post"]
        assert {"200", "207", "422", "400", "401", "403", "413", "503"} <= set(operation["responses"])
    visit = schema["components"]["schemas"]["VisitIn"]
    assert {"national_id", "card_number", "diagnoses", "drug_orders", "non_drug_orders"} <= set(visit["properties"])


def test_swagger_ui_is_served_without_the_internet(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in response.content.decode()


@pytest.mark.parametrize(("path", "text"), [("/", "健康存摺"), ("/en/", "My Health Bank")])
def test_the_home_page_speaks_both_languages(client, path, text):
    response = client.get(path)
    assert response.status_code == 200
    assert text in response.content.decode()


def test_switching_language_keeps_the_page(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/register/"})
    assert response.url == "/en/register/"
    response = client.post("/en/i18n/setlang/", {"language": "zh-hant", "next": "/en/register/"})
    assert response.url == "/register/"


def test_swagger_ui_can_authorize_with_the_api_key_and_the_app_token(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["institutionApiKey"] == schemes["institutionApiKey"] | {"type": "http", "scheme": "bearer"}
    assert schemes["appToken"] == schemes["appToken"] | {"type": "apiKey", "in": "header", "name": "Authorization"}
    needs = {name: operation.get("security") for name, operation in operations(document)}
    for name in RECORD_TYPES:
        assert needs[f"POST /api/ingest/v1/{name}"] == [{"institutionApiKey": []}]
    for path in ("GET /api/app/v1/me", "GET /api/app/v1/devices", "POST /api/app/v1/devices/{device_id}/{action}"):
        assert needs[path] == [{"appToken": []}]
    for path in ("POST /api/app/v1/login", "POST /api/app/v1/devices/bind", "POST /api/app/v1/devices/verify-phone"):
        assert not any(requirement for requirement in needs[path] or []), needs[path]


def test_every_operation_has_an_example_and_answers_an_outage_with_503(document):
    for name, operation in operations(document):
        examples = [
            example
            for part in [operation.get("requestBody", {}), *operation["responses"].values()]
            for media in part.get("content", {}).values()
            for example in media.get("examples", {}).values()
        ]
        assert examples, f"{name} has no example"
        outage = operation["responses"]["503"]
        assert "Retry-After" in outage["headers"], name
        if name.split()[1].startswith("/fhir/"):  # the FHIR API answers every error as an OperationOutcome
            content = outage["content"]["application/fhir+json"]
            assert content["schema"] == {"$ref": "#/components/schemas/OperationOutcome"}
        else:
            assert outage["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_the_device_list_is_documented_as_the_list_it_is(document, person, app_token):
    documented = document["paths"]["/api/app/v1/devices"]["get"]["responses"]["200"]["content"]["application/json"]
    schema = documented["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert schema["type"] == "array"
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {app_token}")
    answer = client.get("/api/app/v1/devices").json()
    assert isinstance(answer, list) and answer[0]["this_device"] is True


def test_the_ingestion_examples_are_accepted_as_they_stand(document, clinic, person, frozen_today):
    """What "Try it out" sends for the demo's person and clinic is stored, in the order records depend on."""
    senders = {agency: api_for(agency=agency) for agency in ("CDC", "HPA", "MOHW", "NHIA")}
    # The salary report's example names the unit the person is insured at.
    employer = InsuranceUnit.objects.create(code="040123456", name="範例公司", kind="employer", county="臺北市")
    start_household(person, employer, category=1, salary=45800, since=dt.date(2020, 1, 1))
    for name in RECORD_TYPES:  # visits first: the report example belongs to the visit example
        body = document["paths"][f"/api/ingest/v1/{name}"]["post"]["requestBody"]["content"]["application/json"]
        (example,) = body["examples"].values()
        (sender,) = RECORD_TYPES[name].senders
        status, answer = post(senders.get(sender) or api_for(clinic), name, example["value"]["records"])
        assert status == 200, (name, answer)
