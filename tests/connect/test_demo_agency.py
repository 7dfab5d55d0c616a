"""The demo agency (demo/taxfiling.py) logs a person in through a running HealthBank, as `make taxfiling` does."""

from __future__ import annotations

import html
import re
import threading
from http.server import ThreadingHTTPServer

import pytest
import requests
from captcha.models import CaptchaStore

from tests.accounts.conftest import PASSWORD
from tests.demo_programs import free_port, load_demo

from .conftest import register

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_agency_logs_a_person_in_end_to_end(live_server, registered):
    demo = load_demo("taxfiling")
    port = free_port()
    here = f"http://127.0.0.1:{port}"
    agency = register("綜合所得稅申報（示範）", redirect=f"{here}/callback")
    demo.Handler.config = {"client_id": agency.app.client_id, "client_secret": agency.secret}
    demo.Handler.healthbank = live_server.url
    demo.Handler.here = here
    server = ThreadingHTTPServer(("127.0.0.1", port), demo.Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser = requests.Session()
        answer = browser.get(f"{here}/login")  # → HealthBank's authorization endpoint → its login page
        assert answer.url == f"{live_server.url}/login/"
        key = re.search(r'name="captcha_0" value="([^"]+)"', answer.text).group(1)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.text).group(1)
        consent = browser.post(
            answer.url,
            {
                "csrfmiddlewaretoken": csrf,
                "national_id": registered.national_id,
                "card_number": registered.cards[-1].card_number,
                "password": PASSWORD,
                "captcha_0": key,
                "captcha_1": CaptchaStore.objects.get(hashkey=key).response,
            },
            headers={"Referer": answer.url},
        )
        assert "綜合所得稅申報（示範）" in consent.text  # back at the consent page after the login
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent.text))
        done = browser.post(
            consent.url,
            {**{k: html.unescape(v) for k, v in fields.items()}, "allow": "on"},
            headers={"Referer": consent.url},
        )
        assert done.url.startswith(f"{here}/callback") and done.status_code == 200
        assert registered.name in done.text  # the name from the verified ID token
        assert "urn:healthbank:acr:card-number" in done.text
        assert re.search(r"<code>[A-Za-z0-9_-]{43}</code>", done.text)  # the pairwise sub
        assert registered.national_id not in done.text
    finally:
        server.shutdown()
