"""The card QR's payload: a compact Ed25519-signed token (SPEC §9; DESIGN: cryptography, Ed25519).

``HBVC1.`` followed by the RFC 4648 base32 (upper case, no padding) of 126 bytes:

    version 1 · environment tag 4 · key id 4 ·                 header, 9 bytes
    token id 16 · card holder 16 · issuer kind 1 · issuer 16 · expiry 4 (Unix seconds)   body, 53 bytes
    Ed25519 signature over header and body, 64 bytes

Every character is in the QR code's alphanumeric set (0–9, A–Z and ``.``), so
segno encodes the 208 characters in alphanumeric mode: a version-8 regular QR
code, readable by a phone camera at arm's length. Anyone holding the published
public key (``/api/vcard/v1/keys``) can check a token offline; only the server's
scan uses it up. No Django in this module: the key ring is passed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "HBVC1."
VERSION = 1
_HEADER = struct.Struct(">B4s4s")
_BODY = struct.Struct(">16s16sB16sI")
SIGNATURE_LENGTH = 64
RAW_LENGTH = _HEADER.size + _BODY.size + SIGNATURE_LENGTH  # 126
TEXT_LENGTH = len(PREFIX) + (RAW_LENGTH * 8 + 4) // 5  # 208
MAX_TEXT_LENGTH = 512  # longer input is refused before any decoding

ISSUER_KINDS = {1: "holder_app", 2: "holder_web", 3: "grantee"}
ISSUER_CODES = {name: code for code, name in ISSUER_KINDS.items()}


class TokenRefused(Exception):
    """A token that cannot be used; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str):
        assert reason in REASONS, reason
        super().__init__(reason)
        self.reason = reason


# Reason codes an institution's system can act on (the scan API answers them; docs/api.md).
REASONS = (
    "malformed",  # not a card QR of ours, truncated, or too long
    "wrong_environment",  # made by another HealthBank (a test system's code at a real clinic)
    "unknown_key",  # signed by a key not (or no longer) published
    "bad_signature",  # forged or altered
    "expired",  # older than its 5 minutes
    "already_used",  # scanned before
    "superseded",  # the person made a newer code on the same phone
    "no_card",  # the holder has no approved virtual card (any more)
    "not_lent",  # the delegate's or parent's right to use the card has ended
)


def environment_tag(environment: str) -> bytes:
    return hashlib.sha256(f"healthbank-vcard:{environment}".encode()).digest()[:4]


def key_id(public_key: Ed25519PublicKey) -> str:
    """Eight hex digits naming a key: the first 4 bytes of the SHA-256 of its raw public bytes."""
    return hashlib.sha256(public_raw(public_key)).hexdigest()[:8]


def public_raw(public_key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class CardToken:
    token_id: str  # 32 hex digits
    holder: uuid.UUID  # the card holder's public id
    issuer_kind: str  # holder_app (issuer = device), holder_web (issuer = holder), grantee (issuer = grant)
    issuer: uuid.UUID
    expires: int  # Unix seconds
    key_id: str = ""


def sign(token: CardToken, private_key: Ed25519PrivateKey, environment: str) -> str:
    """The QR text of ``token``, signed with ``private_key`` for ``environment``."""
    header = _HEADER.pack(VERSION, environment_tag(environment), bytes.fromhex(key_id(private_key.public_key())))
    body = _BODY.pack(
        bytes.fromhex(token.token_id),
        token.holder.bytes,
        ISSUER_CODES[token.issuer_kind],
        token.issuer.bytes,
        token.expires,
    )
    signature = private_key.sign(header + body)
    return PREFIX + base64.b32encode(header + body + signature).decode().rstrip("=")


def read(text: str, public_keys: dict[str, Ed25519PublicKey], environment: str, now: float) -> CardToken:
    """Check a QR text offline: form, environment, key, signature and expiry; raise ``TokenRefused`` if any fails.

    ``public_keys`` maps key ids to the published public keys. Whether the code was
    used already is not known here: only the server's scan can tell.
    """
    if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
        raise TokenRefused("malformed")
    text = text.strip()
    if not text.startswith(PREFIX) or len(text) != TEXT_LENGTH:
        raise TokenRefused("malformed")
    encoded = text[len(PREFIX) :]
    try:
        raw = base64.b32decode(encoded + "=" * (-len(encoded) % 8))
    except (binascii.Error, ValueError):
        raise TokenRefused("malformed") from None
    if len(raw) != RAW_LENGTH or base64.b32encode(raw).decode().rstrip("=") != encoded:
        raise TokenRefused("malformed")  # the last character's two spare bits too: one text per token
    signed, signature = raw[:-SIGNATURE_LENGTH], raw[-SIGNATURE_LENGTH:]
    version, tag, kid = _HEADER.unpack(signed[: _HEADER.size])
    if version != VERSION:
        raise TokenRefused("malformed")
    if tag != environment_tag(environment):
        raise TokenRefused("wrong_environment")
    public_key = public_keys.get(kid.hex())
    if public_key is None:
        raise TokenRefused("unknown_key")
    try:
        public_key.verify(signature, signed)
    except InvalidSignature:
        raise TokenRefused("bad_signature") from None
    token_id, holder, issuer_code, issuer, expires = _BODY.unpack(signed[_HEADER.size :])
    if issuer_code not in ISSUER_KINDS:
        raise TokenRefused("malformed")
    if expires <= now:
        raise TokenRefused("expired")
    return CardToken(
        token_id.hex(), uuid.UUID(bytes=holder), ISSUER_KINDS[issuer_code], uuid.UUID(bytes=issuer), expires, kid.hex()
    )


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def jwk(public_key: Ed25519PublicKey) -> dict:
    """The public key as a JSON Web Key (RFC 8037: OKP, Ed25519)."""
    x = base64.urlsafe_b64encode(public_raw(public_key)).decode().rstrip("=")
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": key_id(public_key), "use": "sig", "alg": "EdDSA"}


def public_key_from_jwk(data: dict) -> Ed25519PublicKey:
    x = data["x"]
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
