"""Agencies that log people in through HealthBank: registrations, PKCE, and the whole code flow as a client does it."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from jwcrypto import jwk, jwt

from healthbank.connect.models import Application
from tests.accounts.conftest import _loaded_world, adult, registered, world  # noqa: F401

REDIRECT = "https://tax.example.gov.tw/callback"


@dataclass
class Client:
    app: Application
    secret: str


def register(name="綜合所得稅申報", *, kind="agency", national_id=False, redirect=REDIRECT, scopes="openid profile"):
    secret = secrets.token_urlsafe(32)
    if national_id:
        scopes += " national_id"
    app = Application(
        name=name,
        kind=kind,
        developer_name="財政部 Ministry of Finance",
        privacy_policy_url="https://tax.example.gov.tw/privacy",
        allowed_scopes=scopes,
        may_receive_national_id=national_id,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        redirect_uris=redirect,
        client_secret=secret,
    )
    app.full_clean()
    app.save()
    return Client(app, secret)


@pytest.fixture
def agency(db):
    return register()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(client: Client, challenge: str | None, *, scope="openid profile", redirect=REDIRECT, **extra) -> str:
    query = {
        "response_type": "code",
        "client_id": client.app.client_id,
        "redirect_uri": redirect,
        "scope": scope,
        "state": "st-1",
        "nonce": "n-1",
        **extra,
    }
    if challenge:
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return "/oauth/authorize/?" + urlencode(query)


def consent_form(page: str) -> dict:
    """The hidden fields of the consent form, as the browser sends them."""
    import re

    return {
        name: value
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
        if name != "csrfmiddlewaretoken"
    }


def agree(browser, client: Client, challenge: str, *, allow=True, **extra) -> dict:
    """Open the authorization request as the logged-in person, answer the consent page; the redirect's query."""
    import html

    page = browser.get(authorize_url(client, challenge, **extra))
    assert page.status_code == 200, page.content[:500]
    fields = {k: html.unescape(v) for k, v in consent_form(page.content.decode()).items()}
    if allow:
        fields["allow"] = "on"
    answer = browser.post("/oauth/authorize/", fields)
    assert answer.status_code == 302
    assert answer.url.startswith(extra.get("redirect", REDIRECT)), answer.url
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.url).query).items()}


def exchange(http, client: Client, code: str, verifier: str | None, redirect=REDIRECT):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    if verifier is not None:
        data["code_verifier"] = verifier
    basic = base64.b64encode(f"{client.app.client_id}:{client.secret}".encode()).decode()
    return http.post("/oauth/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")


def id_token_claims(http, raw: str) -> dict:
    """The ID token's claims after its signature is checked with the published JWKS, as a relying party does."""
    keys = jwk.JWKSet.from_json(http.get("/oauth/jwks/").content)
    token = jwt.JWT(jwt=raw, key=keys, algs=["RS256"])
    return json.loads(token.claims)


def log_in_flow(browser, http, client: Client, **extra) -> dict:
    verifier, challenge = pkce()
    answer = agree(browser, client, challenge, **extra)
    response = exchange(http, client, answer["code"], verifier, redirect=extra.get("redirect", REDIRECT))
    assert response.status_code == 200, response.content
    return id_token_claims(http, response.json()["id_token"]) | {"_token": response.json()}
