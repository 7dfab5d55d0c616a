"""The app: phone-number verification through the carriers, then login with ID + password from the device."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest

from healthbank import policy
from healthbank.devices.models import DeviceBinding
from tests.accounts.conftest import PASSWORD

_addresses = itertools.count(1)


@pytest.fixture
def ip():
    return f"10.99.{next(_addresses)}.1"


def post(client, path, body, ip):
    return client.post(path, json.dumps(body), content_type="application/json", REMOTE_ADDR=ip)


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
    body.update(changes)
    return body


def test_a_post_paid_number_in_the_persons_name_binds_the_phone_and_the_app_logs_in(client, registered, ip):
    response = post(client, "/api/app/v1/devices/verify-phone", phone_body(registered), ip)
    assert response.status_code == 201, response.json()
    credential = response.json()["credential"]
    login = post(
        client,
        "/api/app/v1/login",
        {"national_id": registered.national_id, "password": PASSWORD, "device_credential": credential},
        ip,
    )
    assert login.status_code == 200
    me = client.get("/api/app/v1/me", HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    assert me.status_code == 200
    assert me.json()["national_id"] == registered.national_id[:6] + "****"


@pytest.mark.parametrize("plan", ["prepaid", "company", "someone_else"])
def test_other_numbers_are_sent_to_the_device_code(client, registered, world, ip, plan, settings):
    """The carriers' file says the number is prepaid, a company's, or someone else's."""
    import csv

    from healthbank.external import carriers, reset_adapters

    path = settings.EXTERNAL_DATA_DIR / carriers.FILE_NAME
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    for row in rows:
        if row["mobile"] == registered.mobile:
            if plan == "someone_else":
                row["owner_national_id"] = next(p for p in world.people if p is not registered).national_id
            else:
                row["plan"] = plan
    carriers.write(settings.EXTERNAL_DATA_DIR, rows)
    reset_adapters()
    response = post(client, "/api/app/v1/devices/verify-phone", phone_body(registered), ip)
    assert response.status_code == 400
    assert "請改以裝置認證碼" in response.json()["errors"]["mobile"][0]  # Chinese unless the app asks otherwise
    english = client.post(
        "/api/app/v1/devices/verify-phone",
        json.dumps(phone_body(registered)),
        content_type="application/json",
        REMOTE_ADDR=ip,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "device verification code instead" in english.json()["errors"]["mobile"][0]
    assert not DeviceBinding.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"), [({"card_last4": "0000"}, "credentials"), ({"password": "Wrong-2026"}, "credentials")]
)
def test_wrong_card_digits_or_password_bind_nothing(client, registered, ip, change, field):
    response = post(client, "/api/app/v1/devices/verify-phone", phone_body(registered, **change), ip)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not DeviceBinding.objects.exists()


def test_the_app_cannot_log_in_from_a_disabled_device_or_as_someone_else(client, registered, world, ip):
    first = post(client, "/api/app/v1/devices/verify-phone", phone_body(registered), ip).json()["credential"]
    post(client, "/api/app/v1/devices/verify-phone", phone_body(registered, device_identifier="phone-2"), ip)
    old = post(
        client,
        "/api/app/v1/login",
        {"national_id": registered.national_id, "password": PASSWORD, "device_credential": first},
        ip,
    )
    assert old.status_code == 400  # verifying a new device disabled the old one
    # ... and the old phone is told why, by its own credential, whatever ID and password it sends (issue 13)
    assert list(old.json()["errors"]) == ["device_credential"]
    assert "認證已停用" in old.json()["errors"]["device_credential"][0]  # Chinese unless the app asks otherwise
    other = next(p for p in world.people if p is not registered)
    new = DeviceBinding.objects.get(status="enabled")
    assert new.device_identifier == "phone-2"
    stranger = post(
        client,
        "/api/app/v1/login",
        {"national_id": other.national_id, "password": PASSWORD, "device_credential": first},
        ip,
    )
    assert stranger.status_code == 400
    assert list(stranger.json()["errors"]) == ["device_credential"]  # the same answer: nothing about the ID
    unknown = post(
        client,
        "/api/app/v1/login",
        {"national_id": registered.national_id, "password": PASSWORD, "device_credential": "not-a-credential"},
        ip,
    )
    assert unknown.status_code == 400 and list(unknown.json()["errors"]) == ["credentials"]


def test_app_tokens_expire(client, registered, ip, time_machine):
    credential = post(client, "/api/app/v1/devices/verify-phone", phone_body(registered), ip).json()["credential"]
    token = post(
        client,
        "/api/app/v1/login",
        {"national_id": registered.national_id, "password": PASSWORD, "device_credential": credential},
        ip,
    ).json()["token"]
    time_machine.shift(policy.APP_TOKEN_VALID_FOR + dt.timedelta(seconds=1))
    assert client.get("/api/app/v1/me", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_the_app_endpoints_are_in_the_openapi_document(client, db):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    assert {
        "/api/app/v1/devices/bind",
        "/api/app/v1/devices/verify-phone",
        "/api/app/v1/login",
        "/api/app/v1/me",
        "/api/app/v1/devices",
    } <= set(paths)


def _app_session(client, person, ip, device_identifier):
    credential = post(
        client, "/api/app/v1/devices/verify-phone", phone_body(person, device_identifier=device_identifier), ip
    ).json()["credential"]
    body = {"national_id": person.national_id, "password": PASSWORD, "device_credential": credential}
    return {"HTTP_AUTHORIZATION": f"Token {post(client, '/api/app/v1/login', body, ip).json()['token']}"}


def test_the_app_lists_every_device_and_switches_the_enabled_one(client, registered, ip, time_machine):
    old = _app_session(client, registered, ip, "old-phone")
    time_machine.shift(dt.timedelta(days=30))  # a month later, a new phone
    new = _app_session(client, registered, ip, "new-phone")
    assert client.get("/api/app/v1/devices", **old).status_code == 401  # verifying the new phone ended the old
    listed = client.get("/api/app/v1/devices", **new).json()
    assert [(d["device_identifier"], d["status"], d["this_device"]) for d in listed] == [
        ("new-phone", "enabled", True),
        ("old-phone", "disabled", False),
    ]
    old_id = listed[1]["device_id"]
    switched = client.post(f"/api/app/v1/devices/{old_id}/enable", **new)
    assert switched.status_code == 200 and switched.json()["status"] == "enabled"
    assert DeviceBinding.objects.get(device_identifier="new-phone").status == "disabled"
    assert client.get("/api/app/v1/devices", **new).status_code == 401  # this phone is no longer the one


def test_a_device_of_someone_else_is_not_found(client, registered, world, ip):
    session = _app_session(client, registered, ip, "my-phone")
    mine = client.get("/api/app/v1/devices", **session).json()[0]["device_id"]
    from healthbank.identity.models import Person

    other = DeviceBinding.objects.create(
        person=Person.objects.exclude(pk=DeviceBinding.objects.get(pk=mine).person_id).first(),
        platform="Android", model="X", device_identifier="theirs", verified_at="2026-11-01T00:00:00+08:00",
        credential_hash="0" * 64,
    )  # fmt: skip
    assert client.post(f"/api/app/v1/devices/{other.pk}/disable", **session).status_code == 404
    assert DeviceBinding.objects.get(pk=other.pk).status == "enabled"
    assert client.post(f"/api/app/v1/devices/{mine}/reboot", **session).status_code == 404


def test_one_phone_serves_two_people_each_with_their_own_login(client, registered, world, ip):
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from healthbank.accounts.models import OnlineAccount
    from healthbank.devices.services import issue_device_code
    from healthbank.identity.models import Person

    mine = _app_session(client, registered, ip, "family-phone")
    relative = next(p for p in world.people if p is not registered and p.age_on(timezone.localdate()) >= 20)
    person = Person.objects.by_national_id(relative.national_id).get()
    OnlineAccount.objects.create(person=person, status="active", channel="online", email="r@example.tw",
                                 password=make_password(PASSWORD), created_at=timezone.now())  # fmt: skip
    code = issue_device_code(person).code
    device = {"code": code, "platform": "iOS", "model": "iPhone 17", "device_identifier": "family-phone"}
    bound = post(client, "/api/app/v1/devices/bind", device, ip)
    body = {"national_id": relative.national_id, "password": PASSWORD, "device_credential": bound.json()["credential"]}
    theirs = {"HTTP_AUTHORIZATION": f"Token {post(client, '/api/app/v1/login', body, ip).json()['token']}"}
    assert client.get("/api/app/v1/me", **mine).json()["national_id"] == registered.national_id[:6] + "****"
    assert client.get("/api/app/v1/me", **theirs).json()["national_id"] == relative.national_id[:6] + "****"
    assert DeviceBinding.objects.filter(device_identifier="family-phone", status="enabled").count() == 2
