"""Log in with HealthBank and connected apps in a real browser (issue 14): the consent page in both languages,
an agency's login carried to its redirect URI, a health app connected and revoked."""

from __future__ import annotations

import pytest

from healthbank.access.models import Grant
from tests.connect.conftest import authorize_url, pkce, register
from tests.e2e.conftest import assert_accessible, shot
from tests.e2e.test_devices import log_in_with_a_registered_card

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AGENCY = "https://tax.example.gov.tw/callback"
APP = "https://app.example.tw/cb"


def arrived(page, prefix: str) -> list[str]:
    """Answer the application's redirect URI in the browser itself; the addresses it was sent to."""
    seen: list[str] = []

    def answer(route):
        seen.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>ok</title><p>ok</p>")

    page.route(prefix + "**", answer)
    return seen


def test_an_agency_login_in_chinese_then_english(page, live_server):
    agency = register()
    log_in_with_a_registered_card(page, live_server, language="")
    seen = arrived(page, AGENCY)
    page.goto(live_server.url + authorize_url(agency, pkce()[1]))
    assert page.inner_text("h1") == "「綜合所得稅申報」請求確認您的身分"
    assert "您的姓名" in page.inner_text("main") and "對方不會取得您的身分證號" in page.inner_text("main")
    assert_accessible(page, "consent (zh)")
    shot(page, "connect-consent-zh")
    page.click("form.lang button[lang=en]")
    page.wait_for_url("**/en/oauth/authorize/**")
    assert page.inner_text("h1") == "綜合所得稅申報 asks to know who you are"
    assert_accessible(page, "consent (en)")
    shot(page, "connect-consent-en")
    page.click("form.connect-consent button[name=allow]")
    page.wait_for_url(AGENCY + "**")
    assert len(seen) == 1 and "code=" in seen[0] and "state=st-1" in seen[0]  # the form could go there (CSP)


def test_a_health_app_is_connected_and_revoked(page, live_server):
    app = register("血糖日記", kind="health_app", redirect=APP, scopes="openid passbook.labs passbook.vaccinations")
    app.app.longest_access_months = 6
    app.app.save()
    log_in_with_a_registered_card(page, live_server)
    seen = arrived(page, APP)
    page.goto(live_server.url + "/en" + authorize_url(app, pkce()[1], scope=app.app.allowed_scopes, redirect=APP))
    assert page.inner_text("h1") == "血糖日記 asks to read your passbook"
    assert_accessible(page, "consent (app)")
    page.uncheck("input[value='passbook.vaccinations']")
    page.check("input[name=duration][value='3']")
    shot(page, "connect-consent-app")
    page.click("form.connect-consent button[name=allow]")
    page.wait_for_url(APP + "**")
    assert len(seen) == 1
    grant = Grant.objects.get(why=Grant.Why.APP)
    assert grant.categories == ["labs"] and 89 <= (grant.valid_until - grant.valid_from).days <= 93
    page.goto(live_server.url + "/en/me/")
    page.click("text=Connected apps")
    assert "血糖日記" in page.inner_text("table") and "Lab test results" in page.inner_text("table")
    assert_accessible(page, "connected apps")
    shot(page, "connect-apps")
    page.click("text=Revoke 血糖日記")
    page.wait_for_selector("[role=status]")
    assert "can no longer read your data" in page.inner_text("main")
    assert "No app is connected" in page.inner_text("main")
    grant.refresh_from_db()
    assert grant.ended_at is not None
