"""HealthBank's card proofs: an Ed25519 signature over a server challenge, the card's number and the national ID.

Two cards sign the same shape of message, each with its own prefix: the NHI card (``HBCARD1``, its card
number) and the citizen digital certificate, 自然人憑證 (``HBCERT1``, its serial number).

The HealthBank server imports this module to verify proofs, so it depends on the standard library and
``cryptography`` only (never on the rest of ``cardagent``).
"""

from __future__ import annotations

import re

__all__ = [
    "CERTIFICATE_PROOF_PREFIX",
    "CHALLENGE_RE",
    "PROOF_PREFIX",
    "certificate_proof_message",
    "is_valid_challenge",
    "proof_message",
    "verify_proof",
]

PROOF_PREFIX = b"HBCARD1"
CERTIFICATE_PROOF_PREFIX = b"HBCERT1"
#: A server challenge: 16-128 URL-safe characters (the base64url alphabet, as ``secrets.token_urlsafe`` makes).
CHALLENGE_RE = re.compile(r"[A-Za-z0-9_-]{16,128}")
_SEPARATOR = "|"


def is_valid_challenge(challenge: object) -> bool:
    return isinstance(challenge, str) and CHALLENGE_RE.fullmatch(challenge) is not None


def _message(prefix: bytes, parts: tuple[tuple[str, object], ...]) -> bytes:
    """``prefix|part|part|...`` (UTF-8); every part a non-empty string without the separator."""
    for label, part in parts:
        if not isinstance(part, str) or not part:
            raise ValueError(f"{label} must be a non-empty string")
        if _SEPARATOR in part:
            raise ValueError(f"{label} must not contain {_SEPARATOR!r}")
    return prefix + b"|" + _SEPARATOR.join(part for _, part in parts).encode("utf-8")


def proof_message(challenge: str, card_number: str, national_id: str) -> bytes:
    """``b"HBCARD1|<challenge>|<card number>|<national ID>"`` (UTF-8): the bytes the NHI card signs."""
    return _message(
        PROOF_PREFIX, (("challenge", challenge), ("card number", card_number), ("national ID", national_id))
    )


def certificate_proof_message(challenge: str, serial: str, national_id: str) -> bytes:
    """``b"HBCERT1|<challenge>|<serial>|<national ID>"`` (UTF-8): the bytes the citizen certificate signs."""
    return _message(
        CERTIFICATE_PROOF_PREFIX, (("challenge", challenge), ("serial", serial), ("national ID", national_id))
    )


def verify_proof(public_key_raw: bytes, challenge: str, card_number: str, national_id: str, signature: bytes) -> bool:
    """True when ``signature`` is the card key's Ed25519 signature of ``proof_message(...)``; never raises."""
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        key = Ed25519PublicKey.from_public_bytes(bytes(public_key_raw))
        key.verify(bytes(signature), proof_message(challenge, card_number, national_id))
    except Exception:  # any failure (bad key, bad signature, bad input) is a refusal
        return False
    return True
