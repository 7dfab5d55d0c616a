"""Turning the numbers the rules receive into Decimals, with errors that name the field."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def to_decimal(value: object, field: str, *, allow_negative: bool = False) -> Decimal:
    """``value`` (int, float, Decimal or numeric text) as a finite Decimal, else ValueError naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(f"{field} must be a number, not {value!r}")
    try:
        # str() first: Decimal(0.1) would carry the binary float's tail into a boundary comparison.
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f"{field} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{field} must be a finite number, not {value!r}")
    if number < 0 and not allow_negative:
        raise ValueError(f"{field} must not be negative, not {value!r}")
    return number
