"""The download service in a real browser (SPEC §8, issue 9): a person ticks data and formats, presses "produce",
finds the package in the production list, downloads it and opens the zip with 7-Zip and pyzipper using their
national ID; watches a package in production turn into a download link (htmx polling that stops); gets the
error of an empty selection next to the form with the other choices kept; opens the doctor summary from the
passbook menu and downloads its PDF. axe-core and a phone's width on every page.

One population is loaded and committed for the module and one live server serves it (as in test_passbook.py);
Celery is eager in tests, so a package is produced inside the POST that asks for it. Screenshots go to
tests/e2e/screenshots/downloads-*.png (git-ignored).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone

from healthbank.accounts.login import SESSION_METHOD, SESSION_PERSON, Method
from healthbank.core.rocdate import format_roc_compact
from healthbank.demo.loader import load_population
from healthbank.demo.population import build_population
from healthbank.demo.world import write_world
from healthbank.identity.models import Person
from tests.e2e.conftest import AXE, AXE_TAGS, DESKTOP, PHONE, shot

pytestmark = [pytest.mark.e2e]

SERIOUS = ("serious", "critical")
SEVEN_ZIP = shutil.which("7z")
LANGUAGES = {"zh": ("", "zh-TW"), "en": ("/en", "en-US")}
PACKAGE_NAME = re.compile(r"^健康存摺_(\d{7})_(\d+)\.zip$")
SUMMARY_SECTIONS = ("s-conditions", "s-medications", "s-allergies", "s-labs", "s-vaccinations")
# A word of English that a Chinese page should not show once translated (listed, never failed on: the
# translations are being written while these tests are).
ENGLISH_WORD = re.compile(r"\b[A-Za-z][a-z]{2,}(?: [a-z]{2,})*\b")
SEED = 25


@dataclass
class Site:
    url: str
    person: Person
    session_key: str

    def page_url(self, language: str, path: str) -> str:
        return f"{self.url}{LANGUAGES[language][0]}/passbook/{self.person.pk}/{path}"


def _richest_adult(plan) -> str:
    """The national ID of the adult with the most lab results who also has vaccinations and visits."""
    seen: dict[str, Counter] = {}
    for (_source, kind), rows in plan.batches.items():
        for row in rows:
            seen.setdefault(row.get("national_id"), Counter())[kind] += 1
    adults = [p for p in plan.people if p.age_on(plan.today) >= 20]
    scored = [
        (seen[p.national_id]["lab-results"], p.national_id)
        for p in adults
        if p.national_id in seen and seen[p.national_id]["vaccinations"] and seen[p.national_id]["visits"] >= 10
    ]
    assert scored, f"seed {SEED}: no adult with labs, vaccinations and visits"
    return max(scored)[1]


@pytest.fixture(scope="module")
def db():
    """Stands in for pytest-django's ``db`` (no per-test transaction: the module shares one committed
    population). pytest-django (4.14 here) creates the test database only when a collected test asks for ``db``,
    ``transactional_db``, ``live_server`` or the ``django_db`` mark; this name is how these tests ask."""


@pytest.fixture(scope="module")
def site(db, django_db_setup, django_db_blocker):
    """The population with care history, committed; one live server; the chosen adult logged in."""
    from django.contrib.sessions.backends.db import SessionStore
    from pytest_django.live_server_helper import LiveServer

    plan = build_population(30, seed=SEED, today=timezone.localdate(), history=True)
    chosen = _richest_adult(plan)
    with django_db_blocker.unblock():
        load_population(plan)
        write_world(plan, settings.EXTERNAL_DATA_DIR, settings.SIMULATED_CARDS_DIR)
        person = Person.objects.by_national_id(chosen).get()
        session = SessionStore()
        session[SESSION_PERSON], session[SESSION_METHOD] = str(person.pk), Method.CERTIFICATE
        session.create()
        server = LiveServer("localhost")
    server._live_server_modified_settings.enable()
    try:
        with django_db_blocker.unblock():  # the server's thread reads the database while the tests run
            yield Site(server.url, person, session.session_key)
    finally:
        server._live_server_modified_settings.disable()
        server.stop()
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def tab(browser, site):
    """``tab("zh" | "en", viewport)``: a page of a new browser context logged in as the person, accepting
    downloads. The test fails if any page broke the Content-Security-Policy."""
    contexts, refused = [], []

    def open_tab(language: str = "zh", viewport: dict = DESKTOP):
        context = browser.new_context(
            viewport=viewport, locale=LANGUAGES[language][1], reduced_motion="reduce", accept_downloads=True
        )
        host = urlsplit(site.url).hostname
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": site.session_key, "domain": host,
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


def check_page(page, what: str) -> list[str]:
    """Serious or critical axe-core violations (WCAG 2.1 A/AA) and sideways scrolling, at desktop and phone
    size; milder findings are printed."""
    problems = []
    size = page.viewport_size
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(AXE.read_text(encoding="utf-8"))
        found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        for v in found["violations"]:
            line = f"{what} [{name}] {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:4]}"
            if v["impact"] in SERIOUS:
                problems.append(line)
            else:
                print("milder axe finding:", line)
        problems += overflow(page, f"{what} [{name}]")
    page.set_viewport_size(size)
    return problems


def overflow(page, what: str) -> list[str]:
    """The page scrolling sideways (WCAG 1.4.10), with the elements that stick out; tables scroll in their own
    box and do not count."""
    width = page.viewport_size["width"]
    if page.evaluate("() => document.documentElement.scrollWidth") <= width:
        return []
    wide = page.evaluate(
        """w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w
               && !e.closest('.table-responsive, .visually-hidden')).slice(0, 3)
               .map(e => e.tagName.toLowerCase() + '.' + String(e.className).split(' ')[0])""",
        width,
    )
    return [f"{what} reflow: wider than the {width}px screen, e.g. {wide}"]


def english_on(page, selector: str = "main") -> list[str]:
    """English phrases shown on a Chinese page (to list in the report, not to fail on)."""
    text = page.inner_text(selector)
    return sorted({m for m in ENGLISH_WORD.findall(text) if m not in ("PDF", "HTML", "JSON", "XML", "FHIR")})


def tick(page, name: str, values) -> None:
    for value in values:
        page.check(f"input[name={name}][value='{value}']")


def newest_row(page):
    return page.locator("table.production-list tbody tr").first


def seven_zip_test(path, password: str) -> subprocess.CompletedProcess:
    """``7z t -p<password>``: 7-Zip tests every file of the archive (0 when all decrypt and check)."""
    return subprocess.run([SEVEN_ZIP, "t", f"-p{password}", str(path)], capture_output=True, text=True)  # noqa: S603


def download_newest(page, tmp_path):
    """Click the newest package's download link; (suggested file name, the zip's bytes)."""
    with page.expect_download() as info:
        newest_row(page).locator("a.download-link").click()
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    return download.suggested_filename, saved


def test_a_person_produces_downloads_and_opens_a_package(tab, site, tmp_path):
    import pyzipper

    page = tab("zh")
    page.goto(site.page_url("zh", "download/"))
    assert check_page(page, "download page (zh)") == []
    shot(page, "downloads-page-zh-desktop")
    untranslated = english_on(page)

    tick(page, "categories", ["outpatient", "labs", "vaccinations", "allergies"])
    page.uncheck("input[name=formats][value=html]")
    tick(page, "formats", ["json", "fhir"])
    page.click("button.produce")
    page.wait_for_url(re.compile(r"/download/$"))
    row = newest_row(page)
    name = row.locator(".file-name").inner_text()
    assert name in page.inner_text("main .alert-success"), "no message naming the package"
    match = PACKAGE_NAME.match(name)
    assert match, f"package file name {name!r}"
    assert match.group(1) == format_roc_compact(timezone.localdate())
    assert row.locator("a.download-link").is_visible(), "the package is not ready in the production list"
    assert "門診" in row.inner_text() or "Outpatient" in row.inner_text(), "the row does not name its data"
    shot(page, "downloads-list-zh-desktop")

    suggested, saved = download_newest(page, tmp_path)
    assert suggested == name
    assert saved.read_bytes()[:2] == b"PK"
    password = site.person.national_id[0].upper() + site.person.national_id[1:]

    if SEVEN_ZIP:
        tested = seven_zip_test(saved, password)
        assert tested.returncode == 0 and "Everything is Ok" in tested.stdout, tested.stdout[-800:]
        wrong = seven_zip_test(saved, "A000000000")
        assert wrong.returncode != 0, "7-Zip opened the package without its password"
    else:
        print("7-Zip check skipped: no 7z on the PATH (apt-get install p7zip-full)")

    with pyzipper.AESZipFile(io.BytesIO(saved.read_bytes())) as archive:
        names = archive.namelist()
        with pytest.raises(RuntimeError):
            archive.read(names[-1], pwd=b"A000000000")
        archive.setpassword(password.encode())
        contents = {n: archive.read(n) for n in names if not n.endswith("/")}
    assert any(n.endswith(".json") and "myhealthbank" in n for n in contents), names
    assert any("fhir" in n.lower() for n in contents), names
    assert not any(n.endswith(".html") for n in contents), f"HTML was unticked but is in the package: {names}"
    assert not any(n.endswith(".xml") for n in contents), f"XML was not ticked but is in the package: {names}"
    assert all(body for body in contents.values()), "an empty file in the package"
    if untranslated:
        print("English on the Chinese download page:", untranslated)


def test_on_a_phone_in_english_the_form_and_list_fit_and_an_empty_selection_is_explained(tab, site):
    page = tab("en", PHONE)
    page.goto(site.page_url("en", "download/"))
    assert overflow(page, "download page (en, phone)") == []
    shot(page, "downloads-page-en-phone")

    # Nothing ticked among the data; XML, FHIR and "by month" chosen: the error sits by the form, the rest kept.
    page.uncheck("input[name=formats][value=html]")
    tick(page, "formats", ["xml", "fhir"])
    page.check("input[name=cut][value=months]")
    page.click("button.produce")
    error = page.locator("form.download-form [role=alert]")
    error.wait_for()
    assert error.inner_text().strip(), "the error says nothing"
    assert error.is_visible()
    checked = page.eval_on_selector_all("input[name=formats]:checked", "els => els.map(e => e.value)")
    assert sorted(checked) == ["fhir", "json", "xml"], f"the formats ticked before were not kept: {checked}"
    assert page.is_checked("input[name=cut][value=months]"), "the cut chosen before was not kept"
    assert page.locator("input[name=categories]:checked").count() == 0
    assert overflow(page, "download page with an error (en, phone)") == []

    # Ticking by the labels a phone user taps, the package is produced and listed, still fitting the screen.
    page.get_by_label("Lab test results", exact=True).first.check()
    page.get_by_label("Vaccinations", exact=True).check()
    page.click("button.produce")
    page.wait_for_url(re.compile(r"/download/$"))
    row = newest_row(page)
    assert PACKAGE_NAME.match(row.locator(".file-name").inner_text())
    assert row.locator("a.download-link").is_visible()
    assert overflow(page, "production list (en, phone)") == []
    row.locator("a.download-link").scroll_into_view_if_needed()
    box = row.locator("a.download-link").bounding_box()
    assert box and box["width"] >= 24 and box["height"] >= 24, f"download link too small to tap: {box}"
    shot(page, "downloads-list-en-phone")


def test_a_package_in_production_shows_its_progress_until_it_becomes_a_download_link(tab, site):
    from healthbank.exports.models import ExportJob
    from healthbank.exports.package import package_name

    today = timezone.localdate()
    last = ExportJob.objects.filter(person=site.person, requested_on=today).aggregate(n=Max("sequence"))["n"]
    sequence = (last or 0) + 1
    job = ExportJob.objects.create(
        person=site.person,
        requested_by=site.person,
        categories=["labs"],
        formats=["json"],
        status=ExportJob.Status.RUNNING,
        progress=40,
        running_slot=1,  # eager Celery frees every other package's slot at once
        requested_on=today,
        sequence=sequence,
        file_name=package_name(today, sequence),
        requested_at=timezone.now(),
    )
    try:
        page = tab("zh")
        polled = []
        page.on("request", lambda r: polled.append(r.url) if f"/download/{job.pk}/" in r.url else None)
        page.goto(site.page_url("zh", "download/"))
        row = page.locator(f"#job-{job.pk}")
        bar = row.get_by_role("progressbar")
        assert bar.get_attribute("aria-valuenow") == "40"
        assert "40%" in bar.inner_text()
        # The bar is drawn by the browser (an inline width would break the Content-Security-Policy).
        assert row.locator("progress").evaluate("p => p.position") == pytest.approx(0.4)
        assert row.locator("a.download-link").count() == 0
        with page.expect_request(lambda r: f"/download/{job.pk}/" in r.url, timeout=3_000):
            pass  # htmx asks for the row again within a second or two
        assert "40%" in row.inner_text(), "the polled row lost its progress"
        shot(page, "downloads-progress-zh-desktop")

        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.READY,
            progress=100,
            running_slot=None,
            produced_at=timezone.now(),
            available_until=timezone.now() + timedelta(days=3),
        )
        row.locator("a.download-link").wait_for(timeout=5_000)
        assert row.get_by_role("progressbar").count() == 0
        assert "%" not in row.inner_text()
        seen = len(polled)
        page.wait_for_timeout(2_500)
        assert len(polled) == seen, "the row is still polled once the package is ready"
    finally:
        ExportJob.objects.filter(pk=job.pk).delete()


def test_the_doctor_summary_opens_from_the_menu_and_downloads_as_a_pdf(tab, site, tmp_path):
    page = tab("zh")
    page.goto(site.page_url("zh", ""))
    group = page.locator(".passbook-nav button.dropdown-toggle", has_text=re.compile("下載|Download"))
    group.click()
    menu = group.locator("xpath=following-sibling::*[1]")
    links = menu.locator("a")
    hrefs = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any(h.endswith("/download/") for h in hrefs) and any(h.endswith("/summary/") for h in hrefs), hrefs
    menu.locator("a[href$='/summary/']").click()
    page.wait_for_url(re.compile(r"/summary/$"))

    for section in SUMMARY_SECTIONS:
        part = page.locator(f"section.{section}")
        assert part.locator("h2").is_visible(), f"no {section} section"
    assert page.locator("section.s-labs tbody tr").count() >= 1, "the person's lab values are not shown"
    assert page.locator("section.s-vaccinations li").count() >= 1, "the person's vaccinations are not shown"
    assert check_page(page, "doctor summary (zh)") == []
    shot(page, "downloads-summary-zh-desktop")
    untranslated = english_on(page)

    with page.expect_download() as info:
        page.locator("main a[href$='summary.pdf']").click()
    pdf = tmp_path / "summary.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert info.value.suggested_filename == f"健康摘要_{format_roc_compact(timezone.localdate())}.pdf"
    if untranslated:
        print("English on the Chinese summary page:", untranslated)


def test_tick_all_ticks_every_category_and_again_clears_them(tab, site):
    page = tab("zh")
    page.goto(site.page_url("zh", "download/"))
    page.click("button.tick-all")
    boxes = page.locator("input[name=categories]")
    assert boxes.count() > 5
    assert page.locator("input[name=categories]:checked").count() == boxes.count()
    page.click("button.tick-all")
    assert page.locator("input[name=categories]:checked").count() == 0
