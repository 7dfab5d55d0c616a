"""When the next HPA cancer screening (癌症篩檢) is due for a person's age and sex (SPEC §6.1, policy.CANCER_SCREENING).

``policy.CANCER_SCREENING`` gives each kind (from age, to age or None, every n years); cervical and breast
screening are for women only. A person is covered from the birthday of the first age through the day before
the birthday after the last age (the whole year of the last age), counted as the Civil Code counts years
(``dates``). Oral screening is for smokers and betel chewers of the ages; the rule cannot know who they are, so
it answers for the ages only and the page says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from healthbank import policy
from healthbank.assessments.dates import add_years, birthday

# Screenings the HPA offers to one sex only (the rest to both).
SCREENING_SEX = {"cervical": "F", "breast": "F"}

NOT_FOR_SEX = "not_for_sex"  # this kind is not offered to this sex
NOT_YET = "not_yet"  # too young now: due from the first birthday of the ages (``due_on``)
DUE_NOW = "due_now"  # covered today (never screened, or the interval has passed)
DUE_ON = "due_on"  # screened recently: the next one is covered from ``due_on``
PAST_AGES = "past_ages"  # the next one would fall after the last age the programme covers


@dataclass(frozen=True)
class ScreeningDue:
    kind: str
    status: str  # one of the five above
    due_on: dt.date | None  # the first day the next screening is covered (today when due now); None otherwise
    from_age: int
    to_age: int | None
    every_years: int


def offered_to(kind: str, sex: str) -> bool:
    """Whether the HPA offers ``kind`` to people of ``sex`` ('M'/'F'); ValueError for an unknown kind or sex."""
    if kind not in policy.CANCER_SCREENING:
        raise ValueError(f"kind must be one of {sorted(policy.CANCER_SCREENING)}, not {kind!r}")
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', not {sex!r}")
    return SCREENING_SEX.get(kind, sex) == sex


def next_screening(
    kind: str, sex: str, birth_date: dt.date, last_screened: dt.date | None, today: dt.date
) -> ScreeningDue:
    """When the next ``kind`` screening is covered for this person, given the last one (None: never)."""
    from_age, to_age, every = policy.CANCER_SCREENING.get(kind, (0, None, 0))
    if not offered_to(kind, sex):
        return ScreeningDue(kind, NOT_FOR_SEX, None, from_age, to_age, every)
    if last_screened is not None and last_screened < birth_date:
        raise ValueError(f"last_screened {last_screened.isoformat()} is before the birth date {birth_date}")
    first = birthday(birth_date, from_age)
    due = first if last_screened is None else max(first, add_years(last_screened, every))
    if to_age is not None:
        last_day = birthday(birth_date, to_age + 1) - dt.timedelta(days=1)
        if max(due, today) > last_day:
            return ScreeningDue(kind, PAST_AGES, None, from_age, to_age, every)
    if due <= today:
        return ScreeningDue(kind, DUE_NOW, today, from_age, to_age, every)
    status = NOT_YET if due == first and today < first else DUE_ON
    return ScreeningDue(kind, status, due, from_age, to_age, every)
