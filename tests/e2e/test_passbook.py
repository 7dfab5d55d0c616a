"""The passbook in a real browser: a parent with a child under 15 and three years of care walks every page in
both languages at desktop and phone size (axe-core, reflow, CSP, ROC dates), sees the charts and diagrams drawn
from their own records, uses the menu and the visit dialog with the keyboard alone, and opens the child's passbook.

One population is loaded and committed for the whole module and one live server serves it (pytest-django's
``live_server`` flushes the database after every test); the parent's session is a citizen-certificate session
(no password needed), as in tests/passbook. Screenshots go to tests/e2e/screenshots/passbook-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import Resolver404, resolve
from django.utils import timezone

from healthbank.accounts.login import SESSION_METHOD, SESSION_PERSON, Method
from healthbank.demo.loader import load_population
from healthbank.demo.population import build_population
from healthbank.demo.world import write_world
from healthbank.identity.models import Person
from tests.e2e.conftest import AXE, AXE_TAGS, DESKTOP, PHONE, shot

pytestmark = [pytest.mark.e2e]

SERIOUS = ("serious", "critical")
ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
ROC_DATE = re.compile(r"\b1\d\d/\d\d/\d\d\b")
DEPTH = 2  # the menu's pages (0), their sub-pages (1) and those pages' own (2)
# Every link's address (an SVG link's href is an object: read the attribute).
LINKS = "links => links.map(a => new URL(a.getAttribute('href'), location.href).href)"
# The page's visible text without what an institution wrote (a report's text is shown as it was sent).
VISIBLE_TEXT = """() => [...document.querySelectorAll('.report-text')]
    .reduce((text, sent) => text.replace(sent.innerText, ''), document.body.innerText)"""
LANGUAGES = {"zh": ("", "zh-TW"), "en": ("/en", "en-US")}
# Seeds of 30-person populations with a parent of a child under 15 who has operations, dental work on named
# teeth, lab results and many visits; the first that still has one on today's date is loaded.
SEEDS = (25, 9, 38, 15, 14, 21)


@dataclass
class Family:
    url: str
    parent: Person
    child: Person
    session_key: str

    @property
    def home(self) -> str:
        return f"/passbook/{self.parent.pk}/"


def _richest_family(plan) -> tuple[str, str] | None:
    """The national IDs of (parent, child) in the plan with everything the pictures draw, or None."""
    today = plan.today
    seen: dict[str, defaultdict] = defaultdict(lambda: defaultdict(int))
    for (_source, kind), rows in plan.batches.items():
        for row in rows:
            counts = seen[row.get("national_id")]
            counts[kind] += 1
            for order in row.get("non_drug_orders") or ():
                counts["sites"] += bool(order.get("body_site"))
                counts["teeth"] += bool(order.get("tooth"))
            counts["western"] += row.get("kind") == "western"
    best = None
    for household in plan.households:
        parent = plan.people[household.insured]
        children = [plan.people[i] for i, why in household.dependents if why == "child"]
        children = [c for c in children if c.age_on(today) < 15]
        counts = seen[parent.national_id]
        if parent.age_on(today) < 20 or not children or not all(counts[k] for k in ("sites", "teeth", "lab-results")):
            continue
        if best is None or counts["western"] > best[0]:
            best = (counts["western"], parent.national_id, children[0].national_id)
    return best[1:] if best and best[0] >= 10 else None


@pytest.fixture(scope="module")
def family(django_db_setup, django_db_blocker):
    """The population with care history, committed; one live server; the parent logged in (a session key)."""
    from django.contrib.sessions.backends.db import SessionStore
    from pytest_django.live_server_helper import LiveServer

    today = timezone.localdate()
    for seed in SEEDS:
        plan = build_population(30, seed=seed, today=today, history=True)
        chosen = _richest_family(plan)
        if chosen:
            break
    else:
        pytest.fail(f"none of the seeds {SEEDS} gives a parent with operations, teeth and labs on {today}")
    with django_db_blocker.unblock():
        load_population(plan)
        write_world(plan, settings.EXTERNAL_DATA_DIR, settings.SIMULATED_CARDS_DIR)
        parent, child = (Person.objects.by_national_id(n).get() for n in chosen)
        session = SessionStore()
        session[SESSION_PERSON], session[SESSION_METHOD] = str(parent.pk), Method.CERTIFICATE
        session.create()
        server = LiveServer("localhost")
    server._live_server_modified_settings.enable()
    try:
        with django_db_blocker.unblock():  # the server's thread reads the database while the tests run
            yield Family(server.url, parent, child, session.session_key)
    finally:
        server._live_server_modified_settings.disable()
        server.stop()
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def tab(browser, family):
    """``tab("zh" | "en", viewport)``: a page of a new browser context logged in as the parent. The test fails
    if any page broke the Content-Security-Policy."""
    contexts, refused = [], []

    def open_tab(language: str = "zh", viewport: dict = DESKTOP):
        context = browser.new_context(viewport=viewport, locale=LANGUAGES[language][1], reduced_motion="reduce")
        host = urlsplit(family.url).hostname
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": family.session_key, "domain": host,
                              "path": "/", "httpOnly": True, "sameSite": "Lax"}])  # fmt: skip
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.set_default_timeout(15_000)
        return page

    yield open_tab
    for context in contexts:
        context.close()
    assert refused == [], f"Content-Security-Policy violations: {refused}"


def axe(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)["violations"]


def settle(page) -> None:
    """Let the page react to a new size (its resize handlers and charts run on the next frames)."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def check_page(page, what: str, others: list[str]) -> list[str]:
    """Serious or critical axe violations and sideways scrolling at desktop and phone size; milder axe findings
    are added to ``others``."""
    problems = []
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        settle(page)
        for v in axe(page):
            targets = [n["target"] for n in v["nodes"]][:4]
            line = f"{what} [{size}] {v['id']} ({v['impact']}): {v['help']} — {targets}"
            (problems if v["impact"] in SERIOUS else others).append(line)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > viewport["width"]:
            wide = page.evaluate(
                """w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w
                       && !e.closest('.table-responsive, .visually-hidden')).slice(0, 3)
                       .map(e => e.tagName.toLowerCase() + '.' + String(e.className).split(' ')[0])""",
                viewport["width"],
            )
            problems.append(f"{what} [{size}] reflow: {width}px wide on a {viewport['width']}px screen, e.g. {wide}")
    page.set_viewport_size(DESKTOP)
    return problems


def passbook_name(url: str, family: Family, prefix: str) -> str | None:
    """The URL name of a link to a page of the parent's passbook, or None for anything else (other people,
    query variants, calendar and PDF files, other sites)."""
    parts = urlsplit(url)
    path = parts.path.removeprefix(prefix)
    if parts.netloc != urlsplit(family.url).netloc or parts.query or path.endswith((".ics", ".pdf")):
        return None
    if not path.startswith(family.home):
        return None
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_passbook_page_is_accessible_fits_a_phone_and_shows_roc_dates(tab, family, language):
    """Walk the menu's pages and the pages they link to, and theirs (the reports list on the lab page → a
    report), one page per URL name."""
    prefix = LANGUAGES[language][0]
    page = tab(language)
    home = family.url + prefix + family.home
    queue = {"overview": home}  # URL name → URL, in the order found
    walked, depth, problems, others, dates = [], {"overview": 0}, [], [], 0
    page.goto(home)
    for href in page.eval_on_selector_all(".passbook-nav a[href]", LINKS):
        name = passbook_name(href, family, prefix)
        if name and name not in queue:
            queue[name], depth[name] = href, 0
    while len(walked) < len(queue):
        name = next(n for n in queue if n not in walked)
        walked.append(name)
        response = page.goto(queue[name])
        assert response.status == 200, f"{queue[name]} answered {response.status}"
        page.wait_for_load_state("load")
        if depth[name] < DEPTH:
            for href in page.eval_on_selector_all("main a[href]", LINKS):
                found = passbook_name(href, family, prefix)
                if found and found not in queue:
                    queue[found], depth[found] = href.split("#")[0], depth[name] + 1
        text = page.evaluate(VISIBLE_TEXT)
        if language == "zh":
            iso = ISO_DATE.findall(text)
            if iso:
                problems.append(f"{name}: ISO dates on a Chinese page: {iso[:3]}")
            dates += len(ROC_DATE.findall(text))
        problems += check_page(page, f"{prefix}{urlsplit(queue[name]).path.removeprefix(prefix)} ({name})", others)
    print(f"\n{language}: walked {len(walked)} pages: {', '.join(walked)}")
    if others:
        print("milder axe findings:\n  " + "\n  ".join(others))
    for expected in ("overview", "outpatient", "dental", "surgery", "labs", "visit", "discharge"):
        assert expected in walked, f"{expected} not reachable from the menu ({walked})"
    assert problems == [], "\n".join(problems)
    if language == "zh":
        assert dates > 20, "the Chinese pages show few ROC dates"


# How much of a canvas is painted (0 for a blank one), and the numbers its chart was given.
PAINTED = """canvas => {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
    return painted / (canvas.width * canvas.height);
}"""
CHART_DATA = """canvas => {
    const chart = window.Chart && Chart.getChart(canvas);
    return chart ? chart.data.datasets.map(d => d.data.map(p => typeof p === 'object' && p !== null ? p.y : p)) : null;
}"""
PICTURED = ("", "outpatient/", "dental/", "surgery/", "labs/", "risk/", "measurements/")


def drawn(page, selector: str) -> list:
    """The chart's data; it fails unless the canvas is really painted."""
    canvas = page.locator(selector)
    canvas.scroll_into_view_if_needed()
    page.wait_for_function(f"() => window.Chart && Chart.getChart(document.querySelector({selector!r}))")
    settle(page)
    assert canvas.evaluate(PAINTED) > 0.02, f"{selector} is blank"
    return canvas.evaluate(CHART_DATA)


def test_charts_and_diagrams_are_drawn_from_the_persons_records(tab, family):
    from healthbank.records.models import NonDrugOrder

    page = tab("zh")
    base = family.url + family.home

    # Outpatient: the top-diagnoses doughnut holds the table's counts, and a slice opens the filtered list.
    page.goto(base + "outpatient/")
    values = drawn(page, "#top-diagnoses")
    table = [int(n) for n in page.locator(".top-diagnoses tbody td.num").all_inner_texts()]
    assert values == [table] and sum(table) > 0
    first_code = page.locator(".top-diagnoses tbody .code").first.inner_text()
    slice_at = page.evaluate(
        "() => Chart.getChart(document.getElementById('top-diagnoses')).getDatasetMeta(0).data[0].tooltipPosition()"
    )
    box = page.locator("#top-diagnoses").bounding_box()
    page.mouse.click(box["x"] + slice_at["x"], box["y"] + slice_at["y"])
    page.wait_for_url(re.compile(r"\?icd="))
    assert f"icd={first_code}" in page.url.replace("%2E", ".")
    assert first_code in page.inner_text(".filtered")
    assert page.locator("table.records tbody tr").count() == table[0] or page.locator(".pagination").count()

    # Dental: the teeth with visits are links; Tab reaches one from the top of the page and Enter follows it.
    page.goto(base + "dental/")
    marked = page.locator("svg a.tooth.is-marked")
    teeth = set(
        NonDrugOrder.objects.filter(person=family.parent, visit__kind="dental", tooth__isnull=False)
        .values_list("tooth", flat=True)
    )  # fmt: skip
    assert marked.count() >= 1 and {int(t) for t in marked.locator(".tooth-number").all_text_contents()} <= teeth
    for _ in range(150):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('a.tooth')"):
            break
    else:
        pytest.fail("Tab never reached a tooth of the tooth chart")
    href = page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(href.split("#")[0])))
    assert "tooth=" in page.url

    # Surgery: the body diagram marks the operated sites, each a link with its count.
    page.goto(base + "surgery/")
    sites = page.locator("svg a.body-site")
    assert sites.count() >= 1
    operated = set(
        NonDrugOrder.objects.filter(person=family.parent, is_surgery=True).values_list("body_site", flat=True)
    )
    for i in range(sites.count()):
        site = sites.nth(i)
        assert re.search(r"\?site=(\w+)", site.get_attribute("href")).group(1) in operated
        assert int(site.locator(".body-site-count").text_content()) >= 1
        marker = site.locator(".body-site-marker").bounding_box()
        assert marker and marker["width"] > 5

    # Labs: each trend chart has the points of the table beside it.
    page.goto(base + "labs/")
    trend = page.locator("section.lab-trend").first
    chart_id = trend.locator("canvas").get_attribute("id")
    points = drawn(page, f"#{chart_id}")
    rows = trend.locator("table.lab-history tbody tr").count()
    assert sum(len(series) for series in points) == rows > 0

    # Measurements: two entered through the form make trend charts of their values.
    page.goto(base + "measurements/")
    today = timezone.localdate()
    for days_ago, weight, systolic in ((40, "61.5", "138"), (5, "60.2", "128")):
        page.fill("[name=measured_on]", (today - dt.timedelta(days=days_ago)).isoformat())
        page.fill("[name=height_cm]", "158")
        page.fill("[name=weight_kg]", weight)
        page.fill("[name=systolic]", systolic)
        page.fill("[name=diastolic]", "82")
        page.click(".measurement-form button[type=submit]")
        page.wait_for_selector(".alert-success")
    charts = page.locator(".measurement-chart canvas")
    assert charts.count() >= 1
    assert any(len(series) == 2 for series in drawn(page, f"#{charts.first.get_attribute('id')}"))

    # Screenshots of the pictured pages at both sizes, to look at.
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        for path in PICTURED:
            page.goto(base + path)
            for canvas in page.locator("canvas[data-chart]").all()[:3]:
                canvas.scroll_into_view_if_needed()
            page.evaluate("() => window.scrollTo(0, 0)")
            settle(page)
            shot(page, f"passbook-{path.strip('/') or 'home'}-{name}")


def tab_to(page, test: str, limit: int = 80) -> int:
    """Press Tab until ``test`` (a JS expression about ``document.activeElement``) holds; how many presses."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return !!({test}); }}"):
            return n
    pytest.fail(f"Tab never reached {test}")


def test_menu_and_visit_dialog_work_with_the_keyboard_alone(tab, family):
    page = tab("en")
    home = family.url + "/en" + family.home

    # Tab from the top reaches the menu; Enter opens a group, the arrow picks an item, Enter follows it.
    page.goto(home)
    tab_to(page, "e.closest('.passbook-nav') && e.matches('button.dropdown-toggle')")
    menu = page.evaluate("() => document.activeElement.nextElementSibling.querySelector('a').getAttribute('href')")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-expanded')") == "true"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == menu
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{menu}")

    # Space opens the next group too; Escape closes it and leaves focus on its button.
    page.goto(home)
    tab_to(page, "e.closest('.passbook-nav') && e.matches('button.dropdown-toggle')")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.matches('.passbook-nav button.dropdown-toggle')")
    page.keyboard.press(" ")
    assert page.locator(".passbook-nav .dropdown-menu.show").count() == 1
    items = page.evaluate("() => [...document.activeElement.nextElementSibling.querySelectorAll('a')].map(a => a.href)")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.href") == items[1]
    page.keyboard.press("Escape")
    assert page.locator(".passbook-nav .dropdown-menu.show").count() == 0
    assert page.evaluate("() => document.activeElement.matches('.passbook-nav button.dropdown-toggle')")

    # The last visit's "Detail" opens the dialog with that visit (htmx); Escape closes it and focus returns.
    page.goto(home)
    tab_to(page, "e.matches('[data-open-dialog]')", limit=120)
    card = page.evaluate("() => document.activeElement.closest('.card-body').innerText")
    page.keyboard.press("Enter")
    dialog = page.locator("#visit-dialog")
    page.wait_for_function("() => document.getElementById('visit-dialog').open")
    page.wait_for_function("() => document.getElementById('visit-dialog-body').innerText.trim().length > 20")
    body = dialog.inner_text()
    date = re.search(r"\d{4}-\d\d-\d\d", card).group(0)
    assert date in body, (card, body)
    assert page.evaluate("() => document.getElementById('visit-dialog').contains(document.activeElement)")
    assert page.url.rstrip("/").endswith(family.home.rstrip("/"))  # a dialog, not a new page
    problems = check_page(page, "the visit dialog", [])
    assert problems == []
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('visit-dialog').open")
    assert page.evaluate("() => document.activeElement.matches('[data-open-dialog]')")

    # On a phone the menu folds behind a button that the keyboard opens.
    phone = tab("zh", PHONE)
    phone.goto(family.url + family.home)
    tab_to(phone, "e.matches('.navbar-toggler')")
    phone.keyboard.press("Enter")
    phone.wait_for_selector("#passbook-menu.show")
    phone.keyboard.press("Tab")
    assert phone.evaluate("() => document.activeElement.closest('#passbook-menu') !== null")


def test_the_parent_opens_the_childs_passbook_from_the_switcher(tab, family):
    page = tab("zh")
    page.goto(family.url + family.home)
    page.click(".person-switcher button")
    page.get_by_role("link", name=re.compile(re.escape(family.child.masked_name))).click()
    page.wait_for_url(f"**/passbook/{family.child.pk}/")
    assert family.child.masked_name in page.inner_text(".acting-banner")
    assert family.child.masked_name in page.inner_text("h1")
    assert family.child.masked_name in page.inner_text(".person-switcher button")
    problems = check_page(page, "the child's passbook", [])
    assert problems == []
    shot(page, "passbook-child-home-desktop")
