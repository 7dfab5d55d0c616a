"""How a month's premium follows from the insured salary (pure; numbers from policy)."""

from __future__ import annotations

import calendar
import datetime as dt

from healthbank import policy


def monthly_premium(*, category: int, insured_salary: int, dependents: int) -> tuple[int, int]:
    """Return (amount NT$, people billed). Employees pay their share of salary × rate per person billed."""
    billed = 1 + min(dependents, policy.PREMIUM_MAX_DEPENDENTS_BILLED)
    if category == 6:
        return policy.PREMIUM_CATEGORY6_FLAT * billed, billed
    share = policy.PREMIUM_INSURED_SHARE_PCT[category]
    per_person = round(insured_salary * policy.PREMIUM_RATE_PER_TEN_THOUSAND / 10000 * share / 100)
    return per_person * billed, billed


def premium_due_on(month: dt.date) -> dt.date:
    """The last day to pay the premium of ``month``: the end of the following month (NHI Act art. 30)."""
    after = month.replace(day=1) + dt.timedelta(days=32 * policy.PREMIUM_DUE_MONTHS_AFTER)
    return after.replace(day=calendar.monthrange(after.year, after.month)[1])
