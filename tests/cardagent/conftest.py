"""Fixtures for the card agent: a simulated card file with a known key (no Django needed)."""

from __future__ import annotations

import datetime as dt

import pytest

from cardagent.sources import SimulatedCard, write_card_file

CARD = {
    "card_number": "000012345678",
    "name": "王小明",
    "national_id": "A123456789",
    "birth_date": dt.date(1970, 5, 4),
    "sex": "M",
    "issue_date": dt.date(2025, 3, 1),
}
PRIVATE_KEY = bytes(range(32))


@pytest.fixture
def card_path(tmp_path):
    path = tmp_path / "cards" / f"{CARD['card_number']}.json"
    write_card_file(path, private_key=PRIVATE_KEY, **CARD)
    return path


@pytest.fixture
def card(card_path):
    return SimulatedCard(card_path)
