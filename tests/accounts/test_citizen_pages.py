"""What a citizen meets on the pages (issue 7): captcha, titles, header, languages, field errors, meter, errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import wave
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from captcha.models import CaptchaStore
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from healthbank import policy
from tests.accounts.conftest import PASSWORD
from tests.accounts.test_login import captcha, log_in
from tests.accounts.test_registration_pages import details, proof_fields


def title_of(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip()


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.described = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if attrs.get("aria-describedby"):
            self.described.extend(attrs["aria-describedby"].split())


def dangling_descriptions(page: str) -> set[str]:
    """``aria-describedby`` ids that nothing on the page carries."""
    parser = _Ids()
    parser.feed(page)
    return set(parser.described) - parser.ids


# ------------------------------------------------------------------------------------------------ captcha


def test_the_captcha_is_digits_in_a_large_picture_with_refresh_and_audio(client, db):
    page = client.get("/en/login/").content.decode()
    key = re.search(r'name="captcha_0" value="([^"]+)"', page).group(1)
    answer = CaptchaStore.objects.get(hashkey=key).response
    assert answer.isdigit() and len(answer) == policy.CAPTCHA_DIGITS
    image = client.get(f"/captcha/image/{key}/")
    from PIL import Image

    width, height = Image.open(BytesIO(image.content)).size
    assert (width, height) == settings.CAPTCHA_IMAGE_SIZE and height >= 60  # was 105×29
    assert 'class="captcha-refresh"' in page and 'inputmode="numeric"' in page
    assert f"/captcha/audio/{key}.wav" in page
    assert "Security code (the digits in the picture)" in page and 'alt="captcha"' not in page
    refreshed = client.get("/captcha/refresh/", HTTP_X_REQUESTED_WITH="XMLHttpRequest").json()
    assert refreshed["audio_url"].endswith(".wav") and refreshed["image_url"].startswith("/captcha/image/")


@pytest.mark.parametrize(
    ("prefix", "language", "label"), [("", "zh-hant", "聽取數字"), ("/en", "en", "Listen to the digits")]
)
def test_the_audio_captcha_speaks_the_digits_in_the_page_language(client, db, prefix, language, label):
    if language not in settings.CAPTCHA_VOICES:
        pytest.fail(f"no voice for {language}: apt-get install espeak-ng flite (as .ci/run does)")
    page = client.get(f"{prefix}/login/").content.decode()
    key = re.search(r'name="captcha_0" value="([^"]+)"', page).group(1)
    link = re.search(r'<a class="button captcha-audio" href="([^"]+)">([^<]+)</a>', page)
    assert link.group(1) == f"/captcha/audio/{key}.wav?lang={language}" and link.group(2) == label
    audio = client.get(link.group(1))
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav" and "no-store" in audio["Cache-Control"]
    with wave.open(BytesIO(audio.content)) as sound:
        seconds = sound.getnframes() / sound.getframerate()
    assert seconds >= 0.4 * policy.CAPTCHA_DIGITS  # five spoken digits, not silence or a click
    CaptchaStore.objects.filter(hashkey=key).delete()
    assert client.get(link.group(1)).status_code == 410  # a used or expired code is not read out


@pytest.mark.parametrize(
    ("prefix", "expected", "not_expected"),
    [("", "驗證碼不正確", "Invalid CAPTCHA"), ("/en", "The security code does not match", "Invalid CAPTCHA")],
)
def test_a_wrong_captcha_is_told_in_the_page_language(client, registered, prefix, expected, not_expected):
    data = captcha(client)
    data["captcha_1"] = "00000" if data["captcha_1"] != "00000" else "11111"
    fields = {"national_id": registered.national_id, "card_number": registered.cards[-1].card_number}
    page = client.post(f"{prefix}/login/", {**fields, "password": PASSWORD, **data}).content.decode()
    assert expected in page and not_expected not in page
    assert 'class="error-summary"' in page and 'href="#id_captcha_1"' in page  # the summary leads to the field


# ------------------------------------------------------------------------------------------------ languages


def test_the_password_hint_follows_the_page_language(client, adult):
    client.post("/en/register/", {"accept": "on"})
    client.post("/en/register/card/", proof_fields(adult.cards[-1].card_number, "register"))
    english = client.get("/en/register/details/").content.decode()
    assert "Strong: upper and lower case letters" in english and "註冊密碼長度" not in english
    chinese = client.get("/register/details/").content.decode()
    assert "註冊密碼長度必需 6–12 碼" in chinese


def test_chinese_glosses_on_english_pages_say_they_are_chinese(client, adult):
    client.post("/en/register/", {"accept": "on"})
    client.post("/en/register/card/", proof_fields(adult.cards[-1].card_number, "register"))
    english = client.get("/en/register/details/").content.decode()
    assert 'Household number (<span lang="zh-Hant-TW">戶號</span>)' in english
    assert 'Village (<span lang="zh-Hant-TW">村里</span>)' in english
    chinese = client.get("/register/details/").content.decode()
    assert "戶號" in chinese and 'lang="zh-Hant-TW">戶號' not in chinese  # no gloss of Chinese in Chinese
    kiosk = client.get("/en/kiosk/").content.decode()
    assert 'household number (<span lang="zh-Hant-TW">戶號</span>)' in kiosk


# ------------------------------------------------------------------------------------------------ fields


def summary_of(page: str) -> str:
    start = page.index('class="error-summary"')
    return page[start : page.index("</div>", start)]


def test_fields_name_their_purpose_and_describe_their_errors(client, adult):
    client.post("/en/register/", {"accept": "on"})
    client.post("/en/register/card/", proof_fields(adult.cards[-1].card_number, "register"))
    page = client.post("/en/register/details/", details(adult, email="not-mail", township="")).content.decode()
    for token in ("email", "mobile tel-national", "tel-national", "address-level1", "address-level2",
                  "address-level3", "address-level4", "new-password"):  # fmt: skip
        assert f'autocomplete="{token}"' in page, token
    assert dangling_descriptions(page) == set()  # every error and help text a field points at is on the page
    assert 'href="#id_email"' in summary_of(page) and 'href="#id_township"' in summary_of(page)
    assert re.search(r'<input[^>]*name="township"[^>]*aria-invalid="true"', page)
    # Errors the registration service finds after the form's own checks are tied to their fields too.
    page = client.post("/en/register/details/", details(adult, mobile="123", password="short")).content.decode()
    assert dangling_descriptions(page) == set()
    assert 'id="id_password_helptext"' in page and 'id="id_mobile_error"' in page and 'id="id_password_error"' in page
    assert 'href="#id_mobile"' in summary_of(page) and 'href="#id_password"' in summary_of(page)


def test_every_field_page_points_only_at_what_it_renders(client, registered):
    log_in(client, registered)
    for path in ("/en/me/password/", "/en/me/contacts/"):
        page = client.post(path, {"mobile": "1", "email": "x", "password": "a", "password_confirm": "b"})
        assert dangling_descriptions(page.content.decode()) == set(), path


# ------------------------------------------------------------------------------------------------ titles and header


def test_every_citizen_page_has_its_own_title(client, registered, db):
    generic = "My Health Bank · HealthBank"
    public = ["/en/login/", "/en/login/card/", "/en/login/certificate/", "/en/register/", "/en/register/pending/",
              "/en/register/done/", "/en/password/forgot/", "/en/kiosk/", "/en/unit/login/"]  # fmt: skip
    titles = {path: title_of(client.get(path).content.decode()) for path in public}
    titles["/en/register/confirm/<bad>/"] = title_of(client.get("/en/register/confirm/nope/").content.decode())
    with translation.override("en"):
        titles["confirmed"] = title_of(render_to_string("accounts/confirmed.html"))
        titles["password done"] = title_of(render_to_string("accounts/password_done.html"))
    log_in(client, registered)
    for path in ("/en/me/", "/en/me/devices/", "/en/me/password/", "/en/me/contacts/", "/en/me/access-log/"):
        titles[path] = title_of(client.get(path).content.decode())
    assert generic not in titles.values(), titles
    shared = {t for t in titles.values() if list(titles.values()).count(t) > 1}
    # The two logins are one task ("Log in") by two routes; every other page says what it is.
    assert shared <= {"Log in · HealthBank"}, shared


def test_every_citizen_page_has_the_header_with_the_masked_name_navigation_and_log_out(client, registered):
    log_in(client, registered)
    masked = registered.name[0] + "○"
    for path in ("/en/me/", "/en/me/devices/", "/en/me/password/", "/en/me/contacts/", "/en/me/access-log/"):
        page = client.get(path).content.decode()
        header = page[page.index("<header") : page.index("</header>")]
        assert masked in header and registered.name not in header, path
        assert 'href="/en/me/devices/"' in header and 'href="/en/me/access-log/"' in header, path
        assert 'action="/en/logout/"' in header, path
        assert 'aria-current="page"' in header, path


def test_the_registration_complete_page_leads_to_log_in(db):
    with translation.override("en"):
        page = render_to_string("accounts/confirmed.html")
    assert 'href="/en/login/"' in page


def test_there_is_a_favicon(client, db):
    page = client.get("/en/login/").content.decode()
    assert 'rel="icon"' in page
    assert client.get("/static/healthbank/favicon.svg").status_code == 200
    assert client.get("/favicon.ico").status_code == 301


# ------------------------------------------------------------------------------------------------ strength meter


@pytest.mark.parametrize(
    ("password", "strength", "accepted"),
    [
        ("kq82mz", "medium", True),
        ("Hb-2026ok", "strong", True),
        ("P@ssw0rd", "strong", False),  # common: the meter must not call it strong
        ("Hb-2026ok-and-long", "strong", False),  # longer than 12
    ],
)
def test_the_meter_asks_the_server_whether_a_password_is_accepted(client, db, password, strength, accepted):
    response = client.post("/en/password/check", {"password": password})
    verdict = response.json()
    assert (verdict["strength"], verdict["accepted"]) == (strength, accepted)
    assert bool(verdict["problems"]) is not accepted
    assert "no-store" in response["Cache-Control"]


def test_the_meter_knows_the_card_holders_id_and_birth_date(client, adult):
    client.post("/en/register/", {"accept": "on"})
    client.post("/en/register/card/", proof_fields(adult.cards[-1].card_number, "register"))
    with_id = adult.national_id + "b!"  # 12 characters, all four kinds: "strong" by the meter's count
    verdict = client.post("/en/password/check", {"password": with_id}).json()
    assert verdict["accepted"] is False and "national ID" in " ".join(verdict["problems"])


# ------------------------------------------------------------------------------------------------ security


def test_pages_carry_a_content_security_policy_without_inline_script(client, db):
    policy_header = client.get("/en/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy_header.split(";") if d.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "'unsafe-inline'" not in policy_header and "'unsafe-eval'" not in policy_header
    assert "http://127.0.0.1:*" in directives["connect-src"]  # the card agent on the person's computer


TEMPLATES = Path(settings.BASE_DIR) / "healthbank"


# Templates the site never serves under its policy: the pages inside a download package (self-contained files on
# the person's disk, styles inline by design) and the doctor summary's PDF source (WeasyPrint reads it).
NOT_SERVED = (
    "exports/templates/exports/package/",
    "exports/templates/exports/summary/summary.html",
    "insurance/templates/insurance/pdf/",  # the services PDFs (WeasyPrint reads them)
)


def test_no_template_or_static_file_has_inline_script_style_or_handlers():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if str(path.relative_to(TEMPLATES)).startswith(NOT_SERVED):
            continue
        text = path.read_text(encoding="utf-8")
        inline = re.search(r"<script(?![^>]*\bsrc=)[^>]*>|<style", text) or re.search(r"\s(on[a-z]+|style)=\"", text)
        if inline:
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []


@pytest.mark.parametrize(("path", "status"), [("/en/no-such-page/", 404), ("/no-such-page/", 404)])
def test_errors_are_friendly_bilingual_pages_in_the_site_look(client, db, path, status):
    response = client.get(path)
    page = response.content.decode()
    assert response.status_code == status
    assert "找不到網頁" in page and "Page not found" in page and "site.css" in page
    assert 'lang="en"' in page and 'lang="zh-Hant-TW"' in page
    if path.startswith("/en/"):
        assert page.index("Page not found") < page.index("找不到網頁")  # the page's own language first


def test_the_server_error_page_needs_no_context_and_shows_no_traceback():
    page = render_to_string("500.html")
    assert "系統發生錯誤" in page and "Something went wrong on our side" in page and "0800-030-598" in page
    assert "Traceback" not in page


def test_the_embedded_demo_runs_without_debug(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "healthbank.settings.embedded", "HEALTHBANK_VAR_DIR": str(tmp_path)}
    env.pop("HEALTHBANK_DEBUG", None)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "False"


def test_an_expired_form_gets_the_friendly_page_not_djangos(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/login/", {"national_id": "A123456789"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "This form has expired" in page and "表單已逾時" in page and "HTTP 403" in page
    assert "CSRF verification failed" not in page
