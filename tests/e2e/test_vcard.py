"""The virtual NHI card in a real browser on a 360×740 phone (SPEC §9, issue 10): the holder shows the card and
its one-time QR, which a clinic scans once; the holder lends the card to a named person by a code, who shows it
(the holder is e-mailed) until the holder ends the delegation; a household member agrees to be lent the card;
a parent shows the card of a child under 15. Chinese pages, and one English pass of the card page.

The QR codes are read back from the screen (an element screenshot decoded with zxing-cpp) and sent to the scan
API as a counter's scanner would. Buttons and headings are found by the names the pages give them now
(``gettext`` at test time), so the tests hold while the Chinese translations are being written; English words
left on the Chinese pages are printed, not failed on. Celery is eager in tests and the live server is a thread
of this process, so the outbox's e-mails land in ``django.core.mail.outbox``. Screenshots go to
tests/e2e/screenshots/vcard-*-phone.png (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext

from healthbank.accounts.models import OnlineAccount
from healthbank.core.masking import mask_name
from healthbank.identity.models import Person
from healthbank.vcard.notices import SUBJECTS
from tests.e2e.conftest import PHONE, axe_violations, shot
from tests.vcard import conftest as vcard
from tests.vcard.conftest import SCANS, Household, approved_card

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"zh": ("", "zh-TW", "zh-hant"), "en": ("/en", "en-US", "en")}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
ENGLISH_WORD = re.compile(r"\b[A-Za-z][a-z]{2,}(?: [a-z]{2,})*\b")
NOT_WORDS = {"HealthBank", "NHI", "QR", "Code", "HBVC"}
TIMER = re.compile(r"([0-5]):([0-5]\d)")

# The virtual-card tests' shared fixtures (tests/vcard/conftest.py), used here as they are.
household = vcard.household
institution = vcard.institution
institution_api = vcard.institution_api


def said(text: str, language: str = "zh") -> str:
    """What the page says for this source string now (its translation, or the English while there is none)."""
    with translation.override(LANGUAGES[language][2]):
        return gettext(text)


def register(person: Person, email: str) -> OnlineAccount:
    """An active online account: the person is registered, and their session names the account as a real log-in does."""
    now = timezone.now()
    return OnlineAccount.objects.create(
        person=person, status="active", channel="online", email=email, mobile="0912345678", created_at=now,
        activated_at=now,
    )  # fmt: skip


@pytest.fixture
def tab(browser, live_server):
    """``tab(person, "zh" | "en")``: a phone-sized tab of its own browser context, logged in as the person (a
    citizen-certificate session, as test_downloads.py makes one). The test fails if any page broke the CSP."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from healthbank.accounts.login import SESSION_ACCOUNT, SESSION_METHOD, SESSION_PERSON, Method

    contexts, refused = [], []

    def open_tab(person: Person, language: str = "zh"):
        session = SessionStore()
        session[SESSION_PERSON], session[SESSION_METHOD] = str(person.pk), Method.CERTIFICATE
        account = OnlineAccount.objects.filter(person=person, status="active").first()
        if account is not None:
            session[SESSION_ACCOUNT] = str(account.pk)
        session.create()
        context = browser.new_context(viewport=PHONE, locale=LANGUAGES[language][1], reduced_motion="reduce")
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key,
                              "domain": urlsplit(live_server.url).hostname, "path": "/", "httpOnly": True,
                              "sameSite": "Lax"}])  # fmt: skip
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.set_default_timeout(10_000)
        page.base = live_server.url + LANGUAGES[language][0]
        return page

    yield open_tab
    for context in contexts:
        context.close()
    assert refused == [], f"Content-Security-Policy violations: {refused}"


# ---------------------------------------------------------------- what a user sees and what a scanner reads


def fits(page, what: str) -> None:
    """No sideways scrolling on the 360-px phone (WCAG 1.4.10 Reflow)."""
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{what}: the page is {width}px wide on a {PHONE['width']}px phone"


def accessible(page, what: str) -> None:
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert axe_violations(page) == [], what
    fits(page, what)


def photos_shown(page, at_least: int = 1) -> None:
    """Every picture on the page loaded (a card photo that is not there is a broken-image box)."""
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    broken = page.evaluate(
        "() => [...document.querySelectorAll('main img')].filter(i => !i.naturalWidth).map(i => i.src)"
    )
    assert broken == [], f"broken pictures: {broken}"
    assert page.locator("main img.vcard-photo").count() >= at_least


def read_qr(locator) -> str:
    """Decode a QR drawn on the screen, as a phone camera or a counter's scanner sees it; a regular QR only."""
    import zxingcpp
    from PIL import Image

    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box and box["width"] >= 260 and abs(box["width"] - box["height"]) < 2, f"QR drawn {box}"
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(locator.screenshot())))
    assert len(found) == 1, f"{len(found)} codes read from the screen"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode, f"not a regular QR code: {found[0].format}"
    return found[0].text


def english_on(page) -> list[str]:
    """English phrases on a Chinese page (listed in the output, not failed on: translations are being written)."""
    text = page.inner_text("main")
    return sorted({m for m in ENGLISH_WORD.findall(text) if m not in NOT_WORDS})


def show_qr(page, button) -> tuple[str, int]:
    """Press a show-QR button; the panel comes in place with its countdown. (the code's text, seconds left)."""
    button.click()
    panel = page.locator("#qr-panel[data-seconds-left]")
    panel.wait_for()
    page.wait_for_function(
        "() => /[0-5]:[0-5][0-9]/.test(document.querySelector('#qr-panel .qr-timer').textContent)"
        " && document.querySelector('#qr-panel').dataset.counting"
    )
    left = TIMER.search(panel.locator(".qr-timer").inner_text())
    assert page.evaluate("() => document.activeElement.id") == "qr-panel", "focus did not move to the new code"
    return read_qr(panel.locator(".qr-code svg")), int(left.group(1)) * 60 + int(left.group(2))


def scan(api, text: str):
    return api.post(SCANS, data=json.dumps({"qr": text}), content_type="application/json")


def usable_item(page, person: Person):
    """The person's row under "Cards I can use" on the card page."""
    return page.locator(".vcard-usable li.vcard-item", has_text=person.masked_name)


# ---------------------------------------------------------------- the story


@pytest.fixture
def people(household, person):
    """A (陳大文, the insured of a household, registered, with an approved card) and B (王小明, outside it)."""
    register(household.parent, "a@example.tw")
    register(person, "b@example.tw")
    approved_card(household.parent, email="a-card@example.tw")
    return household.parent, person


def test_the_holder_shows_the_card_lends_it_by_code_and_ends_the_delegation(tab, household, people, institution_api):
    a, b = people
    today = timezone.localdate()

    # 1. A's card: the photo and the masked identity; the one-time QR with its countdown, scanned once.
    page = tab(a)
    page.goto(page.base + "/vcard/")
    card = page.locator(".vcard-card")
    assert a.masked_name in card.inner_text() and a.national_id_masked in card.inner_text()
    assert a.name not in page.inner_text("body") and a.national_id not in page.content()
    photos_shown(page)
    assert usable_item(page, household.child).count() == 0, "the child has no card to show yet"
    accessible(page, "the card page")
    untranslated = {"card page": english_on(page)}

    code, left = show_qr(page, page.get_by_role("button", name=said("Show QR code"), exact=True))
    assert code.startswith("HBVC1."), code[:12]
    assert 240 <= left <= 300, f"the countdown starts at {left} s"
    assert a.masked_name in page.inner_text("#qr-panel .qr-title")
    accessible(page, "the card page with the QR panel")
    shot(page, "vcard-card-phone")
    untranslated["QR panel"] = english_on(page)

    scanned = scan(institution_api, code)
    assert scanned.status_code == 200, scanned.content
    assert scanned.json()["person"]["name"] == a.name and scanned.json()["shown_by"] == "holder"
    again = scan(institution_api, code)
    assert again.status_code == 409 and again.json()["reason"] == "already_used"
    page.wait_for_function(
        "s => { const m = document.querySelector('#qr-panel .qr-timer').textContent.match(/([0-5]):([0-5][0-9])/);"
        " return m && m[1] * 60 + +m[2] < s; }",
        arg=left,
        timeout=3_000,
    )  # the countdown runs

    # 2. 授權與管理 → 新增授權對象: a specific person, by B's national ID, for a week; the code and its QR.
    page.get_by_role("link", name=said("Authorisations and use history")).click()
    page.wait_for_url("**/vcard/manage/")
    accessible(page, "the manage page")
    untranslated["manage page"] = english_on(page)
    page.get_by_role("link", name=said("Add a delegate"), exact=True).click()
    page.wait_for_url("**/vcard/delegations/new/")
    page.get_by_label(said("A specific person"), exact=True).check()
    page.get_by_label(said("Their national ID")).fill(b.national_id.lower())
    page.get_by_label(said("Who they are to you (optional)")).fill("朋友")
    page.get_by_label(said("Last day"), exact=True).fill((today + dt.timedelta(days=7)).isoformat())
    fits(page, "the new-delegation form")
    untranslated["new-delegation form"] = english_on(page)
    page.get_by_role("button", name=said("Authorise"), exact=True).click()
    page.wait_for_url(re.compile(r"/vcard/delegations/[0-9a-f-]{36}/$"))
    delegation_code = page.inner_text(".delegation-code-text code").strip()
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", delegation_code), delegation_code
    link = read_qr(page.locator(".delegation-code .qr-code svg"))
    assert urlsplit(link).path == "/vcard/obtain/", link
    assert parse_qs(urlsplit(link).query)["code"] == [delegation_code.replace("-", "")]
    assert "朋友" in page.inner_text(".vcard-details")
    accessible(page, "the delegation page with its code")
    shot(page, "vcard-delegation-code-phone")
    untranslated["delegation page"] = english_on(page)

    # 3. B, on their own phone, obtains the code; A's card is under "Cards I can use"; its QR is scanned.
    other = tab(b)
    other.goto(other.base + "/vcard/obtain/")
    other.get_by_label(said("Delegation code")).fill(delegation_code.lower().replace("-", " "))
    other.get_by_role("button", name=said("Obtain authorisation"), exact=True).click()
    other.wait_for_url(re.compile(r"/vcard/$"))
    assert a.masked_name in other.inner_text(".vcard-message")
    assert said("Cards I can use") in other.inner_text(".vcard-usable h2")
    lent = usable_item(other, a)
    assert lent.count() == 1
    photos_shown(other)
    code, _left = show_qr(other, lent.get_by_role("button", name=re.compile(re.escape(said("Show their QR code")))))
    assert code.startswith("HBVC1.")
    assert a.masked_name in other.inner_text("#qr-panel .qr-title")
    assert other.locator("#qr-panel .qr-lent").is_visible()
    accessible(other, "the delegate's card page with the holder's QR")
    shot(other, "vcard-delegate-phone")
    untranslated["delegate's card page"] = english_on(other)

    mail.outbox.clear()
    scanned = scan(institution_api, code)
    assert scanned.status_code == 200, scanned.content
    assert scanned.json()["person"]["name"] == a.name and scanned.json()["shown_by"] == "delegate"
    told = [m for m in mail.outbox if m.subject == SUBJECTS["used"]]
    assert [m.to for m in told] == [["a-card@example.tw"]], [(m.subject, m.to) for m in mail.outbox]
    assert b.masked_name in told[0].body and a.national_id not in told[0].body and b.national_id not in told[0].body

    # 4. A ends the delegation; B's card page (still open) can no longer make A's code, and after a reload
    # A's card is gone from it.
    page.goto(page.base + "/vcard/manage/")
    mine = page.locator("li.vcard-item", has_text=b.masked_name).first
    assert said("In force") in mine.inner_text()
    mine.get_by_role("button", name=said("End now"), exact=True).click()
    page.wait_for_url("**/vcard/manage/")
    assert said("The delegation has ended; the delegate can no longer show your card.") in page.inner_text("main")
    assert said("Ended") in page.locator("li.vcard-item", has_text=b.masked_name).first.inner_text()
    accessible(page, "the manage page after a scan by the delegate")
    shot(page, "vcard-manage-phone")
    with other.expect_navigation() as refused:
        usable_item(other, a).get_by_role("button").click()
    assert refused.value.status == 404
    other.goto(other.base + "/vcard/")
    assert usable_item(other, a).count() == 0
    assert a.masked_name not in other.inner_text("main")

    for where, words in untranslated.items():
        if words:
            print(f"English on the Chinese {where}: {words}")


def test_a_household_member_agrees_and_a_parent_shows_the_childs_card(tab, household: Household, institution_api):
    a, c, child = household.parent, household.spouse, household.child
    register(a, "a@example.tw")
    register(c, "c@example.tw")
    approved_card(a, email="a-card@example.tw")
    approved_card(child, applicant=a, email="a-card@example.tw")  # the parent applies: NHI card, no portrait
    today = timezone.localdate()

    # 5. A lends the card to C of the household; C sees the ask on the card page and agrees within 10 minutes.
    page = tab(a)
    page.goto(page.base + "/vcard/delegations/new/")
    page.get_by_label(said("A member of my NHI household"), exact=True).check()
    page.get_by_label(said("Member"), exact=True).select_option(label=c.masked_name)
    page.get_by_label(said("Last day"), exact=True).fill((today + dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name=said("Authorise"), exact=True).click()
    page.wait_for_url(re.compile(r"/vcard/delegations/[0-9a-f-]{36}/$"))
    assert c.masked_name in page.inner_text(".notice")

    member = tab(c)
    member.goto(member.base + "/vcard/")
    ask = member.locator(".vcard-asks li.vcard-item", has_text=a.masked_name)
    assert ask.count() == 1
    accessible(member, "the card page with a household member's ask")
    shot(member, "vcard-household-ask-phone")
    untranslated = english_on(member)
    ask.get_by_role("button", name=said("Agree"), exact=True).click()
    member.wait_for_url(re.compile(r"/vcard/$"))
    assert a.masked_name in member.inner_text(".vcard-message")
    assert member.locator(".vcard-asks").count() == 0
    assert usable_item(member, a).count() == 1

    # 6. A, the parent of a child under 15 with a card, shows the child's card from "Cards I can use".
    page.goto(page.base + "/vcard/")
    item = usable_item(page, child)
    assert item.count() == 1
    photos_shown(page, 2)
    code, _left = show_qr(page, item.get_by_role("button", name=re.compile(re.escape(said("Show their QR code")))))
    assert child.masked_name in page.inner_text("#qr-panel .qr-title")
    scanned = scan(institution_api, code)
    assert scanned.status_code == 200, scanned.content
    assert scanned.json()["person"]["name"] == child.name and scanned.json()["shown_by"] == "parent"
    accessible(page, "the parent's card page with the child's QR")
    shot(page, "vcard-child-phone")
    if untranslated:
        print(f"English on the Chinese card page with an ask: {untranslated}")


def test_in_english_the_card_page_speaks_english(tab, people):
    a, _b = people
    page = tab(a, "en")
    page.goto(page.base + "/vcard/")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    for text in ("Virtual NHI card", "Name", "National ID", "Show QR code", "Authorisations and use history"):
        assert text in page.inner_text("main"), text
    show_qr(page, page.get_by_role("button", name="Show QR code", exact=True))
    assert re.search(r"Valid for [0-5]:[0-5]\d more", page.inner_text("#qr-panel .qr-timer"))
    # Chinese only in names (marked lang="zh-Hant-TW", or a button's hidden words naming whose card it is) and
    # the language switch's own 繁體中文.
    shown = page.evaluate(
        """() => { const body = document.body.cloneNode(true);
                   body.querySelectorAll('[lang^="zh"], script, style').forEach(e => e.remove());
                   return body.textContent; }"""
    )
    for name in Person.objects.values_list("name", flat=True):
        shown = shown.replace(mask_name(name), "")
    assert not CJK.search(shown), f"Chinese on the English card page: {sorted(set(CJK.findall(shown)))}"
    accessible(page, "the English card page with the QR panel")
    shot(page, "vcard-card-en-phone")
