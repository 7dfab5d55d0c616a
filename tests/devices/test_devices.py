"""Mobile device verification by code (SPEC §5): QR + text code, single use, one enabled device."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest

from healthbank import policy
from healthbank.devices.models import DeviceBinding
from tests.accounts.test_login import log_in

_addresses = itertools.count(1)


@pytest.fixture
def ip():
    """A client address of this test's own, so throttle counts never leak between tests."""
    return f"10.88.{next(_addresses)}.1"


@pytest.fixture
def logged_in(client, registered):
    log_in(client, registered)
    return client


def new_code(client) -> str:
    response = client.post("/en/me/devices/", {"action": "generate"})
    assert response.status_code == 302 and response.url.endswith("/me/devices/")  # Post/Redirect/Get
    page = client.get(response.url).content.decode()
    assert "<svg" in page  # the QR code
    return re.search(r"<code>([A-Za-z0-9]{8})</code>", page).group(1)


def bind(client, code, ip, device="dev-1"):
    body = {"code": code, "platform": "Android", "model": "Pixel 9", "device_identifier": device}
    return client.post("/api/app/v1/devices/bind", json.dumps(body), content_type="application/json", REMOTE_ADDR=ip)


def test_a_code_binds_one_device_once(logged_in, ip):
    code = new_code(logged_in)
    assert len(code) == policy.DEVICE_CODE_LENGTH and set(code) <= set(policy.DEVICE_CODE_ALPHABET)
    response = bind(logged_in, code, ip)
    assert response.status_code == 201 and len(response.json()["credential"]) >= 40
    again = bind(logged_in, code, ip, device="dev-2")
    assert again.status_code == 400 and "code" in again.json()["errors"]
    assert DeviceBinding.objects.count() == 1


def test_an_expired_code_binds_nothing(logged_in, ip, time_machine):
    code = new_code(logged_in)
    time_machine.shift(policy.DEVICE_CODE_VALID_FOR + dt.timedelta(seconds=1))
    assert bind(logged_in, code, ip).status_code == 400
    assert not DeviceBinding.objects.exists()


def test_a_new_device_disables_the_previous_one_and_the_page_lists_both(logged_in, ip):
    bind(logged_in, new_code(logged_in), ip, device="old-phone")
    bind(logged_in, new_code(logged_in), ip, device="new-phone")
    statuses = dict(DeviceBinding.objects.values_list("device_identifier", "status"))
    assert statuses == {"old-phone": "disabled", "new-phone": "enabled"}
    page = logged_in.get("/en/me/devices/").content.decode()
    assert "old-phone" in page and "new-phone" in page
    old = DeviceBinding.objects.get(device_identifier="old-phone")
    logged_in.post("/en/me/devices/", {"action": "enable", "device": str(old.pk)})
    statuses = dict(DeviceBinding.objects.values_list("device_identifier", "status"))
    assert statuses == {"old-phone": "enabled", "new-phone": "disabled"}


def test_generating_a_new_code_voids_the_unused_one(logged_in, ip):
    first = new_code(logged_in)
    new_code(logged_in)
    assert bind(logged_in, first, ip).status_code == 400


def test_guessing_codes_is_throttled(client, ip, db):
    answers = [bind(client, f"Guess{n:03d}", ip).status_code for n in range(12)]
    assert answers[:10] == [400] * 10 and answers[-1] == 429


def test_the_device_page_needs_a_login(client, db):
    assert client.get("/en/me/devices/").status_code == 302


def test_the_device_page_speaks_chinese_with_roc_dates_and_english_with_gregorian(logged_in):
    logged_in.post("/me/devices/", {"action": "generate"})
    page = logged_in.get("/me/devices/").content.decode()  # the world's clock: 2026-11-20 12:00 in Taipei
    assert "產生新的認證碼" in page and "有效至 115/11/20 12:10" in page
    page = logged_in.get("/en/me/devices/").content.decode()
    assert "Valid until 2026-11-20 12:10" in page


def test_the_issued_code_survives_a_reload_until_it_expires_or_is_used(logged_in, ip, time_machine):
    code = new_code(logged_in)
    assert f"<code>{code}</code>" in logged_in.get("/en/me/devices/").content.decode()  # a reload sends nothing
    time_machine.shift(policy.DEVICE_CODE_VALID_FOR + dt.timedelta(seconds=1))
    assert code not in logged_in.get("/en/me/devices/").content.decode()
    time_machine.shift(-policy.DEVICE_CODE_VALID_FOR - dt.timedelta(seconds=1))
    code = new_code(logged_in)
    assert bind(logged_in, code, ip).status_code == 201
    assert code not in logged_in.get("/en/me/devices/").content.decode()  # used: no longer offered


def test_the_qr_code_is_a_regular_qr_code_with_its_quiet_zone(logged_in):
    new_code(logged_in)
    page = logged_in.get("/en/me/devices/").content.decode()
    svg = re.search(r"<svg[^>]*>", page).group(0)
    # Version-1 QR: 21 modules + 2 × 4 quiet-zone modules, 8 px each. A Micro QR would be 11–17 modules.
    assert 'width="232"' in svg and 'role="img"' in svg
    assert "<title>QR code of the device verification code</title>" in page


def test_a_certificate_only_person_is_told_the_app_needs_a_registration_password(client, world):
    from tests.accounts.test_certificate_and_kiosk import certificate_fields

    holder = next(p for p in world.people if p.certificate_serial)
    client.post("/en/login/certificate/", certificate_fields(holder))
    page = client.get("/en/me/devices/").content.decode()
    assert "logs in with your national ID and the registration password" in page
    assert "/register/" in page


def test_a_registered_person_is_not_told_to_register(logged_in):
    assert "logs in with your national ID" not in logged_in.get("/en/me/devices/").content.decode()


def test_the_code_is_shown_with_the_mobile_device_account_it_binds(logged_in, registered):
    """SPEC §5 and the seed's page: 行動裝置帳號 beside the code — the ID the app logs in with, masked."""
    masked = registered.national_id[:6] + "****"
    new_code(logged_in)
    english = logged_in.get("/en/me/devices/").content.decode()
    assert "Mobile device account" in english and masked in english
    chinese = logged_in.get("/me/devices/").content.decode()
    assert "行動裝置帳號" in chinese and masked in chinese and registered.national_id not in chinese
