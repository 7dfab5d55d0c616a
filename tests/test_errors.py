"""What answers when a request fails outside a view: JSON on /api/, error pages elsewhere, never a bare 500.

Found by sending malformed requests to gunicorn (issue 7, the attacker's walk):
an exception raised by a middleware on an API path answered Django's HTML 500,
a ``Host`` that is not ours answered an HTML 400 on the API, and a form body
declared ``charset=utf-16`` made Django's own 400 and 500 handlers fail in turn,
so the application server answered its bare "Internal Server Error".
"""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from healthbank.core.outage import RETRY_AFTER_SECONDS


class ExplodingMiddleware:
    """A middleware with a bug (or a dependency away), raising on requests that ask for it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get("X-Explode") == "bug":
            raise KeyError("a bug in a middleware")
        if request.headers.get("X-Explode") == "database":
            raise OperationalError("could not connect to server: Connection refused")
        return self.get_response(request)


@pytest.fixture
def exploding(settings, client):
    position = settings.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[:position], "tests.test_errors.ExplodingMiddleware",
                           *settings.MIDDLEWARE[position:]]  # fmt: skip
    client.raise_request_exception = False
    return client


API_PATHS = ["/api/app/v1/login", "/api/ingest/v1/visits", "/api/app/v1/me", "/api/schema/"]


@pytest.mark.parametrize("path", API_PATHS)
def test_a_bug_in_a_middleware_on_an_api_path_answers_the_json_error_shape(exploding, db, path):
    response = exploding.post(path, "{}", content_type="application/json", HTTP_X_EXPLODE="bug",
                              HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"errors": {"server": ["Something went wrong on our side; try again later."]}}


def test_a_bug_in_a_middleware_on_a_page_is_the_500_page(exploding, db):
    response = exploding.get("/en/login/", HTTP_X_EXPLODE="bug")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "Something went wrong on our side" in response.content.decode()


def test_the_api_error_follows_the_callers_language(exploding, db):
    response = exploding.get("/api/app/v1/me", HTTP_X_EXPLODE="bug", HTTP_ACCEPT_LANGUAGE="zh-TW")
    assert response.json() == {"errors": {"server": ["系統發生錯誤，請稍後再試。"]}}


def test_a_dependency_away_in_a_middleware_is_a_503_with_the_security_headers(exploding, db):
    """The outage answer replaces the 500 after the middleware failed; it still carries the CSP of every page."""
    page = exploding.get("/en/login/", HTTP_X_EXPLODE="database")
    assert page.status_code == 503 and page["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "script-src 'self'" in page["Content-Security-Policy"]
    body = page.content.decode()
    assert "<script" not in body and "<style" not in body and "style=" not in body  # the policy allows no inline
    api = exploding.post("/api/app/v1/login", "{}", content_type="application/json", HTTP_X_EXPLODE="database")
    assert api.status_code == 503 and set(api.json()["errors"]) == {"service"}
    assert "default-src 'self'" in api["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/api/app/v1/me", "/api/ingest/v1/visits", "/api/nothing/here"])
def test_a_host_that_is_not_ours_on_an_api_path_is_a_json_400(client, db, path):
    response = client.get(path, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()["errors"]) == {"request"}


def test_a_host_that_is_not_ours_on_a_page_is_the_400_page(client, db):
    response = client.get("/en/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "The request could not be understood" in response.content.decode()


@pytest.mark.parametrize("path", ["/login/", "/en/unit/login/", "/card/challenge", "/i18n/setlang/", "/admin/login/"])
def test_a_form_body_django_cannot_decode_is_a_400_page_not_the_servers_bare_500(db, path):
    client = Client(enforce_csrf_checks=True)  # as a browser meets it: the CSRF check reads the body first
    client.get("/en/login/")  # the CSRF cookie, as a browser would have it
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    response = client.post(path, "password=abc",  # the client encodes it as the declared UTF-16
                           content_type="application/x-www-form-urlencoded; charset=utf-16",
                           HTTP_X_CSRFTOKEN=token)  # fmt: skip
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "HTTP 400" in response.content.decode()


def test_a_page_that_does_not_exist_is_still_the_404_page_in_its_language(client, db):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert "There is no page at this address" in response.content.decode()
