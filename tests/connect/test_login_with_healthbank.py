"""Log in with HealthBank (issue 14): an agency logs a person in by OpenID Connect with PKCE, as its server would."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client as Browser

from healthbank.accounts.login import SESSION_METHOD, SESSION_PERSON, Method
from healthbank.connect import acr
from healthbank.connect.models import Authorization
from healthbank.identity.models import Person
from tests.accounts.test_certificate_and_kiosk import certificate_fields
from tests.accounts.test_login import log_in
from tests.accounts.test_login_card import attempt

from .conftest import REDIRECT, agree, authorize_url, exchange, log_in_flow, pkce, register


def person_of(plan_person) -> Person:
    return Person.objects.by_national_id(plan_person.national_id).get()


@pytest.fixture
def browser(registered):
    """The registered person's browser, logged in with national ID + card number + password."""
    browser = Browser()
    assert log_in(browser, registered).status_code == 302
    return browser


def test_discovery_names_the_endpoints_pairwise_subjects_and_s256_only(client, db):
    data = client.get("/.well-known/openid-configuration").json()
    assert data["issuer"] == "http://testserver"
    assert data["authorization_endpoint"] == "http://testserver/oauth/authorize/"
    assert data["token_endpoint"] == "http://testserver/oauth/token/"
    assert data["jwks_uri"] == "http://testserver/oauth/jwks/"
    assert data["userinfo_endpoint"] == "http://testserver/oauth/userinfo/"
    assert data["subject_types_supported"] == ["pairwise"]
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["response_types_supported"] == ["code"]
    assert data["id_token_signing_alg_values_supported"][0] == "RS256"
    assert data["acr_values_supported"] == acr.SUPPORTED
    assert {"sub", "acr", "name", "national_id"} <= set(data["claims_supported"])
    assert {"openid", "profile", "national_id", "passbook.labs"} <= set(data["scopes_supported"])


def test_jwks_publishes_the_signing_key_and_the_one_before_it(client, db, settings):
    from healthbank.settings.keys import _new_rsa_pem

    one = client.get("/oauth/jwks/").json()["keys"]
    assert len(one) == 1 and one[0]["kty"] == "RSA" and one[0]["alg"] == "RS256" and "d" not in one[0]
    older = settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": _new_rsa_pem(),
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [older],
    }
    two = client.get("/oauth/jwks/").json()["keys"]
    assert [k["kid"] for k in two][1] == one[0]["kid"]  # the previous key still checks tokens it signed
    assert two[0]["kid"] != one[0]["kid"]
    assert all("d" not in k for k in two)  # public halves only


def test_rotating_keeps_the_previous_key_published(tmp_path):
    from healthbank.settings.keys import add_oidc_signing_key, oidc_keys

    first = oidc_keys(tmp_path, 2)
    add_oidc_signing_key(tmp_path, "20270101T000000")
    second = oidc_keys(tmp_path, 2)
    assert second["previous"] == [first["signing"]] and second["signing"] != first["signing"]
    assert second["pairwise"] == first["pairwise"]  # the subjects agencies know stay the same
    add_oidc_signing_key(tmp_path, "20270201T000000")
    assert oidc_keys(tmp_path, 2)["previous"] == [second["signing"]]  # two published, the oldest dropped


def test_a_person_logs_in_to_an_agency_with_card_number_and_password(browser, client, agency, registered):
    claims = log_in_flow(browser, client, agency)
    person = person_of(registered)
    assert claims["aud"] == agency.app.client_id
    assert claims["iss"] == "http://testserver"
    assert claims["nonce"] == "n-1"
    assert claims["name"] == person.name
    assert claims["acr"] == acr.CARD_NUMBER
    assert claims["auth_time"] <= claims["iat"]
    # the subject is neither the national ID nor any id of ours
    assert person.national_id not in claims["sub"] and str(person.pk) not in claims["sub"]
    assert str(person.pk.hex) not in claims["sub"]
    assert "national_id" not in claims
    token = claims["_token"]
    assert token["token_type"] == "Bearer" and set(token["scope"].split()) == {"openid", "profile"}
    info = client.get("/oauth/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}").json()
    assert info["sub"] == claims["sub"] and info["name"] == person.name


def test_the_consent_page_names_the_agency_and_what_it_asks_in_both_languages(browser, agency):
    url = authorize_url(agency, pkce()[1])
    page = browser.get(url).content.decode()
    assert "綜合所得稅申報" in page and "財政部" in page
    assert "您的姓名" in page and "同意" in page and "拒絕" in page
    assert "對方不會取得您的身分證號" in page
    english = browser.post("/i18n/setlang/", {"language": "en", "next": url})
    assert english.url == "/en" + url  # the language switch on the consent page keeps the request
    page = browser.get(english.url).content.decode()
    assert "asks to know who you are" in page and "Your name" in page and "Decline" in page
    assert "It does not receive your national ID number." in page
    assert "https://tax.example.gov.tw" in browser.get(english.url)["Content-Security-Policy"]  # the form may go there


def test_a_visitor_logs_in_first_and_comes_back_to_the_consent_page(client, agency, registered):
    url = authorize_url(agency, pkce()[1])
    response = client.get(url)
    assert response.status_code == 302 and response.url == "/login/"
    response = log_in(client, registered)
    assert response.status_code == 302 and response.url == url
    assert "綜合所得稅申報" in client.get(url).content.decode()


def test_the_subject_is_the_same_for_one_agency_and_different_for_another(browser, client, agency):
    other = register("勞保局 e 化服務", redirect="https://bli.example.gov.tw/cb")
    first = log_in_flow(browser, client, agency)["sub"]
    again = log_in_flow(browser, client, agency)["sub"]
    elsewhere = log_in_flow(browser, client, other, redirect="https://bli.example.gov.tw/cb")
    assert first == again
    assert elsewhere["sub"] != first


def test_the_national_id_only_with_a_registration_that_allows_it_and_shown_first(browser, client, registered):
    allowed = register("綜合所得稅申報", national_id=True)
    page = browser.get(authorize_url(allowed, pkce()[1], scope="openid profile national_id")).content.decode()
    assert "您的身分證號" in page and "依其登記，對方可取得您的身分證號" in page
    claims = log_in_flow(browser, client, allowed, scope="openid profile national_id")
    assert claims["national_id"] == registered.national_id
    # not asked: not given, even when allowed
    assert "national_id" not in log_in_flow(browser, client, allowed)
    # asked by an agency whose registration does not allow it: refused, back to the agency
    plain = register("地方稅網路申報", redirect="https://tax.example.gov.tw/callback")
    response = browser.get(authorize_url(plain, pkce()[1], scope="openid profile national_id"))
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.url).query)["error"] == ["invalid_scope"]


def test_acr_tells_a_card_in_the_reader(client, agency, registered):
    browser = Browser()
    response, _ = attempt(browser, registered)
    assert response.status_code == 302
    assert log_in_flow(browser, client, agency)["acr"] == acr.CARD_READER


def test_acr_tells_a_citizen_certificate(client, agency, world):
    holder = next(p for p in world.people if p.certificate_serial)
    browser = Browser()
    assert browser.post("/en/login/certificate/", certificate_fields(holder)).status_code == 302
    claims = log_in_flow(browser, client, agency)
    assert claims["acr"] == acr.CERTIFICATE and claims["name"] == holder.name


def test_a_kiosk_session_logs_in_nowhere_else(client, agency, registered):
    browser = Browser()
    session = browser.session
    session[SESSION_PERSON], session[SESSION_METHOD] = str(person_of(registered).pk), Method.KIOSK
    session.save()
    assert browser.get(authorize_url(agency, pkce()[1])).status_code == 403


def test_an_unregistered_redirect_uri_is_refused_without_going_there(browser, agency):
    response = browser.get(authorize_url(agency, pkce()[1], redirect="https://evil.example/cb"))
    assert response.status_code == 400
    assert "evil.example" not in response.get("Location", "")
    assert "invalid_request" in response.content.decode() or "mismatching_redirect_uri" in response.content.decode()


def test_a_request_without_pkce_or_with_plain_pkce_is_refused(browser, agency):
    response = browser.get(authorize_url(agency, None))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.url).query)
    assert response.url.startswith(REDIRECT) and query["error"] == ["invalid_request"]
    response = browser.get(authorize_url(agency, None, code_challenge="x" * 43, code_challenge_method="plain"))
    assert response.status_code == 302  # refused before any consent page
    assert parse_qs(urlsplit(response.url).query)["error"] == ["invalid_request"]


def test_a_wrong_or_missing_verifier_is_refused(browser, client, agency):
    _, challenge = pkce()
    code = agree(browser, agency, challenge)["code"]
    assert exchange(client, agency, code, pkce()[0]).json()["error"] == "invalid_grant"
    code = agree(browser, agency, challenge)["code"]
    assert exchange(client, agency, code, None).json()["error"] in ("invalid_request", "invalid_grant")


def test_a_code_works_once(browser, client, agency):
    verifier, challenge = pkce()
    code = agree(browser, agency, challenge)["code"]
    assert exchange(client, agency, code, verifier).status_code == 200
    second = exchange(client, agency, code, verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert not Authorization.objects.exists()  # what the code carried went with it


def test_a_code_of_another_agency_is_refused(browser, client, agency):
    verifier, challenge = pkce()
    code = agree(browser, agency, challenge)["code"]
    other = register("勞保局 e 化服務")
    assert exchange(client, other, code, verifier).json()["error"] == "invalid_grant"


def test_declining_sends_the_person_back_with_access_denied(browser, client, agency):
    answer = agree(browser, agency, pkce()[1], allow=False)
    assert answer == {"error": "access_denied", "state": "st-1"}
    assert not Authorization.objects.exists()


def test_a_sandbox_app_connects_only_on_a_system_of_synthetic_people(browser, settings):
    sandbox = register("Sandbox tax", redirect="https://dev.example/cb")
    sandbox.app.sandbox = True
    sandbox.app.save()
    assert browser.get(authorize_url(sandbox, pkce()[1], redirect="https://dev.example/cb")).status_code == 200
    settings.CONNECT_PEOPLE_ARE_SYNTHETIC = False
    response = browser.get(authorize_url(sandbox, pkce()[1], redirect="https://dev.example/cb"))
    assert response.status_code == 400  # not sent back: the registration cannot be used here at all


def test_prompt_none_shows_no_page(client, browser, agency):
    answer = client.get(authorize_url(agency, pkce()[1], prompt="none"))  # nobody logged in
    assert answer.status_code == 302 and answer.url.startswith(REDIRECT)
    assert parse_qs(urlsplit(answer.url).query)["error"] == ["login_required"]
    answer = browser.get(authorize_url(agency, pkce()[1], prompt="none"))  # logged in: consent is always asked
    assert parse_qs(urlsplit(answer.url).query)["error"] == ["consent_required"]


def test_codes_never_exchanged_are_forgotten_by_the_daily_clean_up(browser, agency, time_machine):
    from oauth2_provider.models import Grant as Code

    from healthbank.connect.tasks import clear_expired_tokens

    agree(browser, agency, pkce()[1])
    assert Code.objects.count() == 1 and Authorization.objects.count() == 1
    time_machine.shift(120)  # the code lived 60 s
    clear_expired_tokens()
    assert Code.objects.count() == 0 and Authorization.objects.count() == 0


def test_prompt_login_asks_the_person_to_log_in_again(browser, agency, registered):
    url = authorize_url(agency, pkce()[1], prompt="login")
    answer = browser.get(url)
    assert answer.status_code == 302 and answer.url == "/login/"
    assert browser.get("/me/").status_code == 302  # the earlier session ended
    back = log_in(browser, registered)
    assert back.status_code == 302 and "prompt" not in back.url and back.url.startswith("/oauth/authorize/?")
    assert "綜合所得稅申報" in browser.get(back.url).content.decode()  # the consent page, once
