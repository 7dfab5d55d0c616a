"""With the cache (Redis) unreachable every login path fails closed: 503, Retry-After, a message in the page's language.

The cache is pointed at a closed port for the test, never by stopping the shared Redis.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.hashers import make_password

from healthbank.core.outage import RETRY_AFTER_SECONDS
from healthbank.identity.models import InsuranceUnit
from tests.accounts.conftest import PASSWORD
from tests.accounts.test_login import captcha

ENGLISH = "HealthBank cannot reach one of its systems right now"
CHINESE = "健康存摺暫時無法連上所需的系統"


@pytest.fixture
def redis_away(settings):
    before = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield
    settings.CACHES = before  # before the shared clean-up clears the cache


def assert_503(response, text):
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "no-store" in response["Cache-Control"]
    assert text in response.content.decode()


@pytest.mark.parametrize(("prefix", "text"), [("/en", ENGLISH), ("", CHINESE)])
def test_web_login_fails_closed_in_the_pages_language(client, registered, redis_away, prefix, text):
    data = {"national_id": registered.national_id, "card_number": registered.cards[-1].card_number,
            "password": PASSWORD, **captcha(client)}  # fmt: skip
    response = client.post(f"{prefix}/login/", data)
    assert_503(response, text)
    assert response["Content-Type"].startswith("text/html")
    assert client.get(f"{prefix}/me/").status_code == 302  # nobody got in


def test_the_card_challenge_of_every_card_login_answers_503_json(client, world, redis_away):
    response = client.post("/en/card/challenge", {"purpose": "login"}, HTTP_ACCEPT="application/json")
    assert_503(response, ENGLISH)
    assert response.json()["errors"]["service"]


def test_the_unit_portal_login_fails_closed(client, world, redis_away):
    unit = InsuranceUnit.objects.first()
    unit.portal_password = make_password("unit-pass-2026")
    unit.save()
    assert_503(client.post("/unit/login/", {"code": unit.code, "password": "unit-pass-2026"}), CHINESE)


def api(client, path, body, language="en"):
    return client.post(path, json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)


def test_app_login_fails_closed(client, registered, redis_away):
    body = {"national_id": registered.national_id, "password": PASSWORD, "device_credential": "x" * 43}
    response = api(client, "/api/app/v1/login", body)
    assert_503(response, ENGLISH)
    assert set(response.json()["errors"]) == {"service"}
    assert_503(api(client, "/api/app/v1/login", body, language="zh-TW"), CHINESE)


@pytest.mark.parametrize("path", ["/api/app/v1/devices/bind", "/api/app/v1/devices/verify-phone"])
def test_device_binding_fails_closed(client, registered, redis_away, path):
    body = {"code": "AAAAAAAA", "national_id": registered.national_id, "card_last4": "1234", "mobile": "0912345678",
            "password": PASSWORD, "platform": "iOS", "model": "X", "device_identifier": "d"}  # fmt: skip
    assert_503(api(client, path, body), ENGLISH)


def test_a_bug_is_still_a_500_not_an_outage(client, world, monkeypatch):
    """Only a dependency that is away becomes a 503; a programming error stays visible as one."""
    from healthbank.accounts import views

    def broken(request):
        raise KeyError("a bug")

    monkeypatch.setattr(views, "issue_challenge", broken)
    client.raise_request_exception = False
    assert client.post("/en/card/challenge", {"purpose": "login"}).status_code == 500


def test_the_app_api_is_never_stored(client, registered):
    response = api(client, "/api/app/v1/login", {"national_id": registered.national_id, "password": "x"})
    assert "no-store" in response["Cache-Control"]
