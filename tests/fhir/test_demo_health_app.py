"""The demo health app (demo/healthapp.py, `make healthapp`) against a running HealthBank: a person connects it with
consent, it shows their labs and vaccinations read as FHIR, and the moment they revoke it it says access was
withdrawn."""

from __future__ import annotations

import html
import re
import threading
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings
from django.test import Client as Browser

from healthbank.audit.models import AccessLog
from healthbank.connect.models import AppConnection
from tests.connect.conftest import register
from tests.demo_programs import free_port, load_demo
from tests.passbook.conftest import web_as

from .conftest import app_viewing

pytestmark = pytest.mark.django_db(transaction=True)
SCOPES = "openid passbook.labs passbook.vaccinations"


def expected(person, grant) -> tuple[set[str], set[str]]:
    """The lab-test and vaccine names the app's grant lets it read, as the FHIR API words them in Chinese."""
    from django.http import QueryDict

    from healthbank.fhir import selectors
    from healthbank.fhir.api import parse_search

    viewing = app_viewing(person, grant)
    query = parse_search("Observation", QueryDict("category=laboratory&_count=200"))
    labs = selectors.search(viewing, "Observation", query)
    assert labs.total <= 200
    shots = selectors.search(viewing, "Immunization", parse_search("Immunization", QueryDict("_count=200")))
    return {r["code"]["text"] for r in labs.resources}, {r["vaccineCode"]["text"] for r in shots.resources}


@pytest.fixture
def diary(live_server):
    """The demo app on a free port, registered as the sandbox health app `make demo` registers."""
    demo = load_demo("healthapp")
    demo.PAGE_SIZE = 7  # small pages: the app must follow the Bundles' next links
    port = free_port()
    here = f"http://127.0.0.1:{port}"
    client = register("血糖日記（示範）", kind="health_app", redirect=f"{here}/callback", scopes=SCOPES)
    client.app.sandbox = True
    client.app.longest_access_months = 13
    client.app.full_clean()
    client.app.save()
    demo.Handler.healthbank = demo.HealthBank(live_server.url, client.app.client_id, client.secret, here)
    server = ThreadingHTTPServer(("127.0.0.1", port), demo.Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield demo, here
    server.shutdown()
    server.server_close()


def logged_in(person) -> requests.Session:
    """A browser with the person's HealthBank session (as after logging in there)."""
    browser = requests.Session()
    session = web_as(person, Browser()).cookies[settings.SESSION_COOKIE_NAME].value
    browser.cookies.set(settings.SESSION_COOKIE_NAME, session)
    return browser


def test_the_demo_app_connects_reads_labs_and_vaccinations_and_loses_access_when_revoked(
    live_server, adult_with_visits, diary
):
    demo, here = diary
    person = adult_with_visits
    browser = logged_in(person)
    start = browser.get(f"{here}/")
    assert "連結健康存摺" in start.text and "<tr class='lab'>" not in start.text
    consent = browser.get(f"{here}/connect")  # → HealthBank's authorization endpoint: the consent page
    assert consent.url.startswith(f"{live_server.url}/oauth/authorize/")
    assert "血糖日記（示範）" in consent.text
    assert re.search(r'name="code_challenge_method" value="S256"', consent.text)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent.text))
    shown = browser.post(
        consent.url,
        {
            **{k: html.unescape(v) for k, v in fields.items()},
            "allow": "on",
            "category": ["passbook.labs", "passbook.vaccinations"],
            "duration": "13",
        },
        headers={"Referer": consent.url},
    )
    # HealthBank → the app's callback → the app's page, read from /fhir/R4/ page after page
    assert shown.status_code == 200 and shown.url == f"{here}/", shown.text[:500]
    connection = AppConnection.objects.get(person=person)
    assert sorted(connection.grant.categories) == ["labs", "vaccinations"]
    reads = AccessLog.objects.filter(person_id=person.pk, what=AccessLog.What.FHIR_API)
    assert {"labs", "vaccinations"} <= set(reads.values_list("category", flat=True))
    lab_names, vaccines = expected(person, connection.grant)
    assert len(lab_names) >= 2 and vaccines  # a person with something to show
    missing = [name for name in lab_names if name not in html.unescape(shown.text)]
    assert not missing, missing
    assert len(re.findall(r"<tr class='lab'>", shown.text)) == len(lab_names)  # one row a test
    assert any(vaccine in html.unescape(shown.text) for vaccine in vaccines)
    assert "<svg class='trend'" in shown.text  # a trend line for a test measured more than once
    assert person.national_id not in shown.text

    english = browser.get(f"{here}/?lang=en")  # a refresh, in English
    assert "Lab results" in english.text and "Vaccinations" in english.text

    apps = browser.get(f"{live_server.url}/me/apps/")  # the person revokes it on their connected-apps page
    assert "血糖日記（示範）" in apps.text
    action = re.search(r'<form method="post" action="([^"]+/revoke/)">', apps.text).group(1)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', apps.text).group(1)
    revoked = browser.post(f"{live_server.url}{action}", {"csrfmiddlewaretoken": csrf}, headers={"Referer": apps.url})
    assert revoked.status_code == 200 and revoked.url == apps.url

    refreshed = browser.get(f"{here}/")
    assert "您已在健康存摺撤回對本 App 的授權" in refreshed.text
    assert "連結健康存摺" in refreshed.text and "<tr class='lab'>" not in refreshed.text
    assert not any(s.get("access_token") for s in demo.SESSIONS.values())  # the dead tokens are forgotten
    again = browser.get(f"{here}/?lang=en")
    assert "Connect to HealthBank" in again.text  # said once; then the app simply offers to connect


def test_the_demo_app_refuses_an_answer_it_did_not_ask_for(live_server, adult_with_visits, diary):
    _demo, here = diary
    browser = logged_in(adult_with_visits)
    forged = browser.get(f"{here}/callback", params={"code": "stolen", "state": "not-ours"})
    assert forged.status_code == 400 and "state" in forged.text
    declined_start = browser.get(f"{here}/connect", allow_redirects=False)
    state = re.search(r"state=([^&]+)", declined_start.headers["Location"]).group(1)
    browser.cookies.set("glucose_diary_state", state, domain=urlsplit(here).hostname)
    declined = browser.get(f"{here}/callback", params={"error": "access_denied", "state": state})
    assert declined.status_code == 200 and "您沒有同意連結" in declined.text


def test_the_trend_line_runs_from_the_lowest_value_at_the_bottom_to_the_highest_at_the_top():
    demo = load_demo("healthapp")
    svg = demo.trend_svg([("2024-01-01", 100), ("2024-06-01", 130), ("2025-01-01", 115)], "glucose", 120, 32)
    points = [tuple(map(float, p.split(","))) for p in re.search(r"points='([^']+)'", svg).group(1).split()]
    assert [x for x, _ in points] == sorted(x for x, _ in points) and points[0][0] == 3 and points[-1][0] == 117
    assert points[0][1] == 29 and points[1][1] == 3  # 100 the lowest: the bottom; 130 the highest: the top
    assert points[2][1] == 16  # halfway
    assert "aria-label='glucose'" in svg and "<circle cx='117.0' cy='16.0'" in svg
    flat = demo.trend_svg([("2024-01-01", 5.0), ("2024-02-01", 5.0)], "same")
    assert "points='3.0,16.0 117.0,16.0'" in flat  # all the same: a level line across the middle
    assert demo.trend_svg([("2024-01-01", 5.0)], "one") == ""
    assert demo.trend_svg([("2024-01-01", "positive"), ("2024-02-01", 3)], "text") == ""  # one number only
    assert "&lt;b&gt;" in demo.trend_svg([("a", 1), ("b", 2)], "<b>")
