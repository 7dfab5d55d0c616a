"""Who may count failures against an account, and what a locked account answers (decisions.md, issue 7).

A failure counts against an account only once the caller has shown what only the
holder has (the card number, the card digits, the card, the verified device); a
locked account checks no password and answers the right one like a wrong one.
"""

from __future__ import annotations

import itertools
import json
import re

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.utils import timezone

from healthbank import policy
from healthbank.accounts.models import OnlineAccount
from healthbank.identity.models import InsuranceUnit
from tests.accounts.conftest import PASSWORD
from tests.accounts.test_login import WRONG, log_in

_addresses = itertools.count(1)


def fresh_ip() -> str:
    n = next(_addresses)
    return f"10.77.{n // 250 % 250}.{n % 250 + 1}"


def api(client, path, body, ip):
    return client.post(
        path, json.dumps(body), content_type="application/json", REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en"
    )


def phone_body(person, **changes):
    body = {
        "national_id": person.national_id,
        "card_last4": person.cards[-1].card_number[-4:],
        "mobile": person.mobile,
        "password": PASSWORD,
        "platform": "iOS",
        "model": "iPhone 17",
        "device_identifier": "phone-1",
    }
    return body | changes


def lock_on_the_web(client, person):
    for _ in range(policy.LOGIN_MAX_FAILURES_PER_ACCOUNT):
        log_in(client, person, password="Wrong-2026", ip=fresh_ip())
    assert OnlineAccount.objects.get().status == "locked"


def test_a_locked_account_answers_the_right_password_exactly_like_a_wrong_one(client, registered):
    lock_on_the_web(client, registered)
    right = log_in(client, registered, ip=fresh_ip()).content.decode()
    wrong = log_in(client, registered, password="Other-2026", ip=fresh_ip()).content.decode()
    message = "Too many wrong passwords: reset your password to use the service again."
    assert message in right and message in wrong
    assert client.get("/en/me/").status_code == 302


def test_a_locked_account_checks_no_password(client, registered, monkeypatch):
    lock_on_the_web(client, registered)
    account_hash = OnlineAccount.objects.get().password
    checked = []
    from healthbank.accounts import login

    real = login.check_password
    monkeypatch.setattr(login, "check_password", lambda raw, hashed: checked.append(hashed) or real(raw, hashed))
    log_in(client, registered, ip=fresh_ip())
    assert checked and account_hash not in checked  # a hash was spent (timing), never the account's


def test_in_the_app_too_a_locked_account_answers_the_same_to_every_password(client, registered):
    credential = api(client, "/api/app/v1/devices/verify-phone", phone_body(registered), fresh_ip()).json()
    credential = credential["credential"]

    def app_login(password):
        body = {"national_id": registered.national_id, "password": password, "device_credential": credential}
        return api(client, "/api/app/v1/login", body, fresh_ip())

    for _ in range(policy.LOGIN_MAX_FAILURES_PER_ACCOUNT):
        assert app_login("Wrong-2026").status_code == 400
    assert OnlineAccount.objects.get().status == "locked"
    right, wrong = app_login(PASSWORD), app_login("Other-2026")
    assert right.status_code == wrong.status_code == 400
    assert right.json() == wrong.json()


@pytest.mark.parametrize("path", ["phone", "web", "app"])
def test_a_stranger_who_knows_only_the_national_id_cannot_lock_the_account(client, registered, world, path):
    """Wrong card digits, a wrong card number, or a device verified for someone else: nothing counts on the account."""
    attempts = policy.LOGIN_MAX_FAILURES_PER_ACCOUNT * 2
    if path == "phone":
        for n in range(attempts):
            body = phone_body(registered, card_last4=f"{n:04d}", password="Wrong-2026", device_identifier=f"d{n}")
            assert api(client, "/api/app/v1/devices/verify-phone", body, fresh_ip()).status_code == 400
    elif path == "web":
        for _ in range(attempts):
            response = log_in(client, registered, card_number="000000000000", password="Wrong-2026", ip=fresh_ip())
            assert WRONG in response.content.decode()
    else:
        stranger = next(p for p in world.people if p is not registered and p.mobile_plan == "postpaid" and p.mobile)
        from healthbank.identity.models import Person

        OnlineAccount.objects.create(
            person=Person.objects.by_national_id(stranger.national_id).get(), status="active", channel="online",
            password=make_password(PASSWORD), email="stranger@example.tw", mobile=stranger.mobile,
            created_at=timezone.now(),
        )  # fmt: skip
        own = api(client, "/api/app/v1/devices/verify-phone", phone_body(stranger), fresh_ip()).json()["credential"]
        for _ in range(attempts):
            body = {"national_id": registered.national_id, "password": "Wrong-2026", "device_credential": own}
            assert api(client, "/api/app/v1/login", body, fresh_ip()).status_code == 400
    account = OnlineAccount.objects.get(email="me@example.tw")
    assert (account.status, account.failed_logins) == ("active", 0)
    assert not [m for m in mail.outbox if "locked" in m.subject]
    assert log_in(client, registered, ip=fresh_ip()).status_code == 302


def test_with_the_right_card_digits_wrong_passwords_do_count(client, registered):
    for _ in range(policy.LOGIN_MAX_FAILURES_PER_ACCOUNT):
        body = phone_body(registered, password="Wrong-2026")
        api(client, "/api/app/v1/devices/verify-phone", body, fresh_ip())
    assert OnlineAccount.objects.get().status == "locked"


def test_a_stranger_is_throttled_by_address_and_by_device(client, registered):
    """Without the card digits the guesses count where they come from: the address, and the device named."""
    body = phone_body(registered, card_last4="0000", password="Wrong-2026", device_identifier="one-phone")
    answers = [
        api(client, "/api/app/v1/devices/verify-phone", body, fresh_ip()).json()["errors"]["credentials"][0]
        for _ in range(policy.LOGIN_MAX_FAILURES_PER_DEVICE + 1)
    ]
    assert "from this device" in answers[-1] and "from this device" not in answers[-2]


def test_one_ipv6_subscriber_is_one_address_for_the_throttle(client, registered, world):
    stranger = next(p for p in world.people if p is not registered)
    for n in range(policy.LOGIN_MAX_FAILURES_PER_SOURCE):
        log_in(client, stranger, ip=f"2001:db8:5:7::{n + 1:x}")
    page = log_in(client, registered, ip="2001:db8:5:7:ffff:1:2:3").content.decode()
    assert "Too many failed attempts from this address" in page
    assert log_in(client, registered, ip="2001:db8:5:8::1").status_code == 302  # the next /64 is someone else


# ---------------------------------------------------------------- the insurance unit portal


@pytest.fixture
def unit(world):
    unit = InsuranceUnit.objects.first()
    unit.portal_password = make_password("unit-pass-2026")
    unit.save()
    return unit


def errors(response) -> list[str]:
    """The page's error summary, item by item (empty when there is none)."""
    summary = re.search(r'<div class="error-summary".*?</ul>', response.content.decode(), re.S)
    return re.findall(r"<li>(.*?)</li>", summary.group(0), re.S) if summary else []


def unit_login(client, unit, password, ip=None, code=None):
    return client.post(
        "/en/unit/login/", {"code": code or unit.code, "password": password}, REMOTE_ADDR=ip or fresh_ip()
    )


def test_the_unit_portal_pauses_a_unit_code_at_an_address_after_wrong_passwords(client, unit):
    here = fresh_ip()
    for _ in range(policy.UNIT_LOGIN_MAX_FAILURES):
        assert "not correct" in unit_login(client, unit, "wrong", here).content.decode()
    right = unit_login(client, unit, "unit-pass-2026", here)
    wrong = unit_login(client, unit, "wrong", here)
    assert right.status_code == wrong.status_code == 200
    assert "Too many wrong passwords for this unit code from this address" in right.content.decode()
    assert errors(right) == errors(wrong) != []  # the right password is not told apart behind the pause
    assert client.get("/en/unit/").status_code == 302


def test_a_stranger_cannot_shut_a_unit_out(client, unit):
    """The pause was the whole unit's: anyone who knew the code kept it shut out with six requests an hour."""
    stranger = fresh_ip()
    for _ in range(policy.UNIT_LOGIN_MAX_FAILURES + 3):
        unit_login(client, unit, "guess", stranger)
    assert unit_login(client, unit, "unit-pass-2026", stranger).status_code == 200  # the stranger is paused
    assert unit_login(client, unit, "unit-pass-2026", fresh_ip()).status_code == 302  # the unit is not
    assert client.get("/en/unit/").status_code == 200


def test_the_pause_does_not_tell_which_unit_codes_exist(client, unit):
    answers = {}
    for code in (unit.code, "999999999"):
        here = fresh_ip()
        for _ in range(policy.UNIT_LOGIN_MAX_FAILURES):
            unit_login(client, unit, "wrong", here, code=code)
        answers[code] = errors(unit_login(client, unit, "wrong", here, code=code))
    assert answers[unit.code] == answers["999999999"]
    assert "Too many wrong passwords for this unit code" in answers[unit.code][0]


def test_the_unit_portal_pages_are_never_stored(client, unit):
    assert "no-store" in client.get("/en/unit/login/")["Cache-Control"]
    unit_login(client, unit, "unit-pass-2026")
    assert "no-store" in client.get("/en/unit/")["Cache-Control"]


def test_the_app_is_told_it_is_throttled_with_a_429_and_when_to_try_again(client, registered):
    """The document promised 429 for used-up tries; the app got 400, as for a wrong password."""
    here = fresh_ip()
    body = {"national_id": registered.national_id, "password": "Wrong-2026", "device_credential": "x"}
    statuses = [api(client, "/api/app/v1/login", body, here).status_code
                for _ in range(policy.LOGIN_MAX_FAILURES_PER_SOURCE + 1)]  # fmt: skip
    assert statuses[:-1] == [400] * policy.LOGIN_MAX_FAILURES_PER_SOURCE
    throttled = api(client, "/api/app/v1/login", body, here)
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) == int(policy.LOGIN_FAILURE_WINDOW.total_seconds())
    assert "Too many failed attempts from this address" in throttled.json()["errors"]["credentials"][0]
    phone = api(client, "/api/app/v1/devices/verify-phone", phone_body(registered, password="x"), here)
    assert phone.status_code == 429


def test_the_device_code_throttle_speaks_the_apps_language(client, db):
    body = {"code": "Guess000", "platform": "iOS", "model": "X", "device_identifier": "d"}
    here = fresh_ip()
    for _ in range(10):
        api(client, "/api/app/v1/devices/bind", body, here)
    response = client.post("/api/app/v1/devices/bind", json.dumps(body), content_type="application/json",
                           REMOTE_ADDR=here, HTTP_ACCEPT_LANGUAGE="zh-TW")  # fmt: skip
    assert response.status_code == 429
    assert "次數過多" in response.json()["errors"]["request"][0]


def test_a_stranger_spread_over_many_addresses_cannot_find_the_card_digits_and_lock_the_account(client, registered):
    """Four digits are 10,000 guesses: from enough addresses a stranger found them, and the wrong passwords sent
    with them locked the account. After PHONE_CHECK_MAX_WRONG_DIGITS wrong digits the phone route checks nothing
    for that ID, from any address; the account is not locked and the person's other routes still work."""
    right = registered.cards[-1].card_number[-4:]
    wrong_digits = (f"{n:04d}" for n in range(10_000) if f"{n:04d}" != right)
    for _ in range(policy.PHONE_CHECK_MAX_WRONG_DIGITS):
        body = phone_body(registered, card_last4=next(wrong_digits), password="Wrong-2026", device_identifier="x")
        assert api(client, "/api/app/v1/devices/verify-phone", body, fresh_ip()).status_code == 400
    for _ in range(policy.LOGIN_MAX_FAILURES_PER_ACCOUNT + 1):  # now the right digits, with wrong passwords
        body = phone_body(registered, password="Wrong-2026", device_identifier="x")
        answer = api(client, "/api/app/v1/devices/verify-phone", body, fresh_ip())
        assert answer.status_code == 429
        assert "Too many wrong card digits for this national ID" in answer.json()["errors"]["credentials"][0]
    account = OnlineAccount.objects.get()
    assert (account.status, account.failed_logins) == ("active", 0)
    assert log_in(client, registered, ip=fresh_ip()).status_code == 302  # the web login is untouched


def test_the_phone_pause_does_not_tell_a_registered_id_from_any_other(client, registered, world):
    answers = {}
    unregistered = next(p for p in world.people if p is not registered)
    right = registered.cards[-1].card_number[-4:]
    guesses = [f"{n:04d}" for n in range(policy.PHONE_CHECK_MAX_WRONG_DIGITS + 1) if f"{n:04d}" != right]
    for person in (registered, unregistered):
        for n, digits in enumerate(guesses[: policy.PHONE_CHECK_MAX_WRONG_DIGITS]):
            body = phone_body(registered, national_id=person.national_id, card_last4=digits, password="Wrong-2026",
                              device_identifier=f"d{n}")  # fmt: skip
            api(client, "/api/app/v1/devices/verify-phone", body, fresh_ip())
        body = phone_body(registered, national_id=person.national_id, password="Wrong-2026", device_identifier="last")
        response = api(client, "/api/app/v1/devices/verify-phone", body, fresh_ip())
        answers[person.national_id] = (response.status_code, response.json())
    assert answers[registered.national_id] == answers[unregistered.national_id]


def test_a_suspended_accounts_password_is_guessed_no_more_freely_than_an_active_ones(
    client, registered, django_user_model
):
    """Wrong passwords for a suspended account were checked without end (only the address limit held), so a
    stranger with the card number, spread over addresses, could find the password before it was reinstated."""
    account = OnlineAccount.objects.get()
    OnlineAccount.objects.filter(pk=account.pk).update(status=OnlineAccount.Status.SUSPENDED)
    for _ in range(policy.LOGIN_MAX_FAILURES_PER_ACCOUNT):
        assert WRONG in log_in(client, registered, password="Wrong-2026", ip=fresh_ip()).content.decode()
    right = log_in(client, registered, ip=fresh_ip()).content.decode()
    assert WRONG in right and "suspended" not in right  # the slots are used: not even the right one is checked
    assert OnlineAccount.objects.get().status == "suspended"  # and it is not locked by them
    from healthbank.accounts import services

    operator = django_user_model.objects.create_user("counter-op", is_staff=True)
    services.set_suspended(OnlineAccount.objects.get(), operator=operator, suspended=False)
    assert log_in(client, registered, ip=fresh_ip()).status_code == 302  # reinstated at the counter: in


def test_a_suspended_account_is_still_named_after_the_right_password(client, registered):
    OnlineAccount.objects.update(status=OnlineAccount.Status.SUSPENDED)
    assert "suspended" not in log_in(client, registered, password="Wrong-2026", ip=fresh_ip()).content.decode()
    page = log_in(client, registered, ip=fresh_ip()).content.decode()
    assert "This registration is suspended" in page
