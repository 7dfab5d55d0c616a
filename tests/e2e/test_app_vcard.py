"""The virtual NHI card in the installable app (issue 13, SPEC §9) on a 360×740 touch phone: the holder shows the
card and its one-time QR code, which a clinic scans once through the institution API (a newer code voids the
older one, a second scan is refused); the holder accepts an institution's request in the app (and is told
plainly when one has run out); the holder lends the card to a named person, whose phone takes up the code typed
by hand and shows the lent card's QR code, which the clinic scans; the holder sees both scans in the use history.

Each phone is verified as the app does it (a device binding in localStorage "hb.device") and logs in through
the login screen. QR codes are read back from the screen with zxing-cpp, as a counter's scanner sees them. Texts
are found by what the app's catalogue says for them now (``django.gettext`` in the page), so the test holds while
translations are being written. Screenshots: tests/e2e/screenshots/app-vcard-*.png (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone, translation
from django.utils.translation import gettext

from healthbank.accounts.models import OnlineAccount
from healthbank.devices import services as devices
from healthbank.identity.models import Person
from healthbank.vcard.models import InstitutionRequest
from tests.e2e.conftest import PHONE, assert_accessible, shot
from tests.vcard import conftest as vcard
from tests.vcard.conftest import PASSWORD, SCANS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

holder = vcard.holder
institution = vcard.institution
institution_api = vcard.institution_api
LOCALES = {"zh": "zh-TW", "en": "en-US"}
TIMER = re.compile(r"(\d\d):([0-5]\d)")


def account(person: Person) -> None:
    if not OnlineAccount.objects.filter(person=person).exists():
        now = timezone.now()
        OnlineAccount.objects.create(
            person=person, status="active", channel="online", password=make_password(PASSWORD),
            email=f"{person.pk.hex[:8]}@example.tw", mobile="0912345678", created_at=now, activated_at=now,
        )  # fmt: skip


@pytest.fixture
def phone(browser, live_server):
    """``phone(person, "zh" | "en")``: a phone of its own (mobile emulation, touch), verified for the person and
    logged in through the app's login screen at the virtual card. The test fails on any CSP violation or error."""
    contexts, problems = [], []

    def open_phone(person: Person, language: str = "zh"):
        account(person)
        issued = devices.issue_device_code(person)
        binding, credential = devices.bind_device(
            issued.code, platform="Android", model="Pixel 9", device_identifier=f"e2e-{uuid.uuid4().hex[:12]}"
        )
        context = browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, locale=LOCALES[language], reduced_motion="reduce"
        )
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
        page.on("dialog", lambda dialog: dialog.accept())  # "End now?", "Give back?": yes
        page.set_default_timeout(10_000)
        page.base = live_server.url + "/app/"
        page.goto(page.base)
        device = json.dumps({"device_id": str(binding.pk), "credential": credential})
        page.evaluate("d => localStorage.setItem('hb.device', d)", device)
        page.goto(page.base + "#/login")
        page.wait_for_selector("#f-password")
        page.fill("#f-national_id", person.national_id)
        page.fill("#f-password", PASSWORD)
        page.locator("form button[type=submit]").tap()
        page.wait_for_selector("nav.tabs:not([hidden])")
        go(page, "/vcard")
        return page

    yield open_phone
    for context in contexts:
        context.close()
    assert problems == [], problems


def said(page, text: str) -> str:
    """What the app shows for this message now (its catalogue's translation, or the English)."""
    return page.evaluate("t => window.django ? django.gettext(t) : t", text)


def server_said(text: str, language: str = "zh-hant", **values) -> str:
    with translation.override(language):
        return gettext(text) % values if values else gettext(text)


def go(page, path: str) -> None:
    page.evaluate("p => { location.hash = p; }", path)
    page.wait_for_function("p => location.hash === '#' + p", arg=path)
    page.wait_for_selector("main#main > *")


def settle(page) -> None:
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def read_qr(locator) -> str:
    """Decode the QR code on the screen as a scanner sees it: a regular QR code, drawn across the phone."""
    import zxingcpp
    from PIL import Image

    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box and box["width"] >= 300 and abs(box["width"] - box["height"]) < 2, f"QR drawn {box}"
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(locator.screenshot())))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode, found
    return found[0].text


def post(api, path: str, body: dict):
    return api.post(path, data=json.dumps(body), content_type="application/json")


def show_qr(page) -> tuple[str, int]:
    """The QR screen: the code read from the screen and the seconds the countdown shows."""
    image = page.locator(".qr-panel img.qr-image")
    image.wait_for()
    page.wait_for_function("() => /\\d\\d:[0-5]\\d/.test(document.querySelector('.qr-timer').textContent)")
    left = TIMER.search(page.inner_text(".qr-timer"))
    return read_qr(image), int(left.group(1)) * 60 + int(left.group(2))


def photo_loaded(page) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.vcard-photo')].every(i => i.complete && i.naturalWidth)"
    )
    assert page.locator("img.vcard-photo").first.get_attribute("src").startswith("blob:")


def apply_in_the_app(page) -> None:
    """Someone without a card applies: a refusal lands at its field; photos from the camera or the gallery are
    previewed on the phone; the application then waits for review."""
    page.get_by_role("link", name=said(page, "Apply"), exact=True).tap()
    page.wait_for_selector("#f-document_photo")
    assert page.get_attribute("#f-document_photo", "capture") == "environment"
    assert page.get_attribute("#f-portrait", "capture") == "user"
    submit = page.get_by_role("button", name=said(page, "Send the application"))
    submit.tap()
    page.locator("#f-terms-error").wait_for()
    assert page.get_attribute("#f-terms", "aria-invalid") == "true"
    page.locator("#f-terms").check()
    page.select_option("#f-document", "national_id_card")
    photo = vcard.jpeg().getvalue()
    for name in ("document_photo", "portrait"):
        page.set_input_files(f"#f-{name}", files=[{"name": f"{name}.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    page.wait_for_function("() => [...document.querySelectorAll('img.photo-preview')].every(i => i.naturalWidth)")
    assert page.locator("img.photo-preview").first.get_attribute("src").startswith("blob:")
    page.fill("#f-phone", "0912")
    page.fill("#f-email", "delegate@example.tw")
    submit.tap()
    page.locator("#f-phone-error").wait_for()
    assert_accessible(page, "app: applying, a refusal at its field")
    shot(page, "app-vcard-apply-en")
    page.fill("#f-phone", "0912 345 678")
    submit.tap()
    page.locator(".vcard-status").wait_for()
    assert said(page, "Submitted; you will get an e-mail when it is reviewed.") in page.inner_text(".notice-ok")


def test_the_card_in_the_app_is_shown_scanned_asked_for_lent_and_used_by_the_delegate(
    phone, holder, other_person, institution, institution_api
):
    # 1. My card: the photo (a blob: URL of the token-authorised photo) and the masked identity.
    page = phone(holder, "zh")
    card = page.locator(".vcard-card")
    card.wait_for()
    assert holder.masked_name in card.inner_text() and holder.national_id_masked in card.inner_text()
    assert holder.national_id not in page.content()
    photo_loaded(page)
    assert_accessible(page, "app: my card")
    shot(page, "app-vcard-card-zh")

    # 2. The one-time QR, large, with its countdown; a new code voids the older one; one scan only.
    page.get_by_role("link", name=said(page, "Show QR code"), exact=True).tap()
    older, left = show_qr(page)
    assert older.startswith("HBVC1.") and 290 <= left <= 300, left
    assert holder.masked_name in page.inner_text(".qr-title")
    assert page.locator(".qr-panel [role=status]").count() >= 1  # spoken at marks, not every second
    assert_accessible(page, "app: the QR code")
    shot(page, "app-vcard-qr-zh")
    page.get_by_role("button", name=said(page, "New code")).tap()
    page.wait_for_function("() => !document.querySelector('.qr-new[aria-busy=true]')")
    code, _left = show_qr(page)
    assert code != older
    refused = post(institution_api, SCANS, {"qr": older})
    assert refused.status_code == 422 and refused.json()["reason"] == "superseded", refused.content
    scanned = post(institution_api, SCANS, {"qr": code})
    assert scanned.status_code == 200, scanned.content
    assert scanned.json()["shown_by"] == "holder" and scanned.json()["person"]["name"] == holder.name
    again = post(institution_api, SCANS, {"qr": code})
    assert again.status_code == 409 and again.json()["reason"] == "already_used"

    # 3. An institution asks; the request waits on the card screen with its countdown and is accepted.
    asked = post(institution_api, "/api/vcard/v1/requests", {"national_id": holder.national_id, "purpose": "home_care"})
    assert asked.status_code == 201, asked.content
    late = post(
        institution_api, "/api/vcard/v1/requests", {"national_id": holder.national_id, "purpose": "telemedicine"}
    )
    go(page, "/vcard")
    asking = page.get_by_role("button", name=re.compile(re.escape(institution.name)))
    items = page.locator("li.vcard-item", has=asking)
    items.first.wait_for()
    assert items.count() == 2
    page.wait_for_function("() => /\\d\\d:[0-5]\\d/.test(document.querySelector('.countdown').textContent)")
    assert_accessible(page, "app: institutions' requests")
    shot(page, "app-vcard-requests-zh")
    # the second one's ten minutes pass while the screen is open: answering says so, and nothing is accepted
    late_request = InstitutionRequest.objects.get(pk=late.json()["id"])
    InstitutionRequest.objects.filter(pk=late_request.pk).update(answer_by=timezone.now() - dt.timedelta(seconds=1))
    accept = re.compile("^" + re.escape(said(page, "Accept")))
    with translation.override("zh-hant"):
        late_label, asked_label = late_request.get_purpose_display(), InstitutionRequest.Purpose("home_care").label
    late_item = items.filter(has_text=str(late_label))
    late_item.get_by_role("button", name=accept).tap()
    alert = late_item.get_by_role("alert")
    alert.wait_for()
    assert (
        server_said(
            "The %(minutes)d minutes to answer have passed; ask the institution to send a new request.", minutes=10
        )
        in alert.inner_text()
    )
    assert late_item.get_by_role("button", name=accept).is_disabled()
    items.filter(has_text=str(asked_label)).get_by_role("button", name=accept).tap()
    page.locator(".notice-ok").wait_for()
    assert institution.name in page.inner_text(".notice-ok")
    followed = institution_api.get(f"/api/vcard/v1/requests/{asked.json()['id']}").json()
    assert followed["status"] == "accepted", followed

    # 4. A named delegation for a week: the code and its QR code, shown once.
    go(page, "/vcard/manage")
    page.get_by_role("link", name=said(page, "Add a delegate"), exact=True).tap()
    page.wait_for_selector("#f-delegate_national_id")
    page.fill("#f-delegate_national_id", other_person.national_id.lower())
    page.fill("#f-label", "朋友")
    page.fill("#f-ends_on", (timezone.localdate() + dt.timedelta(days=7)).isoformat())
    assert_accessible(page, "app: add a delegate")
    page.get_by_role("button", name=said(page, "Authorise"), exact=True).tap()
    page.locator(".delegation-code").wait_for()
    shown = page.inner_text(".code-text code").strip()
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", shown), shown
    link = read_qr(page.locator(".delegation-code img.qr-image"))
    assert urlsplit(link).path == "/vcard/obtain/" and parse_qs(urlsplit(link).query)["code"] == [
        shown.replace("-", "")
    ]
    assert_accessible(page, "app: the delegation code")
    shot(page, "app-vcard-delegation-code-zh")

    # What a scanned delegation QR may say: exactly the obtain link of this site (with or without a language).
    module = "/static/healthbank/app/screens/vcard.js"
    plain = shown.replace("-", "")
    readings = page.evaluate(
        "async ([module, texts]) => { const m = await import(module); return texts.map(m.readDelegationQr); }",
        [module, [link, link.replace("/vcard/", "/zh-hant/vcard/"), link.replace("http://", "https://evil."), plain]],
    )
    assert readings == [plain, plain, None, None], readings

    # 5. The delegate's phone (in English): a look-alike character is named before anything is sent; the code
    #    typed by hand (lower case, full-width, a space) is taken up; the lent card's QR is scanned; the delegate
    #    gives the card back.
    other = phone(other_person, "en")
    apply_in_the_app(other)
    go(other, "/vcard/obtain")
    other.fill("#f-code", shown.replace("-", "")[:9] + "0")
    other.get_by_role("button", name=said(other, "Obtain authorisation"), exact=True).tap()
    error = other.locator("#f-code-error")
    error.wait_for()
    assert "“0”" in error.inner_text()
    assert_accessible(other, "app: obtain, a look-alike named")
    shot(other, "app-vcard-obtain-en")
    lower = plain.lower()
    typed = "".join(chr(ord(c) + 0xFEE0) for c in lower[:3]) + lower[3:5] + " " + lower[5:]
    other.fill("#f-code", typed)
    other.get_by_role("button", name=said(other, "Obtain authorisation"), exact=True).tap()
    other.locator(".notice-ok").wait_for()
    assert holder.masked_name in other.inner_text(".notice-ok")
    lent = other.locator("li.vcard-usable", has_text=holder.masked_name)
    assert lent.count() == 1
    photo_loaded(other)
    assert_accessible(other, "app: cards I can use")
    shot(other, "app-vcard-usable-en")
    lent.get_by_role("link").tap()
    code, _left = show_qr(other)
    assert holder.masked_name in other.inner_text(".qr-title")
    assert_accessible(other, "app: the lent card's QR code")
    shot(other, "app-vcard-qr-en")
    scanned = post(institution_api, SCANS, {"qr": code})
    assert scanned.status_code == 200 and scanned.json()["shown_by"] == "delegate", scanned.content
    go(other, "/vcard")
    other.get_by_role("button", name=re.compile("^" + re.escape(said(other, "Give back")))).tap()
    other.locator(".notice-ok").wait_for()
    assert other.locator("li.vcard-usable").count() == 0

    # The institution's hour is ended early on the holder's phone.
    go(page, "/vcard/manage")
    page.get_by_role("button", name=re.compile("^" + re.escape(said(page, "End now")) + ".*" + institution.name)).tap()
    page.locator(".notice-ok").wait_for()
    assert institution_api.get(f"/api/vcard/v1/requests/{asked.json()['id']}").json()["status"] == "ended"
    mine = page.locator("section[aria-labelledby=mine-title] li.vcard-item")
    assert mine.count() == 1 and said(page, "Ended") in mine.inner_text()  # given back by the delegate
    assert_accessible(page, "app: authorisations")
    shot(page, "app-vcard-manage-zh")

    # 6. The holder's history: both scans, by the holder and by the delegate; then the screens in English.
    go(page, "/vcard/history")
    page.locator("table.cards").first.wait_for()
    rows = page.locator("section[aria-labelledby=history-title] tbody tr")
    assert rows.count() == 2 and institution.name in rows.first.inner_text()
    assert other_person.masked_name in page.inner_text("section[aria-labelledby=history-title]")
    settle(page)
    assert_accessible(page, "app: use history")
    shot(page, "app-vcard-history-zh")
    page.evaluate("() => localStorage.setItem('hb.lang', 'en')")
    page.reload()
    page.wait_for_selector("table.cards")
    assert "Use history" in page.inner_text("h1")
    shot(page, "app-vcard-history-en")
    go(page, "/vcard")
    page.locator(".vcard-card").wait_for()
    photo_loaded(page)
    shot(page, "app-vcard-card-en")
    assert_accessible(page, "app: my card in English")
