"""The clinic counter's scan page in a real browser (SPEC §9): a real card QR, pasted as a USB scanner types it or
shown to a (fake) camera, and the person the counter then sees."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import make_institution
from tests.e2e.conftest import CHROMIUM, PHONE, assert_accessible, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGE = "/vcard/counter/"


def jpeg(size: tuple[int, int], colour: tuple[int, int, int]) -> SimpleUploadedFile:
    """A small photo: a gradient over a colour, so it is a real picture and not a flat block."""
    from PIL import Image

    base = Image.new("RGB", size, colour)
    shade = Image.linear_gradient("L").resize(size)
    picture = Image.composite(base, Image.new("RGB", size, (240, 240, 240)), shade)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def card_holder():
    """王小明, insured with an NHI card, and an approved virtual card (the lead's services, as the app uses them)."""
    from healthbank.identity.models import InsuranceUnit
    from healthbank.identity.services import create_person, issue_card, start_household
    from healthbank.vcard.services import approve_application, submit_application

    person = create_person(national_id="A123456789", name="王小明", sex="M", birth_date=dt.date(1970, 5, 4))
    issue_card(person, card_number="000033334444", issued_on=dt.date(2025, 3, 1))
    unit = InsuranceUnit.objects.create(code="123456789", name="測試公司", kind="employer", county="臺北市")
    start_household(person, unit, category=1, salary=45800, since=dt.date(2020, 1, 1))
    application = submit_application(
        person,
        person,
        terms_accepted=True,
        document="national_id_card",
        document_photo=jpeg((400, 260), (30, 80, 160)),
        portrait=jpeg((300, 400), (190, 120, 60)),
        phone="0912345678",
        email="me@example.tw",
    )
    approve_application(None, application)
    return person


def card_qr(person) -> str:
    from healthbank.vcard.services import issue_card_qr

    return issue_card_qr(user=person, holder=person).text


def counter_key() -> str:
    from healthbank.records.auth import issue_api_key

    _, key = issue_api_key(name="t", institution=make_institution("0140000011"))
    return key


def watch_console(page) -> list[str]:
    said: list[str] = []
    page.on("console", lambda m: said.append(m.text))
    return said


def enter_key(page, key: str) -> None:
    page.fill("#counter-key", key)
    page.click(".counter-key-form button[type=submit]")
    page.wait_for_selector(".counter-key-set", state="visible")


def test_a_pasted_card_code_shows_the_person_and_a_second_scan_is_refused(page, live_server):
    from healthbank.core import display
    from healthbank.vcard.models import CardScan

    person = card_holder()
    key = counter_key()
    code = card_qr(person)
    said = watch_console(page)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + PAGE)
    enter_key(page, key)

    # The key is in this tab only: not a cookie, not localStorage; only its prefix is shown again.
    assert page.evaluate("() => sessionStorage.getItem('healthbank.vcard.counterKey')") == key
    assert page.evaluate("() => localStorage.length") == 0
    assert all(key not in c["value"] for c in page.context.cookies())
    assert page.inner_text(".counter-key-prefix") == key[:12] + "…"
    assert page.evaluate("() => document.activeElement.id") == "counter-qr"  # ready for the scanner

    page.fill("#counter-qr", code.lower())  # a scanner typing with Caps Lock on
    page.press("#counter-qr", "Enter")
    page.wait_for_selector(".counter-person", state="visible")

    assert page.inner_text(".counter-name") == "王小明"
    assert page.inner_text(".counter-national-id") == "A12345****"
    assert page.inner_text(".counter-card-number") == "000033334444"
    assert page.inner_text(".counter-birth-date") == "59/05/04"  # the ROC date on the Chinese page
    assert page.inner_text(".counter-insurance").strip() != ""
    assert page.is_visible(".counter-shown-by")
    scan = CardScan.objects.get()  # the page shows the end of the visit's grant in Taiwan time, as the site writes it
    assert page.inner_text(".counter-valid-until") == display.format_datetime(scan.visit_grant.valid_until, "zh-hant")
    assert page.evaluate("() => document.querySelector('.counter-photo').naturalWidth") >= 100
    assert page.get_attribute(".counter-photo", "src").startswith("blob:")
    assert page.is_hidden(".counter-scan")  # the answer is what the counter sees now
    assert page.is_hidden(".counter-refusal")
    shot(page, "vcard-counter")  # at phone size (360×740), the whole page
    assert_accessible(page, "the counter page with a person shown")

    page.click(".counter-next")
    assert page.is_hidden(".counter-result")
    assert page.inner_text(".counter-name") == ""  # nobody's details linger in the page
    page.fill("#counter-qr", code)
    page.click(".counter-check")
    page.wait_for_selector(".counter-refusal", state="visible")

    assert page.inner_text(".counter-refusal-reason code") == "already_used"
    assert page.inner_text(".counter-refusal-message").strip() != ""
    assert page.is_hidden(".counter-person")
    shot(page, "vcard-counter-refused")
    assert not [line for line in said if code in line or code.lower() in line or "王小明" in line or key in line]


def test_in_english_a_bad_code_and_a_bad_key_are_refused_in_a_red_box_and_the_key_can_be_forgotten(page, live_server):
    key = counter_key()
    page.goto(live_server.url + "/en" + PAGE)

    page.fill("#counter-key", "not a key")
    page.click(".counter-key-form button[type=submit]")
    assert "hb_1a2b3c4d_" in page.inner_text("#counter-key-error")
    page.click(".counter-check")  # the key is asked for before anything is sent
    assert page.inner_text("#counter-key-error") == "Enter the API key first."

    enter_key(page, key)
    page.click(".counter-check")
    assert page.inner_text("#counter-qr-error") == "Scan or paste the code first."
    page.fill("#counter-qr", "HBVC1.NOTACARD")
    page.press("#counter-qr", "Enter")
    page.wait_for_selector(".counter-refusal", state="visible")
    assert page.inner_text(".counter-refusal-reason code") == "malformed"
    message = page.inner_text(".counter-refusal-message")
    assert message == "This is not a virtual NHI card code, or it was not read whole."
    shot(page, "vcard-counter-malformed-en")

    page.click(".counter-next")
    page.click(".counter-forget")
    assert page.evaluate("() => sessionStorage.length") == 0
    assert page.is_visible("#counter-key")
    enter_key(page, key[:-4] + "AAAA")  # the right form, the wrong secret
    page.fill("#counter-qr", "HBVC1.NOTACARD")
    page.press("#counter-qr", "Enter")
    page.wait_for_selector(".counter-refusal", state="visible")
    assert page.inner_text(".counter-refusal-reason code") == "bad_key"
    assert_accessible(page, "the counter page with a refusal")


# ---------------------------------------------------------------- the camera (Chromium's fake camera)


def y4m_of(image_path: Path, out: Path, frames: int = 10) -> Path:
    """A YUV4MPEG2 (C420) clip that shows the picture still: what Chromium's fake camera plays in a loop."""
    from PIL import Image

    picture = Image.open(image_path).convert("RGB")
    width, height = 640, 480
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    picture.thumbnail((height - 40, height - 40))
    canvas.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420\n".encode()
    out.write_bytes(header + frame * frames)
    return out


def test_the_camera_reads_a_card_code_and_stops(browser, live_server, tmp_path):
    """Chromium's fake camera shows a real card QR; the page decodes it, checks it and turns the camera off.

    A browser of its own (the camera is chosen at launch), started from the shared one's Playwright: a second
    Playwright cannot run beside it in this thread."""
    from healthbank.vcard import qr

    person = card_holder()
    key = counter_key()
    code = card_qr(person)
    png = tmp_path / "card-qr.png"
    png.write_bytes(qr.png(code, scale=6))
    clip = y4m_of(png, tmp_path / "card-qr.y4m")
    with_camera = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}",
        ],
    )
    try:
        context = with_camera.new_context(viewport=PHONE, locale="en-GB", permissions=["camera"])
        page = context.new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(live_server.url + "/en" + PAGE)
        enter_key(page, key)
        page.click(".counter-camera-start")
        page.wait_for_selector(".counter-person", state="visible", timeout=20_000)

        assert page.inner_text(".counter-name") == "王小明"
        assert page.inner_text(".counter-birth-date") == "1970-05-04"  # Gregorian on the English page
        assert page.is_hidden(".counter-camera")
        assert page.evaluate("() => document.querySelector('.counter-video').srcObject") is None
        shot(page, "vcard-counter-camera")
        assert refused == [], f"Content-Security-Policy violations: {refused}"
    finally:
        with_camera.close()
