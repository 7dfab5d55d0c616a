"""A health app the person connects (issue 14): consent with chosen categories and duration makes a grant in the
passbook's access rule; the connected-apps page shows it, and revoking ends the grant and the app's tokens."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client as Browser
from django.utils import timezone

from healthbank.access.models import Grant
from healthbank.access.rules import Reader, may_read
from healthbank.connect.models import AppConnection
from healthbank.identity.models import Person
from tests.accounts.test_login import log_in

from .conftest import authorize_url, consent_form, exchange, pkce, register

APP_REDIRECT = "https://app.example.tw/cb"
SCOPES = "openid passbook.labs passbook.vaccinations passbook.outpatient"


@pytest.fixture
def browser(registered):
    browser = Browser()
    assert log_in(browser, registered).status_code == 302
    return browser


@pytest.fixture
def app(db):
    client = register("血糖日記", kind="health_app", redirect=APP_REDIRECT, scopes=SCOPES)
    client.app.developer_name = "健康科技股份有限公司"
    client.app.longest_access_months = 13
    client.app.save()
    return client


def connect(browser, http, app, *, categories=("passbook.labs", "passbook.vaccinations"), duration="6"):
    verifier, challenge = pkce()
    page = browser.get(authorize_url(app, challenge, scope=SCOPES, redirect=APP_REDIRECT))
    assert page.status_code == 200
    fields = {k: html.unescape(v) for k, v in consent_form(page.content.decode()).items()}
    answer = browser.post(
        "/oauth/authorize/", {**fields, "allow": "on", "category": list(categories), "duration": duration}
    )
    assert answer.status_code == 302 and answer.url.startswith(APP_REDIRECT), answer.url
    code = dict(p.split("=", 1) for p in answer.url.split("?", 1)[1].split("&"))["code"]
    token = exchange(http, app, code, verifier, redirect=APP_REDIRECT)
    assert token.status_code == 200, token.content
    return token.json()


def test_the_consent_page_lists_every_category_and_durations_up_to_the_longest(browser, app):
    app.app.longest_access_months = 6
    app.app.shares_data = True
    app.app.save()
    page = browser.get(authorize_url(app, pkce()[1], scope=SCOPES, redirect=APP_REDIRECT)).content.decode()
    assert "「血糖日記」請求讀取您的健康存摺" in page
    assert "健康科技股份有限公司" in page
    assert "不會販售或出租民眾的資料" in page and "您要求時會刪除您的資料" in page  # the developer's answers
    assert "會將民眾的資料提供給他人" in page and "不會將民眾的資料提供給他人" not in page
    for words in ("檢驗(查)結果", "預防接種", "西醫門診"):
        assert words in page
    assert 'value="6" checked' in page and 'value="13"' not in page and 'value="0"' in page


def test_agreeing_makes_a_grant_of_the_chosen_categories_for_the_chosen_months(browser, client, app, registered):
    token = connect(browser, client, app, duration="6")
    person = Person.objects.by_national_id(registered.national_id).get()
    grant = Grant.objects.get(person=person, why=Grant.Why.APP)
    assert grant.grantee_kind == "app" and grant.grantee_app == app.app.pk
    assert grant.categories == ["labs", "vaccinations"]  # outpatient was unticked
    assert set(token["scope"].split()) == {"openid", "passbook.labs", "passbook.vaccinations"}
    months = (grant.valid_until - grant.valid_from).days
    assert 180 <= months <= 185
    assert "refresh_token" in token
    reader = Reader("app", app_id=app.app.pk)
    assert may_read(reader, person, "labs") and not may_read(reader, person, "outpatient")


def test_one_time_gives_no_refresh_token_and_ends_within_the_hour(browser, client, app, registered):
    token = connect(browser, client, app, duration="0")
    assert "refresh_token" not in token
    grant = Grant.objects.get(why=Grant.Why.APP)
    assert grant.valid_until - grant.valid_from <= dt.timedelta(hours=1)


def test_a_duration_longer_than_the_app_may_have_is_not_given(browser, client, app):
    app.app.longest_access_months = 3
    app.app.save()
    connect(browser, client, app, duration="13")
    grant = Grant.objects.get(why=Grant.Why.APP)
    assert grant.valid_until - grant.valid_from <= dt.timedelta(hours=1)  # one time, the safe answer


def test_unticking_everything_is_declining(browser, app):
    page = browser.get(authorize_url(app, pkce()[1], scope=SCOPES, redirect=APP_REDIRECT))
    fields = {k: html.unescape(v) for k, v in consent_form(page.content.decode()).items()}
    answer = browser.post("/oauth/authorize/", {**fields, "allow": "on", "duration": "6"})
    assert "error=access_denied" in answer.url
    assert not Grant.objects.filter(why=Grant.Why.APP).exists()


def test_the_connected_apps_page_shows_the_app_and_revoking_ends_it_at_once(browser, client, app, registered):
    token = connect(browser, client, app)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token['access_token']}"}
    assert client.get("/oauth/userinfo/", **bearer).status_code == 200
    page = browser.get("/me/apps/").content.decode()
    assert "血糖日記" in page and "健康科技股份有限公司" in page
    assert "檢驗(查)結果" in page and "預防接種" in page and "西醫門診" not in page
    english = browser.get("/en/me/apps/").content.decode()
    assert "Connected apps" in english and "Revoke 血糖日記" in english
    connection = AppConnection.objects.get()
    assert connection.last_used_at is not None  # the token was issued: its last use
    answer = browser.post(f"/me/apps/{connection.pk}/revoke/")
    assert answer.status_code == 302
    grant = Grant.objects.get(pk=connection.grant_id)
    assert grant.ended_at is not None  # archived, not deleted
    assert not may_read(Reader("app", app_id=app.app.pk), grant.person, "labs")
    assert client.get("/oauth/userinfo/", **bearer).status_code == 401  # the token stops at once
    refreshed = client.post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        HTTP_AUTHORIZATION=_basic(app),
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert "血糖日記" not in browser.get("/me/apps/").content.decode()


def _basic(app) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{app.app.client_id}:{app.secret}".encode()).decode()


def test_an_ended_grant_stops_the_token_and_the_refresh(browser, client, app, time_machine):
    token = connect(browser, client, app, duration="1")
    time_machine.move_to(timezone.now() + dt.timedelta(days=40))
    refreshed = client.post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        HTTP_AUTHORIZATION=_basic(app),
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def test_another_persons_connection_cannot_be_revoked(browser, client, app, world):
    connect(browser, client, app)
    connection = AppConnection.objects.get()
    other = Browser()
    holder = next(p for p in world.people if p.certificate_serial)
    from tests.accounts.test_certificate_and_kiosk import certificate_fields

    assert other.post("/en/login/certificate/", certificate_fields(holder)).status_code == 302
    if Person.objects.by_national_id(holder.national_id).get().pk == connection.person_id:
        pytest.skip("the certificate holder is the connected person")
    assert other.post(f"/me/apps/{connection.pk}/revoke/").status_code == 404
    assert Grant.objects.get(pk=connection.grant_id).ended_at is None


def test_reconnecting_ends_the_earlier_grant(browser, client, app):
    connect(browser, client, app, categories=("passbook.labs",))
    connect(browser, client, app, categories=("passbook.vaccinations",))
    grants = Grant.objects.filter(why=Grant.Why.APP).order_by("created_at")
    assert [g.categories for g in grants] == [["labs"], ["vaccinations"]]
    assert grants[0].ended_at is not None and grants[1].ended_at is None
