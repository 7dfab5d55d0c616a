"""The FHIR API's search parameters, without a database: what each date prefix keeps, and what is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from healthbank import policy
from healthbank.fhir.params import SearchError, parse_count, parse_date, parse_offset

D = dt.date


@pytest.mark.parametrize(
    ("value", "inside", "outside"),
    [
        ("2024-05-03", [D(2024, 5, 3)], [D(2024, 5, 2), D(2024, 5, 4)]),
        ("eq2024-05", [D(2024, 5, 1), D(2024, 5, 31)], [D(2024, 4, 30), D(2024, 6, 1)]),
        ("2024", [D(2024, 1, 1), D(2024, 12, 31)], [D(2023, 12, 31), D(2025, 1, 1)]),
        ("ge2024-05-03", [D(2024, 5, 3), D(2026, 1, 1)], [D(2024, 5, 2)]),
        ("gt2024-05", [D(2024, 6, 1)], [D(2024, 5, 31)]),
        ("le2024-05", [D(2024, 5, 31), D(2020, 1, 1)], [D(2024, 6, 1)]),
        ("lt2024", [D(2023, 12, 31)], [D(2024, 1, 1)]),
        ("ne2024-05-03", [D(2024, 5, 2)], [D(2024, 5, 3)]),
        ("sa2024-12", [D(2025, 1, 1)], [D(2024, 12, 31)]),
        ("eb2024-12", [D(2024, 11, 30)], [D(2024, 12, 1)]),
        ("ge2024-05-03T10:00:00+08:00", [D(2024, 5, 3)], [D(2024, 5, 2)]),
        ("2024-12-31", [D(2024, 12, 31)], [D(2025, 1, 1)]),
        ("2024-12", [D(2024, 12, 31)], [D(2025, 1, 1)]),
    ],
)
def test_a_date_parameter_keeps_the_days_its_prefix_says(value, inside, outside):
    date_filter = parse_date(value)
    assert all(date_filter.matches(day) for day in inside)
    assert not any(date_filter.matches(day) for day in outside)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2024-13-01", "not a day of the calendar"),
        ("2024-02-30", "not a day of the calendar"),
        ("yesterday", "is not one of"),
        ("ap2024", "is not one of"),
        ("24-05-03", "is not a date"),
        ("2024/05/03", "is not a date"),
        ("", "is not a date"),
        ("ge", "is not a date"),
        ("２０２４", "is not a date"),
        ("2024-05-03T25", "is not a date"),
    ],
)
def test_a_malformed_date_is_refused_naming_the_parameter(value, reason):
    with translation.override("en"), pytest.raises(SearchError) as refused:
        parse_date(value)
    assert refused.value.parameter == "date"
    assert reason in refused.value.message


def test_the_reason_is_in_the_callers_language():
    with translation.override("zh-hant"), pytest.raises(SearchError) as refused:
        parse_date("2024-02-30")
    assert refused.value.message == "2024-02-30 不是日曆上的日期。"
    with translation.override("en"), pytest.raises(SearchError) as refused:
        parse_count("1000000")
    assert "at most 200" in refused.value.message


def test_count_defaults_caps_and_refuses():
    assert parse_count(None) == policy.FHIR_DEFAULT_COUNT
    assert parse_count("0") == 0
    assert parse_count(str(policy.FHIR_MAX_COUNT)) == policy.FHIR_MAX_COUNT
    for bad in (str(policy.FHIR_MAX_COUNT + 1), "1000000", "99999999999999999999", "-1", "1.5", "ten", "１"):
        with pytest.raises(SearchError) as refused:
            parse_count(bad)
        assert refused.value.parameter == "_count"


def test_offset_is_a_whole_number_within_bounds():
    assert parse_offset(None) == 0
    assert parse_offset("150") == 150
    for bad in ("-5", "x", str(policy.FHIR_MAX_OFFSET + 1)):
        with pytest.raises(SearchError) as refused:
            parse_offset(bad)
        assert refused.value.parameter == "_offset"


def test_the_last_day_of_the_calendar_and_a_time_zone_sent_unescaped():
    assert parse_date("ge9999-12-31").matches(D(9999, 12, 31))
    assert parse_date("9999").matches(D(9999, 6, 1))
    # "+08:00" unescaped in a URL arrives as " 08:00"
    assert parse_date("ge2024-05-03T10:00:00 08:00").matches(D(2024, 5, 3))


def test_a_huge_value_is_not_said_back_whole():
    with translation.override("en"), pytest.raises(SearchError) as refused:
        parse_date("ge2024" * 20_000)
    assert len(refused.value.message) < 200
