"""Masking of identifiers and names for display and logs (SPEC §2)."""

from __future__ import annotations

import re

MASK_CHAR = "*"
NAME_MASK_CHAR = "○"
# Anything shaped like a national ID or resident certificate number: after a character that is not a
# letter or digit, or right after percent-encoding (``q%3DA123456789``, ``q%253DA123456789`` once more
# encoded), where the hex digits of the escape would otherwise hide the ID's start.
NATIONAL_ID_PATTERN = re.compile(
    r"(?:(?<![A-Za-z0-9])|(?<=%[0-9A-Fa-f]{2})|(?<=%25[0-9A-Fa-f]{2}))([A-Za-z][12489ABCDabcd]\d{8})(?![0-9])"
)


def mask_national_id(value: str) -> str:
    """``Z199999999`` → ``Z19999****``: the first six characters stay."""
    if not value:
        return ""
    if len(value) <= 6:
        return MASK_CHAR * len(value)
    return value[:6] + MASK_CHAR * (len(value) - 6)


def mask_name(name: str) -> str:
    """``甄家康`` → ``甄○康``; ``王明`` → ``王○``; longer names keep first and last."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + NAME_MASK_CHAR
    return name[0] + NAME_MASK_CHAR * (len(name) - 2) + name[-1]


def mask_card_number(value: str) -> str:
    """Only the last four digits of an NHI card number are shown."""
    if not value:
        return ""
    return MASK_CHAR * max(len(value) - 4, 0) + value[-4:]


def mask_email(value: str) -> str:
    """``elaine.chen@nhi.gov.tw`` → ``ela*****@nhi.gov.tw``, as the NHI's forgot-password page shows it.

    The first three characters of the local part stay (one when it is shorter), then always five stars,
    so the length of the address is not told either.
    """
    local, at, domain = (value or "").partition("@")
    if not at:
        return ""
    keep = 3 if len(local) > 3 else 1
    return local[:keep] + MASK_CHAR * 5 + "@" + domain


def mask_ids_in_text(text: str) -> str:
    """Mask every national-ID-shaped token inside free text (used by the log filter)."""
    return NATIONAL_ID_PATTERN.sub(lambda m: mask_national_id(m.group(1)), text)
