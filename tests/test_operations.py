"""Operations: liveness and readiness, production settings that refuse to start half-configured, one-line logs."""

from __future__ import annotations

import json
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
        "HEALTHBANK_ENVIRONMENT": "production",
        **env_changes,
    }
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)  # noqa: S603


def test_production_refuses_to_start_without_redis():
    started = _start_production({})
    assert started.returncode != 0 and "REDIS_URL must be set in production" in started.stderr


def test_production_refuses_to_start_without_naming_its_environment():
    """Card QR codes carry the environment's name: a test system's codes must never scan in production."""
    started = _start_production({"REDIS_URL": "redis://127.0.0.1:1/0", "HEALTHBANK_ENVIRONMENT": ""})
    assert started.returncode != 0 and "HEALTHBANK_ENVIRONMENT must be set in production" in started.stderr


def test_production_with_redis_uses_it_for_the_cache_and_sends_tasks_to_workers():
    started = _start_production({"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


def _settings_of(module: str, names: list[str], env_changes: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SECRET_KEY")}
    env |= {"DJANGO_SETTINGS_MODULE": module, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", **env_changes}
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: str(getattr(settings, n, None)) for n in {names!r}}}))"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)  # noqa: S603


LOAD_DIFFERENCES = ["CAPTCHA_TEST_MODE", "TRUSTED_PROXIES", "SESSION_COOKIE_SECURE", "EMAIL_BACKEND"]


def test_the_load_test_environment_is_production_with_its_documented_differences(tmp_path):
    """make load's settings: Redis and workers as in production; captcha test mode and the load generator as the
    trusted proxy there only (production itself never accepts a captcha answer unread)."""
    load = _settings_of(
        "healthbank.settings.load",
        [*LOAD_DIFFERENCES, "CELERY_TASK_ALWAYS_EAGER", "DEBUG", "VCARD_ENVIRONMENT"],
        {"REDIS_URL": "redis://127.0.0.1:1/0", "HEALTHBANK_VAR_DIR": str(tmp_path)},
    )
    assert load.returncode == 0, load.stderr
    assert json.loads(load.stdout) == {
        "CAPTCHA_TEST_MODE": "True",
        "TRUSTED_PROXIES": "['127.0.0.1/32']",
        "SESSION_COOKIE_SECURE": "False",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "CELERY_TASK_ALWAYS_EAGER": "False",
        "DEBUG": "False",
        "VCARD_ENVIRONMENT": "load",
    }
    production = _start_production({"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert production.returncode == 0, production.stderr
    keys = {"DJANGO_SECRET_KEY": "x" * 50, "NATIONAL_ID_HASH_KEY": "00" * 32,
            "NATIONAL_ID_ENCRYPTION_KEY": "A" * 43 + "=", "HEALTHBANK_ENVIRONMENT": "production",
            "REDIS_URL": "redis://127.0.0.1:1/0"}  # fmt: skip
    shown = json.loads(_settings_of("healthbank.settings.production", LOAD_DIFFERENCES, keys).stdout)
    assert shown["CAPTCHA_TEST_MODE"] != "True" and shown["TRUSTED_PROXIES"] == "[]"  # unset: the library says off


def test_the_load_test_environment_refuses_to_start_without_redis(tmp_path):
    started = _settings_of("healthbank.settings.load", ["DEBUG"], {"HEALTHBANK_VAR_DIR": str(tmp_path)})
    assert started.returncode != 0 and "REDIS_URL must be set in production" in started.stderr


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


class _Lines(logging.Handler):
    """Every record the configured loggers let through, as the console handler would write it."""

    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(OneLineFormatter("%(levelname)s %(name)s %(message)s").format(record))


@pytest.fixture
def log_lines():
    lines = _Lines()
    root = logging.getLogger()
    root.addHandler(lines)
    yield lines.lines
    root.removeHandler(lines)


def _app_login_bug(monkeypatch):
    from healthbank.devices import services

    def broken(**kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(services, "app_login", broken)


def test_a_failed_api_request_is_one_log_line(client, db, log_lines, monkeypatch):
    """The API's own error line carries the traceback; Django's "Internal Server Error" line would repeat it."""
    _app_login_bug(monkeypatch)
    response = client.post("/api/app/v1/login", "{}", content_type="application/json")
    assert response.status_code == 500
    assert len(log_lines) == 1, log_lines
    assert "KeyError" in log_lines[0] and "/api/app/v1/login" in log_lines[0]


def test_an_api_outage_is_one_log_line(client, db, log_lines, monkeypatch):
    from healthbank.devices import services

    def away(**kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(services, "app_login", away)
    assert client.post("/api/app/v1/login", "{}", content_type="application/json").status_code == 503
    assert len(log_lines) == 1, log_lines


def test_readiness_failing_is_one_log_line(client, db, log_lines, cache_away):
    assert client.get("/health/ready").status_code == 503
    assert len(log_lines) == 1, log_lines


def test_a_bug_on_a_page_is_one_log_line(client, db, log_lines, monkeypatch):
    from healthbank.accounts import views

    def broken(purpose):
        raise KeyError("a bug")

    monkeypatch.setattr(views, "issue_challenge", broken)
    client.raise_request_exception = False
    assert client.post("/en/card/challenge", {"purpose": "login"}).status_code == 500
    assert len(log_lines) == 1, log_lines


def test_a_refused_request_leaves_its_line_to_the_access_log(client, db, log_lines):
    """A 4xx is the client's: gunicorn's access line records it, the application adds no second line."""
    assert client.get("/en/no-such-page/").status_code == 404
    assert client.post("/api/app/v1/login", "{", content_type="application/json").status_code == 400
    assert client.get("/api/app/v1/me").status_code == 401
    assert log_lines == []


def test_a_dependency_away_inside_a_middleware_is_one_log_line(client, db, log_lines, settings):
    """Django logs the 500 it made of the middleware's exception before the outage middleware turns it into a 503."""
    position = settings.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[:position], "tests.test_errors.ExplodingMiddleware",
                           *settings.MIDDLEWARE[position:]]  # fmt: skip
    client.raise_request_exception = False
    assert client.get("/en/login/", HTTP_X_EXPLODE="database").status_code == 503
    assert len(log_lines) == 1, log_lines
    assert "answered 503" in log_lines[0]


def test_gunicorns_access_line_masks_national_ids(tmp_path):
    """Its loggers are not Django's: a query string or Referer holding an ID was written to the access log in full."""
    import datetime as dt
    import runpy
    from types import SimpleNamespace

    from django.conf import settings
    from gunicorn.config import Config

    conf = runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))
    config = Config()
    config.set("logger_class", conf["logger_class"])
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = config.logger_class(config)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/login/?national_id=A123456789&q%3DF131104093",
               "PATH_INFO": "/login/", "QUERY_STRING": "national_id=A123456789&q%3DF131104093",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": "http://x/admin/?_changelist_filters=q%3DC212345678"}  # fmt: skip
    response = SimpleNamespace(status="200 OK", headers=[], sent=10, response_length=10)
    logger.access(response, SimpleNamespace(headers=[]), environ, dt.timedelta(seconds=0.1))
    logger.error("Error handling request GET /login/?national_id=A123456789")
    for handler in (*logger.access_log.handlers, *logger.error_log.handlers):
        handler.flush()
    written = (tmp_path / "access.log").read_text() + (tmp_path / "error.log").read_text()
    assert "/login/?national_id=A12345****" in written
    for full in ("A123456789", "F131104093", "C212345678"):
        assert full not in written
