"""The person's records in a real browser (issue 11, SPEC §10): the mailing address changed with the county →
township → village drop-downs on a 360-px phone (the history then shows the old and the new address), and the
enrolment records, on the phone and on a desktop, with the printable page. Screenshots go to
tests/e2e/screenshots/records-*.png (git-ignored)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest

from healthbank.accounts.models import OnlineAccount, OutboxEmail
from healthbank.identity.models import Enrolment, InsuranceUnit, Person
from healthbank.insurance.models import MailingAddress
from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, shot
from tests.vcard import conftest as vcard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

household = vcard.household


@pytest.fixture
def tab(browser, live_server):
    """``tab(person, prefix, viewport)``: a tab logged in as the person (a citizen-certificate session)."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from healthbank.accounts.login import SESSION_ACCOUNT, SESSION_METHOD, SESSION_PERSON, Method

    contexts, refused = [], []

    def open_tab(person: Person, prefix: str = "", viewport=PHONE):
        session = SessionStore()
        session[SESSION_PERSON], session[SESSION_METHOD] = str(person.pk), Method.CERTIFICATE
        account = OnlineAccount.objects.filter(person=person).first()
        if account is not None:
            session[SESSION_ACCOUNT] = str(account.pk)
        session.create()
        context = browser.new_context(viewport=viewport, locale="en-US" if prefix else "zh-TW")
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key,
                              "domain": urlsplit(live_server.url).hostname, "path": "/"}])  # fmt: skip
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.set_default_timeout(10_000)
        page.base = live_server.url + prefix
        return page

    yield open_tab
    for context in contexts:
        context.close()
    assert refused == [], f"Content-Security-Policy violations: {refused}"


def fits(page) -> None:
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def choose(page, county: str, township: str, village: str, street: str) -> None:
    page.select_option("select[name=county]", county)
    page.wait_for_function(
        "t => [...document.querySelectorAll('select[name=township] option')].some(o => o.value === t)", arg=township
    )
    page.select_option("select[name=township]", township)
    page.wait_for_function(
        "v => [...document.querySelectorAll('select[name=village] option')].some(o => o.value === v)", arg=village
    )
    page.select_option("select[name=village]", village)
    page.fill("input[name=street]", street)


def test_the_address_changes_with_the_drop_downs_on_a_phone_and_the_history_shows_both(household, tab):
    parent = household.parent
    OnlineAccount.objects.create(
        person=parent, status="active", channel="online", email="dawen@example.tw", mobile="0912345678",
        created_at=dt.datetime.now(dt.UTC), activated_at=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    page = tab(parent)
    page.goto(f"{page.base}/services/{parent.pk}/address/")
    assert "尚未提供通訊地址" in page.inner_text("main")
    choose(page, "臺北市", "中正區", "黎明里", "重慶南路一段122號3樓")
    with page.expect_navigation():  # the form posts to the page it is on: wait for the answer, not the address
        page.click("button.primary")
    assert "100 臺北市中正區黎明里重慶南路一段122號3樓" in page.inner_text(".current-address")
    page.select_option("select[name=county]", "臺中市")
    page.wait_for_function(
        "() => [...document.querySelectorAll('select[name=township] option')].some(o => o.value === '西屯區')"
    )
    page.select_option("select[name=township]", "西屯區")
    # wait for 西屯區's own villages: the list still holds 中正區's until the answer comes
    page.wait_for_function(
        "() => [...document.querySelectorAll('select[name=village] option')].some(o => o.value === '西屯里')"
    )
    page.select_option("select[name=village]", "西屯里")
    page.fill("input[name=street]", "臺灣大道三段99號")
    with page.expect_navigation():
        page.click("button.primary")
    history = page.inner_text(".address-history")
    assert "重慶南路一段122號3樓" in history and "臺灣大道三段99號" in history and "迄今" in history
    assert MailingAddress.objects.filter(person=parent, valid_until__isnull=True).count() == 1
    assert OutboxEmail.objects.filter(person=parent, subject__contains="通訊地址").count() == 2
    fits(page)
    shot(page, "records-address-phone")
    assert_accessible(page, "address change")
    # a village not in the township: refused, naming the field
    page.select_option("select[name=county]", "臺北市")
    page.wait_for_function(
        "() => [...document.querySelectorAll('select[name=township] option')].some(o => o.value === '中正區')"
    )
    page.select_option("select[name=township]", "中正區")
    page.wait_for_function(
        "() => [...document.querySelectorAll('select[name=village] option')].some(o => o.value === '黎明里')"
    )
    page.eval_on_selector("select[name=village]", "s => { s.add(new Option('光能里', '光能里')); s.value = '光能里'; }")
    page.fill("input[name=street]", "某路1號")
    page.click("button.primary")
    assert "光能里不是中正區的村里" in page.inner_text("main")
    assert MailingAddress.objects.filter(person=parent).count() == 2


def test_the_enrolment_records_and_the_printable_page(household, tab):
    parent = household.parent
    now = Enrolment.objects.get(person=parent, role="insured")
    old = InsuranceUnit.objects.create(code="111111111", name="舊公司股份有限公司", kind="employer", county="臺北市")
    Enrolment.objects.create(
        person=parent, household=now.household, unit=old, category=1, role="insured", relationship="self",
        insured_salary=28800, started_on=dt.date(2001, 7, 1), ended_on=dt.date(2005, 3, 31),
    )  # fmt: skip
    page = tab(parent)
    page.goto(f"{page.base}/services/{parent.pk}/enrolments/")
    text = page.inner_text("main")
    assert "舊公司股份有限公司" in text and "退保" in text and "重新加保" in text
    fits(page)
    shot(page, "records-enrolments-phone")
    page.click(f"a[href$='/services/{household.spouse.pk}/enrolments/']")
    assert "配偶" in page.inner_text("main")
    desk = tab(parent, "/en", DESKTOP)
    desk.goto(f"{desk.base}/services/{parent.pk}/enrolments/")
    assert "Re-enrolled" in desk.inner_text("main")
    shot(desk, "records-enrolments-desktop")
    assert_accessible(desk, "enrolment records")
    desk.click("text=Printable page")
    assert "Withdrawn" in desk.inner_text("table")
    desk.emulate_media(media="print")
    shot(desk, "records-enrolments-print")
