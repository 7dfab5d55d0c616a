"""Out-of-range flags against the range the lab sent (SPEC §7.1: "a–b" inclusive, "< x" strict)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthbank.assessments.labs import parse_reference_range, reference_flag

D = Decimal


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("70-100", (D(70), True, D(100), True)),
        ("3.5–5.1", (D("3.5"), True, D("5.1"), True)),
        (" 3.5 - 5.1 ", (D("3.5"), True, D("5.1"), True)),
        ("70~100", (D(70), True, D(100), True)),
        ("７０～１００", (D(70), True, D(100), True)),
        ("-2-3", (D(-2), True, D(3), True)),
        ("<200", (None, False, D(200), False)),
        ("< 5", (None, False, D(5), False)),
        ("<=5", (None, False, D(5), True)),
        ("≤5", (None, False, D(5), True)),
        ("≦ 5", (None, False, D(5), True)),
        ("＜5", (None, False, D(5), False)),
        (">40", (D(40), False, None, False)),
        (">=60", (D(60), True, None, False)),
        ("≥ 60", (D(60), True, None, False)),
        ("≧60", (D(60), True, None, False)),
    ],
)
def test_ranges_as_labs_send_them(text, parsed):
    assert parse_reference_range(text) == parsed


@pytest.mark.parametrize("text", ["", "   ", "negative", "100-70", "5-", "<", "70-100 mg/dL", "<<5", None, 5])
def test_unreadable_ranges_give_none(text):
    assert parse_reference_range(text) is None


@pytest.mark.parametrize(
    ("value", "text", "flag"),
    [
        (70, "70-100", "normal"),
        (100, "70-100", "normal"),
        (69.9, "70-100", "low"),
        (Decimal("100.1"), "70–100", "high"),
        (4.9, "<5", "normal"),
        (5, "<5", "high"),
        (5, "< 5", "high"),
        (5, "<=5", "normal"),
        (5, "≤5", "normal"),
        (5.01, "≤5", "high"),
        (40, ">40", "low"),
        (40.1, ">40", "normal"),
        (60, ">=60", "normal"),
        (59, "≥60", "low"),
        ("5.6", "4-6", "normal"),
        (" 6.5 ", "4-6", "high"),
    ],
)
def test_flags_inclusive_ranges_and_strict_bounds(value, text, flag):
    assert reference_flag(value, text) == flag


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Negative", "<0.5"),
        ("<0.5", "<1"),
        ("5.6 H", "4-6"),
        (None, "4-6"),
        (True, "0-1"),
        (5, "see report"),
        (float("nan"), "4-6"),
        (5, None),
    ],
)
def test_no_flag_when_the_value_or_the_range_cannot_be_read(value, text):
    assert reference_flag(value, text) is None


@given(st.decimals(-1000, 1000, places=2), st.decimals(-1000, 1000, places=2), st.decimals(-2000, 2000, places=2))
def test_a_value_inside_an_inclusive_range_is_normal_and_outside_it_is_not(a, b, value):
    low, high = sorted((a, b))
    expected = "low" if value < low else "high" if value > high else "normal"
    assert reference_flag(value, f"{low}-{high}") == expected
