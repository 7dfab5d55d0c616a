"""Fixtures for the card agent: a simulated card file with a known key, and a simulated citizen certificate.

The certificate is issued by HealthBank's own simulated CA (``healthbank.external.certificates``, plain Python:
no Django settings needed), so the tests show that what the agent signs is what HealthBank accepts.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cardagent.certificate import SimulatedCertificate
from cardagent.sources import SimulatedCard, write_card_file
from healthbank.external import certificates

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


CERTIFICATE_SERIAL = "00A1B2C3D4E5F607"
CERTIFICATE_HOLDER = "A123456789"
CERTIFICATE_PIN = "80417263"
CERTIFICATE_KEY = bytes(range(100, 132))


@pytest.fixture
def certificate_path(tmp_path):
    """``<tmp>/ca/certificates/<serial>.json``, issued with PIN ``CERTIFICATE_PIN``; the CA's list next to it."""
    row = certificates.issue(tmp_path / "ca", CERTIFICATE_SERIAL, CERTIFICATE_HOLDER, CERTIFICATE_PIN, CERTIFICATE_KEY)
    certificates.write(tmp_path / "ca", [row])
    return tmp_path / "ca" / "certificates" / f"{CERTIFICATE_SERIAL}.json"


@pytest.fixture
def certificate(certificate_path):
    return SimulatedCertificate(certificate_path)


@pytest.fixture
def ca(certificate_path):
    """HealthBank's side: the simulated certificate authority that issued ``certificate_path``."""
    return certificates.SimulatedCertificateAuthority(certificate_path.parent.parent)
