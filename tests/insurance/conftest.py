"""Shared fixtures of the personal NHI data services' tests (SPEC §10); others import these names.

- ``household`` (from the virtual-card tests): 陳大文 the insured, his spouse, a child of 13 and one of 16,
  the three enrolled as his dependents.
- ``web_client_for(person)``: a browser logged in as the person (citizen-certificate session).
- ``app_client_for(person)``: the person logged in on the app (a bound device and an app token).
"""

from __future__ import annotations

from django.test import Client

from healthbank.accounts.login import SESSION_METHOD, SESSION_PERSON, Method
from healthbank.identity.models import Person
from tests.vcard.conftest import app_client_for, household

__all__ = ["app_client_for", "household", "web_client_for"]


def web_client_for(person: Person) -> Client:
    client = Client()
    session = client.session
    session[SESSION_PERSON], session[SESSION_METHOD] = str(person.pk), Method.CERTIFICATE
    session.save()
    return client
