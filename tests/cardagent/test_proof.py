"""The card proof: the signed message, the simulated card's signature, and refusals."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from cardagent.proof import (
    CERTIFICATE_PROOF_PREFIX,
    certificate_proof_message,
    is_valid_challenge,
    proof_message,
    verify_proof,
)

CHALLENGE = "q3Vx_Zt-8sLkP0aW"


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_proof_message_bytes():
    assert proof_message(CHALLENGE, "000012345678", "A123456789") == (
        b"HBCARD1|q3Vx_Zt-8sLkP0aW|000012345678|A123456789"
    )


@pytest.mark.parametrize(
    ("challenge", "card_number", "national_id"),
    [("a|b" * 8, "000012345678", "A123456789"), (CHALLENGE, "", "A123456789"), (CHALLENGE, "000012345678", None)],
)
def test_proof_message_refuses_ambiguous_parts(challenge, card_number, national_id):
    with pytest.raises(ValueError):
        proof_message(challenge, card_number, national_id)


def test_certificate_proof_message_bytes():
    assert CERTIFICATE_PROOF_PREFIX == b"HBCERT1"
    assert certificate_proof_message(CHALLENGE, "00A1B2C3D4E5F607", "A123456789") == (
        b"HBCERT1|q3Vx_Zt-8sLkP0aW|00A1B2C3D4E5F607|A123456789"
    )


@pytest.mark.parametrize(
    ("challenge", "serial", "national_id", "message"),
    [
        ("a|b" * 8, "00A1B2C3D4E5F607", "A123456789", "challenge must not contain '|'"),
        (CHALLENGE, "00A1|B2", "A123456789", "serial must not contain '|'"),
        (CHALLENGE, "", "A123456789", "serial must be a non-empty string"),
        (CHALLENGE, "00A1B2C3D4E5F607", None, "national ID must be a non-empty string"),
    ],
)
def test_certificate_proof_message_refuses_ambiguous_parts(challenge, serial, national_id, message):
    with pytest.raises(ValueError, match=message):
        certificate_proof_message(challenge, serial, national_id)


def test_a_card_proof_is_never_a_certificate_proof():
    """The prefixes keep a signature made by one kind of card from passing as the other's."""
    parts = (CHALLENGE, "000012345678", "A123456789")
    assert proof_message(*parts) != certificate_proof_message(*parts)
    assert proof_message(*parts)[7:] == certificate_proof_message(*parts)[7:]


def test_simulated_card_signature_verifies(card):
    signature = card.sign(proof_message(CHALLENGE, "000012345678", "A123456789"))
    assert len(signature) == 64
    assert verify_proof(card.public_key_raw(), CHALLENGE, "000012345678", "A123456789", signature)


@pytest.mark.parametrize(
    ("challenge", "card_number", "national_id"),
    [
        ("q3Vx_Zt-8sLkP0aX", "000012345678", "A123456789"),  # another challenge
        (CHALLENGE, "000012345679", "A123456789"),  # another card
        (CHALLENGE, "000012345678", "A123456780"),  # another person
        (CHALLENGE + "|x", "000012345678", "A123456789"),  # not even a valid message
    ],
)
def test_tampered_proofs_are_refused(card, challenge, card_number, national_id):
    signature = card.sign(proof_message(CHALLENGE, "000012345678", "A123456789"))
    assert not verify_proof(card.public_key_raw(), challenge, card_number, national_id, signature)


def test_another_key_or_a_broken_signature_is_refused(card):
    signature = card.sign(proof_message(CHALLENGE, "000012345678", "A123456789"))
    other = raw_public(Ed25519PrivateKey.generate())
    assert not verify_proof(other, CHALLENGE, "000012345678", "A123456789", signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify_proof(card.public_key_raw(), CHALLENGE, "000012345678", "A123456789", flipped)


@pytest.mark.parametrize(
    ("key", "signature"),
    [(b"short", b"x" * 64), (None, b"x" * 64), ("ok", "not bytes"), ("ok", b""), ("ok", None), ("ok", b"x" * 65)],
)
def test_verify_never_raises(card, key, signature):
    key = card.public_key_raw() if key == "ok" else key
    assert verify_proof(key, CHALLENGE, "000012345678", "A123456789", signature) is False


@pytest.mark.parametrize(
    ("challenge", "valid"),
    [
        ("a" * 16, True),
        ("A-_z" * 32, True),
        ("a" * 15, False),
        ("a" * 129, False),
        ("a" * 15 + "=", False),
        ("a" * 15 + "|", False),
        ("a" * 15 + "é", False),
        ("a" * 16 + "\n", False),
        (None, False),
        (12345678901234567890, False),
    ],
)
def test_challenge_shape(challenge, valid):
    assert is_valid_challenge(challenge) is valid


def test_proof_module_is_light():
    """The HealthBank server imports cardagent.proof: it must not pull in the rest of the agent or Django."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, cardagent.proof; "
        "print(sorted(m for m in sys.modules if m.startswith(('cardagent.', 'django', 'smartcard', 'http.server'))))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "['cardagent.proof']"
