"""Security notices: every change to how a person gets in is told to them by e-mail, once."""

from __future__ import annotations

import pytest
from django.core import mail

from healthbank import policy
from tests.accounts.conftest import PASSWORD
from tests.accounts.test_login import log_in
from tests.devices.test_devices import bind, new_code

NEW = "Nw-2026ok"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Notices leave after the change is committed; run those callbacks as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def notices(kind_words: str) -> list:
    return [m for m in mail.outbox if kind_words in m.subject]


def test_a_password_change_is_told_to_the_registered_email(client, registered, committed):
    log_in(client, registered)
    with committed():
        client.post("/en/me/password/", {"current_password": PASSWORD, "password": NEW, "password_confirm": NEW})
    [notice] = notices("password was changed")
    assert notice.to == ["me@example.tw"] and "0800-030-598" in notice.body
    assert registered.national_id not in notice.body  # never the full ID in an e-mail


def test_new_contact_details_are_told_to_the_address_being_replaced(client, registered, committed):
    log_in(client, registered)
    with committed():
        client.post("/en/me/contacts/", {"mobile": "0911222333", "email": "later@example.tw"})
    [notice] = notices("contact details were changed")
    assert notice.to == ["me@example.tw"]


def test_a_newly_verified_device_is_told_with_its_model(client, registered, committed):
    log_in(client, registered)
    code = new_code(client)
    with committed():
        assert bind(client, code, "10.66.0.1").status_code == 201
    [notice] = notices("new mobile device")
    assert "Android Pixel 9." in notice.body and notice.to == ["me@example.tw"]
    assert "disabled" not in notice.body  # there was no earlier device
    with committed():
        bind(client, new_code(client), "10.66.0.1", device="dev-2")
    assert "The device enabled before is now disabled." in notices("new mobile device")[1].body


def test_the_lock_is_told_once(client, registered, committed):
    with committed():
        for n in range(policy.LOGIN_MAX_FAILURES_PER_ACCOUNT + 2):
            log_in(client, registered, password="Wrong-2026", ip=f"10.55.0.{n}")
    [notice] = notices("account is locked")
    assert "Forgot password" in notice.body


def test_dates_are_roc_in_the_chinese_part_and_gregorian_in_the_english_part(client, registered, committed):
    log_in(client, registered)
    with committed():
        client.post("/en/me/password/", {"current_password": PASSWORD, "password": NEW, "password_confirm": NEW})
    chinese, english = notices("password was changed")[0].body.split("—", 1)
    assert "115/11/20 12:00" in chinese and "2026-11-20" not in chinese  # noon, 2026-11-20 (Taipei)
    assert "2026-11-20 12:00" in english and "115/11/20" not in english


def test_the_reset_link_expiry_is_roc_in_chinese(client, registered, committed):
    from tests.accounts.conftest import read_card

    card = read_card(registered.cards[-1].card_number, "forgot")
    fields = {"challenge": card.challenge, "card_number": card.card_number, "national_id": card.national_id,
              "signature": card.signature, "route": "registered"}  # fmt: skip
    with committed():
        client.post("/en/password/forgot/", fields)
    chinese, english = notices("reset your password")[0].body.split("—", 1)
    assert "115/11/21 12:00" in chinese and "2026-11-21 12:00" in english
