"""What the app's browser tests share: a phone that opens the app, a fake camera's video file with a QR code, the
app's own messages (its djangojs catalogue) and people who may log in."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.translation.trans_real import DjangoTranslation

from tests.e2e.conftest import PHONE, shot

PASSWORD = "Hb-2026ok"
# An Android phone's browser (the app names the phone in the device list from it).
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile"
    " Safari/537.36"
)
# language → (the phone's locale, the app's language code)
LANGUAGES = {"zh": ("zh-TW", "zh-hant"), "en": ("en-US", "en")}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# English words a Chinese screen may show: names of things, and the other language's own switch.
NOT_WORDS = {"HealthBank", "NHI", "QR", "App", "English", "Android", "Pixel", "iOS", "iPhone", "Web", "PWA"}
ENGLISH_WORD = re.compile(r"\b[A-Za-z][a-z]{2,}\b")

_numbers = itertools.count(1)


def said(text: str, language: str = "zh") -> str:
    """What the app says for this source string in the language (its djangojs catalogue, as the app loads it)."""
    return DjangoTranslation(LANGUAGES[language][1], domain="djangojs").gettext(text)


def server_said(text: str, language: str = "zh") -> str:
    """What the server says for this source string in the language (its django catalogue: API error messages)."""
    return DjangoTranslation(LANGUAGES[language][1], domain="django").gettext(text)


def citizen(name: str = "陳怡君"):
    """A new person with an NHI card and an active online account (password PASSWORD); a fresh national ID each
    time, so the tests of one module share the database without meeting each other."""
    from healthbank.accounts.models import OnlineAccount
    from healthbank.core.national_id import with_check_digit
    from healthbank.identity.services import create_person, issue_card

    n = next(_numbers) + os.getpid() % 1000 * 1000
    national_id = with_check_digit(f"E2{n:07d}")
    person = create_person(national_id=national_id, name=name, sex="F", birth_date=dt.date(1982, 3, 14))
    issue_card(person, card_number=f"0009{n:08d}", issued_on=dt.date(2024, 1, 2))
    now = timezone.now()
    OnlineAccount.objects.create(
        person=person, status="active", channel="online", password=make_password(PASSWORD),
        email=f"app{n}@example.tw", created_at=now, activated_at=now,
    )  # fmt: skip
    return person


def write_y4m(path: Path, text: str, width: int = 640, height: int = 480) -> Path:
    """A one-frame YUV4MPEG2 video (4:2:0) of a QR code carrying ``text`` on white, for Chromium's fake camera
    (``--use-file-for-fake-video-capture``), which plays it in a loop. Written whole, then renamed into place,
    so the browser never reads half a file."""
    import segno
    from PIL import Image

    qr = segno.make(text, micro=False, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=1, border=4)
    code = Image.open(png).convert("L")
    scale = (min(width, height) * 3 // 4) // code.width
    code = code.resize((code.width * scale, code.height * scale), Image.NEAREST)
    frame = Image.new("RGB", (width, height), "white")
    frame.paste(code.convert("RGB"), ((width - code.width) // 2, (height - code.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    body = y.tobytes() + cb.resize(half, Image.BILINEAR).tobytes() + cr.resize(half, Image.BILINEAR).tobytes()
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    part = path.with_suffix(".part")
    part.write_bytes(header + b"FRAME\n" + body)
    part.replace(path)
    return path


@dataclass
class Phone:
    """One phone (a browser context of its own) with the app open, and what it saw on the way."""

    page: object
    language: str
    url: str
    refused: list = field(default_factory=list)  # Content-Security-Policy violations
    errors: list = field(default_factory=list)  # uncaught script errors
    api_answers: list = field(default_factory=list)  # (url, status, Cache-Control) of every app API answer
    requested: list = field(default_factory=list)  # every URL asked for
    tokens: list = field(default_factory=list)  # every token the app was given

    def say(self, text: str) -> str:
        return said(text, self.language)

    def server_says(self, text: str) -> str:
        return server_said(text, self.language)

    def open(self, path: str = "/") -> None:
        self.page.goto(f"{self.url}/app/#{path}")
        self.page.wait_for_selector("#screen-title:not(:empty)")

    def go(self, path: str) -> None:
        self.page.evaluate("p => { location.hash = p; }", path)

    def until(self, script: str, arg, what: str, timeout: float = 10_000) -> None:
        """Waits until ``script(arg)`` is true in the page, asking every 100 ms from here (the page's own timers
        and animation frames may be Playwright's fake clock's), and fails saying what the screen shows."""
        end = time.monotonic() + timeout / 1000
        while not self.page.evaluate(script, arg):
            if time.monotonic() > end:
                raise AssertionError(f"{what}; the screen: {self.page.inner_text('#app')!r}")
            time.sleep(0.1)

    def title(self, text: str, timeout: float = 10_000) -> None:
        """Waits until the screen's title is the app's ``text`` (in this phone's language)."""
        wanted = self.say(text)
        script = "t => document.getElementById('screen-title')?.textContent === t"
        self.until(script, wanted, f"no screen titled {wanted!r}", timeout)

    def main_text(self) -> str:
        return self.page.inner_text("#main")

    def shows(self, text: str, timeout: float = 10_000, *, server: bool = False) -> None:
        """Waits until the screen shows the app's ``text`` (the server's, if ``server``) in this phone's language."""
        wanted = self.server_says(text) if server else self.say(text)
        script = "t => (document.getElementById('app')?.innerText || '').includes(t)"
        self.until(script, wanted, f"{wanted!r} not shown", timeout)

    def storage(self) -> dict:
        return self.page.evaluate(
            """() => ({local: Object.fromEntries(Object.entries(localStorage)),
                       session: Object.fromEntries(Object.entries(sessionStorage))})"""
        )

    def token(self) -> str | None:
        import json

        kept = self.storage()["session"].get("hb.token")
        return json.loads(kept)["token"] if kept else None

    def log_in(self, person, password: str = PASSWORD, *, refused: bool = False) -> None:
        self.title("Log in")
        self.page.fill("#f-national_id", person.national_id)
        self.page.fill("#f-password", password)
        self.page.click("#main button[type=submit]")
        if password == PASSWORD and not refused:
            self.page.wait_for_function("() => sessionStorage.getItem('hb.token') !== null")
            self.tokens.append(self.token())

    def type_code(self, code: str) -> None:
        self.page.fill("#f-code", code)
        self.page.click("#main button[type=submit]")

    def shot(self, step: str) -> None:
        shot(self.page, f"app-{self.language}-{step}")

    def english_left(self) -> list[str]:
        """English words on a Chinese screen (none is wanted)."""
        if self.language != "zh":
            return []
        text = self.page.inner_text("#app").replace("QR Code", "QR")  # as the NHI's own card app writes it
        return sorted({w for w in ENGLISH_WORD.findall(text) if w not in NOT_WORDS})


def open_phone(browser, url: str, language: str = "zh", **options) -> Phone:
    """A new phone-sized, touch, mobile context in ``language``, recording what the checks at the end need."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1,
        locale=LANGUAGES[language][0], reduced_motion="reduce", user_agent=ANDROID, **options,
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(30_000)  # a CI machine runs two suites side by side
    phone = Phone(page, language, url)
    page.on("console", lambda m: phone.refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: phone.errors.append(str(e)))
    page.on("dialog", lambda d: d.accept())
    page.on("request", lambda r: phone.requested.append(r.url))

    def answered(response):
        if "/api/app/v1/" in response.url:
            phone.api_answers.append((response.url, response.status, response.headers.get("cache-control", "")))

    page.on("response", answered)
    return phone


def check_phone(phone: Phone) -> list[str]:
    """What every phone must hold to when its test ends: no CSP violation, no script error, every app API answer
    not to be stored, and no token in any URL."""
    problems = []
    if phone.refused:
        problems.append(f"Content-Security-Policy violations: {phone.refused}")
    if phone.errors:
        problems.append(f"script errors: {phone.errors}")
    stored = [(u, s, c) for u, s, c in phone.api_answers if "no-store" not in c]
    if stored:
        problems.append(f"app API answers without Cache-Control no-store: {stored}")
    leaked = [u for u in phone.requested for t in phone.tokens if t and t in u]
    if leaked:
        problems.append(f"a token in a URL: {leaked}")
    return problems
