"""Fuzzing the APIs from their OpenAPI document (schemathesis): every operation of the ingestion API, the
app API and the FHIR API, with valid and invalid data, the right credentials, and a fixed budget of examples.

A request fails the test when the answer is a 5xx, or when its status, content type, headers or body are not
what the document says. It runs in-process through the WSGI application inside the test's transaction, so
it runs in both CI runs (SQLite, and PostgreSQL + Redis) in about half a minute each. Raise the budget with
HEALTHBANK_FUZZ_EXAMPLES for a longer search; the generated cases are the same on every run (derandomised),
so a failure in CI can be replayed.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from healthbank.records.services import RECORD_TYPES
from tests.conftest import api_for
from tests.fhir.conftest import connect, health_app
from tests.records.conftest import app_login

EXAMPLES = int(os.environ.get("HEALTHBANK_FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class Credentials:
    """A fresh API key for each sender and an app token of a person with a verified device."""

    keys: dict[str, str]
    app_token: str
    person_id: str  # whose token it is: passbook paths are asked for this person, so the fuzzer reaches data
    fhir_token: str  # a connected health app's OAuth access token for the same person (the FHIR API)

    def headers_for(self, case) -> dict[str, str]:
        path = case.operation.path
        if path.startswith("/fhir/R4/"):
            return {"Authorization": f"Bearer {self.fhir_token}"}
        if path.startswith("/api/ingest/v1/"):
            (sender,) = RECORD_TYPES[path.rsplit("/", 1)[1]].senders
            return {"Authorization": f"Bearer {self.keys[sender]}"}
        if path.startswith("/api/vcard/v1/"):  # the virtual card's institution endpoints: the clinic's key
            return {"Authorization": f"Bearer {self.keys['institution']}"}
        if case.operation.definition.raw.get("security"):
            return {"Authorization": f"Token {self.app_token}"}
        return {}


def _load_schema():
    """The document /api/schema/ serves (made by the same generator and renderer, without a request, so that
    collecting this module touches no database), called through the WSGI application."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    from healthbank.wsgi import application

    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = application
    return loaded


@pytest.fixture(autouse=True)
def _share_the_test_transaction(db):
    """As Django's own test client does: requests share the test's connection and transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_address_throttle(settings):
    """Every case comes from one address: without this, device binding would answer 429 after ten cases."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "device_bind": "100000/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def _pays_own_premiums(person) -> None:
    """Insured at a township office with six unpaid months (above the instalment threshold): the fuzzer reaches
    the unpaid-premiums, instalment, direct-debit and e-bill operations' checks, not only their empty answers."""
    import datetime as dt

    from healthbank.identity.models import InsuranceUnit
    from healthbank.identity.services import start_household
    from healthbank.insurance.models import PremiumCalculation

    office = InsuranceUnit.objects.create(code="600000002", name="臺北市中正區公所", kind="township", county="臺北市")
    start_household(person, office, category=6, salary=0, since=dt.date(2024, 1, 1))
    for month in range(5, 11):
        PremiumCalculation.objects.create(
            person=person, unit=office, month=dt.date(2026, month, 1), insured_salary=0,
            rate_per_ten_thousand=517, contribution_share_pct=60, insured_count=1, amount=826,
        )  # fmt: skip


@pytest.fixture
def credentials(clinic, person, frozen_today) -> Credentials:
    _pays_own_premiums(person)
    keys = {"institution": _key(api_for(clinic))}
    keys |= {agency: _key(api_for(agency=agency)) for agency in ("CDC", "HPA", "MOHW", "NHIA")}
    app = health_app(scopes="openid passbook.labs passbook.vaccinations passbook.outpatient passbook.insurance")
    fhir_token = connect(person, app, categories=("passbook.labs", "passbook.vaccinations", "passbook.insurance"))
    credentials = Credentials(keys, app_login(person)[1], str(person.pk), fhir_token)
    # Django's test client reconnects these after each of its requests: the fuzzer's requests must not close the
    # test's connection either.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    return credentials


def _key(client) -> str:
    return client._credentials["HTTP_AUTHORIZATION"].removeprefix("Bearer ")


schema = _load_schema()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_api_operation_answers_as_documented(case, credentials):
    if case.path_parameters and "person_id" in case.path_parameters:
        case.path_parameters["person_id"] = credentials.person_id  # the token's own passbook, not a random id
    case.call_and_validate(headers=credentials.headers_for(case), checks=CHECKS)


# ------------------------------------------------------------------ malformed bodies on every operation
# Schemathesis sends bodies the document describes (and their near misses); an attacker also sends bodies no
# document describes. Every operation with a request body gets each of these, with its right credentials,
# and must answer a 4xx in the API's JSON error shape: never a 5xx, never HTML. (Found live: a body above
# DATA_UPLOAD_MAX_MEMORY_SIZE on the app API answered 500.)

UPLOAD_LIMIT = 4096  # the test lowers DATA_UPLOAD_MAX_MEMORY_SIZE to this, so "too large" needs no 12 MB body
MALFORMED: dict[str, tuple[bytes, str]] = {
    "larger than the upload limit": (b'{"records": ["' + b"a" * (2 * UPLOAD_LIMIT) + b'"]}', "application/json"),
    "nested 1,000 deep": (b"[" * 1000 + b"]" * 1000, "application/json"),
    "not UTF-8": (b'{"records": [{"record_id": "\xff\xfe"}], "code": "\xc3"}', "application/json"),
    "UTF-16 without a BOM": ('{"records": []}'.encode("utf-16-le"), "application/json"),
    "NUL escaped": (b'{"records": [{"record_id": "\\u0000"}], "code": "\\u0000"}', "application/json"),
    "lone surrogate": (b'{"records": [{"record_id": "\\ud800"}], "code": "\\udfff"}', "application/json"),
    "unknown charset": (b'{"records": 1}', "application/json; charset=nonsense-42"),
    "not JSON": (b"records=1&code=2", "application/x-www-form-urlencoded"),
    "a number too large for any field": (
        b'{"records": [%b], "code": %b}' % (b"9" * 1900, b"9" * 1900),
        "application/json",
    ),
    "NaN": (b'{"records": [NaN], "code": NaN}', "application/json"),
    "empty": (b"", "application/json"),
}


def _operations_with_a_body() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                found.append((method.upper(), path))
    return found


@pytest.mark.parametrize("kind", list(MALFORMED))
@pytest.mark.parametrize(("method", "path"), _operations_with_a_body())
def test_every_api_operation_refuses_a_malformed_body_with_a_json_4xx(
    client, credentials, settings, method, path, kind
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_LIMIT
    body, content_type = MALFORMED[kind]
    headers = {}  # the app's device operations with a body (bind, verify-phone, login) take no token
    if "{person_id}" in path:  # a passbook operation: the token's own passbook
        path = path.replace("{person_id}", credentials.person_id)
        headers = {"HTTP_AUTHORIZATION": f"Token {credentials.app_token}"}
    elif path.startswith("/api/ingest/v1/"):
        (sender,) = RECORD_TYPES[path.rsplit("/", 1)[1]].senders
        headers = {"HTTP_AUTHORIZATION": f"Bearer {credentials.keys[sender]}"}
    elif path.startswith("/api/vcard/v1/"):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {credentials.keys['institution']}"}
    elif path.startswith("/api/app/v1/vcard"):
        headers = {"HTTP_AUTHORIZATION": f"Token {credentials.app_token}"}
    for name in re.findall(r"{(\w+)}", path):  # other path parameters: a well-formed id, so the route is reached
        path = path.replace(f"{{{name}}}", "end" if name == "action" else str(uuid.uuid4()))
    response = client.generic(method, path, body, content_type=content_type, **headers)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:200])
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body.get("errors") or (response.status_code == 422 and body["results"])  # 422: each record refused
    if kind == "larger than the upload limit":
        assert response.status_code == 413
