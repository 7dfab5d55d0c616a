"""Certificates in a real browser on a 360×740 phone (SPEC §10, issue 11): the insured person issues a Chinese
certificate of insurance and an English one for their spouse, downloads the PDFs, and someone without an
account (an embassy clerk) opens the public check page from the code, then tries an altered code.

Screenshots go to tests/e2e/screenshots/certificates-*-phone.png (git-ignored); the PDFs to
tests/e2e/screenshots/certificates-*.pdf, for a look with ``pdftoppm``.
"""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image

from healthbank.insurance import certificate_rules
from healthbank.insurance.models import IssuedDocument
from tests.e2e.conftest import PHONE, SCREENSHOTS, axe_violations, shot
from tests.e2e.test_vcard import LANGUAGES, english_on, fits, register, said
from tests.e2e.test_vcard import tab as tab
from tests.insurance.test_pdf_layer import pdf_text
from tests.vcard import conftest as vcard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
household = vcard.household


def accessible(page, what: str) -> None:
    assert axe_violations(page) == [], what
    fits(page, what)


def issue(page, person, *, date_from: str, date_to: str, language: str, name_en: str = "") -> IssuedDocument:
    page.goto(f"{page.base}/services/{person.pk}/certificates/insurance/")
    page.fill("#date_from", date_from)
    page.fill("#date_to", date_to)
    page.check(f"input[name=language][value={language}]")
    if name_en:
        page.fill("#name_en", name_en)
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/certificates/[0-9a-f-]{36}/$"))
    return IssuedDocument.objects.get(person=person, language=language)


def qr_on_screen(page) -> str:
    locator = page.locator(".certificate-qr svg")
    locator.scroll_into_view_if_needed()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(locator.screenshot())))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def download(page, name: str) -> bytes:
    with page.expect_download() as info:
        page.click("a[download]")
    path = info.value.path()
    data = open(path, "rb").read()
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / f"{name}.pdf").write_bytes(data)
    return data


def test_certificates_issued_on_a_phone_and_checked_by_anyone(tab, household, browser, live_server):
    parent, spouse = household.parent, household.spouse
    register(parent, "a@example.tw")

    zh = tab(parent, "zh")
    zh.goto(f"{zh.base}/services/")
    zh.click(f"text={said('Certificate of insurance (Chinese and English)')}")
    zh.wait_for_url(re.compile(r"/certificates/insurance/$"))
    accessible(zh, "the certificate form")
    # a period without insurance is refused naming the field
    zh.fill("#date_from", "1996-01-01")
    zh.fill("#date_to", "1996-12-31")
    zh.click("button.primary")
    assert zh.locator(".error-summary").is_visible()
    assert zh.locator("#date_from-error").is_visible()
    shot(zh, "certificates-refused-phone")

    chinese = issue(zh, parent, date_from="2020-01-01", date_to="2024-12-31", language="zh-hant")
    accessible(zh, "the issued certificate")
    code = certificate_rules.grouped(chinese.code)
    assert code in zh.inner_text("main")
    assert qr_on_screen(zh).endswith(f"/verify/{chinese.code}/")  # SITE_URL + the check page
    print("English on the Chinese page:", english_on(zh))
    shot(zh, "certificates-issued-zh-phone")
    text = re.sub(r"\s+", "", pdf_text(download(zh, "certificates-zh")))
    assert "全民健康保險投保證明" in text and "陳大文" in text and code in text

    en = tab(parent, "en")
    english = issue(en, spouse, date_from="2022-03-01", date_to="2024-02-29", language="en", name_en="Lin, Shu-Fen")
    assert "LIN, SHU-FEN" in en.inner_text("main")
    accessible(en, "the issued English certificate")
    shot(en, "certificates-issued-en-phone")
    assert "LIN, SHU-FEN" in pdf_text(download(en, "certificates-en"))

    # an embassy clerk, not logged in, types the code from the paper
    clerk = browser.new_context(viewport=PHONE, locale=LANGUAGES["en"][1]).new_page()
    try:
        clerk.goto(f"{live_server.url}/en/verify/")
        accessible(clerk, "the check form")
        clerk.fill("#code", certificate_rules.grouped(english.code).lower())
        clerk.click("button.primary")
        clerk.wait_for_url(re.compile(rf"/en/verify/{english.code}/$"))
        shown = clerk.inner_text("main")
        assert "Genuine" in shown and "LIN, SHU-FEN" in shown and spouse.national_id_masked in shown
        assert spouse.national_id not in clerk.content()
        accessible(clerk, "a genuine certificate")
        shot(clerk, "certificates-verify-genuine-phone")
        altered = english.code[:-1] + ("2" if english.code[-1] != "2" else "3")
        clerk.goto(f"{live_server.url}/en/verify/{altered}/")
        assert "No certificate has this code" in clerk.inner_text("main")
        assert "LIN" not in clerk.inner_text("main")
        shot(clerk, "certificates-verify-unknown-phone")
        # the QR code of the Chinese certificate opens the Chinese check page
        clerk.goto(f"{live_server.url}/verify/{chinese.code}/")
        assert "陳大文" in clerk.inner_text("main")
        accessible(clerk, "a genuine Chinese certificate")
        shot(clerk, "certificates-verify-zh-phone")
    finally:
        clerk.context.close()
