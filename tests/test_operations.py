"""Operations: liveness and readiness, production settings that refuse to start half-configured, one-line logs."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from django.db import OperationalError

from healthbank.core.logformat import OneLineFormatter


def test_readiness_checks_the_database_and_the_cache(client, db):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert "no-store" in response["Cache-Control"]


@pytest.fixture
def cache_away(settings):
    before = settings.CACHES
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}  # fmt: skip
    yield
    settings.CACHES = before


def test_liveness_answers_without_touching_the_cache_or_the_database(client, cache_away, monkeypatch):
    from healthbank import health

    monkeypatch.setattr(health, "_database", lambda: pytest.fail("liveness read the database"))
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readiness_is_503_while_the_cache_is_away(client, db, cache_away):
    response = client.get("/health/ready")
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["checks"] == {"database": "ok", "cache": "unavailable"}


def test_readiness_is_503_while_the_database_is_away(client, db, monkeypatch):
    from healthbank import health

    def away():
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(health, "_database", away)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unavailable", "cache": "ok"}


def _start_production(env_changes: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "healthbank.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "NATIONAL_ID_HASH_KEY": "00" * 32,
        "NATIONAL_ID_ENCRYPTION_KEY": "A" * 43 + "=",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        **env_changes,
    }
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)  # noqa: S603


def test_production_refuses_to_start_without_redis():
    started = _start_production({})
    assert started.returncode != 0 and "REDIS_URL must be set in production" in started.stderr


def test_production_with_redis_uses_it_for_the_cache_and_sends_tasks_to_workers():
    started = _start_production({"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


def _record(exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        return logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s",
                                 ("/login/",), sys.exc_info())  # fmt: skip


def test_an_outage_is_one_log_line_without_its_traceback():
    line = OneLineFormatter("%(levelname)s %(message)s").format(
        _record(OperationalError("server closed the connection unexpectedly\n\tThis probably means..."))
    )
    assert "\n" not in line and "Traceback" not in line
    assert line == (
        "ERROR Internal Server Error: /login/ [dependency away: OperationalError: server closed the connection "
        "unexpectedly]"
    )


def test_a_bug_keeps_its_traceback_on_one_line_with_national_ids_masked():
    line = OneLineFormatter("%(message)s").format(_record(KeyError("A123456789")))
    assert "\n" not in line and "Traceback (most recent call last): | " in line
    assert "A123456789" not in line and "A12345****" in line
