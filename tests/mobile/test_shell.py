"""The app's shell at /app/: installable (manifest, icons, service worker), strict CSP, messages in both
languages, and a service worker that keeps only the shell (never an API answer)."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from PIL import Image

from healthbank.mobile.views import APP_FILES

pytestmark = pytest.mark.django_db


def test_the_shell_is_one_page_with_a_strict_policy_and_no_inline_script(client):
    response = client.get("/app/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    html = response.content.decode()
    # every script is a file of ours or a JSON island (not executed)
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    config = json.loads(re.search(r'<script id="app-config" type="application/json">(.*?)</script>', html).group(1))
    assert config["api"] == "/api/app/v1/"
    assert config["idleLockSeconds"] == 300
    assert response["Cache-Control"] == "no-cache"


def test_the_manifest_makes_the_app_installable(client):
    response = client.get("/app/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/app/" and manifest["scope"] == "/app/"
    assert manifest["short_name"] == "健康存摺"
    sizes = {}
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]
        sizes.setdefault(icon["purpose"], []).append(icon["sizes"])
    assert "192x192" in sizes["any"] and "512x512" in sizes["any"] and sizes["maskable"] == ["512x512"]


def test_the_service_worker_keeps_the_shell_and_never_the_api(client):
    response = client.get("/app/sw.js")
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/app/"
    body = response.content.decode()
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", body).group(1))
    assert "/app/" in shell and "/app/i18n/zh-hant.js" in shell and "/app/i18n/en.js" in shell
    assert not [url for url in shell if url.startswith("/api/")]
    for name in APP_FILES:  # every file of the shell exists and is kept
        assert finders.find(name), name
        assert f"/static/{name}" in shell
    # each URL the shell lists answers
    for url in shell:
        assert client.get(url).status_code == 200, url


def test_the_service_worker_changes_when_the_shell_does(client, monkeypatch):
    from healthbank.mobile import views

    first = re.search(r'const VERSION = "(\w+)"', client.get("/app/sw.js").content.decode()).group(1)
    views.shell_version.cache_clear()
    monkeypatch.setattr(views, "APP_FILES", (*views.APP_FILES[:-1],))
    try:
        second = re.search(r'const VERSION = "(\w+)"', client.get("/app/sw.js").content.decode()).group(1)
    finally:
        views.shell_version.cache_clear()
    assert first != second


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hant", "請求今日資料"), ("en", "Request today's data")],
)
def test_the_messages_come_in_each_language(client, language, expected):
    response = client.get(f"/app/i18n/{language}.js")
    assert response.status_code == 200
    body = response.content.decode()
    if language == "zh-hant":
        assert json.dumps(expected)[1:-1] in body or expected in body
    else:
        assert "請求今日資料" not in body
    assert client.get("/app/i18n/fr.js").status_code == 404


@pytest.mark.parametrize("name", ["teeth", "body-M", "body-F"])
def test_the_passbook_diagrams_are_unmarked_shell_files_the_worker_keeps(client, name):
    """The tooth chart and the body figures (issue 13): the web's geometry with nothing of anyone in them and no
    words (the app marks them from the API's counts, in the reader's language); kept by the service worker."""
    from xml.etree import ElementTree

    response = client.get(f"/app/diagrams/{name}.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = ElementTree.fromstring(response.content)  # noqa: S314 (our own file, served by the test client)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert svg.findall(".//svg:a", ns) == [] and svg.findall(".//svg:script", ns) == []  # nothing marked, no code
    words = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.text and not t.text.strip().isdigit()]
    assert words == []
    if name == "teeth":
        teeth = {int(g.get("data-fdi")) for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("data-fdi")}
        assert teeth == {q * 10 + n for q in (1, 2, 3, 4) for n in range(1, 9)}
    else:
        from healthbank.passbook.diagrams import BODY_SITES

        slots = {c.get("data-site") for c in svg.iter("{http://www.w3.org/2000/svg}circle") if c.get("data-site")}
        assert slots == set(BODY_SITES) and svg.get("data-sex") == name[-1]
    assert f"/app/diagrams/{name}.svg" in client.get("/app/sw.js").content.decode()
    assert client.get("/app/diagrams/other.svg").status_code == 404
