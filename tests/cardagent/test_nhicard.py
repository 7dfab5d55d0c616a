"""The 57-byte basic-data answer: APDUs, parser, builder, round trip and every malformed answer."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardagent.nhicard import (
    NHI_AID,
    READ_BASIC_DATA_APDU,
    SELECT_APDU,
    CardDataError,
    build_basic_data,
    parse_basic_data,
)


def _big5(ch: str) -> bool:
    try:
        ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return True


BIG5_CJK = [chr(code) for code in range(0x4E00, 0x9FA6) if _big5(chr(code))]
GOOD = build_basic_data("000012345678", "王小明", "A123456789", dt.date(1970, 5, 4), "M", dt.date(2025, 3, 1))


def with_bytes(data: bytes, start: int, replacement: bytes) -> bytes:
    return data[:start] + replacement + data[start + len(replacement) :]


# ---------------------------------------------------------------------------------------------------- APDUs


def test_select_apdu_is_the_documented_command():
    documented = bytes.fromhex("00 A4 04 00 10 D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00")
    assert SELECT_APDU == documented
    assert SELECT_APDU[:4] == bytes.fromhex("00A40400")  # SELECT by AID
    assert SELECT_APDU[4] == len(NHI_AID) == 16  # Lc matches the AID
    assert SELECT_APDU[5:] == bytes.fromhex("D1580000010000000000000000001100")


def test_read_basic_data_apdu():
    assert READ_BASIC_DATA_APDU == bytes([0x00, 0xCA, 0x11, 0x00, 0x02, 0x00, 0x00])


# ---------------------------------------------------------------------------------------------------- parsing


def test_parses_a_hand_written_answer_with_three_digit_roc_years():
    answer = (
        b"000012345678"
        + "王小明".encode("big5").ljust(20, b"\x00")
        + b"A123456789"
        + b"0590504"  # ROC 59 → 1970
        + b"F"
        + b"1140301"  # ROC 114 → 2025: the [51:57] bug would read "140301"
        + b"\x90\x00"
    )
    assert parse_basic_data(answer) == {
        "card_number": "000012345678",
        "name": "王小明",
        "national_id": "A123456789",
        "birth_date": dt.date(1970, 5, 4),
        "sex": "F",
        "issue_date": dt.date(2025, 3, 1),
    }


def test_birth_dates_from_2011_on_parse_correctly():
    data = build_basic_data("000012345678", "林美", "B223456789", dt.date(2011, 1, 1), "F", dt.date(2011, 1, 2))
    assert data[42:49] == b"1000101"
    parsed = parse_basic_data(data)
    assert parsed["birth_date"] == dt.date(2011, 1, 1)
    assert parsed["issue_date"] == dt.date(2011, 1, 2)


def test_accepts_57_bytes_with_or_without_status():
    assert len(GOOD) == 57
    assert parse_basic_data(GOOD) == parse_basic_data(GOOD + b"\x90\x00")
    assert parse_basic_data(bytearray(GOOD))["card_number"] == "000012345678"


def test_name_padded_with_spaces_and_long_names():
    data = with_bytes(GOOD, 12, "歐陽娜娜".encode("big5").ljust(20, b" "))
    assert parse_basic_data(data)["name"] == "歐陽娜娜"
    ten = "司馬" + "王" * 8  # 10 characters: the full 20 bytes, no padding at all
    data = build_basic_data("000012345678", ten, "A123456789", dt.date(1990, 1, 1), "M", dt.date(2020, 1, 1))
    assert data[12:32] == ten.encode("big5")
    assert parse_basic_data(data)["name"] == ten


def test_name_falls_back_to_cp950():
    name = "王碁裏"  # 碁 and 裏 are in cp950 (the ETEN extension) but not in Python's big5
    with pytest.raises(UnicodeEncodeError):
        name.encode("big5")
    data = build_basic_data("000012345678", name, "A123456789", dt.date(1990, 1, 1), "M", dt.date(2020, 1, 1))
    assert data[12:32] == name.encode("cp950").ljust(20, b"\x00")
    assert parse_basic_data(data)["name"] == name


@given(
    name=st.lists(st.sampled_from(BIG5_CJK), min_size=2, max_size=6).map("".join),
    card_number=st.from_regex(r"\A[0-9]{12}\Z"),
    national_id=st.from_regex(r"\A[A-Z][A-Z0-9]{9}\Z"),
    birth_date=st.dates(min_value=dt.date(1912, 1, 1), max_value=dt.date(2110, 12, 31)),  # ROC 1-199
    issue_date=st.dates(min_value=dt.date(1912, 1, 1), max_value=dt.date(2110, 12, 31)),
    sex=st.sampled_from(["M", "F"]),
)
def test_round_trip(name, card_number, national_id, birth_date, issue_date, sex):
    data = build_basic_data(card_number, name, national_id, birth_date, sex, issue_date)
    assert len(data) == 57
    for answer in (data, data + b"\x90\x00"):
        assert parse_basic_data(answer) == {
            "card_number": card_number,
            "name": name,
            "national_id": national_id,
            "birth_date": birth_date,
            "sex": sex,
            "issue_date": issue_date,
        }


# ---------------------------------------------------------------------------------------------------- refusals

MALFORMED = {
    "empty": (b"", "wrong length: 0 bytes"),
    "short": (GOOD[:-1], "wrong length: 56 bytes"),
    "one byte extra": (GOOD + b"\x00", "wrong length: 58 bytes"),
    "status plus extra": (GOOD + b"\x90\x00\x00", "wrong length: 60 bytes"),
    "short with status": (GOOD[:-1] + b"\x90\x00", "wrong length"),
    "error status with data": (GOOD + b"\x6a\x82", "status word is 6A82, not 9000"),
    "warning status with data": (GOOD + b"\x62\x83", "status word is 6283, not 9000"),
    "error status alone": (b"\x6a\x82", "status word 6A82 (not 9000)"),
    "card number with a letter": (with_bytes(GOOD, 0, b"00001234567X"), "card number (bytes 0-12) must be 12 ASCII"),
    "card number with a space": (with_bytes(GOOD, 0, b" 00012345678"), "card number (bytes 0-12) must be 12 ASCII"),
    "card number not ASCII": (with_bytes(GOOD, 0, b"\xa4\xa4"), "card number (bytes 0-12) must be 12 digits"),
    "name all NUL": (with_bytes(GOOD, 12, b"\x00" * 20), "name (bytes 12-32) is empty"),
    "name all spaces": (with_bytes(GOOD, 12, b" " * 20), "name (bytes 12-32) is empty"),
    "name not Big5": (with_bytes(GOOD, 12, b"\xff\xfe\xff\xfe".ljust(20, b"\x00")), "not valid Big5"),
    "name half a character": (with_bytes(GOOD, 12, b"\xa4".ljust(20, b"\x00")), "not valid Big5"),
    "name NUL inside": (with_bytes(GOOD, 12, "王".encode("big5") + b"\x00" + "明".encode("big5")), "NUL byte inside"),
    "name control character": (with_bytes(GOOD, 12, b"\x07\x07".ljust(20, b"\x00")), "control characters"),
    "ID lower case": (with_bytes(GOOD, 32, b"a123456789"), "national ID (bytes 32-42) must be 10 ASCII"),
    "ID starts with a digit": (with_bytes(GOOD, 32, b"1123456789"), "national ID (bytes 32-42) must be 10 ASCII"),
    "ID with a space": (with_bytes(GOOD, 32, b"A12345678 "), "national ID (bytes 32-42) must be 10 ASCII"),
    "ID with punctuation": (with_bytes(GOOD, 32, b"A1234-6789"), "national ID (bytes 32-42) must be 10 ASCII"),
    "ID not ASCII": (with_bytes(GOOD, 32, b"A12345678\xff"), "national ID (bytes 32-42) must be 10 ASCII"),
    "birth month 13": (with_bytes(GOOD, 42, b"0591304"), "birth date (bytes 42-49) is not a real date"),
    "birth day 32": (with_bytes(GOOD, 42, b"0590532"), "birth date (bytes 42-49) is not a real date"),
    "birth 29 Feb of a common year": (with_bytes(GOOD, 42, b"1120229"), "birth date (bytes 42-49) is not a real"),
    "birth ROC year 0": (with_bytes(GOOD, 42, b"0000101"), "birth date (bytes 42-49) has ROC year 0"),
    "birth date not digits": (with_bytes(GOOD, 42, b"59-0504"), "birth date (bytes 42-49) must be 7 ASCII digits"),
    "birth date not ASCII": (with_bytes(GOOD, 42, b"\xa4\xa40504"), "birth date (bytes 42-49) must be 7 digits"),
    "sex X": (with_bytes(GOOD, 49, b"X"), "sex (byte 49) must be M or F"),
    "sex lower case": (with_bytes(GOOD, 49, b"m"), "sex (byte 49) must be M or F"),
    "sex digit": (with_bytes(GOOD, 49, b"1"), "sex (byte 49) must be M or F"),
    "issue month 0": (with_bytes(GOOD, 50, b"1140001"), "issue date (bytes 50-57) is not a real date"),
    "issue date not digits": (with_bytes(GOOD, 50, b"114 301"), "issue date (bytes 50-57) must be 7 ASCII digits"),
}


@pytest.mark.parametrize(("data", "message"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_answers_are_refused(data, message):
    with pytest.raises(CardDataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_basic_data(data)
    if len(data) == 57:  # the same refusal behind a good status word
        with pytest.raises(CardDataError):
            parse_basic_data(data + b"\x90\x00")


def test_card_data_error_is_a_value_error_and_never_quotes_the_id():
    with pytest.raises(ValueError, match="national ID") as caught:
        parse_basic_data(with_bytes(GOOD, 32, b"a123456789"))
    assert "123456789" not in str(caught.value)


def test_not_bytes_is_refused():
    with pytest.raises(CardDataError, match="must be bytes"):
        parse_basic_data(GOOD.decode("latin-1"))


# ---------------------------------------------------------------------------------------------------- builder


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"card_number": "12345"}, "card number must be 12 ASCII digits"),
        ({"card_number": "００００１２３４５６７８"}, "card number must be 12 ASCII digits"),  # full-width digits
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": "王" * 11}, "name takes 22 bytes in Big5; the card has room for 20"),
        ({"name": "王\x00明"}, "control characters"),
        ({"name": " 王明"}, "leading/trailing spaces"),
        ({"name": "王😀"}, "cannot be encoded in Big5"),
        ({"national_id": "A12345678"}, "national ID must be 10 ASCII"),
        ({"national_id": "a123456789"}, "national ID must be 10 ASCII"),
        ({"sex": "X"}, "sex must be M or F"),
        ({"birth_date": dt.date(1911, 12, 31)}, "birth date is outside ROC years 1-999"),
        ({"birth_date": "1970-05-04"}, "birth date must be a date"),
        ({"issue_date": dt.date(2911, 1, 1)}, "issue date is outside ROC years 1-999"),
    ],
)
def test_build_refuses_what_does_not_fit(override, message):
    values = {
        "card_number": "000012345678",
        "name": "王小明",
        "national_id": "A123456789",
        "birth_date": dt.date(1970, 5, 4),
        "sex": "M",
        "issue_date": dt.date(2025, 3, 1),
    } | override
    with pytest.raises(CardDataError, match=message.replace("(", r"\(")):
        build_basic_data(**values)


def test_build_uses_roc_years_and_nul_padding():
    assert GOOD[:12] == b"000012345678"
    assert GOOD[12:32] == "王小明".encode("big5") + b"\x00" * 14
    assert GOOD[32:42] == b"A123456789"
    assert GOOD[42:49] == b"0590504"
    assert GOOD[49:50] == b"M"
    assert GOOD[50:57] == b"1140301"
    assert (
        build_basic_data("000012345678", "王", "A123456789", dt.date(2110, 12, 31), "M", dt.date(1912, 1, 1))[42:57]
        == b"1991231M0010101"
    )
