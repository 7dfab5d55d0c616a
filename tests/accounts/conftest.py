"""A small loaded population with its simulated world, and a helper that reads a card like the agent does."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.utils import timezone
from time_machine import travel

from cardagent.proof import proof_message
from healthbank.accounts.models import OnlineAccount
from healthbank.demo.loader import load_population
from healthbank.demo.population import build_population
from healthbank.demo.world import write_world
from healthbank.identity.card_proof import CardProof, issue_challenge
from healthbank.identity.models import Person

TODAY = dt.date(2026, 11, 20)
NOON = dt.datetime(2026, 11, 20, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def load_world(time_machine, *, history: bool):
    time_machine.move_to(NOON, tick=False)
    plan = build_population(30, seed=21, today=TODAY, history=history)
    load_population(plan)
    write_world(plan, settings.EXTERNAL_DATA_DIR, settings.SIMULATED_CARDS_DIR)
    return plan


def loaded_once(django_db_blocker, *, history: bool):
    """Load the population once for a test module and commit it; flush the database when the module ends.

    Loading took about 1 s (3 s with the care history) before each of several hundred tests. Each test
    still runs in its own transaction that rolls back, so what one test changes the next never sees;
    the flush at the end, as after a transactional test, leaves the next module an empty database.
    """
    with django_db_blocker.unblock(), travel(NOON, tick=False):
        plan = build_population(30, seed=21, today=TODAY, history=history)
        load_population(plan)
    yield plan
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def use_loaded(plan, time_machine, *, history: bool):
    """The module's population for one test: the clock at its noon and the simulators' files written.

    A transactional test flushes the database when it ends; the next test of the module then loads the
    population again for itself (and its flush removes it again).
    """
    time_machine.move_to(NOON, tick=False)
    if not Person.objects.exists():
        return load_world(time_machine, history=history)
    write_world(plan, settings.EXTERNAL_DATA_DIR, settings.SIMULATED_CARDS_DIR)
    return plan


@pytest.fixture(scope="module")
def _loaded_world(django_db_setup, django_db_blocker):
    yield from loaded_once(django_db_blocker, history=False)


@pytest.fixture
def world(_loaded_world, db, time_machine):
    """30 people with households, cards, addresses and phones: enough to register, log in and bind devices."""
    return use_loaded(_loaded_world, time_machine, history=False)


@pytest.fixture
def adult(world):
    """An adult with a registered address and a post-paid mobile."""
    return next(p for p in world.people if p.mobile and p.mobile_plan == "postpaid" and p.age_on(TODAY) >= 20)


def card_file(card_number: str) -> dict:
    return json.loads((settings.SIMULATED_CARDS_DIR / f"{card_number}.json").read_text(encoding="utf-8"))


def read_card(card_number: str, purpose: str, challenge: str | None = None) -> CardProof:
    """What the card agent answers: the card's signature over a fresh server challenge."""
    data = card_file(card_number)
    challenge = challenge or issue_challenge(purpose)
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(data["private_key"]))
    signature = key.sign(proof_message(challenge, data["card_number"], data["national_id"]))
    return CardProof(challenge, data["card_number"], data["national_id"], base64.b64encode(signature).decode())


PASSWORD = "Hb-2026ok"


@pytest.fixture
def registered(adult):
    """The adult with an active online account and password PASSWORD."""
    person = Person.objects.by_national_id(adult.national_id).get()
    OnlineAccount.objects.create(
        person=person,
        status="active",
        channel="online",
        password=make_password(PASSWORD),
        email="me@example.tw",
        mobile=adult.mobile,
        created_at=timezone.now(),
        activated_at=timezone.now(),
    )
    return adult
