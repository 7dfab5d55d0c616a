"""Online registration in a real browser: the page talks to a running card agent with a simulated card."""

from __future__ import annotations

import re
import threading

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from cardagent.server import make_server
from cardagent.sources import SimulatedCard
from healthbank.accounts.models import OnlineAccount
from healthbank.demo.loader import load_population
from healthbank.demo.population import build_population
from healthbank.demo.world import write_world
from tests.e2e.conftest import assert_accessible, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def person(transactional_db):
    plan = build_population(20, seed=31, today=timezone.localdate())
    load_population(plan)
    write_world(plan, settings.EXTERNAL_DATA_DIR, settings.SIMULATED_CARDS_DIR)
    return next(p for p in plan.people if p.mobile and p.age_on(timezone.localdate()) >= 20)


@pytest.fixture
def card_agent(person, live_server, settings):
    card = SimulatedCard(settings.SIMULATED_CARDS_DIR / f"{person.cards[-1].card_number}.json")
    server = make_server(card, [live_server.url, live_server.url.replace("localhost", "127.0.0.1")])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CARD_AGENT_URL = f"http://127.0.0.1:{server.port}"
    yield server
    server.shutdown()
    server.server_close()


def test_a_person_registers_online_with_the_card_and_confirms_by_email(page, live_server, person, card_agent):
    page.goto(live_server.url + "/register/")
    page.check("input[name=accept]")
    page.click("main button[type=submit]")
    page.wait_for_selector(".agent-status.ok")
    assert "已偵測到健保卡" in page.inner_text(".agent-status")
    shot(page, "register-1-card")
    page.click("button.read-card")
    page.wait_for_url("**/register/details/")
    assert person.name in page.inner_text(".card-holder")

    a = person.address
    page.fill("[name=household_number]", a.household_number)
    page.select_option("[name=county]", a.county)
    page.wait_for_function("() => document.querySelector('[name=township]').options.length > 1")
    page.select_option("[name=township]", a.township)
    page.wait_for_function("() => document.querySelector('[name=village]').options.length > 1")
    page.select_option("[name=village]", a.village)
    page.fill("[name=neighbourhood]", str(a.neighbourhood))
    label = page.locator("output.strength-label")
    page.fill("[name=password]", "kq82mz")
    page.wait_for_function("() => document.querySelector('output.strength-label').dataset.level")
    assert label.inner_text() == "中"
    page.fill("[name=password]", "P@ssw0rd")  # four kinds of character, but a common password: refused
    page.wait_for_function("() => document.querySelector('output.strength-label').dataset.level")
    assert label.inner_text() == "不可使用" and "過於常見" in page.inner_text(".strength-problems")
    page.fill("[name=password]", "Hb-2026ok")
    page.wait_for_function("() => document.querySelector('output.strength-label').dataset.level")
    assert label.inner_text() == "強"
    page.fill("[name=password_confirm]", "Hb-2026ok")
    page.fill("[name=mobile]", person.mobile)
    page.fill("[name=email]", "e2e@example.tw")
    shot(page, "register-2-details")
    assert_accessible(page)
    page.click("main button[type=submit]")
    page.wait_for_url("**/register/done/")
    assert "e2e@example.tw" in page.inner_text("main")
    shot(page, "register-3-done")
    assert_accessible(page)

    link = re.search(r"http://\S+/register/confirm/[\w-]+/", mail.outbox[-1].body).group(0)
    page.goto(live_server.url + link.split("127.0.0.1:8000", 1)[1])
    page.wait_for_selector(".agent-status.ok")
    page.click("button.read-card")
    page.wait_for_selector("text=註冊完成")
    shot(page, "register-4-confirmed")
    assert_accessible(page)
    page.get_by_role("link", name="登入").last.click()  # the complete page leads to log in
    page.wait_for_url("**/login/")
    assert OnlineAccount.objects.get().status == "active"
