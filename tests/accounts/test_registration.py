"""Self-service registration (SPEC §3) at the service level, with a moving clock."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import translation

from healthbank.accounts import passwords
from healthbank.accounts.models import OnlineAccount, RegistrationApplication
from healthbank.accounts.services import (
    Contacts,
    RegisteredAddressInput,
    RegistrationError,
    cancel_registration,
    confirm_registration,
    resend_confirmation,
    start_online_registration,
)
from healthbank.identity.card_proof import verify
from tests.accounts.conftest import read_card

GOOD_PASSWORD = "Hb-2026ok"


def card_of(person, purpose="register"):
    return verify(read_card(person.cards[-1].card_number, purpose), purpose)


def address_of(person, **changes):
    a = person.address
    values = dict(
        household_number=a.household_number,
        county=a.county,
        township=a.township,
        village=a.village,
        neighbourhood=a.neighbourhood,
    )
    values.update(changes)
    return RegisteredAddressInput(**values)


def apply(person, **changes):
    return start_online_registration(
        card_of(person),
        changes.pop("address", address_of(person)),
        changes.pop("password", GOOD_PASSWORD),
        changes.pop("password_confirm", GOOD_PASSWORD),
        changes.pop("contacts", Contacts(email="me@example.tw", mobile=person.mobile)),
    )


def link_token(message) -> str:
    return re.search(r"/register/confirm/([\w-]+)/", message.body).group(1)


def test_registration_sends_a_bilingual_link_that_activates_with_the_card(adult, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        apply(adult)
    account = OnlineAccount.objects.get()
    assert account.status == "pending"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["me@example.tw"]
    body = mail.outbox[0].body
    assert "5 日內" in body and "within 5 days" in body
    assert adult.national_id not in body
    confirm_registration(link_token(mail.outbox[0]), card_of(adult, "confirm"))
    account.refresh_from_db()
    assert account.status == "active"


def test_the_link_works_once(adult, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        apply(adult)
    token = link_token(mail.outbox[0])
    confirm_registration(token, card_of(adult, "confirm"))
    with pytest.raises(RegistrationError) as info:
        confirm_registration(token, card_of(adult, "confirm"))
    assert "link" in info.value.errors


def test_the_link_lapses_after_five_days_and_resend_starts_new_days(
    adult, time_machine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        apply(adult)
    old = link_token(mail.outbox[0])
    time_machine.shift(dt.timedelta(days=5, minutes=1))
    with pytest.raises(RegistrationError):
        confirm_registration(old, card_of(adult, "confirm"))
    with django_capture_on_commit_callbacks(execute=True):
        resend_confirmation(card_of(adult, "resend"))
    new = link_token(mail.outbox[1])
    time_machine.shift(dt.timedelta(days=4, hours=23))
    assert confirm_registration(new, card_of(adult, "confirm")).status == "active"


def test_resending_voids_the_earlier_link(adult, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        apply(adult)
        resend_confirmation(card_of(adult, "resend"))
    with pytest.raises(RegistrationError):
        confirm_registration(link_token(mail.outbox[0]), card_of(adult, "confirm"))
    assert RegistrationApplication.objects.filter(status="superseded").count() == 1


def test_cancelling_withdraws_the_application(adult, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        apply(adult)
    cancel_registration(card_of(adult, "cancel"))
    assert not OnlineAccount.objects.exists()
    with pytest.raises(RegistrationError):
        confirm_registration(link_token(mail.outbox[0]), card_of(adult, "confirm"))


def test_someone_elses_card_cannot_confirm(adult, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        apply(adult)
    other = next(p for p in world.people if p is not adult)
    with pytest.raises(RegistrationError) as info:
        confirm_registration(link_token(mail.outbox[0]), card_of(other, "confirm"))
    assert "card" in info.value.errors
    assert OnlineAccount.objects.get().status == "pending"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"address": "wrong-village"}, "household_number"),
        ({"address": "wrong-number"}, "household_number"),
        ({"password": "abc12", "password_confirm": "abc12"}, "password"),
        ({"password": "Abcdefghijk12", "password_confirm": "Abcdefghijk12"}, "password"),
        ({"password": "password1", "password_confirm": "password1"}, "password"),
        ({"password_confirm": "Hb-2026oK"}, "password_confirm"),
        ({"contacts": "bad-mail"}, "email"),
        ({"contacts": "bad-mobile"}, "mobile"),
    ],
)
def test_bad_details_are_refused_by_field_and_nothing_is_stored(adult, changes, field):
    if changes.get("address") == "wrong-village":
        changes["address"] = address_of(adult, village="不存在里")
    elif changes.get("address") == "wrong-number":
        changes["address"] = address_of(adult, household_number="Z0000000")
    if changes.get("contacts") == "bad-mail":
        changes["contacts"] = Contacts(email="not-an-email", mobile=adult.mobile)
    elif changes.get("contacts") == "bad-mobile":
        changes["contacts"] = Contacts(email="me@example.tw", mobile="12345")
    with pytest.raises(RegistrationError) as info:
        apply(adult, **changes)
    assert field in info.value.errors
    assert not OnlineAccount.objects.exists() and not mail.outbox


@translation.override("en")
def test_the_password_may_not_hold_the_persons_id_or_birth_date(adult):
    pid = adult.national_id
    with pytest.raises(RegistrationError) as info:
        apply(adult, password=pid[1:] + "!", password_confirm=pid[1:] + "!")
    assert any("national ID" in m for m in info.value.errors["password"])
    birthday = adult.birth_date.strftime("%Y%m%d") + "a"
    with pytest.raises(RegistrationError) as info:
        apply(adult, password=birthday, password_confirm=birthday)
    assert any("birth date" in m for m in info.value.errors["password"])


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("abcdefg", "weak"),
        ("abc123", "medium"),
        ("Abc123", "medium-strong"),
        ("Ab1!xyz", "medium-strong"),  # all four kinds but shorter than 8
        ("Ab1!xyzw", "strong"),
    ],
)
def test_strength_meter(password, expected):
    assert passwords.strength(password) == expected


@translation.override("zh-hant")
def test_messages_come_in_traditional_chinese(adult):
    with pytest.raises(RegistrationError) as info:
        apply(adult, password_confirm="different")
    assert info.value.errors["password_confirm"] == ["兩次輸入的密碼不一致。"]
