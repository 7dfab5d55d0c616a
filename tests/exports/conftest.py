"""A loaded population with care history (as the passbook tests have), and snapshots of a person's data."""

from __future__ import annotations

import pytest

from healthbank.access.rules import Reader
from healthbank.exports.choices import ExportCategory
from healthbank.exports.collect import collect
from healthbank.passbook.viewing import open_viewing
from tests.accounts.conftest import loaded_once, use_loaded
from tests.passbook.conftest import adult_with_visits, app_as, counter_staff_client, family, web_as  # noqa: F401


@pytest.fixture(scope="package")
def _loaded_world_with_history(django_db_setup, django_db_blocker):
    yield from loaded_once(django_db_blocker, history=True)


@pytest.fixture
def world(_loaded_world_with_history, db, time_machine):
    return use_loaded(_loaded_world_with_history, time_machine, history=True)


def snapshot_of(person, categories=None, language="zh-hant"):
    """Everything (or ``categories``) of ``person`` read by the person themselves."""
    viewing = open_viewing(Reader.person(person), person.pk, language, known=person)
    return collect(viewing, categories or ExportCategory.values)


@pytest.fixture
def full_snapshot(adult_with_visits):  # noqa: F811 (the fixture imported above)
    return snapshot_of(adult_with_visits)
