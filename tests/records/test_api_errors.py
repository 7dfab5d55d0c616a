"""Every API error is JSON of one shape and a 4xx when the caller is at fault; a 5xx is JSON too, and an
outage is a 503 with Retry-After after which the same batch can simply be sent again."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from healthbank import policy
from healthbank.core.outage import RETRY_AFTER_SECONDS
from healthbank.records.models import Visit, VisitDiagnosis
from tests.accounts.conftest import adult, load_world, registered  # noqa: F401  (fixtures for the web form)
from tests.conftest import post, visit_payload

pytestmark = pytest.mark.django_db

POST_ENDPOINTS = [
    "/api/ingest/v1/visits",
    "/api/ingest/v1/care-wishes",
    "/api/app/v1/login",
    "/api/app/v1/devices/bind",
    "/api/app/v1/devices/verify-phone",
]


@pytest.fixture
def world(db, time_machine):
    """One test here needs the population: loaded for it alone (not once for the module, as in the accounts
    tests), so that the other tests' clinic codes stay free."""
    return load_world(time_machine, history=False)


def errors_of(response) -> dict[str, list[str]]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"errors"}, body
    return body["errors"]


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_deeply_nested_json_is_a_400_on_every_endpoint(clinic_api, path, depth):
    body = '{"records": ' + "[" * depth + "]" * depth + "}"
    response = clinic_api.post(path, data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert f"nested more than {policy.API_MAX_JSON_DEPTH} levels" in errors_of(response)["body"][0]


@pytest.mark.parametrize(("text", "where"), [("a\u0000b", "records[0].text"), ("\ud800", "records[0].text")])
def test_text_that_cannot_be_stored_is_a_400_naming_where(clinic_api, person, text, where):
    report = {"record_id": "R-1", "national_id": person.national_id, "institution": "0140000011",
              "kind": "imaging", "performed_on": "2026-01-05", "title": "CXR", "text": text}  # fmt: skip
    response = clinic_api.post(
        "/api/ingest/v1/reports", data=json.dumps({"records": [report]}), content_type="application/json"
    )
    assert response.status_code == 400  # in Chinese unless the caller asks otherwise:
    assert errors_of(response)["body"][0] == f"{where} 含有無法儲存的字元（NUL 或不成對的代理字元）。"
    response = clinic_api.post(
        "/api/ingest/v1/reports",
        data=json.dumps({"records": [report]}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert errors_of(response)["body"][0].startswith(where)


def test_a_content_length_that_is_not_a_number_is_a_400(clinic_api, person, known):
    body = json.dumps({"records": [visit_payload(known)]})
    response = clinic_api.post(
        "/api/ingest/v1/visits", data=body, content_type="application/json", CONTENT_LENGTH="abc"
    )
    assert response.status_code == 400
    assert "Content-Length" in errors_of(response)["content_length"][0]
    assert not Visit.objects.exists()


@pytest.mark.parametrize("device_id", ["-" * 36, "z" * 36, "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e7"])
def test_a_device_id_that_is_not_a_uuid_is_a_400_on_the_app_api(person, app_token, device_id):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {app_token}")
    response = client.post(f"/api/app/v1/devices/{device_id}/disable", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert errors_of(response)["device_id"] == ["This is not a device id."]


def test_a_device_id_that_is_not_a_uuid_is_a_400_on_the_device_page(client, registered):  # noqa: F811
    from tests.accounts.test_login import log_in

    log_in(client, registered)
    response = client.post("/en/me/devices/", {"action": "enable", "device": "-" * 36})
    assert response.status_code == 400
    assert "not a device id" in response.content.decode()


def test_another_api_path_is_a_json_404(client):
    response = client.post("/api/ingest/v1/nothing-here", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert errors_of(response)["request"] == ["此網址沒有 API 服務端點。"]
    response = client.get("/api/app/v2/me", HTTP_ACCEPT_LANGUAGE="en")
    assert errors_of(response)["request"] == ["There is no API endpoint at this address."]


def test_an_unexpected_error_is_a_json_500_without_a_traceback(clinic_api, person, known, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("internal detail that must not leave the server")

    monkeypatch.setattr("healthbank.records.api.ingest", broken)
    status, body = post(clinic_api, "visits", [visit_payload(known)])
    assert status == 500
    assert list(body["errors"]) == ["server"]
    assert "internal detail" not in json.dumps(body) and "Traceback" not in json.dumps(body)


def test_an_unexpected_error_on_the_app_api_is_a_json_500(client, monkeypatch):
    def broken(**kwargs):
        raise KeyError("bug")

    monkeypatch.setattr("healthbank.devices.services.app_login", broken)
    body = {"national_id": "A123456789", "password": "x", "device_credential": "y"}
    response = client.post("/api/app/v1/login", json.dumps(body), content_type="application/json")
    assert response.status_code == 500
    assert list(errors_of(response)) == ["server"]


def test_an_outage_is_a_503_with_retry_after(clinic_api, person, known, monkeypatch):
    def away(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed")

    monkeypatch.setattr("healthbank.records.api.ingest", away)
    response = clinic_api.post(
        "/api/ingest/v1/visits", json.dumps({"records": [visit_payload(known)]}), content_type="application/json"
    )
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert list(errors_of(response)) == ["service"]


def test_a_cache_outage_on_the_app_api_is_a_503(client, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    def away(**kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr("healthbank.devices.services.app_login", away)
    body = {"national_id": "A123456789", "password": "x", "device_credential": "y"}
    response = client.post("/api/app/v1/login", json.dumps(body), content_type="application/json")
    assert response.status_code == 503 and response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_a_batch_cut_off_by_an_outage_keeps_nothing_and_can_be_sent_again(clinic_api, person, known, monkeypatch):
    """The database went away half-way through writing (visits written, their diagnoses not yet)."""
    from healthbank.records import services

    insert_rows = services.insert_rows

    def fails_on_children(model, rows):
        if model is VisitDiagnosis:
            raise OperationalError("server closed the connection unexpectedly")
        insert_rows(model, rows)

    batch = [visit_payload(known, record_id=f"V-{i}") for i in range(3)]
    monkeypatch.setattr(services, "insert_rows", fails_on_children)
    status, _ = post(clinic_api, "visits", batch)
    assert status == 503
    assert not Visit.objects.exists()

    monkeypatch.setattr(services, "insert_rows", insert_rows)
    status, body = post(clinic_api, "visits", batch)
    assert status == 200 and body["summary"]["created"] == 3
    assert Visit.objects.count() == 3 and VisitDiagnosis.objects.count() == 3
    status, body = post(clinic_api, "visits", batch)  # and once more: nothing doubles
    assert body["summary"]["unchanged"] == 3 and Visit.objects.count() == 3


def test_the_database_dropping_the_connection_during_copy_is_a_503_not_a_500(clinic_api, person, known, monkeypatch):
    """Found with pg_terminate_backend under load: the driver's own error from COPY (which bypasses Django's
    cursor wrapper) was not recognised as an outage and answered 500."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's; SQLite writes through Django's cursor")
    import psycopg

    def dropped(self, statement, *args, **kwargs):
        raise psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")

    monkeypatch.setattr(psycopg.Cursor, "copy", dropped)
    status, body = post(clinic_api, "visits", [visit_payload(known, record_id="V-cut")])
    assert status == 503 and list(body["errors"]) == ["service"]
    assert not Visit.objects.exists()
