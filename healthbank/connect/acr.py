"""The ``acr`` values HealthBank's ID tokens carry: how the person proved who they are (issue 14).

One value for each login method of SPEC §4 an agency may rely on. A relying party that needs the card's chip
asks for it with ``acr_values`` and checks the ``acr`` it gets; HealthBank tells the truth and never refuses a
weaker login on its behalf. No rules or Django here: a table and a look-up.
"""

from __future__ import annotations

from healthbank.accounts.login import Proof

CARD_NUMBER = "urn:healthbank:acr:card-number"  # national ID + the number printed on the card + password (+ captcha)
CARD_READER = "urn:healthbank:acr:card-reader"  # the card's chip signs in a reader + the registration password
CERTIFICATE = "urn:healthbank:acr:citizen-certificate"  # citizen certificate (自然人憑證) + its PIN

BY_PROOF = {
    Proof.CARD_NUMBER: CARD_NUMBER,
    Proof.CARD_READER: CARD_READER,
    Proof.CERTIFICATE: CERTIFICATE,
}
SUPPORTED = [CARD_NUMBER, CARD_READER, CERTIFICATE]  # weakest first


def for_proof(proof: str) -> str:
    """The acr of a login proof; a kiosk session has none (it may not sign in anywhere else)."""
    return BY_PROOF[proof]
