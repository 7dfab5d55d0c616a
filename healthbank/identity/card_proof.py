"""Proving a card is present: the server's challenge signed by the card (SPEC §3/§4, issue 3).

The card agent answers a one-time challenge with the card number, the ID and an
Ed25519 signature by the card's key, whose public half was registered when the
card was issued. A challenge is used once and only while fresh; only the
person's newest card is accepted.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from cardagent.proof import verify_proof
from healthbank import policy

from .models import NhiCard, Person
from .services import current_card

_PREFIX = "card-challenge:"


class CardProofError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CardProof:
    challenge: str
    card_number: str
    national_id: str
    signature: str  # base64


def issue_challenge(purpose: str) -> str:
    challenge = secrets.token_urlsafe(24)
    # The expiry travels with the value: the cache's own TTL (Redis keeps its own clock) is only the upper bound.
    expires = timezone.now() + policy.CARD_CHALLENGE_VALID_FOR
    cache.set(
        _PREFIX + challenge,
        (purpose, expires.timestamp()),
        timeout=int(policy.CARD_CHALLENGE_VALID_FOR.total_seconds()) + 5,
    )
    return challenge


def _consume(challenge: str, purpose: str) -> bool:
    key = _PREFIX + challenge
    stored = cache.get(key)
    # delete() reports whether this caller removed it: two requests racing with one challenge, one wins.
    if stored is None or not cache.delete(key):
        return False
    stored_purpose, expires = stored
    return stored_purpose == purpose and timezone.now().timestamp() < expires


def verify(proof: CardProof, purpose: str) -> NhiCard:
    """The card, when the proof answers a fresh challenge of this purpose with the person's newest card."""
    if not _consume(proof.challenge, purpose):
        raise CardProofError("stale_challenge", _("The card reading has expired; read the card again."))
    card = (
        NhiCard.objects.select_related("person")
        .filter(card_number=proof.card_number, person__national_id_hash=Person.hash_national_id(proof.national_id))
        .first()
    )
    if card is None or not card.public_key:
        raise CardProofError("unknown_card", _("This card cannot be used for online services."))
    newest = current_card(card.person)
    if newest is None or newest.pk != card.pk:
        raise CardProofError("replaced_card", _("This card has been replaced; use your newest NHI card."))
    if card.reported_lost_on is not None:  # void from the report on (decisions.md, issue 11 card replacement)
        raise CardProofError("lost_card", _("This card was reported lost and no longer works; use your new card."))
    try:
        signature = base64.b64decode(proof.signature, validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if not verify_proof(bytes(card.public_key), proof.challenge, proof.card_number, proof.national_id, signature):
        raise CardProofError("bad_signature", _("The card's answer could not be verified; read the card again."))
    return card


CERTIFICATE_PURPOSE = "login-certificate"


@dataclass(frozen=True)
class CertificateProof:
    challenge: str
    serial: str
    signature: str  # base64


def verify_certificate(proof: CertificateProof) -> Person:
    """The insured holder of a live citizen certificate that signed a fresh login challenge (after its PIN)."""
    from healthbank.external import adapter

    if not _consume(proof.challenge, CERTIFICATE_PURPOSE):
        raise CardProofError("stale_challenge", _("The certificate reading has expired; read it again."))
    national_id = adapter("citizen_certificate").verify(proof.challenge, proof.serial, proof.signature)
    if national_id is None:
        raise CardProofError(
            "bad_certificate", _("The citizen certificate could not be verified, or it has been revoked.")
        )
    person = Person.objects.by_national_id(national_id).first()
    if person is None:
        raise CardProofError("not_insured", _("There is no NHI record for this certificate's holder."))
    return person
