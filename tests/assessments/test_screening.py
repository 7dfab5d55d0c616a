"""When the next cancer screening is due (policy.CANCER_SCREENING): ages, sex, intervals, the last age."""

from __future__ import annotations

import datetime as dt

import pytest

from healthbank.assessments.screening import (
    DUE_NOW,
    DUE_ON,
    NOT_FOR_SEX,
    NOT_YET,
    PAST_AGES,
    next_screening,
    offered_to,
)

TODAY = dt.date(2026, 11, 20)


def test_cervical_and_breast_screening_are_for_women_only():
    assert offered_to("cervical", "F") and offered_to("breast", "F")
    assert not offered_to("cervical", "M") and not offered_to("breast", "M")
    assert offered_to("colorectal", "M") and offered_to("oral", "F")
    assert next_screening("breast", "M", dt.date(1970, 1, 1), None, TODAY).status == NOT_FOR_SEX


def test_never_screened_within_the_ages_is_due_today():
    due = next_screening("colorectal", "M", dt.date(1970, 5, 1), None, TODAY)
    assert (due.status, due.due_on) == (DUE_NOW, TODAY)


def test_too_young_is_due_from_the_birthday_of_the_first_age():
    due = next_screening("breast", "F", dt.date(1990, 3, 15), None, TODAY)
    assert (due.status, due.due_on) == (NOT_YET, dt.date(2030, 3, 15))


def test_the_interval_counts_from_the_last_screening():
    due = next_screening("breast", "F", dt.date(1970, 1, 1), dt.date(2025, 6, 1), TODAY)
    assert (due.status, due.due_on) == (DUE_ON, dt.date(2027, 6, 1))
    cervical = next_screening("cervical", "F", dt.date(1970, 1, 1), dt.date(2023, 11, 20), TODAY)
    assert (cervical.status, cervical.due_on) == (DUE_NOW, TODAY)  # three years to the day


def test_the_whole_year_of_the_last_age_is_covered_then_no_more():
    # 74 until the day before the 75th birthday
    assert next_screening("colorectal", "F", dt.date(1952, 1, 1), None, TODAY).status == DUE_NOW
    assert next_screening("colorectal", "F", dt.date(1951, 11, 20), None, TODAY).status == PAST_AGES
    # the next one would fall after the last age
    late = next_screening("breast", "F", dt.date(1952, 6, 1), dt.date(2025, 6, 1), TODAY)
    assert late.status == PAST_AGES and late.due_on is None


def test_no_upper_age_for_cervical_screening():
    assert next_screening("cervical", "F", dt.date(1930, 1, 1), None, TODAY).status == DUE_NOW


@pytest.mark.parametrize("kind, sex", [("lung", "F"), ("breast", "X")])
def test_unknown_kinds_and_sexes_are_refused(kind, sex):
    with pytest.raises(ValueError):
        next_screening(kind, sex, dt.date(1970, 1, 1), None, TODAY)


def test_a_screening_before_birth_is_refused():
    with pytest.raises(ValueError, match="last_screened"):
        next_screening("oral", "M", dt.date(1970, 1, 1), dt.date(1969, 1, 1), TODAY)
