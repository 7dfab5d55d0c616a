"""The installable app (/app/, issue 13) on a 360×740 touch phone, in Chinese and English, against a live server:
verifying the phone by scanning the website's QR code with a (fake) camera, by a typed code (wrong, expired, used,
look-alike and full-width codes), obtaining a card delegation by scanning its QR code, logging in, a disabled
device, the server away, a token that runs out while the person is typing, the idle lock, both ways of logging out
and what they leave on the phone, installability (the manifest, the service worker, opening offline) and
accessibility (axe-core on every screen visited).

Every phone is checked when its test ends (app_phone.check_phone): no Content-Security-Policy violation, no script
error, every answer of /api/app/v1/ marked Cache-Control no-store, and no token in any URL.

pytest-django's live server (one for the session) serves the app; each test makes its own people, and the database
is flushed after it. The fake camera is a second Chromium of its own, started with the flags that feed it a
YUV4MPEG2 file; the test writes the QR code of the device code it just issued into that file before the app opens
the camera (Chromium opens the file each time a capture starts). Screenshots:
tests/e2e/screenshots/app-<zh|en>-<step>.png.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.e2e.app_phone import check_phone, citizen, open_phone, write_y4m
from tests.e2e.conftest import CHROMIUM, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"}


@pytest.fixture(scope="module")
def camera_video(tmp_path_factory):
    """Where the fake camera reads its video from (the test writes the QR into it before scanning)."""
    return tmp_path_factory.mktemp("camera") / "qr.y4m"


@pytest.fixture(scope="module")
def camera_browser(browser, camera_video):
    """A second Chromium (from the same Playwright as ``browser``: one sync Playwright per thread) whose camera
    is a file, ``camera_video``. A frame without a device code is there from the start, so the camera exists
    when the browser first asks. No ``--use-fake-ui-for-media-stream``: it grants every request, even one the
    site settings deny; each context is given the camera (``permissions=["camera"]``) or denied it instead."""
    write_y4m(camera_video, "-")
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera_video}",
        ],
    )
    yield camera
    camera.close()


@pytest.fixture
def phones(browser, live_server):
    """``phones(language, browser=None, **context options)`` → a new Phone with the app's server; each is checked
    (CSP, script errors, no-store, no token in a URL) when the test ends."""
    made = []

    def make(language: str = "zh", on=None, **options):
        phone = open_phone(on or browser, live_server.url, language, **options)
        made.append(phone)
        return phone

    yield make
    problems = []
    for phone in made:
        problems += check_phone(phone)
        phone.page.context.close()
    assert problems == []


def verified_phone(phones, language="zh", person=None, **options):
    """A phone verified for ``person`` (a new citizen if None) by a typed device code, showing the login."""
    from healthbank.devices.services import issue_device_code

    person = person or citizen()
    phone = phones(language, **options)
    phone.open("/verify/code")
    phone.type_code(issue_device_code(person).code)
    phone.title("Log in")
    return phone, person


# ------------------------------------------------------------------------------------------------ verification


@pytest.mark.parametrize("language", ["zh", "en"])
def test_scanning_the_websites_qr_code_with_the_camera_verifies_the_phone(
    camera_browser, camera_video, phones, language
):
    from healthbank.devices.models import DeviceBinding
    from healthbank.devices.services import issue_device_code

    person = citizen()
    phone = phones(language, on=camera_browser, permissions=["camera"])
    phone.open("/")
    phone.title("Verify this phone")
    assert_accessible(phone.page, "welcome")
    assert phone.english_left() == []
    phone.shot("welcome")
    code = issue_device_code(person).code  # as the website's "Mobile devices" page does
    write_y4m(camera_video, code)  # before the app opens the camera: Chromium opens the file when capture starts
    phone.page.click('a[href="#/verify/scan"]')
    phone.title("Log in", timeout=20_000)
    phone.shows("This phone is verified. Log in with your national ID and registration password.")
    binding = DeviceBinding.objects.get(person=person)
    assert binding.status == "enabled" and binding.platform == "Android" and binding.model == "Pixel 7"
    kept = json.loads(phone.storage()["local"]["hb.device"])
    assert kept["device_id"] == str(binding.pk) and kept["credential"]
    assert_accessible(phone.page, "login after scanning")
    assert phone.english_left() == []
    phone.shot("verified")


def test_the_scan_screen_while_the_camera_looks(camera_browser, camera_video, phones):
    """The scan screen itself (the camera showing a frame without a code): accessible, and it says what it does."""
    write_y4m(camera_video, "not a device code")
    phone = phones("zh", on=camera_browser, permissions=["camera"])
    phone.open("/verify/scan")
    phone.shows("Looking for the code…")
    assert_accessible(phone.page, "scan screen")
    assert phone.english_left() == []
    phone.shot("scan")
    phone.go("/verify/code")  # leaving stops the camera
    phone.title("Type the device code")
    assert phone.page.evaluate("() => [...document.querySelectorAll('video')].length") == 0


def deny_the_camera(browser, page, origin: str) -> None:
    """The person said no to the camera for this site (the browser's site setting, as after "Block" on the
    prompt): Chromium's own permission store, reached by the DevTools protocol for this page's browser context."""
    session = browser.new_browser_cdp_session()
    targets = session.send("Target.getTargets")["targetInfos"]
    context_id = next(t["browserContextId"] for t in targets if t["type"] == "page" and t["url"] == page.url)
    session.send(
        "Browser.setPermission",
        {"permission": {"name": "camera"}, "setting": "denied", "origin": origin, "browserContextId": context_id},
    )
    session.detach()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_refused_camera_says_so_and_offers_typing(camera_browser, phones, live_server, language):
    phone = phones(language, on=camera_browser)
    phone.open("/welcome")
    deny_the_camera(camera_browser, phone.page, live_server.url)
    phone.page.click('a[href="#/verify/scan"]')
    phone.title("Type the device code")
    phone.shows(
        "The camera may not be used, so the code cannot be scanned. Type it instead (or allow the camera in the"
        " phone's settings)."
    )
    assert phone.page.is_visible("#f-code")
    assert phone.page.locator("video").count() == 0
    assert_accessible(phone.page, "camera refused")
    assert phone.english_left() == []
    phone.shot("camera-refused")


def test_a_phone_without_a_camera_offers_typing(phones):
    phone = phones("zh")  # the ordinary browser has no camera at all
    phone.open("/verify/scan")
    phone.title("Type the device code")
    phone.shows("This phone's camera cannot be used. Type the code instead.")
    assert phone.page.is_visible("#f-code")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_wrong_expired_used_look_alike_and_full_width_codes(phones, language):
    from healthbank.devices.models import DeviceBinding, DeviceVerificationCode
    from healthbank.devices.services import bind_device, issue_device_code

    person = citizen()
    phone = phones(language)
    phone.open("/verify/code")
    phone.title("Type the device code")
    assert_accessible(phone.page, "code screen")
    wrong = phone.server_says("This device verification code is wrong, used or expired; generate a new one.")

    def refused_with(expected: str) -> None:
        phone.page.wait_for_function(
            "t => document.getElementById('f-code-error').textContent.includes(t)"
            " || document.querySelector('.form-errors').textContent.includes(t)",
            arg=expected,
        )

    # empty
    phone.type_code("")
    refused_with(phone.say("Enter the device verification code."))
    # wrong
    phone.type_code("Zz9Zz9Zz")
    refused_with(wrong)
    assert phone.page.get_attribute("#f-code", "aria-invalid") == "true"
    assert_accessible(phone.page, "wrong code")
    phone.shot("code-wrong")
    # expired
    expired = issue_device_code(person).code
    DeviceVerificationCode.objects.filter(person=person).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    phone.type_code(expired)
    refused_with(wrong)
    # used (by another phone)
    used = issue_device_code(person).code
    bind_device(used, platform="iOS", model="iPhone 15", device_identifier="other-phone")
    phone.type_code(used)
    refused_with(wrong)
    # look-alike characters: named, with what each may be, and never sent
    phone.page.wait_for_timeout(300)  # the last answer's event has reached the test
    sent_before = len(phone.api_answers)
    phone.type_code("De7O1lI0")
    message = phone.page.text_content("#f-code-error")
    for c in "0O1lI":
        assert phone.say("“%(char)s”").replace("%(char)s", c) in message, message
    assert phone.say("Codes use letters and the digits 2 to 9; upper and lower case differ.") in message
    assert len(phone.api_answers) == sent_before
    assert phone.english_left() == []
    phone.shot("code-look-alike")
    # too short
    phone.type_code("De72")
    assert "8" in phone.page.text_content("#f-code-error")
    # a right code typed on a Chinese keyboard (full-width) and with a space: read as the code
    code = issue_device_code(person).code
    phone.type_code("".join(FULL_WIDTH[c] for c in code[:4]) + " " + code[4:])
    phone.title("Log in")
    assert DeviceBinding.objects.filter(person=person, status="enabled").exclude(device_identifier="other-phone")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_verifying_by_phone_number_with_wrong_card_digits_is_refused_and_clears_the_password(phones, language):
    from healthbank.devices.models import DeviceBinding

    person = citizen()
    phone = phones(language)
    phone.open("/welcome")
    phone.page.click('a[href="#/verify/phone"]')
    phone.title("Verify with this phone's number")
    assert_accessible(phone.page, "phone verification")
    phone.page.fill("#f-national_id", person.national_id.lower())  # upper-cased by the app
    phone.page.fill("#f-card_last4", "０００１")  # full-width digits, as a Chinese keyboard may type them
    phone.page.fill("#f-mobile", "0912-345-678")
    phone.page.fill("#f-password", "Hb-2026ok")
    phone.page.click("#main button[type=submit]")
    phone.page.wait_for_selector(".form-errors .notice-error")
    assert phone.page.input_value("#f-password") == ""
    assert phone.page.input_value("#f-national_id") == person.national_id.lower()  # what was typed stays
    assert phone.page.input_value("#f-mobile") == "0912-345-678"
    assert not DeviceBinding.objects.filter(person=person).exists()
    assert "hb.device" not in phone.storage()["local"]
    assert_accessible(phone.page, "phone verification refused")
    assert phone.english_left() == []
    phone.shot("phone-refused")


# ------------------------------------------------------------------------------------------------ login


@pytest.mark.parametrize("language", ["zh", "en"])
def test_log_in_on_the_verified_phone_then_log_out_leaves_nothing_of_the_person(phones, language):
    phone, person = verified_phone(phones, language)
    # a wrong password
    phone.log_in(person, password="Not-the-2026")
    phone.page.wait_for_selector(".form-errors .notice-error")
    assert phone.page.input_value("#f-password") == ""
    assert phone.token() is None
    phone.shot("login-wrong")
    phone.log_in(person)
    phone.title("My Health Bank")
    assert phone.page.is_visible("nav.tabs")
    assert_accessible(phone.page, "passbook")
    assert phone.english_left() == []
    phone.shot("passbook")
    phone.page.click('nav.tabs a[data-tab="settings"]')
    phone.title("Settings")
    assert_accessible(phone.page, "settings")
    assert phone.english_left() == []
    phone.shot("settings")
    phone.page.click('a[href="#/settings/devices"]')
    phone.title("My verified devices")
    phone.page.wait_for_selector("table.cards button")
    assert_accessible(phone.page, "devices")
    phone.shot("devices")
    phone.page.click("a.back")
    phone.page.click('a[href="#/settings/access-log"]')
    phone.title("Who looked at my data")
    assert_accessible(phone.page, "access log")
    phone.shot("access-log")
    phone.page.click("a.back")
    phone.title("Settings")
    phone.page.click(".logout-actions button.primary")
    phone.title("Log in")
    left = phone.page.evaluate(
        """async () => {
          const kept = [];
          for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) kept.push(new URL(request.url).pathname);
          }
          return {local: Object.keys(localStorage), session: Object.keys(sessionStorage), cached: kept,
                  text: JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})};
        }"""
    )
    assert left["session"] == []
    assert set(left["local"]) <= {"hb.lang", "hb.deviceId", "hb.device"}, left  # the phone's, not the person's
    assert person.national_id not in left["text"] and person.name not in left["text"]
    assert all(not path.startswith("/api/") for path in left["cached"]), left["cached"]
    assert all(path.startswith(("/app/", "/static/")) for path in left["cached"]), left["cached"]
    assert phone.main_text().count(person.name) == 0
    # the phone stays verified: log in again, then log out and remove the verification
    phone.log_in(person)
    phone.title("My Health Bank")
    phone.page.wait_for_selector("#main button.primary")  # the passbook has answered
    phone.go("/settings")
    phone.title("Settings")
    phone.page.click(".logout-actions button.secondary")
    phone.title("Verify this phone")
    assert set(phone.storage()["local"]) <= {"hb.lang", "hb.deviceId"}
    assert phone.storage()["session"] == {}
    phone.open("/login")  # the login needs a verified phone
    phone.title("Verify this phone")


def test_a_delegation_is_obtained_by_scanning_its_qr_code_and_the_lent_card_is_shown(
    camera_browser, camera_video, phones, live_server
):
    """SPEC §9: the holder lends the card to a named person, who points the app's camera at the delegation QR
    code (its obtain link), then finds the card under "cards I can use" and shows its one-time QR code."""
    from healthbank.vcard import services as vcard
    from tests.vcard.conftest import approved_card

    holder = citizen("林雅婷")
    approved_card(holder)
    delegate = citizen("張志明")
    _delegation, code = vcard.delegate_to_named_person(
        holder,
        delegate_national_id=delegate.national_id,
        label="朋友",
        starts_on=None,
        ends_on=timezone.localdate() + dt.timedelta(days=7),
    )
    write_y4m(camera_video, f"{live_server.url}/vcard/obtain/?code={code}")  # what the holder's screen shows
    phone, _ = verified_phone(phones, "zh", person=delegate, on=camera_browser, permissions=["camera"])
    phone.log_in(delegate)
    phone.title("My Health Bank")
    phone.page.wait_for_selector("#main button.primary")  # the passbook has answered
    phone.go("/vcard/obtain/scan")
    phone.title("Virtual NHI card", timeout=20_000)  # the code was read and taken up
    phone.page.wait_for_selector("#main .notice-ok")
    assert holder.masked_name in phone.page.inner_text("#main .notice-ok")
    usable = phone.page.locator("li.vcard-usable", has_text=holder.masked_name)
    assert usable.count() == 1
    assert_accessible(phone.page, "a lent card after scanning")
    assert phone.english_left() == []
    phone.shot("delegation-scanned")
    usable.get_by_role("link").click()
    phone.page.locator(".qr-panel img.qr-image").wait_for()
    phone.page.wait_for_function("() => /\\d\\d:[0-5]\\d/.test(document.querySelector('.qr-timer').textContent)")
    assert holder.masked_name in phone.page.inner_text(".qr-title")
    phone.shot("delegation-qr")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_disabled_device_is_told_why_it_cannot_log_in(phones, language):
    from healthbank.devices.services import bind_device, issue_device_code

    phone, person = verified_phone(phones, language)
    bind_device(issue_device_code(person).code, platform="iOS", model="iPhone 15", device_identifier="newer")
    phone.log_in(person, refused=True)
    phone.shows(
        "This phone's verification is turned off: another phone was verified since, or it was disabled in the device"
        " list. Enable it in the device list (on the website or the enabled phone) or verify this phone again.",
        server=True,
    )
    assert phone.page.is_visible('.after-errors a[href="#/welcome"]')
    assert phone.token() is None
    assert_accessible(phone.page, "disabled device")
    assert phone.english_left() == []
    phone.shot("device-disabled")


# ------------------------------------------------------------------------------------------------ every screen's rules


@pytest.mark.parametrize("language", ["zh", "en"])
def test_when_the_server_is_away_the_app_says_so_and_shows_nothing_stale(phones, language):
    phone, person = verified_phone(phones, language)
    phone.log_in(person)
    phone.title("My Health Bank")
    phone.page.wait_for_selector("#main button.primary")  # the passbook has answered: nothing is left pending
    phone.go("/settings/devices")
    phone.until("() => document.querySelector('#main table.cards') !== null", None, "no device list", 30_000)
    phone.page.route("**/api/**", lambda route: route.abort())
    phone.go("/settings/access-log")
    phone.shows("HealthBank cannot be reached. Check the phone's connection and try again.")
    assert phone.page.locator("#main table").count() == 0  # the device list is gone, nothing else shown
    assert phone.page.is_visible("#main button.primary")  # try again
    assert_accessible(phone.page, "server away")
    assert phone.english_left() == []
    phone.shot("server-away")
    phone.page.unroute("**/api/**")
    phone.page.click("#main button.primary")
    phone.title("Who looked at my data")
    away = phone.say("HealthBank cannot be reached. Check the phone's connection and try again.")
    phone.until("t => !document.getElementById('main').innerText.includes(t)", away, "still unreachable")


def test_a_login_that_cannot_reach_the_server_says_so(phones):
    phone, person = verified_phone(phones, "en")
    phone.page.route("**/api/**", lambda route: route.abort())
    phone.log_in(person, password="whatever-typed")
    phone.shows("HealthBank cannot be reached. Check the phone's connection and try again.")
    phone.page.unroute("**/api/**")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_token_that_runs_out_while_typing_keeps_what_was_typed(phones, language):
    from healthbank.devices.models import AppToken
    from healthbank.passbook.models import Measurement

    phone, person = verified_phone(phones, language)
    phone.log_in(person)
    phone.title("My Health Bank")
    phone.page.wait_for_selector("#main button.primary")  # the passbook has answered
    # The measurements form of the passbook (SPEC §6.2): half typed when the token runs out.
    phone.go(f"/passbook/{person.pk}/measurements")
    phone.page.wait_for_selector("#f-systolic")
    phone.page.fill("#f-systolic", "128")
    phone.page.fill("#f-weight_kg", "61.5")
    AppToken.objects.filter(person=person).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    phone.page.click("#main form.measure-form button[type=submit]")
    phone.title("Log in")
    phone.shows("Your login has ended. Log in again to go on; what you typed is kept.")
    assert phone.token() is None
    assert "128" not in json.dumps(phone.storage())  # what was typed is kept in memory only
    assert_accessible(phone.page, "login after the token ran out")
    phone.shot("token-expired")
    phone.log_in(person)
    phone.page.wait_for_selector("#f-systolic")
    assert phone.page.input_value("#f-systolic") == "128"
    assert phone.page.input_value("#f-weight_kg") == "61.5"
    assert not Measurement.objects.filter(person=person).exists()  # nothing was sent with the dead token
    # and a real screen: the device list, its button pressed after the token ran out → back to it after login
    phone.go("/settings/devices")
    phone.page.wait_for_selector("table.cards button")
    AppToken.objects.filter(person=person).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    phone.page.click("table.cards button")
    phone.title("Log in")
    phone.log_in(person)
    phone.title("My verified devices")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_app_locks_itself_after_five_minutes_untouched(phones, language):
    from healthbank import policy

    phone = phones(language)
    phone.page.clock.install()
    phone, person = verified_phone(lambda *a, **k: phone, language)
    phone.log_in(person)
    phone.title("My Health Bank")
    phone.page.wait_for_selector("#main button.primary")  # the passbook has answered
    phone.go("/settings/access-log")
    phone.title("Who looked at my data")
    idle = int(policy.APP_IDLE_LOCK_AFTER.total_seconds())
    phone.page.clock.run_for((idle - 60) * 1000)
    phone.page.mouse.click(5, 300)  # a touch keeps it open
    phone.page.clock.run_for((idle - 60) * 1000)
    assert phone.token() is not None
    phone.page.clock.run_for(61 * 1000 + 5000)
    phone.title("Log in")
    phone.shows("The app locked itself after a while without use. Log in again to go on where you were.")
    assert phone.token() is None
    assert person.name not in phone.main_text()
    assert_accessible(phone.page, "locked")
    phone.shot("locked")
    phone.log_in(person)
    phone.title("Who looked at my data")


# ------------------------------------------------------------------------------------------------ installable


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_app_installs_and_opens_offline_from_its_own_cache(phones, language):
    phone = phones(language)
    phone.open("/")
    phone.title("Verify this phone")
    manifest_url = phone.page.get_attribute('link[rel="manifest"]', "href")
    manifest = phone.page.evaluate("u => fetch(u).then(r => r.json())", manifest_url)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/app/"
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    phone.page.evaluate("() => navigator.serviceWorker.ready")
    phone.page.reload()
    phone.title("Verify this phone")
    assert phone.page.evaluate("() => navigator.serviceWorker.controller !== null")
    cached = phone.page.evaluate(
        """async () => {
          const kept = [];
          for (const name of await caches.keys())
            for (const r of await (await caches.open(name)).keys()) kept.push(new URL(r.url).pathname);
          return kept;
        }"""
    )
    assert "/app/" in cached and not [p for p in cached if p.startswith("/api/")]
    phone.page.context.set_offline(True)
    phone.page.reload()
    phone.title("Verify this phone")
    phone.shows("Offline: HealthBank cannot be reached. What you see is not being updated.")
    assert phone.english_left() == []
    assert_accessible(phone.page, "offline")
    phone.shot("offline")
    phone.page.context.set_offline(False)


def test_every_app_api_answer_is_not_to_be_stored(phones):
    """(Also checked on every phone when its test ends.) The answers to a refusal and to no token at all too."""
    phone = phones("en")
    phone.open("/")
    statuses = phone.page.evaluate(
        """async () => {
          const out = [];
          for (const [m, p, b] of [['POST', 'devices/bind', '{}'], ['GET', 'me', null], ['POST', 'login', '{}']]) {
            const r = await fetch('/api/app/v1/' + p, {method: m, body: b,
              headers: b ? {'Content-Type': 'application/json'} : {}});
            out.push([p, r.status, r.headers.get('Cache-Control')]);
          }
          return out;
        }"""
    )
    assert [s for _p, s, _c in statuses] == [400, 401, 400]
    assert all("no-store" in (c or "") for _p, _s, c in statuses), statuses
