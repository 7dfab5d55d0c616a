"""The system check (環境檢測) and the case-progress page in a real browser (SPEC §10, issue 11).

The system check runs with no card agent (it must say so in plain words), then with the simulated card agent
(tests/e2e/test_registration.py starts it the same way), then with the card taken out. The cases page is seen
on a 360×740 phone. Screenshots go to tests/e2e/screenshots/services-*.png (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from cardagent.server import make_server
from cardagent.sources import SimulatedCard, write_card_file
from healthbank.identity.models import Person
from healthbank.records.models import Institution
from healthbank.records.services import Sender, ingest
from tests.conftest import make_institution
from tests.e2e.conftest import DESKTOP, PHONE, axe_violations, shot
from tests.vcard import conftest as vcard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

household = vcard.household


def accessible(page, what: str) -> None:
    assert axe_violations(page) == [], what
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{what}: {width}px wide"


def result(page, check: str) -> tuple[str, str]:
    item = page.locator(f'.check[data-check="{check}"]')
    return item.get_attribute("class"), item.locator(".check-result").inner_text()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_system_check_says_plainly_that_the_card_agent_is_not_running(page, live_server, settings):
    settings.CARD_AGENT_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    page.goto(live_server.url + "/system-check/")
    page.wait_for_selector(".check-summary.fail")
    assert result(page, "javascript")[0] == "check ok"
    assert result(page, "browser")[0] == "check ok" and result(page, "cookies")[0] == "check ok"
    state, text = result(page, "agent")
    assert state == "check fail" and "讀卡元件沒有執行" in text and live_server.url in text
    assert result(page, "reader") == ("check skipped", "未檢測：須先啟動讀卡元件。")
    assert "尚有項目未就緒" in page.inner_text(".check-summary")
    assert page.get_attribute("a[href$='healthbank-cardagent.zip']", "download") is not None
    accessible(page, "system check, desktop")
    shot(page, "services-system-check-no-agent-desktop")
    page.set_viewport_size(PHONE)
    accessible(page, "system check, phone")
    shot(page, "services-system-check-no-agent-phone")
    page.goto(live_server.url + "/en/system-check/")
    page.wait_for_selector(".check-summary.fail")
    assert "The card agent is not running on this computer" in result(page, "agent")[1]


def test_the_system_check_reads_the_card_through_the_simulated_agent(page, live_server, settings, tmp_path):
    card_file = tmp_path / "card.json"
    write_card_file(
        card_file, card_number="000012345678", name="王小明", national_id="A123456789", birth_date=dt.date(1970, 5, 4),
        sex="M", issue_date=dt.date(2025, 3, 1),
    )  # fmt: skip
    origins = [live_server.url, live_server.url.replace("localhost", "127.0.0.1")]
    server = make_server(SimulatedCard(card_file), origins)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.CARD_AGENT_URL = f"http://127.0.0.1:{server.port}"
    try:
        page.set_viewport_size(DESKTOP)
        page.goto(live_server.url + "/system-check/")
        page.wait_for_selector(".check-summary.ok")
        assert result(page, "agent")[0] == "check ok"
        assert "模擬讀卡機" in result(page, "reader")[1]
        assert result(page, "card") == ("check ok", "已讀取您的健保卡：卡號末四碼 5678。")
        assert "一切就緒" in page.inner_text(".check-summary")
        shot(page, "services-system-check-ready-desktop")
        card_file.unlink()  # the card taken out of the reader
        page.click("button.check-again")
        page.wait_for_selector(".check-summary.fail")
        state, text = result(page, "card")
        assert state == "check fail" and "讀卡機中沒有健保卡" in text
        page.set_viewport_size(PHONE)
        accessible(page, "system check without a card, phone")
        shot(page, "services-system-check-no-card-phone")
    finally:
        server.shutdown()
        server.server_close()


def _send_cases(person: Person, hospital_code: str) -> None:
    def steps(*pairs):
        return [{"step": s, "on": d} | ({"note": n} if n else {}) for s, d, n in pairs]

    nhia = Sender.for_agency("NHIA")
    who = {"national_id": person.national_id}
    today = timezone.localdate()
    ago = lambda days: (today - dt.timedelta(days=days)).isoformat()  # noqa: E731
    outcomes = ingest(
        nhia,
        "reimbursements",
        [
            who
            | {
                "record_id": "R-1", "where": "abroad", "country": "JP", "treated_from": ago(60),
                "treated_until": ago(57), "applied_on": ago(40), "amount_claimed": 48200, "amount_approved": 21600,
                "steps": steps(("received", ago(40), ""), ("documents_requested", ago(33), "請補附診斷書及收據正本"),
                               ("documents_received", ago(25), ""), ("partly_approved", ago(10), "依健保支付標準核退")),
            }
        ],
    )  # fmt: skip
    outcomes += ingest(
        nhia,
        "catastrophic-illness",
        [
            who
            | {
                "record_id": "C-1", "icd10": "C18.9", "institution": hospital_code, "applied_on": ago(400),
                "steps": steps(("received", ago(400), ""), ("under_review", ago(396), ""), ("approved", ago(380), "")),
                "valid_from": ago(400), "valid_until": ago(400 - 5 * 365),
            }
        ],
    )  # fmt: skip
    outcomes += ingest(
        Sender.for_institution(Institution.objects.get(code=hospital_code)),
        "prior-reviews",
        [
            who
            | {
                "record_id": "PR-1", "institution": hospital_code, "drug_code": "BC26096100", "applied_on": ago(3),
                "steps": steps(("received", ago(2), "")),
            }
        ],
    )  # fmt: skip
    assert all(o.accepted for o in outcomes), [o.errors for o in outcomes]


@pytest.fixture
def tab(browser, live_server):
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from healthbank.accounts.login import SESSION_METHOD, SESSION_PERSON, Method

    contexts, refused = [], []

    def open_tab(person: Person, locale: str = "zh-TW"):
        session = SessionStore()
        session[SESSION_PERSON], session[SESSION_METHOD] = str(person.pk), Method.CERTIFICATE
        session.create()
        context = browser.new_context(viewport=PHONE, locale=locale, reduced_motion="reduce")
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key,
                              "domain": urlsplit(live_server.url).hostname, "path": "/", "httpOnly": True,
                              "sameSite": "Lax"}])  # fmt: skip
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        return page

    yield open_tab
    for context in contexts:
        context.close()
    assert refused == [], f"Content-Security-Policy violations: {refused}"


def test_the_cases_page_on_a_phone(tab, live_server, household):
    hospital = make_institution("0101090517", kind="medical_center")
    _send_cases(household.parent, hospital.code)
    page = tab(household.parent)
    page.goto(f"{live_server.url}/services/")
    page.click(f"a[href='/services/{household.parent.pk}/cases/']")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == "案件進度查詢"
    titles = page.locator(".case h2").all_inner_texts()
    assert titles[0].startswith("BC26096100") and titles[1] == "日本就醫" and titles[2].startswith("C18.9")
    first = page.locator(".case").first
    assert first.locator(".case-step.current").inner_text().startswith("已受理")
    assert first.locator(".case-step.ahead").count() == 2  # under review, decision
    refund = page.locator(".case").nth(1)
    assert "NT$ 21,600" in refund.inner_text() and "請補附診斷書及收據正本" in refund.inner_text()
    assert refund.locator(".case-step.ahead").inner_text().startswith("已撥款")
    accessible(page, "cases, phone")
    shot(page, "services-cases-phone")
    english = tab(household.parent, "en-US")
    english.goto(f"{live_server.url}/en/services/{household.parent.pk}/cases/")
    assert "Treatment in Japan" in english.inner_text("main")
    accessible(english, "cases in English, phone")
    shot(english, "services-cases-en-phone")


def test_the_employer_records_page_on_a_phone(tab, live_server, household):
    parent = household.parent
    nhia = Sender.for_agency("NHIA")
    year = timezone.localdate().year
    report = {"national_id": parent.national_id, "unit": "987654321", "reason": "adjustment", "insured_salary": 50600}
    outcomes = ingest(
        nhia,
        "salary-reports",
        [report | {"record_id": "P-1", "reported_on": f"{year}-01-20", "effective_on": f"{year}-02-01"}],
    )
    outcomes += ingest(
        nhia,
        "welfare-subsidies",
        [
            {"record_id": f"W-{m}", "national_id": parent.national_id, "month": f"{year}-{m:02d}-01", "amount": 413,
             "fund": "tobacco"}
            for m in (1, 2, 3)
        ],
    )  # fmt: skip
    assert all(o.accepted for o in outcomes)
    page = tab(parent)
    page.goto(f"{live_server.url}/services/{parent.pk}/employer-records/")
    main = page.inner_text("main")
    assert "NT$ 50,600" in main and "NT$ 1,239" in main and f"{year - 1911}年" in main
    page.select_option("#year", str(year - 1))
    page.click(".year-picker button")
    page.wait_for_url(f"**year={year - 1}")
    assert "本年度沒有投保金額申報資料" in page.inner_text("main")
    page.goto(f"{live_server.url}/services/{parent.pk}/employer-records/")
    accessible(page, "employer records, phone")
    shot(page, "services-employer-records-phone")
