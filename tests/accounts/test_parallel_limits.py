"""Throttles and lockouts hold under parallel bursts: exactly the limit is checked, on the database and on Redis.

Each test starts its requests together from a pool of threads, each thread with its
own database connection, as gunicorn workers would. ``counter`` runs each test once
with the counters in the database (SQLite or PostgreSQL, whichever the suite runs on)
and once in Redis (when the suite has one).
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from captcha.models import CaptchaStore
from django.db import connection
from django.test import Client

from healthbank import policy
from healthbank.accounts.models import OnlineAccount
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

BURST = 40


@pytest.fixture(params=["database", "redis"])
def counter(request, settings):
    """Where the counters live: in the database (any cache but Redis) or in Redis (the Redis cache)."""
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("no REDIS_URL: the Redis counter runs in the PostgreSQL + Redis suite")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": settings.REDIS_URL,
                "KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", "hbtest"),
            }
        }
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    yield request.param
    from django.core.cache import cache

    cache.clear()


def together(count: int, attempt) -> list:
    """Run ``attempt(n)`` for n in range(count), all released at once; each thread closes its connection."""
    start = threading.Barrier(count)

    def run(n):
        start.wait()
        try:
            return attempt(n)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def count_checks_against(monkeypatch, stored_hash: str) -> list[str]:
    """The passwords ``login`` checks against ``stored_hash`` from now on, counted across threads."""
    from healthbank.accounts import login

    real, checks = login.check_password, []
    lock = threading.Lock()

    def counting(raw, hashed):
        if hashed == stored_hash:
            with lock:
                checks.append(raw)
        return real(raw, hashed)

    monkeypatch.setattr(login, "check_password", counting)
    return checks


def test_the_counter_itself_never_gives_two_callers_the_same_count(counter, db):
    from healthbank.accounts import limits

    counts = together(BURST, lambda n: limits.hit("parallel", policy.LOGIN_FAILURE_WINDOW))
    assert sorted(counts) == list(range(1, BURST + 1))


def captchas(count: int) -> list[dict]:
    keys = [CaptchaStore.generate_key() for _ in range(count)]
    return [{"captcha_0": k, "captcha_1": CaptchaStore.objects.get(hashkey=k).response} for k in keys]


def test_a_web_login_burst_from_one_address_checks_exactly_the_limit(counter, registered):
    proofs = captchas(BURST)

    def attempt(n):
        data = {"national_id": registered.national_id, "card_number": "000000000000", "password": "Wrong-2026"}
        page = Client().post("/en/login/", data | proofs[n], REMOTE_ADDR="203.0.113.40").content.decode()
        return "throttled" if "Too many failed attempts from this address" in page else "checked"

    answers = together(BURST, attempt)
    assert answers.count("checked") == policy.LOGIN_MAX_FAILURES_PER_SOURCE
    assert answers.count("throttled") == BURST - policy.LOGIN_MAX_FAILURES_PER_SOURCE


def test_an_app_login_burst_from_one_address_checks_exactly_the_limit(counter, registered):
    def attempt(n):
        body = {"national_id": registered.national_id, "password": "Wrong-2026", "device_credential": f"x{n}"}
        response = Client().post(
            "/api/app/v1/login", json.dumps(body), content_type="application/json", REMOTE_ADDR="203.0.113.41",
            HTTP_ACCEPT_LANGUAGE="en",
        )  # fmt: skip
        return "throttled" if "Too many failed attempts" in response.content.decode() else "checked"

    answers = together(BURST, attempt)
    assert answers.count("checked") == policy.LOGIN_MAX_FAILURES_PER_SOURCE


def test_a_burst_of_device_code_guesses_checks_exactly_the_limit(counter, db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"device_bind": "10/min"}}
    guesses = 60

    def attempt(n):
        body = {"code": f"Guess{n:03d}", "platform": "iOS", "model": "X", "device_identifier": "d"}
        return (
            Client()
            .post(
                "/api/app/v1/devices/bind",
                json.dumps(body),
                content_type="application/json",
                REMOTE_ADDR="203.0.113.42",
            )
            .status_code
        )

    statuses = together(guesses, attempt)
    assert statuses.count(400) == 10 and statuses.count(429) == guesses - 10


def test_a_burst_of_wrong_passwords_with_the_card_locks_the_account_after_exactly_the_limit(
    counter, registered, monkeypatch
):
    """Forty guessers who know the ID and the card number, each from their own address: five checks, one lock."""
    from healthbank.accounts import login

    account_hash = OnlineAccount.objects.get().password
    checks = count_checks_against(monkeypatch, account_hash)
    card = registered.cards[-1].card_number

    def attempt(n):
        try:
            login.authenticate_with_card_number(registered.national_id, card, f"Wrong-{n:04d}", f"198.51.100.{n + 1}")
        except login.LoginError as exc:
            return exc.code

    codes = together(BURST, attempt)
    assert len(checks) == policy.LOGIN_MAX_FAILURES_PER_ACCOUNT
    assert codes.count("invalid") == policy.LOGIN_MAX_FAILURES_PER_ACCOUNT
    assert codes.count("locked") == BURST - policy.LOGIN_MAX_FAILURES_PER_ACCOUNT
    assert OnlineAccount.objects.get().status == "locked"
    assert PASSWORD not in checks


def test_a_burst_of_unit_portal_guesses_from_one_address_checks_exactly_the_limit(counter, world, monkeypatch):
    """Forty guesses at one unit's portal password from one address: five password checks, then the pause."""
    from django.contrib.auth.hashers import make_password

    from healthbank.accounts import login
    from healthbank.identity.models import InsuranceUnit

    unit = InsuranceUnit.objects.first()
    unit.portal_password = make_password("unit-pass-2026")
    unit.save()
    checks = count_checks_against(monkeypatch, unit.portal_password)

    def attempt(n):
        try:
            login.authenticate_unit(unit.code, f"guess-{n:04d}", "203.0.113.43")
        except login.LoginError as exc:
            return exc.code

    codes = together(BURST, attempt)
    assert len(checks) == policy.UNIT_LOGIN_MAX_FAILURES
    assert codes.count("invalid") == policy.UNIT_LOGIN_MAX_FAILURES
    admitted = policy.LOGIN_MAX_FAILURES_PER_SOURCE  # the address's own limit comes first
    assert codes.count("locked") == admitted - policy.UNIT_LOGIN_MAX_FAILURES
    assert codes.count("throttled") == BURST - admitted


def test_a_burst_of_guesses_at_the_current_password_checks_exactly_the_accounts_limit(counter, registered, monkeypatch):
    """The change-password page asks for the current password: forty parallel guesses there check five, then lock."""
    from healthbank.accounts import login

    account = OnlineAccount.objects.get()
    checks = count_checks_against(monkeypatch, account.password)

    def attempt(n):
        try:
            login.check_current_password(OnlineAccount.objects.get(), f"Wrong-{n:04d}")
        except login.LoginError as exc:
            return exc.code

    codes = together(BURST, attempt)
    assert len(checks) == policy.LOGIN_MAX_FAILURES_PER_ACCOUNT
    assert codes.count("locked") == BURST - policy.LOGIN_MAX_FAILURES_PER_ACCOUNT
    assert OnlineAccount.objects.get().status == "locked"


def test_a_burst_of_card_digit_guesses_from_many_addresses_checks_exactly_the_ids_limit(counter, registered):
    """Forty guessers of one person's card digits, each from their own address: ten guesses are looked at."""
    from healthbank.accounts import login

    def attempt(n):
        try:
            login.authenticate_with_card_suffix(registered.national_id, f"{n:04d}", "Wrong-2026", f"198.51.102.{n + 1}")
        except login.LoginError as exc:
            return exc.code

    codes = together(BURST, attempt)
    assert codes.count("throttled") == BURST - policy.PHONE_CHECK_MAX_WRONG_DIGITS
    assert codes.count("invalid") == policy.PHONE_CHECK_MAX_WRONG_DIGITS
