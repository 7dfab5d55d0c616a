"""A small loaded population with its simulated world, and a helper that reads a card like the agent does."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

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


@pytest.fixture
def world(db, time_machine):
    """30 people with households, cards, addresses and phones: enough to register, log in and bind devices."""
    return load_world(time_machine, history=False)


@pytest.fixture
def world_with_history(db, time_machine):
    """The same people with three years of care (about 85 records each), for pages that show records."""
    return load_world(time_machine, history=True)


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
