"""Operators as an NHI office has them: a staff user with no group, and users in each group."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from time_machine import travel

from healthbank.demo.loader import load_population
from healthbank.demo.population import build_population
from healthbank.demo.world import write_world
from healthbank.staff import roles
from tests.accounts.conftest import NOON, TODAY


@pytest.fixture(scope="module")
def _loaded_world(django_db_setup, django_db_blocker):
    """The accounts tests' population with its three years of care, loaded and committed once per module.

    Loading about 2,500 records took ~3 s before each of some 60 tests; each test still runs in its own
    transaction that rolls back, so what one test changes the next never sees. The module ends with a flush,
    as a transactional test's does, so the next module starts from an empty database again.
    """
    with django_db_blocker.unblock(), travel(NOON, tick=False):
        plan = build_population(30, seed=21, today=TODAY, history=True)
        load_population(plan)
    yield plan
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def world(_loaded_world, db, time_machine, settings):
    """Operators read records: the accounts tests' population, with its care history."""
    time_machine.move_to(NOON, tick=False)
    write_world(_loaded_world, settings.EXTERNAL_DATA_DIR, settings.SIMULATED_CARDS_DIR)
    return _loaded_world


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
