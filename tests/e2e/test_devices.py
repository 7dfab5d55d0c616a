"""The device verification page in a real browser: the QR code on screen decodes to the code shown."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from healthbank.accounts.models import OnlineAccount
from healthbank.identity.services import create_person, issue_card
from tests.e2e.conftest import PHONE, assert_accessible, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in_with_a_registered_card(page, live_server, language: str = "/en") -> None:
    """王小明, registered, logs in with ID + card number + password (the captcha read from the store)."""
    person = create_person(
        national_id="A123456789", name="王小明", sex="M", birth_date=dt.date(1970, 6, 15)
    )  # fixed dates: today.replace(year=1970) fails on 29 February
    issue_card(person, card_number="000033334444", issued_on=dt.date(2025, 3, 1))
    now = timezone.now()
    OnlineAccount.objects.create(
        person=person, status="active", channel="online", password=make_password("Hb-2026ok"),
        email="me@example.tw", created_at=now, activated_at=now,
    )  # fmt: skip
    page.goto(f"{live_server.url}{language}/login/")
    key = page.get_attribute("input[name=captcha_0]", "value")
    page.fill("[name=national_id]", "A123456789")
    page.fill("[name=card_number]", "000033334444")
    page.fill("[name=password]", "Hb-2026ok")
    page.fill("[name=captcha_1]", CaptchaStore.objects.get(hashkey=key).response)
    page.click("main button[type=submit]")
    page.wait_for_url("**/me/")


def test_the_qr_code_carries_the_device_code(page, live_server):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    log_in_with_a_registered_card(page, live_server)
    page.goto(live_server.url + "/en/me/devices/")
    page.click("button[value=generate]")
    page.wait_for_selector(".device-code svg")
    assert page.url.endswith("/en/me/devices/")  # Post/Redirect/Get: a reload shows the code, sends nothing
    path = shot(page, "devices-code")
    shown = page.inner_text(".device-code code")
    assert re.fullmatch(r"[A-Za-z0-9]{8}", shown)
    page.reload()
    assert page.inner_text(".device-code code") == shown
    assert_accessible(page)
    qr_path = path.with_name("devices-qr.png")
    page.locator(".device-code .qr").screenshot(path=str(qr_path))
    found = zxingcpp.read_barcodes(Image.open(qr_path))
    assert [r.text for r in found] == [shown]
    # A regular QR code: phone cameras do not read Micro QR, which segno picks for short text by default.
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert page.locator(".device-code .qr svg").bounding_box()["width"] >= 200  # read at arm's length


@pytest.mark.parametrize("language", ["", "/en"])
def test_on_a_phone_every_device_shows_its_status_and_button_without_sideways_scrolling(page, live_server, language):
    from healthbank.devices.services import bind_device, issue_device_code
    from healthbank.identity.models import Person

    log_in_with_a_registered_card(page, live_server, language)
    person = Person.objects.get()
    for model in ("iPhone 15 Pro Max", "Galaxy S24 Ultra"):
        bind_device(issue_device_code(person).code, platform="iOS", model=model, device_identifier=f"ID-{model}")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{language}/me/devices/")
    shot(page, f"devices-phone{language.replace('/', '-')}")
    buttons = page.locator("table.devices button")
    assert buttons.count() == 2
    for i in range(2):  # each within the screen, not behind a sideways scroll of the table
        box = buttons.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    widths = page.evaluate(
        "() => [...document.querySelectorAll('.table-scroll')].map(e => [e.scrollWidth, e.clientWidth])"
    )
    assert all(scroll <= client for scroll, client in widths), widths
    assert_accessible(page)
