"""Out-of-range flags against the reference range the lab sent with the result (SPEC §6.2, §7.1).

Ranges arrive as text: "70-100", "3.5–5.1", "70~100", "<200", "< 5", "<=5", "≤5", "≦5" (the Chinese-typeset
form), ">40", ">=60", "≥60", "≧60"; full-width characters are read as their ASCII forms. "a-b" is inclusive at
both ends; "< x" and "> x" are strict; "<=" and ">=" inclusive. Anything else is unparseable and gets no flag.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_BETWEEN = re.compile(rf"({_NUMBER})\s*[-–—~]\s*({_NUMBER})")
_BOUND = re.compile(rf"(<=|=<|>=|=>|<|>|≤|≥|≦|≧)\s*({_NUMBER})")
_OPERATORS = {  # operator → (is an upper bound, inclusive)
    "<": (True, False),
    "<=": (True, True),
    "=<": (True, True),
    "≤": (True, True),
    "≦": (True, True),
    ">": (False, False),
    ">=": (False, True),
    "=>": (False, True),
    "≥": (False, True),
    "≧": (False, True),
}

ReferenceRange = tuple[Decimal | None, bool, Decimal | None, bool]


def parse_reference_range(text: str | None) -> ReferenceRange | None:
    """(low, low_inclusive, high, high_inclusive) of a lab's range text; an open side is (None, False); else None.

    "70-100" → (70, True, 100, True); "<5" → (None, False, 5, False); ">=60" → (60, True, None, False).
    A range whose low end is above its high end is unparseable (None), not silently swapped.
    """
    if not isinstance(text, str):
        return None
    # NFKC turns full-width digits, "＜", "＞", "～" and "．" into ASCII; "≦"/"≧" stay and are read as such.
    normalised = unicodedata.normalize("NFKC", text).strip()
    if match := _BETWEEN.fullmatch(normalised):
        low, high = Decimal(match[1]), Decimal(match[2])
        if low > high:
            return None
        return (low, True, high, True)
    if match := _BOUND.fullmatch(normalised):
        upper, inclusive = _OPERATORS[match[1]]
        bound = Decimal(match[2])
        return (None, False, bound, inclusive) if upper else (bound, inclusive, None, False)
    return None


def _numeric(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(unicodedata.normalize("NFKC", str(value)).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def reference_flag(value: object, reference_range: str | None) -> str | None:
    """ "high", "low" or "normal" for a result against its lab's range; None when either cannot be read.

    ``value`` may be a Decimal, float, int or numeric text ("5.6"); a text result such as "Negative" or "<0.5"
    gets no flag.
    """
    number = _numeric(value)
    parsed = parse_reference_range(reference_range)
    if number is None or parsed is None:
        return None
    low, low_inclusive, high, high_inclusive = parsed
    if high is not None and (number > high or (number == high and not high_inclusive)):
        return "high"
    if low is not None and (number < low or (number == low and not low_inclusive)):
        return "low"
    return "normal"
