"""Anniversaries and ages the way Taiwan's Civil Code counts them (arts. 121 and 124).

Art. 124 counts age from the day of birth; art. 121 ends a period counted in years on the day before the
corresponding day of the last year or, when that year has no corresponding day, on the last day of the
month. Someone born on 29 February therefore completes a year at the end of 28 February of a common year
and is a year older from 1 March; the same holds for any period that starts on a 29 February.
"""

from __future__ import annotations

import datetime as dt


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (or earlier); 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        # Only 29 February lacks a counterpart: the period ends on 28 February, the anniversary is the day after.
        return dt.date(day.year + years, 3, 1)


def birthday(birth_date: dt.date, age: int) -> dt.date:
    """The day a person born on ``birth_date`` turns ``age`` years old."""
    if age < 0:
        raise ValueError(f"age must not be negative, not {age}")
    return add_years(birth_date, age)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Completed years of age on ``day`` (a 29 February child turns a year older on 1 March of a common year)."""
    if day < birth_date:
        raise ValueError(f"day {day.isoformat()} is before the birth date {birth_date.isoformat()}")
    age = day.year - birth_date.year
    return age if birthday(birth_date, age) <= day else age - 1
