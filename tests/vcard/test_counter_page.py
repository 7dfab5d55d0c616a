"""The clinic counter's scan page (SPEC §9): public, in both languages, camera and scanner box, a strict policy."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from healthbank.vcard.counter import SCAN_API

pytestmark = pytest.mark.django_db

STATIC = Path(__file__).resolve().parents[2] / "healthbank" / "static"
JSQR = STATIC / "vendor" / "jsqr" / "jsQR.js"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    found = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            found[words[0]] = words[1:]
    return found


@pytest.mark.parametrize(("prefix", "lang"), [("", "zh-Hant-TW"), ("/en", "en")])
def test_anyone_opens_the_page_in_either_language_without_logging_in(client, prefix, lang):
    response = client.get(f"{prefix}/vcard/counter/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert html.count("<h1>") == 1
    if prefix == "/en":
        assert "<title>Virtual NHI card scan (institution counter) · HealthBank</title>" in html
        assert "Scan with camera" in html and "Or paste / scanner input" in html


def test_the_page_holds_the_key_box_the_camera_and_the_scanner_box(client):
    html = client.get("/en/vcard/counter/").content.decode()

    # The key is typed into a password box that no browser offers to remember, and can be forgotten.
    assert re.search(r'<input type="password" id="counter-key"[^>]*autocomplete="off"', html)
    assert "Forget the key" in html
    assert 'class="primary counter-camera-start"' in html
    assert re.search(r"<video class=\"counter-video\"[^>]* muted playsinline", html)
    assert re.search(r'<input type="text" id="counter-qr"[^>]*autocomplete="off"', html)
    assert '<label for="counter-qr">Or paste / scanner input</label>' in html
    assert 'class="counter-check">Check</button>' in html
    # The script reads where to send the code and the page's language from the page itself.
    assert f'data-scan-url="{SCAN_API}"' in html
    assert 'data-language="en"' in html
    # Everything the script may say is in the page, translated with it.
    for name in ("msg-camera-denied", "msg-network", "msg-sex-m", "msg-shown-delegate"):
        assert f"data-{name}=" in html


def test_the_chinese_page_tells_the_script_its_language(client):
    html = client.get("/vcard/counter/").content.decode()

    assert 'data-language="zh-hant"' in html
    assert 'data-time-zone="Asia/Taipei"' in html


def test_the_page_loads_the_vendored_decoder_and_its_own_script_from_our_files(client):
    html = client.get("/en/vcard/counter/").content.decode()

    scripts = re.findall(r"<script\b([^>]*)>", html)
    sources = [re.search(r'src="([^"]+)"', s).group(1) for s in scripts]
    assert "/static/vendor/jsqr/jsQR.js" in sources
    assert "/static/healthbank/vcard-counter.js" in sources
    assert sources.index("/static/vendor/jsqr/jsQR.js") < sources.index("/static/healthbank/vcard-counter.js")
    assert all('src="' in s for s in scripts)  # no inline script
    assert " style=" not in html  # no inline style


def test_the_vendored_decoder_is_the_one_the_vendor_readme_names():
    readme = (STATIC / "vendor" / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256(JSQR.read_bytes()).hexdigest()

    assert f"{digest}  jsqr/jsQR.js" in readme
    assert (STATIC / "vendor" / "jsqr" / "LICENSE").read_text(encoding="utf-8").lstrip().startswith("Apache License")
    assert "sourceMappingURL" not in JSQR.read_text(encoding="utf-8")  # nothing the browser would fetch and miss


def test_the_policy_stays_strict_and_lets_only_the_photo_in_as_a_blob(client):
    response = client.get("/en/vcard/counter/")
    policy = directives(response)

    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert sorted(policy["img-src"]) == ["'self'", "blob:"]  # the card photo; data: images stay refused
    assert policy["media-src"] == ["'self'"]  # the camera stream is no fetch: it needs nothing here
    assert "'self'" in policy["connect-src"]  # the scan API on the same site
    assert policy["frame-ancestors"] == ["'none'"]


def test_other_pages_keep_the_plain_image_policy(client):
    policy = directives(client.get("/en/login/"))

    assert policy["img-src"] == ["'self'"]


def test_the_page_takes_no_form_posts(client):
    assert client.post("/en/vcard/counter/", {"qr": "HBVC1.X"}).status_code == 405
