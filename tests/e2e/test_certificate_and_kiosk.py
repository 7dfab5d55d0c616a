"""In a real browser: log in with a citizen certificate + PIN, and use the kiosk until the card leaves the reader."""

from __future__ import annotations

import re
import threading

import pytest
from django.conf import settings
from django.utils import timezone

from cardagent.certificate import SimulatedCertificate
from cardagent.server import make_server
from cardagent.sources import SimulatedCard
from healthbank.demo.loader import load_population
from healthbank.demo.population import build_population
from healthbank.demo.world import DEMO_CERTIFICATE_PIN, write_world
from tests.e2e.conftest import assert_accessible, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plan(transactional_db):
    plan = build_population(20, seed=35, today=timezone.localdate())
    load_population(plan)
    write_world(plan, settings.EXTERNAL_DATA_DIR, settings.SIMULATED_CARDS_DIR)
    return plan


def run_agent(live_server, settings, **sources):
    server = make_server(
        sources.get("card"), [live_server.url, live_server.url.replace("localhost", "127.0.0.1")],
        certificate=sources.get("certificate"),
    )  # fmt: skip
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.CARD_AGENT_URL = f"http://127.0.0.1:{server.port}"
    return server


def test_a_person_logs_in_with_the_citizen_certificate_and_its_pin(page, live_server, plan, settings):
    holder = next(p for p in plan.people if p.certificate_serial)
    certificate = SimulatedCertificate(
        settings.EXTERNAL_DATA_DIR / "certificates" / f"{holder.certificate_serial}.json"
    )
    server = run_agent(live_server, settings, certificate=certificate)
    try:
        page.goto(live_server.url + "/login/certificate/")
        page.wait_for_selector(".agent-status.ok")
        assert "已偵測到自然人憑證" in page.inner_text(".agent-status")
        page.fill("#pin", "00000000")
        page.get_by_role("button", name="登入").click()
        page.wait_for_selector(".agent-status.error")
        assert "PIN 碼錯誤，憑證鎖卡前剩餘 2 次。" == page.inner_text(".agent-status")  # the agent counts wrong PINs
        shot(page, "certificate-wrong-pin")
        page.fill("#pin", DEMO_CERTIFICATE_PIN)
        page.get_by_role("button", name="登入").click()
        page.wait_for_url("**/me/")
        assert holder.name[0] + "○" in page.inner_text("main")
        assert "尚未註冊健保卡網路服務" in page.inner_text("main")
        shot(page, "certificate-logged-in")
        assert_accessible(page)
        page.goto(live_server.url + "/me/devices/")
        assert "註冊密碼" in page.inner_text(".notice")  # told before binding: the app needs a registration
        assert_accessible(page)
    finally:
        server.shutdown()
        server.server_close()


def test_the_kiosk_session_ends_when_the_card_leaves_the_reader(page, live_server, plan, settings, tmp_path):
    person = next(p for p in plan.people if p.address and p.age_on(timezone.localdate()) >= 20)
    card_file = settings.SIMULATED_CARDS_DIR / f"{person.cards[-1].card_number}.json"
    server = run_agent(live_server, settings, card=SimulatedCard(card_file))
    try:
        page.goto(live_server.url + "/kiosk/")
        page.wait_for_selector(".agent-status.ok")
        page.fill("[name=household_number]", person.address.household_number)
        shot(page, "kiosk-1-start")
        assert_accessible(page)
        page.click("button.read-card")
        page.wait_for_url("**/me/")
        assert "自助查詢中" in page.inner_text("main") and page.locator("a[href*=devices]").count() == 0
        page.wait_for_function("() => document.querySelector('.kiosk-countdown').textContent.includes('秒')")
        assert re.fullmatch(r"（剩餘 \d+ 秒）", page.inner_text(".kiosk-countdown"))  # a Chinese page says 秒, not s
        shot(page, "kiosk-2-session")
        assert_accessible(page)
        card_file.rename(tmp_path / "taken-out.json")  # the person takes the card
        page.wait_for_url("**/kiosk/", timeout=10_000)
        page.goto(live_server.url + "/me/")
        assert page.url.endswith("/login/")  # nothing of the session is left
    finally:
        server.shutdown()
        server.server_close()
