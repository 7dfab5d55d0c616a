"""Reminder dates of the measurements-and-reminders page (SPEC §6.2, §7.1): pure date arithmetic on policy numbers.

Ages and year-anniversaries follow the Civil Code (``dates.add_years``): someone born on 29 February turns a year
older on 1 March of a common year. A reminder that is already due answers ``today``, never a day in the past.
"""

from __future__ import annotations

import datetime as dt

from healthbank import policy
from healthbank.assessments.dates import add_years, age_on, birthday

ONE_DAY = dt.timedelta(days=1)


def _check_order(birth_date: dt.date, last: dt.date | None, field: str) -> None:
    if last is not None and last < birth_date:
        raise ValueError(f"{field} {last.isoformat()} is before the birth date {birth_date.isoformat()}")


def next_dental_scaling(
    birth_date: dt.date, last_scaling: dt.date | None, today: dt.date, high_risk: bool = False
) -> dt.date:
    """The first day the NHI covers the next dental scaling (洗牙): due now → ``today``.

    Covered from the ``policy.DENTAL_SCALING_FROM_AGE`` (13th) birthday, then once per
    ``policy.DENTAL_SCALING_INTERVAL`` (180 days) after the last one, or ``_HIGH_RISK`` (90 days) for people with
    diabetes, pregnancy and the other conditions of the NHI dental payment rules. Never scaled and old enough →
    today; a scaling before the 13th birthday does not bring the next one before that birthday.
    """
    _check_order(birth_date, last_scaling, "last_scaling")
    first = birthday(birth_date, policy.DENTAL_SCALING_FROM_AGE)
    if last_scaling is not None:
        interval = policy.DENTAL_SCALING_INTERVAL_HIGH_RISK if high_risk else policy.DENTAL_SCALING_INTERVAL
        first = max(first, last_scaling + interval)
    return max(first, today)


def refill_window(last_dispensed_on: dt.date, days_supplied: int) -> tuple[dt.date, dt.date]:
    """(earliest, latest) day to collect the next fill of a chronic continuous prescription (慢性病連續處方箋).

    earliest = last dispensing + days supplied − ``policy.CHRONIC_REFILL_EARLY_DAYS`` (10), but never before the
    day after the last dispensing; latest = last dispensing + days supplied − 1, the last day the supply covers.
    """
    if isinstance(days_supplied, bool) or not isinstance(days_supplied, int) or days_supplied < 1:
        raise ValueError(f"days_supplied must be a whole number of days of at least 1, not {days_supplied!r}")
    if days_supplied > policy.CHRONIC_PRESCRIPTION_MAX_DAYS_PER_FILL:
        raise ValueError(
            f"days_supplied {days_supplied} is more than the {policy.CHRONIC_PRESCRIPTION_MAX_DAYS_PER_FILL} days "
            "a chronic prescription may give at one dispensing"
        )
    runs_out = last_dispensed_on + dt.timedelta(days=days_supplied - 1)
    earliest = last_dispensed_on + dt.timedelta(days=days_supplied - policy.CHRONIC_REFILL_EARLY_DAYS)
    return max(earliest, last_dispensed_on + ONE_DAY), runs_out


def return_visit_window(prescribed_on: dt.date, days_per_fill: int, fills: int) -> tuple[dt.date, dt.date]:
    """(from, until): when to see the doctor again before the whole chronic prescription runs out.

    from = prescribed + days_per_fill × fills − ``policy.CHRONIC_REFILL_EARLY_DAYS``; until = the last day the
    prescription covers (prescribed + days_per_fill × fills − 1). Refuses more than
    ``policy.CHRONIC_PRESCRIPTION_MAX_DAYS_PER_FILL`` days a fill, more than ``_MAX_FILLS`` fills and more than
    ``_MAX_TOTAL_DAYS`` in all.
    """
    for field, value in (("days_per_fill", days_per_fill), ("fills", fills)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{field} must be a whole number of at least 1, not {value!r}")
    if days_per_fill > policy.CHRONIC_PRESCRIPTION_MAX_DAYS_PER_FILL:
        raise ValueError(
            f"days_per_fill {days_per_fill} is more than the {policy.CHRONIC_PRESCRIPTION_MAX_DAYS_PER_FILL} days "
            "a chronic prescription may give at one dispensing"
        )
    if fills > policy.CHRONIC_PRESCRIPTION_MAX_FILLS:
        raise ValueError(
            f"fills {fills} is more than the {policy.CHRONIC_PRESCRIPTION_MAX_FILLS} a chronic prescription allows"
        )
    total = days_per_fill * fills
    if total > policy.CHRONIC_PRESCRIPTION_MAX_TOTAL_DAYS:
        raise ValueError(
            f"days_per_fill × fills = {total} days is more than the {policy.CHRONIC_PRESCRIPTION_MAX_TOTAL_DAYS} "
            "days a chronic prescription may cover"
        )
    until = prescribed_on + dt.timedelta(days=total - 1)
    start = prescribed_on + dt.timedelta(days=total - policy.CHRONIC_REFILL_EARLY_DAYS)
    return max(start, prescribed_on + ONE_DAY), until


def _preventive_rules(indigenous: bool, polio_survivor: bool) -> list[tuple[int, int]]:
    """(from age, years between checks) for this person, ascending by age, from ``policy`` (HPA, 2025-01-01)."""
    rules = list(policy.PREVENTIVE_CARE_INTERVALS)
    yearly = 1
    if indigenous:
        rules.append((policy.PREVENTIVE_CARE_INDIGENOUS_YEARLY_FROM, yearly))
    if polio_survivor:
        rules.append((policy.PREVENTIVE_CARE_POLIO_YEARLY_FROM, yearly))
    return sorted(rules)


def preventive_interval(age: int, indigenous: bool = False, polio_survivor: bool = False) -> int | None:
    """Years between covered adult preventive checks at ``age``; None below the first eligible age.

    The shortest interval of every rule the person meets applies: an indigenous 55-year-old is yearly although
    the 40–64 rule says every 3 years.
    """
    intervals = [years for from_age, years in _preventive_rules(indigenous, polio_survivor) if age >= from_age]
    return min(intervals) if intervals else None


def next_preventive_check(
    birth_date: dt.date,
    last_check: dt.date | None,
    today: dt.date,
    indigenous: bool = False,
    polio_survivor: bool = False,
) -> dt.date:
    """The first day the next adult preventive check (成人預防保健) is covered; due now → ``today``.

    Rules (HPA, from 2025-01-01; ``policy.PREVENTIVE_CARE_*``): from 30 every 5 years, from 40 every 3, from 65
    yearly; indigenous people from 55 and polio survivors from 35 yearly. Never checked → the 30th birthday (or
    today if past it). Otherwise the next check is covered once the interval *of the age the person has then* has
    passed since the last: the earliest day d with d ≥ last_check + interval(age on d) years, where a year is the
    same calendar date (``add_years``). So someone last checked at 38 is due at 41 (the 40–64 rule), and someone
    last checked at 63½ is due on their 65th birthday (yearly from then).

    Counting: the HPA checks its rules by the year of the visit (visit year − birth year, visit year − last visit
    year, as published for cancer screening). We count by exact dates instead: this never names a day the HPA
    would refuse (an exact birthday or anniversary is never earlier than its calendar year), at the price of
    reminding up to a year later than the earliest covered day.
    """
    _check_order(birth_date, last_check, "last_check")
    rules = _preventive_rules(indigenous, polio_survivor)
    first_eligible = birthday(birth_date, rules[0][0])
    if last_check is None:
        return max(first_eligible, today)
    # interval(age) only shortens as age grows, so the answer is the earliest over each interval n of
    # max(last + n years, the birthday from which the interval is at most n).
    candidates = []
    for years in sorted({years for _, years in rules}):
        from_age = min(age for age, interval in rules if interval <= years)
        candidates.append(max(add_years(last_check, years), birthday(birth_date, from_age)))
    return max(min(candidates), first_eligible, today)


def hepatitis_screen_eligible(birth_date: dt.date, today: dt.date, already_screened: bool) -> bool:
    """Whether the one-off hepatitis B/C screen (B、C 型肝炎篩檢) is still open to this person today.

    HPA: everyone born in or before ``policy.HEPATITIS_SCREEN_BORN_BY_YEAR`` (1986), once in a lifetime, up to
    age ``policy.HEPATITIS_SCREEN_MAX_AGE`` (79, i.e. until the day before the 80th birthday).
    """
    if already_screened:
        return False
    if birth_date.year > policy.HEPATITIS_SCREEN_BORN_BY_YEAR or today < birth_date:
        return False
    return age_on(birth_date, today) <= policy.HEPATITIS_SCREEN_MAX_AGE
