"""Anniversaries and ages as the Civil Code counts them (arts. 121 and 124): a 29 February birthday is 1 March."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthbank.assessments.dates import add_years, age_on, birthday

LEAP_DAY = dt.date(2000, 2, 29)


@pytest.mark.parametrize(
    ("years", "expected"),
    [(1, dt.date(2001, 3, 1)), (3, dt.date(2003, 3, 1)), (4, dt.date(2004, 2, 29)), (100, dt.date(2100, 3, 1))],
)
def test_an_anniversary_of_29_february_is_1_march_in_a_common_year(years, expected):
    assert add_years(LEAP_DAY, years) == expected


def test_other_days_keep_their_calendar_date():
    assert add_years(dt.date(2025, 2, 28), 1) == dt.date(2026, 2, 28)
    assert add_years(dt.date(2025, 12, 31), 5) == dt.date(2030, 12, 31)
    assert add_years(dt.date(2025, 3, 1), -1) == dt.date(2024, 3, 1)


def test_a_leap_day_child_is_a_year_older_on_1_march_of_a_common_year():
    assert birthday(LEAP_DAY, 13) == dt.date(2013, 3, 1)
    assert age_on(LEAP_DAY, dt.date(2013, 2, 28)) == 12
    assert age_on(LEAP_DAY, dt.date(2013, 3, 1)) == 13
    assert age_on(LEAP_DAY, dt.date(2016, 2, 29)) == 16


def test_age_changes_on_the_birthday_itself():
    born = dt.date(1990, 7, 15)
    assert age_on(born, dt.date(2020, 7, 14)) == 29
    assert age_on(born, dt.date(2020, 7, 15)) == 30


def test_a_day_before_birth_and_a_negative_age_are_refused():
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(dt.date(2000, 1, 2), dt.date(2000, 1, 1))
    with pytest.raises(ValueError, match="age"):
        birthday(LEAP_DAY, -1)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)), st.integers(0, 120))
def test_a_person_is_exactly_that_age_on_each_birthday_and_one_less_the_day_before(born, age):
    day = birthday(born, age)
    assert age_on(born, day) == age
    if age > 0:
        assert age_on(born, day - dt.timedelta(days=1)) == age - 1
