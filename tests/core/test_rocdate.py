import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthbank.core.rocdate import RocDateError, format_roc, format_roc_compact, parse_roc

DATES = st.dates(min_value=dt.date(1912, 1, 1), max_value=dt.date(2910, 12, 31))


def test_examples_from_the_manuals():
    assert format_roc(dt.date(2016, 10, 27)) == "105/10/27"
    assert format_roc_compact(dt.date(2016, 7, 30)) == "1050730"
    assert format_roc_compact(dt.date(1990, 5, 1)) == "0790501"
    assert parse_roc("105/10/27") == dt.date(2016, 10, 27)
    assert parse_roc("1050730") == dt.date(2016, 7, 30)
    assert parse_roc("79/5/1") == dt.date(1990, 5, 1)


@given(DATES)
def test_parse_inverts_both_formats(day):
    assert parse_roc(format_roc(day)) == day
    if day.year - 1911 < 1000:
        assert parse_roc(format_roc_compact(day)) == day


@pytest.mark.parametrize("text", ["", "105/13/01", "105/02/30", "abc", "0/01/01", "105-1-", "10507301"])
def test_bad_text_is_refused_with_a_reason(text):
    with pytest.raises(RocDateError) as info:
        parse_roc(text)
    assert str(info.value)


def test_dates_before_the_roc_calendar_are_refused():
    with pytest.raises(RocDateError):
        format_roc(dt.date(1911, 12, 31))
