"""健保卡補發 — the pure rules of a card replacement: the fee, the new card's reason, the next card number.

No Django here: the numbers come from ``policy`` (with their official source there).
"""

from __future__ import annotations

from healthbank import policy

# CardReplacementRequest.Reason value → NhiCard.Reason value of the card issued for it.
NEW_CARD_REASON = {
    "lost": "replacement",
    "damaged": "damaged",
    "defective": "damaged",
    "photo": "photo",
    "misprinted": "replacement",
}


def card_fee(reason: str) -> int:
    """工本費 NT$ of a new card for ``reason``: 200, or 0 when the NHI's fee rule exempts it (policy)."""
    if reason not in NEW_CARD_REASON:
        raise ValueError(f"unknown reason {reason!r}")
    return 0 if reason in policy.NHI_CARD_FREE_REASONS else policy.NHI_CARD_FEE


def photo_required(reason: str, age: int) -> bool:
    """A photo is needed from 14 (the card application form's rule), and always for a new photo."""
    return reason == "photo" or age >= policy.NHI_CARD_PHOTO_OPTIONAL_UNDER_AGE


def next_card_number(highest: str | None) -> str:
    """The number after the highest one given so far: card numbers go up in issue order, as printed cards' do.

    So of two cards of one person issued the same day the later one has the larger number, which is what
    ``identity.services.current_card`` breaks a same-day tie with.
    """
    digits = policy.NHI_CARD_NUMBER_DIGITS
    following = int(highest or "0") + 1
    if following >= 10**digits:
        raise OverflowError("no NHI card number is left")
    return f"{following:0{digits}d}"
