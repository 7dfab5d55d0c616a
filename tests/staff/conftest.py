"""Operators as an NHI office has them: a staff user with no group, and users in each group."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from healthbank.staff import roles
from tests.accounts.conftest import loaded_once, use_loaded


@pytest.fixture(scope="module")
def _loaded_world_with_history(django_db_setup, django_db_blocker):
    yield from loaded_once(django_db_blocker, history=True)


@pytest.fixture
def world(_loaded_world_with_history, db, time_machine):
    """Operators read records: the accounts tests' population, with its care history."""
    return use_loaded(_loaded_world_with_history, time_machine, history=True)


@pytest.fixture
def operator_client(db, django_user_model):
    """``operator_client(*group names)``: a logged-in staff user in exactly those groups (none: no permission)."""
    made = []

    def make(*groups: str) -> Client:
        user = django_user_model.objects.create_user(f"staff{len(made)}", password="x-long-staff-pass", is_staff=True)
        user.groups.set([Group.objects.get(name=name) for name in groups])
        client = Client()
        client.force_login(user)
        made.append(user)
        return client

    return make


@pytest.fixture
def nobody(operator_client) -> Client:
    """Staff, and nothing else: the attacker of the issue."""
    return operator_client()


@pytest.fixture
def counter_staff(operator_client) -> Client:
    return operator_client(roles.COUNTER_STAFF)


@pytest.fixture
def reviewer(operator_client) -> Client:
    return operator_client(roles.RECORDS_REVIEWERS)


@pytest.fixture
def registration_staff(operator_client) -> Client:
    return operator_client(roles.REGISTRATION_STAFF)


@pytest.fixture
def unit_admin(operator_client) -> Client:
    return operator_client(roles.UNIT_ADMINISTRATORS)
