"""The FHIR API's tests read the loaded population with history the download's tests read."""

from __future__ import annotations

import html
import uuid

from django.test import Client as Browser
from django.utils import timezone

from healthbank.access.models import Grant
from healthbank.access.rules import Reader
from healthbank.passbook.viewing import open_viewing
from tests.connect.conftest import authorize_url, consent_form, exchange, pkce, register
from tests.exports.conftest import _loaded_world_with_history, world  # noqa: F401
from tests.passbook.conftest import adult_with_visits, family, web_as  # noqa: F401


def app_grant(person, categories, app_id=None, **fields) -> Grant:
    """A person's grant to a connected app (as consent makes it)."""
    now = timezone.now()
    return Grant.objects.create(
        person=person,
        grantee_kind=Grant.GranteeKind.APP,
        grantee_app=app_id or uuid.uuid4(),
        categories=list(categories),
        why=Grant.Why.APP,
        valid_from=fields.pop("valid_from", now),
        valid_until=fields.pop("valid_until", now + timezone.timedelta(days=30)),
        **fields,
    )


def app_viewing(person, grant: Grant, language: str = "zh-hant"):
    return open_viewing(Reader("app", app_id=grant.grantee_app, address="192.0.2.7"), person.pk, language)


def own_viewing(person, language: str = "zh-hant"):
    return open_viewing(Reader.person(person), person.pk, language, known=person)


REDIRECT = "https://diary.example.tw/cb"
SCOPES = "openid passbook.labs passbook.vaccinations passbook.outpatient"


def health_app(name="血糖日記", scopes=SCOPES):
    client = register(name, kind="health_app", redirect=REDIRECT, scopes=scopes)
    client.app.developer_name = "健康科技股份有限公司"
    client.app.longest_access_months = 13
    client.app.save()
    return client


def connect(person, app, categories=("passbook.labs", "passbook.vaccinations"), duration="6") -> str:
    """The person agrees on the consent page; the app exchanges the code (with its PKCE verifier) for a token."""
    browser = web_as(person, Browser())
    verifier, challenge = pkce()
    page = browser.get(authorize_url(app, challenge, scope=app.app.allowed_scopes, redirect=REDIRECT))
    assert page.status_code == 200, page.content[:300]
    fields = {k: html.unescape(v) for k, v in consent_form(page.content.decode()).items()}
    answer = browser.post(
        "/oauth/authorize/", {**fields, "allow": "on", "category": list(categories), "duration": duration}
    )
    assert answer.status_code == 302 and answer.url.startswith(REDIRECT), answer
    code = dict(p.split("=", 1) for p in answer.url.split("?", 1)[1].split("&"))["code"]
    token = exchange(Browser(), app, code, verifier, redirect=REDIRECT)
    assert token.status_code == 200, token.content
    return token.json()["access_token"]
