"""Every citizen page, in both languages, at desktop and phone size: no axe-core violation (WCAG 2.1 AA),
no Content-Security-Policy violation, and the forms work with the keyboard alone."""

from __future__ import annotations

import re
import threading

import pytest
from captcha.models import CaptchaStore
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.utils import timezone

from cardagent.server import make_server
from cardagent.sources import SimulatedCard
from healthbank.accounts.models import OnlineAccount
from healthbank.demo.loader import load_population
from healthbank.demo.population import build_population
from healthbank.demo.world import write_world
from healthbank.identity.models import Person
from tests.e2e.conftest import assert_accessible, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Hb-2026ok"


@pytest.fixture
def person(transactional_db):
    plan = build_population(20, seed=31, today=timezone.localdate())
    load_population(plan)
    write_world(plan, settings.EXTERNAL_DATA_DIR, settings.SIMULATED_CARDS_DIR)
    chosen = next(p for p in plan.people if p.mobile and p.address and p.age_on(timezone.localdate()) >= 20)
    now = timezone.now()
    OnlineAccount.objects.create(
        person=Person.objects.by_national_id(chosen.national_id).get(), status="active", channel="online",
        password=make_password(PASSWORD), email="elaine.chen@example.tw", mobile=chosen.mobile,
        created_at=now, activated_at=now,
    )  # fmt: skip
    return chosen


@pytest.fixture
def card_agent(person, live_server, settings):
    card = SimulatedCard(settings.SIMULATED_CARDS_DIR / f"{person.cards[-1].card_number}.json")
    server = make_server(card, [live_server.url, live_server.url.replace("localhost", "127.0.0.1")])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.CARD_AGENT_URL = f"http://127.0.0.1:{server.port}"
    yield server
    server.shutdown()
    server.server_close()


def captcha_answer(page) -> str:
    return CaptchaStore.objects.get(hashkey=page.get_attribute("input[name=captcha_0]", "value")).response


@pytest.mark.parametrize("prefix", ["", "/en"], ids=["zh", "en"])
def test_every_citizen_page_passes_axe_in_both_languages_and_sizes(page, live_server, person, card_agent, prefix):
    base = live_server.url + prefix
    for path in ("/", "/login/", "/login/card/", "/login/certificate/", "/register/", "/register/pending/",
                 "/password/forgot/", "/kiosk/", "/unit/login/", "/no-such-page/"):  # fmt: skip
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert_accessible(page, prefix + path)

    # A failed login: the error summary takes focus and is accessible too.
    page.goto(base + "/login/")
    page.fill("[name=national_id]", person.national_id)
    page.fill("[name=card_number]", person.cards[-1].card_number)
    page.fill("[name=password]", PASSWORD)
    page.fill("[name=captcha_1]", "00000" if captcha_answer(page) != "00000" else "11111")
    page.click("main button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.get_attribute("[name=captcha_1]", "aria-invalid") == "true"
    assert_accessible(page, prefix + "/login/ with an error")

    # Registration with the card, and its details page with errors.
    page.goto(base + "/register/")
    page.check("input[name=accept]")
    page.click("main button[type=submit]")
    page.wait_for_selector(".agent-status.ok")
    assert_accessible(page, prefix + "/register/card/")
    page.click("button.read-card")
    page.wait_for_url("**/register/details/")
    page.select_option("[name=county]", person.address.county)
    page.wait_for_function("() => document.querySelector('[name=township]').options.length > 1")
    page.fill("[name=password]", "P@ssw0rd")  # common: the meter must refuse it, never call it strong
    page.wait_for_function("() => document.querySelector('output.strength-label').dataset.level === 'refused'")
    assert_accessible(page, prefix + "/register/details/")
    page.click("main button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert page.get_attribute("[name=township]", "aria-invalid") == "true"  # the drop-down kept it
    assert_accessible(page, prefix + "/register/details/ with errors")

    # Forgot password, a new e-mail with a mobile that does not match: what was typed stays.
    page.goto(base + "/password/forgot/")
    page.wait_for_selector(".agent-status.ok")
    page.check("input[name=route][value=new]")
    page.fill("[name=new_email]", "new@example.tw")
    page.fill("[name=household_number]", person.address.household_number)
    page.fill("[name=mobile]", "0900000000")
    assert_accessible(page, prefix + "/password/forgot/ new e-mail")
    page.click("button.read-card")
    page.wait_for_selector(".error-summary")
    assert page.input_value("[name=new_email]") == "new@example.tw"
    assert (
        page.is_visible("[name=county]")
        and page.evaluate("document.querySelector('[name=township]').tagName") == "SELECT"
    )
    assert_accessible(page, prefix + "/password/forgot/ mismatch")
    page.check("input[name=route][value=registered]")
    page.click("button.read-card")
    page.wait_for_selector("p.notice[role=status]")
    assert "ela*****@example.tw" in page.inner_text("main")
    assert_accessible(page, prefix + "/password/forgot/ sent")
    link = re.search(r"https?://[^\s/]+(/\S*password/reset/[\w-]+/)", mail.outbox[-1].body).group(1)
    page.goto(live_server.url + link)
    page.fill("[name=password]", person.national_id + "b!")  # all four kinds, but the person's own ID
    page.wait_for_function("() => document.querySelector('output.strength-label').dataset.level === 'refused'")
    assert_accessible(page, prefix + "/password/reset/…")

    # Logged in: every page has the header; the device page shows a code after Post/Redirect/Get.
    page.goto(base + "/login/")
    page.fill("[name=national_id]", person.national_id)
    page.fill("[name=card_number]", person.cards[-1].card_number)
    page.fill("[name=password]", PASSWORD)
    page.fill("[name=captcha_1]", captcha_answer(page))
    page.click("main button[type=submit]")
    page.wait_for_url("**/me/")
    for path in ("/me/", "/me/devices/", "/me/password/", "/me/contacts/", "/me/access-log/", "/me/apps/"):
        page.goto(base + path)
        assert person.name[0] + "○" in page.inner_text("header")
        assert_accessible(page, prefix + path)
    page.goto(base + "/me/devices/")
    page.click("button[value=generate]")
    page.wait_for_selector(".device-code svg")
    assert page.url.endswith("/me/devices/")  # redirected: a reload sends nothing again
    assert_accessible(page, prefix + "/me/devices/ with a code")
    shot(page, f"a11y-devices{prefix.replace('/', '-') or '-zh'}")
    page.goto(base + "/me/password/")
    page.click("main button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert_accessible(page, prefix + "/me/password/ with errors")


def test_logging_in_works_with_the_keyboard_alone(page, live_server, person):
    page.goto(live_server.url + "/en/login/")
    page.focus("[name=national_id]")
    page.keyboard.type(person.national_id)
    page.keyboard.press("Tab")
    page.keyboard.type(person.cards[-1].card_number)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")  # the new-picture button
    assert page.evaluate("document.activeElement.className") == "captcha-refresh"
    old_key = page.get_attribute("input[name=captcha_0]", "value")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelector('input[name=captcha_0]').value !== '{old_key}'")
    assert page.evaluate("document.activeElement.name") == "captcha_1"  # focus back on the answer
    assert "new picture" in page.inner_text(".captcha-status").lower()
    page.keyboard.type(captcha_answer(page))
    page.keyboard.press("Enter")
    page.wait_for_url("**/me/")


@pytest.mark.parametrize(("prefix", "language"), [("", "zh-hant"), ("/en", "en")])
def test_the_audio_captcha_plays_in_the_page(page, live_server, person, prefix, language):
    page.goto(live_server.url + prefix + "/login/")
    with page.expect_response(lambda r: "/captcha/audio/" in r.url) as audio:
        page.click(".captcha-audio")
    assert audio.value.url.endswith(f".wav?lang={language}")  # read in the page's language
    assert audio.value.status == 200 and audio.value.headers["content-type"] == "audio/wav"
    assert page.url.endswith(prefix + "/login/")  # played in place, not a download that leaves the page


def test_swagger_ui_and_the_admin_still_work_under_the_policy(page, live_server, django_user_model):
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "HealthBank API" in page.inner_text(".swagger-ui .info .title")
    django_user_model.objects.create_superuser("op", "op@example.com", "a-long-demo-password")
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "op")
    page.fill("#id_password", "a-long-demo-password")
    page.click("input[type=submit]")
    page.goto(live_server.url + "/admin/identity/person/")
    page.wait_for_selector("#result_list, #changelist")
    page.goto(live_server.url + "/admin/auth/user/add/")
    page.wait_for_selector("#id_username")
    # The page fixture fails the test on any Content-Security-Policy violation seen above.


def test_axe_really_runs_and_reports(page, live_server):
    """The check above is not vacuous: an unlabelled field added to a page is reported."""
    from tests.e2e.conftest import axe_violations

    page.goto(live_server.url + "/en/")
    assert axe_violations(page) == []
    page.evaluate("() => document.querySelector('main').append(document.createElement('input'))")
    assert any(v.startswith("label ") for v in axe_violations(page))
