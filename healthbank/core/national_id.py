"""身分證字號 and 居留證號 — Taiwanese national IDs and resident certificate numbers.

Three shapes are valid (SPEC §2):

* national ID: letter + 1|2 + 8 digits;
* resident certificate, 2021 uniform format: letter + 8|9 + 8 digits;
* resident certificate, old format: letter + A|B|C|D + 8 digits.

All share the weighted checksum: the first letter becomes two digits, the
eleven digits are weighted 1,9,8,7,6,5,4,3,2,1,1 and the sum is divisible by 10.
In the old format the second letter counts as the last digit of its own code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LETTER_CODES = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17,
    "I": 34, "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23,
    "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30,
    "Y": 31, "Z": 33,
}  # fmt: skip
WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)

MALE_MARKS = frozenset("18AC")
FEMALE_MARKS = frozenset("29BD")
_SHAPE = re.compile(r"^[A-Z][1289ABCD]\d{8}$")


class NationalIdError(ValueError):
    """Why a value is not a valid national ID; ``code`` is stable for APIs."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class NationalId:
    value: str

    @property
    def sex(self) -> str:
        return sex_of(self.value)

    @property
    def is_resident_certificate(self) -> bool:
        return self.value[1] not in "12"


def _digits(value: str) -> list[int]:
    head = LETTER_CODES[value[0]]
    second = value[1]
    second_digit = LETTER_CODES[second] % 10 if second.isalpha() else int(second)
    return [head // 10, head % 10, second_digit] + [int(c) for c in value[2:]]


def checksum_ok(value: str) -> bool:
    total = sum(d * w for d, w in zip(_digits(value), WEIGHTS, strict=True))
    return total % 10 == 0


def normalize(text: str) -> str:
    """Upper-case and strip surrounding blanks; full-width letters/digits become ASCII."""
    if not isinstance(text, str):
        return ""
    text = text.strip().translate(_FULLWIDTH)
    return text.upper()


_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}


def validate(text: str) -> NationalId:
    """Return the normalised ID or raise NationalIdError saying why it is wrong."""
    value = normalize(text)
    if not value:
        raise NationalIdError("required", "National ID is required.")
    if len(value) != 10:
        raise NationalIdError("length", f"National ID must be 10 characters, got {len(value)}.")
    if value[0] not in LETTER_CODES:
        raise NationalIdError("first_letter", "National ID must start with a letter A–Z.")
    if not _SHAPE.match(value):
        raise NationalIdError(
            "format",
            "National ID must be a letter, then 1/2 (or 8/9, A–D for residents), then 8 digits.",
        )
    if not checksum_ok(value):
        raise NationalIdError("checksum", "National ID checksum does not match (check the digits).")
    return NationalId(value)


def is_valid(text: str) -> bool:
    try:
        validate(text)
    except NationalIdError:
        return False
    return True


def sex_of(value: str) -> str:
    """'M' or 'F' from the second character."""
    mark = value[1]
    if mark in MALE_MARKS:
        return "M"
    if mark in FEMALE_MARKS:
        return "F"
    raise NationalIdError("format", "Cannot tell sex from this ID.")


def with_check_digit(first9: str) -> str:
    """Complete a 9-character prefix (letter, sex mark, 7 digits) with its check digit."""
    for d in range(10):
        candidate = f"{first9}{d}"
        if checksum_ok(candidate):
            return candidate
    raise AssertionError("every prefix has exactly one check digit")  # pragma: no cover
