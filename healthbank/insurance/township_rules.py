"""The dates of township-office enrolment (公所加保、轉出、停保、復保): pure rules, no Django (policy numbers).

Sources are in ``policy.py``: 全民健康保險法施行細則 art. 36-1 and 37, NHI Act art. 13.
"""

from __future__ import annotations

import calendar
import datetime as dt

from healthbank import policy

ONE_DAY = dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has no such day: 31 Aug + 6 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def enrolment_starts_on(requested_on: dt.date, previous_cover_ended_on: dt.date | None) -> dt.date:
    """加保生效日: the day after the previous cover ended, so compulsory insurance has no gap (the months between
    are billed); the request date for someone never insured before (or whose cover runs until then)."""
    if previous_cover_ended_on is None or previous_cover_ended_on + ONE_DAY >= requested_on:
        return requested_on
    return previous_cover_ended_on + ONE_DAY


def abroad_long_enough(left_on: dt.date, planned_return_on: dt.date) -> bool:
    """Art. 37 item 2: a suspension is for a planned stay abroad of six months or more."""
    return planned_return_on >= add_months(left_on, policy.TOWNSHIP_ABROAD_SUSPENSION_MIN_MONTHS)


def abroad_suspension_open(on: dt.date) -> bool:
    """Art. 36-1: no new suspension for going abroad from 2024-12-23."""
    return on <= policy.TOWNSHIP_ABROAD_SUSPENSION_LAST_DAY


def resuspension_allowed_from(resumed_on: dt.date) -> dt.date:
    """Art. 37 item 2 proviso: three months insured again after a resumption before suspending again."""
    return add_months(resumed_on, policy.TOWNSHIP_RESUSPENSION_AFTER_MONTHS)


def missing_too_long(missing_since: dt.date, on: dt.date) -> bool:
    """NHI Act art. 13: missing six months or more is withdrawal (退保), not a suspension."""
    return on >= add_months(missing_since, policy.TOWNSHIP_MISSING_LONGEST_MONTHS)


def resumption(reason: str, suspended_from: dt.date, back_on: dt.date) -> tuple[dt.date, bool]:
    """復保: ``(insured again from, suspension cancelled)``.

    Back from abroad after six months or more: insured again from the day of return. Back earlier: the
    suspension is cancelled (註銷停保, art. 36-1 and 37) — insured throughout, from the day of leaving. A missing
    person found: insured again from the day they were found.
    """
    if reason == "abroad" and not abroad_long_enough(suspended_from, back_on):
        return suspended_from, True
    return back_on, False
