"""My Health Bank in the installable app (issue 13), on a 360×740 touch phone in both languages: a parent logs in
on a verified phone, opens their own passbook, requests today's data, browses western medicine (the top-5
doughnut, tapping a diagnosis filters the list), a visit (Chinese | English names), the labs (a line chart with its
reference band), dental (the tooth chart, tapping a tooth filters the visits), surgery (the body diagram) and
switches to their child's passbook. Every screen: axe-core WCAG 2.1 A/AA at phone and desktop size, no sideways
scrolling, no Content-Security-Policy violation, ROC dates in Chinese.
Screenshots: tests/e2e/screenshots/app-passbook-*.png.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from healthbank.accounts.models import OnlineAccount
from healthbank.demo.loader import load_population
from healthbank.demo.population import build_population
from healthbank.demo.world import write_world
from healthbank.devices import services as devices
from healthbank.identity.models import Person
from healthbank.passbook.selectors.labs import GLUCOSE_AND_LIPIDS
from tests.e2e.conftest import PHONE, assert_accessible, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Hb-app-2026"
ROC_DATE = re.compile(r"\b1\d\d/\d\d/\d\d\b")
ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
LOCALES = {"zh": "zh-TW", "en": "en-US"}
SEEDS = (25, 9, 38, 15, 14, 21, 3, 7)
# Whose screens the test reads, by the words each language shows.
WORDS = {
    "zh": {"request": "請求今日資料", "mine": "我自己的健康存摺", "child": "子女的健康存摺", "switch": "切換健康存摺"},
    "en": {
        "request": "Request today's data",
        "mine": "My own passbook",
        "child": "Child's passbook",
        "switch": "Switch passbook",
    },
}


@dataclass
class World:
    url: str
    parent: Person
    child: Person


def _family(plan) -> tuple[str, str] | None:
    """(parent, child) national IDs: a parent of a child under 15 with western visits, teeth, operations and
    glucose/lipid labs."""
    seen: dict[str, defaultdict] = defaultdict(lambda: defaultdict(int))
    for (_source, kind), rows in plan.batches.items():
        for row in rows:
            counts = seen[row.get("national_id")]
            counts["western"] += kind == "visits" and row.get("kind") == "western"
            counts["teeth"] += sum(bool(o.get("tooth")) for o in row.get("non_drug_orders") or ())
            counts["sites"] += sum(bool(o.get("body_site")) for o in row.get("non_drug_orders") or ())
            counts["glucose"] += kind == "lab-results" and row.get("lab_key") in GLUCOSE_AND_LIPIDS
    for household in plan.households:
        parent = plan.people[household.insured]
        children = [plan.people[i] for i, why in household.dependents if why == "child"]
        children = [c for c in children if c.age_on(plan.today) < 15]
        counts = seen[parent.national_id]
        rich = counts["western"] >= 6 and counts["teeth"] and counts["sites"] and counts["glucose"] >= 2
        if children and parent.age_on(plan.today) >= 20 and rich:
            return parent.national_id, children[0].national_id
    return None


@pytest.fixture
def world(live_server):
    """A population with care history (committed: the test is transactional); the parent registered online."""
    today = timezone.localdate()
    for seed in SEEDS:
        plan = build_population(30, seed=seed, today=today, history=True)
        chosen = _family(plan)
        if chosen:
            break
    else:
        pytest.fail(f"none of the seeds {SEEDS} gives a parent with visits, teeth and glucose labs on {today}")
    load_population(plan)
    write_world(plan, settings.EXTERNAL_DATA_DIR, settings.SIMULATED_CARDS_DIR)
    parent, child = (Person.objects.by_national_id(n).get() for n in chosen)
    OnlineAccount.objects.filter(person=parent).delete()
    OnlineAccount.objects.create(
        person=parent,
        status="active",
        channel="online",
        password=make_password(PASSWORD),
        email="parent@example.tw",
        mobile="0912345678",
        created_at=timezone.now(),
        activated_at=timezone.now(),
    )
    return World(live_server.url, parent, child)


def wait_for_screen(page, selector: str) -> None:
    page.wait_for_selector(selector)
    page.wait_for_function("() => !document.querySelector('[aria-busy=true]')")


def charts_drawn(page) -> list[str]:
    """The type of every chart Chart.js has drawn on the screen."""
    return page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')].map(c => window.Chart.getChart(c))"
        ".filter(Boolean).map(c => c.config.type)"
    )


def check(page, language: str, name: str) -> None:
    """Dates as the language writes them, accessible at phone and desktop size, a screenshot."""
    text = page.inner_text("main")
    if language == "zh":
        assert not ISO_DATE.search(text), f"{name}: an ISO date in Chinese: {ISO_DATE.search(text).group()}"
    else:
        assert not ROC_DATE.search(text), f"{name}: an ROC date in English"
    assert_accessible(page, f"app {language} {name}")
    shot(page, f"app-passbook-{language}-{name}")


def test_a_parent_browses_the_passbook_in_the_app(browser, world):
    """One population, one browser context a language (each a newly verified phone: the newer disables the
    older)."""
    for language in LOCALES:
        walk(browser, world, language)


def walk(browser, world, language: str) -> None:
    words = WORDS[language]
    issued = devices.issue_device_code(world.parent)
    binding, credential = devices.bind_device(
        issued.code, platform="Android", model="Pixel 9", device_identifier=f"e2e-{language}"
    )
    context = browser.new_context(
        viewport=PHONE, locale=LOCALES[language], is_mobile=True, has_touch=True, reduced_motion="reduce"
    )
    # The phone is verified: what core.js keeps after "devices/bind".
    context.add_init_script(
        f"localStorage.setItem('hb.device', JSON.stringify({{device_id: '{binding.pk}', credential: '{credential}'}}))"
    )
    refused: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: refused.append(f"script error: {e}"))
    page.set_default_timeout(20_000)
    try:
        app = world.url + "/app/"
        page.goto(app + "#/login")
        page.fill("#f-national_id", world.parent.national_id)
        page.fill("#f-password", PASSWORD)
        page.click("button[type=submit]")

        # The chooser: the parent's own passbook and the child's.
        wait_for_screen(page, "ul.choices")
        choices = page.inner_text("ul.choices")
        assert world.parent.masked_name in choices and world.child.masked_name in choices
        check(page, language, "chooser")
        page.click(f"ul.choices a[href$='{world.parent.pk}']")

        # The overview: whose passbook, the last visits, today's data.
        wait_for_screen(page, "#last-visits")
        assert world.parent.masked_name in page.inner_text(".whose")
        assert words["mine"] in page.inner_text(".whose")
        if language == "zh":
            assert ROC_DATE.search(page.inner_text(".last-visit"))
        page.get_by_role("button", name=words["request"]).click()
        wait_for_screen(page, "ul.categories a")
        check(page, language, "overview")

        # Western medicine: the top-5 doughnut; Enter on a focused slice filters the visits by that diagnosis.
        page.click(f"ul.categories a[href$='/{world.parent.pk}/outpatient']")
        wait_for_screen(page, "table.cards tbody tr")
        page.wait_for_function("() => window.Chart.getChart(document.querySelector('canvas[data-chart]'))")
        assert charts_drawn(page) == ["doughnut"]
        assert page.locator("table.data-table tbody tr").count() >= 1  # the chart's data as a table
        rows = page.locator("table.cards tbody tr").count()
        assert rows >= 1
        if language == "zh":
            assert ROC_DATE.search(page.inner_text("table.cards"))
        check(page, language, "outpatient")
        page.focus("canvas[data-chart]")
        page.keyboard.press("Enter")
        page.wait_for_function("() => location.hash.includes('icd=')")
        wait_for_screen(page, ".notice-info")
        icd = page.evaluate("() => new URLSearchParams(location.hash.split('?')[1]).get('icd')")
        assert f"({icd})" in page.inner_text(".notice-info")
        diagnoses = page.locator("table.cards tbody td[data-label] >> nth=2")
        assert icd in diagnoses.inner_text()

        # One visit, with its names in the other language at a tap.
        page.locator("table.cards tbody tr >> nth=0").locator("a").first.click()
        wait_for_screen(page, ".segmented")
        heading = page.inner_text("main h2")
        assert heading
        check(page, language, "visit")
        other = "en" if language == "zh" else "zh-hant"
        page.click(f".segmented a[href*='lang={other}']")
        page.wait_for_selector(f".segmented a[aria-current='true'][href*='lang={other}']")

        # Labs: each glucose or lipid test with its line chart (a shaded reference band) and its table.
        page.goto(app + f"#/passbook/{world.parent.pk}/labs")
        wait_for_screen(page, "section.lab-test canvas")
        page.wait_for_function("() => window.Chart.getChart(document.querySelector('section.lab-test canvas'))")
        assert set(charts_drawn(page)) == {"line"}
        assert page.locator("section.lab-test table").count() == page.locator("section.lab-test canvas").count()
        check(page, language, "labs")

        # Dental: the tooth chart marks teeth with visits; tapping one shows only its visits.
        page.goto(app + f"#/passbook/{world.parent.pk}/dental")
        wait_for_screen(page, "figure.tooth-chart svg")
        marked = page.locator("figure.tooth-chart a.tooth.is-marked")
        assert marked.count() >= 1
        check(page, language, "dental")
        tooth = marked.first.get_attribute("href").rsplit("tooth=", 1)[1]
        marked.first.tap()
        page.wait_for_function(f"() => location.hash.endsWith('tooth={tooth}')")
        wait_for_screen(page, ".notice-info")
        assert tooth in page.inner_text(".notice-info")
        for cell in page.locator("table.cards td[data-label]").all():
            if cell.get_attribute("data-label") in ("牙齒", "Teeth"):
                assert tooth in cell.inner_text().split(", ")

        # Surgery (all years: the operation may be older than the span): the body diagram marks the operated
        # sites; tapping one shows only its operations.
        page.goto(app + f"#/passbook/{world.parent.pk}/surgery?older=1")
        wait_for_screen(page, "figure.body-diagram svg a.body-site")
        check(page, language, "surgery")
        site = page.locator("figure.body-diagram a.body-site").first
        code = site.get_attribute("href").rsplit("site=", 1)[1]
        site.locator(".body-site-marker").tap()  # the marker, as a finger would
        page.wait_for_function(f"() => location.hash.endsWith('site={code}')")
        wait_for_screen(page, ".notice-info")

        # The child's passbook, from the switch on every screen.
        page.get_by_role("link", name=words["switch"]).click()
        wait_for_screen(page, "ul.choices")
        page.click(f"ul.choices a[href$='{world.child.pk}']")
        wait_for_screen(page, "#last-visits")
        assert world.child.masked_name in page.inner_text(".whose")
        assert words["child"] in page.inner_text(".whose")
        check(page, language, "child")
    finally:
        context.close()
    assert refused == [], f"CSP violations or script errors: {refused}"
