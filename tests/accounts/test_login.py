"""Web login with national ID + card number + password + image captcha (SPEC §4)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.hashers import make_password

from healthbank import policy
from healthbank.accounts.models import OnlineAccount
from tests.accounts.conftest import PASSWORD

WRONG = "The national ID, card number or password is not correct."


def captcha(client) -> dict:
    page = client.get("/en/login/").content.decode()
    key = re.search(r'name="captcha_0" value="([^"]+)"', page).group(1)
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def log_in(client, person, password=PASSWORD, card_number=None, national_id=None, **extra):
    data = {
        "national_id": national_id or person.national_id,
        "card_number": card_number or person.cards[-1].card_number,
        "password": password,
        **captcha(client),
    }
    data.update(extra)
    return client.post("/en/login/", data, REMOTE_ADDR=extra.pop("ip", "10.9.8.7"))


def test_the_person_logs_in_and_sees_their_masked_name(client, registered):
    response = log_in(client, registered)
    assert response.status_code == 302 and response.url.endswith("/me/")
    page = client.get("/en/me/").content.decode()
    assert registered.name[0] + "○" in page and registered.national_id not in page
    assert client.session.get_expiry_age() == int(policy.SESSION_IDLE_TIMEOUT.total_seconds())


def test_the_captcha_must_be_right(client, registered):
    data = captcha(client)
    data["captcha_1"] = "WRONG"
    response = client.post(
        "/en/login/",
        {"national_id": registered.national_id, "card_number": registered.cards[-1].card_number,
         "password": PASSWORD, **data},
    )  # fmt: skip
    assert response.status_code == 200 and client.get("/en/me/").status_code == 302


@pytest.mark.parametrize("what", ["password", "card", "unknown_id", "old_card"])
def test_every_wrong_detail_gets_the_same_answer(client, registered, world, what):
    if what == "password":
        response = log_in(client, registered, password="Wrong-2026")
    elif what == "card":
        response = log_in(client, registered, card_number="000000000000")
    elif what == "unknown_id":
        stranger = next(p for p in world.people if p is not registered)  # a real ID, never registered
        response = log_in(client, stranger)
    else:
        veteran = next((p for p in world.people if len(p.cards) > 1), None)
        if veteran is None:
            pytest.skip("no replaced card in this small population")
        response = log_in(client, registered, card_number=veteran.cards[0].card_number)
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert client.get("/en/me/").status_code == 302


def test_too_many_wrong_passwords_lock_the_account_until_reset(client, registered):
    for _ in range(policy.LOGIN_MAX_FAILURES_PER_ACCOUNT):
        log_in(client, registered, password="Wrong-2026", ip=f"10.0.0.{_}")
    assert OnlineAccount.objects.get().status == "locked"
    page = log_in(client, registered, ip="10.1.1.1").content.decode()
    assert "reset your password" in page
    assert client.get("/en/me/").status_code == 302


def test_many_failures_from_one_address_are_throttled(client, registered, world):
    stranger = next(p for p in world.people if p is not registered)
    for _ in range(policy.LOGIN_MAX_FAILURES_PER_SOURCE):
        log_in(client, stranger, ip="10.5.5.5")
    page = log_in(client, registered, ip="10.5.5.5").content.decode()
    assert "Too many failed attempts from this address" in page
    assert OnlineAccount.objects.get().failed_logins == 0  # the account itself was never guessed at
    assert log_in(client, registered, ip="10.6.6.6").status_code == 302


def test_a_password_change_ends_every_session(client, registered):
    log_in(client, registered)
    assert client.get("/en/me/").status_code == 200
    OnlineAccount.objects.update(password=make_password("Other-2026x"))
    assert client.get("/en/me/").status_code == 302


def test_logging_out(client, registered):
    log_in(client, registered)
    client.post("/en/logout/")
    assert client.get("/en/me/").status_code == 302


def test_the_login_page_is_bilingual(client, world):
    assert "健保卡卡號" in client.get("/login/").content.decode()
    assert "NHI card number" in client.get("/en/login/").content.decode()


def test_a_session_ends_after_idle_minutes_but_not_while_used(client, registered, time_machine):
    log_in(client, registered)
    almost = policy.SESSION_IDLE_TIMEOUT - dt.timedelta(minutes=1)
    for _ in range(3):  # used every 19 minutes for an hour: still logged in
        time_machine.shift(almost)
        assert client.get("/en/me/").status_code == 200
    time_machine.shift(policy.SESSION_IDLE_TIMEOUT + dt.timedelta(seconds=1))
    assert client.get("/en/me/").status_code == 302
