"""Reminder dates: dental scaling, chronic refills and return visits, adult preventive care, hepatitis screen."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from healthbank import policy
from healthbank.assessments.dates import add_years, age_on
from healthbank.assessments.reminders import (
    hepatitis_screen_eligible,
    next_dental_scaling,
    next_preventive_check,
    preventive_interval,
    refill_window,
    return_visit_window,
)

D = dt.date

# ---------------------------------------------------------------- dental scaling


def test_never_scaled_and_13_or_older_is_due_today():
    assert next_dental_scaling(D(2000, 5, 1), None, today=D(2026, 3, 1)) == D(2026, 3, 1)


def test_a_child_under_13_is_reminded_on_the_13th_birthday():
    assert next_dental_scaling(D(2015, 8, 20), None, today=D(2026, 3, 1)) == D(2028, 8, 20)


def test_the_next_scaling_is_180_days_after_the_last_or_90_for_high_risk():
    born = D(1980, 1, 1)
    assert next_dental_scaling(born, D(2026, 1, 10), today=D(2026, 3, 1)) == D(2026, 7, 9)
    assert next_dental_scaling(born, D(2026, 1, 10), today=D(2026, 3, 1), high_risk=True) == D(2026, 4, 10)


def test_an_overdue_scaling_is_due_today():
    assert next_dental_scaling(D(1980, 1, 1), D(2025, 1, 10), today=D(2026, 3, 1)) == D(2026, 3, 1)


def test_a_scaling_before_13_does_not_bring_the_next_before_the_13th_birthday():
    assert next_dental_scaling(D(2013, 9, 1), D(2025, 8, 1), today=D(2025, 12, 1)) == D(2026, 9, 1)


def test_a_leap_day_child_may_have_the_first_scaling_on_1_march():
    assert next_dental_scaling(D(2012, 2, 29), None, today=D(2025, 2, 28)) == D(2025, 3, 1)


def test_a_scaling_before_birth_is_refused():
    with pytest.raises(ValueError, match="last_scaling"):
        next_dental_scaling(D(2000, 1, 1), D(1999, 1, 1), today=D(2026, 1, 1))


# ---------------------------------------------------------------- chronic continuous prescriptions


@pytest.mark.parametrize(
    ("days", "earliest", "latest"),
    [(30, D(2026, 1, 21), D(2026, 1, 30)), (28, D(2026, 1, 19), D(2026, 1, 28)), (11, D(2026, 1, 2), D(2026, 1, 11))],
)
def test_a_refill_may_be_collected_from_10_days_before_the_supply_runs_out(days, earliest, latest):
    assert refill_window(D(2026, 1, 1), days) == (earliest, latest)


def test_a_short_supply_cannot_be_refilled_before_the_day_after_dispensing():
    assert refill_window(D(2026, 1, 1), 7) == (D(2026, 1, 2), D(2026, 1, 7))


@pytest.mark.parametrize("days", [0, -3, 31, 2.5, True])
def test_impossible_supplies_are_refused(days):
    with pytest.raises(ValueError, match="days_supplied"):
        refill_window(D(2026, 1, 1), days)


def test_the_return_visit_window_ends_when_the_whole_prescription_runs_out():
    assert return_visit_window(D(2026, 1, 1), 30, 3) == (D(2026, 3, 22), D(2026, 3, 31))
    assert return_visit_window(D(2026, 1, 1), 28, 3) == (D(2026, 3, 16), D(2026, 3, 25))
    assert return_visit_window(D(2026, 1, 1), 30, 2) == (D(2026, 2, 20), D(2026, 3, 1))


def test_prescriptions_beyond_the_rules_are_refused(monkeypatch):
    with pytest.raises(ValueError, match="days_per_fill 31"):
        return_visit_window(D(2026, 1, 1), 31, 2)
    with pytest.raises(ValueError, match="fills 4"):
        return_visit_window(D(2026, 1, 1), 20, 4)
    with pytest.raises(ValueError, match="fills"):
        return_visit_window(D(2026, 1, 1), 20, 0)
    monkeypatch.setattr(policy, "CHRONIC_PRESCRIPTION_MAX_TOTAL_DAYS", 60)
    with pytest.raises(ValueError, match="more than the 60 days"):
        return_visit_window(D(2026, 1, 1), 30, 3)


def test_the_windows_follow_the_policy_numbers(monkeypatch):
    monkeypatch.setattr(policy, "CHRONIC_REFILL_EARLY_DAYS", 7)
    assert refill_window(D(2026, 1, 1), 30) == (D(2026, 1, 24), D(2026, 1, 30))


# ---------------------------------------------------------------- adult preventive care


@pytest.mark.parametrize(
    ("age", "indigenous", "polio", "years"),
    [
        (29, False, False, None),
        (30, False, False, 5),
        (39, False, False, 5),
        (40, False, False, 3),
        (64, False, False, 3),
        (65, False, False, 1),
        (54, True, False, 3),
        (55, True, False, 1),
        (34, False, True, 5),
        (35, False, True, 1),
    ],
)
def test_the_interval_at_each_age_boundary(age, indigenous, polio, years):
    assert preventive_interval(age, indigenous=indigenous, polio_survivor=polio) == years


def test_never_checked_at_29_waits_for_the_30th_birthday_at_30_is_due_today():
    born = D(1996, 5, 10)
    assert next_preventive_check(born, None, today=D(2026, 1, 15)) == D(2026, 5, 10)
    assert next_preventive_check(born, None, today=D(2026, 5, 10)) == D(2026, 5, 10)
    assert next_preventive_check(born, None, today=D(2026, 7, 1)) == D(2026, 7, 1)


def test_in_the_thirties_the_next_check_is_five_years_on():
    assert next_preventive_check(D(1996, 5, 10), D(2026, 6, 1), today=D(2026, 7, 1)) == D(2031, 6, 1)


def test_a_check_at_39_is_followed_three_years_later_under_the_40_to_64_rule():
    assert next_preventive_check(D(1986, 5, 10), D(2025, 6, 1), today=D(2025, 7, 1)) == D(2028, 6, 1)


def test_a_check_at_36_is_followed_on_the_40th_birthday():
    # At 40 the interval becomes 3 years, and more than 3 have passed since the check at 36.
    assert next_preventive_check(D(1986, 5, 10), D(2022, 6, 1), today=D(2023, 1, 1)) == D(2026, 5, 10)


def test_a_check_at_64_is_followed_a_year_later_and_one_at_63_on_the_65th_birthday():
    born = D(1961, 5, 10)
    assert next_preventive_check(born, D(2025, 6, 1), today=D(2025, 7, 1)) == D(2026, 6, 1)
    assert next_preventive_check(born, D(2024, 6, 1), today=D(2024, 7, 1)) == D(2026, 5, 10)
    assert next_preventive_check(born, D(2026, 6, 1), today=D(2026, 7, 1)) == D(2027, 6, 1)


def test_indigenous_people_are_checked_yearly_from_55():
    born = D(1971, 5, 10)
    assert next_preventive_check(born, D(2025, 6, 1), today=D(2025, 7, 1), indigenous=True) == D(2026, 6, 1)
    assert next_preventive_check(born, D(2025, 6, 1), today=D(2025, 7, 1)) == D(2028, 6, 1)
    assert next_preventive_check(born, D(2024, 6, 1), today=D(2024, 7, 1), indigenous=True) == D(2026, 5, 10)


def test_polio_survivors_are_checked_yearly_from_35():
    born = D(1990, 5, 10)
    assert next_preventive_check(born, D(2025, 6, 1), today=D(2025, 7, 1), polio_survivor=True) == D(2026, 6, 1)
    assert next_preventive_check(born, D(2024, 6, 1), today=D(2024, 7, 1), polio_survivor=True) == D(2025, 6, 1)
    assert next_preventive_check(born, D(2023, 6, 1), today=D(2023, 7, 1), polio_survivor=True) == D(2025, 5, 10)
    assert next_preventive_check(born, D(2023, 6, 1), today=D(2023, 7, 1)) == D(2028, 6, 1)


def test_an_overdue_check_is_due_today():
    assert next_preventive_check(D(1970, 1, 1), D(2018, 3, 1), today=D(2026, 2, 1)) == D(2026, 2, 1)


def test_leap_day_people_become_eligible_on_1_march_and_anniversaries_of_29_february_fall_on_1_march():
    born = D(1996, 2, 29)
    assert next_preventive_check(born, None, today=D(2026, 1, 1)) == D(2026, 3, 1)
    assert next_preventive_check(born, D(2028, 2, 29), today=D(2028, 3, 1)) == D(2033, 3, 1)


# ---------------------------------------------------------------- hepatitis B/C screen


@pytest.mark.parametrize(
    ("born", "today", "screened", "eligible"),
    [
        (D(1986, 12, 31), D(2026, 1, 1), False, True),
        (D(1987, 1, 1), D(2026, 1, 1), False, False),
        (D(1986, 12, 31), D(2026, 1, 1), True, False),
        (D(1946, 6, 1), D(2026, 5, 31), False, True),  # 79 until the day before the 80th birthday
        (D(1946, 6, 1), D(2026, 6, 1), False, False),
        (D(1948, 2, 29), D(2028, 2, 28), False, True),
    ],
)
def test_the_one_off_hepatitis_screen(born, today, screened, eligible):
    assert hepatitis_screen_eligible(born, today, screened) is eligible


# ---------------------------------------------------------------- properties

BIRTHS = st.dates(min_value=D(1930, 1, 1), max_value=D(2010, 12, 31))


@given(BIRTHS, st.integers(0, 30000), st.integers(0, 4000), st.booleans(), st.booleans())
def test_the_next_preventive_check_is_the_first_covered_day(born, checked_after, then, indigenous, polio):
    last = born + dt.timedelta(days=checked_after)
    today = last + dt.timedelta(days=then)
    assume(today <= D(2100, 1, 1))
    due = next_preventive_check(born, last, today, indigenous=indigenous, polio_survivor=polio)

    def covered(day):
        interval = preventive_interval(age_on(born, day), indigenous, polio)
        return interval is not None and day >= add_years(last, interval)

    assert due >= today and covered(due)
    if due > today:
        assert not covered(due - dt.timedelta(days=1))


@given(BIRTHS, st.integers(0, 30000), st.integers(0, 400), st.booleans())
def test_the_next_scaling_is_never_before_today_13_or_the_interval(born, scaled_after, then, high_risk):
    last = born + dt.timedelta(days=scaled_after)
    today = last + dt.timedelta(days=then)
    due = next_dental_scaling(born, last, today, high_risk=high_risk)
    interval = policy.DENTAL_SCALING_INTERVAL_HIGH_RISK if high_risk else policy.DENTAL_SCALING_INTERVAL
    assert due >= today
    assert due >= last + interval
    assert age_on(born, due) >= policy.DENTAL_SCALING_FROM_AGE
