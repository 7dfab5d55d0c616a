"""Fuzzing the APIs from their OpenAPI document (schemathesis): every operation of the ingestion API and the
app API, with valid and invalid data, the right credentials, and a fixed budget of examples.

A request fails the test when the answer is a 5xx, or when its status, content type, headers or body are not
what the document says. It runs in-process through the WSGI application inside the test's transaction, so
it runs in both CI runs (SQLite, and PostgreSQL + Redis) in about half a minute each. Raise the budget with
HEALTHBANK_FUZZ_EXAMPLES for a longer search; the generated cases are the same on every run (derandomised),
so a failure in CI can be replayed.
"""

from __future__ import annotations

import json
import os
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

    def headers_for(self, case) -> dict[str, str]:
        path = case.operation.path
        if path.startswith("/api/ingest/v1/"):
            (sender,) = RECORD_TYPES[path.rsplit("/", 1)[1]].senders
            return {"Authorization": f"Bearer {self.keys[sender]}"}
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


@pytest.fixture
def credentials(clinic, person, frozen_today) -> Credentials:
    keys = {"institution": _key(api_for(clinic))}
    keys |= {agency: _key(api_for(agency=agency)) for agency in ("CDC", "HPA", "MOHW")}
    return Credentials(keys, app_login(person)[1])


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
    case.call_and_validate(headers=credentials.headers_for(case), checks=CHECKS)
