"""The FHIR API's tests read the loaded population with history the download's tests read."""

from __future__ import annotations

import uuid

from django.utils import timezone

from healthbank.access.models import Grant
from healthbank.access.rules import Reader
from healthbank.passbook.viewing import open_viewing
from tests.exports.conftest import _loaded_world_with_history, world  # noqa: F401
from tests.passbook.conftest import adult_with_visits, family  # noqa: F401


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
