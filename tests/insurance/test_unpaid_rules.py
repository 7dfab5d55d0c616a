"""The pure rules of unpaid premiums: the slip's three barcodes and check codes, the instalment schedule."""

from __future__ import annotations

import datetime as dt

import pytest

from healthbank import policy
from healthbank.insurance import unpaid


def test_the_check_characters_of_a_worked_example():
    # segment 1 "151231NHI": odd positions 1+1+3+N(5)+I(9) = 19, even 5+2+1+H(8) = 16
    # segment 2 "1000000000000123": odd 1+2 = 3, even 1+3 = 4
    # segment 3 "1511" + check + "000000826" (check counted as 00): odd 1+1+8+6 = 16, even 5+1+2 = 8
    # odd 38 % 11 = 5, even 28 % 11 = 6
    assert unpaid.check_characters("151231NHI", "1000000000000123", "1511000000826") == "56"
    # the same with NT$ 1,652: odd 32 % 11 = 10 → B, even 32 % 11 = 10 → Y
    assert unpaid.check_characters("151231NHI", "1000000000000123", "1511000001652") == "BY"


def test_remainders_of_zero_and_ten_are_written_as_letters():
    assert unpaid.check_characters("000000000", "0" * 16, "0000000000000") == "AX"
    # month "1100": odd 1, even 1; R (9) at an odd place and I (9) at an even one: 10 and 10
    assert unpaid.check_characters("000000000", "RI" + "0" * 14, "1100000000000") == "BY"


@pytest.mark.parametrize(
    ("char", "value"), [("0", 0), ("9", 9), ("A", 1), ("I", 9), ("J", 1), ("R", 9), ("S", 2), ("Z", 9), ("-", 0)]
)
def test_letters_count_as_the_stores_count_them(char, value):
    assert unpaid.character_value(char) == value


def test_a_slip_has_the_deadline_the_agency_the_bill_and_the_amount():
    codes = unpaid.slip_barcodes(
        deadline=dt.date(2026, 12, 31), bill="1000000000000123", month=dt.date(2026, 11, 1), amount=826
    )
    assert codes.segments == ("151231NHI", "1000000000000123", "151156000000826")
    assert unpaid.check_is_valid(*codes.segments)
    altered = codes.segment3[:-3] + "926"  # someone changes the amount: the store refuses it
    assert not unpaid.check_is_valid(codes.segment1, codes.segment2, altered)


def test_above_the_store_limit_there_are_no_store_barcodes():
    too_much = policy.PREMIUM_SLIP_STORE_LIMIT + 1
    assert (
        unpaid.slip_barcodes(deadline=dt.date(2026, 12, 31), bill="1" * 16, month=dt.date(2026, 11, 1), amount=too_much)
        is None
    )


def test_only_the_categories_that_pay_themselves_are_billed_to_the_person():
    assert [c for c in range(1, 7) if unpaid.is_self_billed(c)] == [2, 3, 6]


def test_the_threshold_and_the_most_instalments():
    assert unpaid.most_instalments(policy.PREMIUM_INSTALMENT_MIN_TOTAL - 1) == 0
    assert unpaid.most_instalments(2000) == 2  # two instalments of at least the minimum
    assert unpaid.most_instalments(4956) == 6  # 6 × 826
    assert unpaid.most_instalments(49_999) == 12  # art. 5 band: under 50,000 → 12
    assert unpaid.most_instalments(60_000) == 24
    assert unpaid.most_instalments(150_000) == 36
    assert unpaid.most_instalments(500_000) == 48


def test_a_schedule_sums_exactly_and_falls_due_monthly():
    plan = unpaid.schedule(4957, 6, today=dt.date(2026, 11, 20))
    assert sum(i.amount for i in plan) == 4957
    assert [i.amount for i in plan] == [827, 826, 826, 826, 826, 826]
    assert [i.due_on for i in plan] == [
        dt.date(2026, 12, 31),
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 30),
        dt.date(2027, 5, 31),
    ]
    with pytest.raises(ValueError):
        unpaid.schedule(4957, 7, today=dt.date(2026, 11, 20))
    with pytest.raises(ValueError):
        unpaid.schedule(4957, 1, today=dt.date(2026, 11, 20))
