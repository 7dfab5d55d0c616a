import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthbank.core import national_id as nid

LETTERS = st.sampled_from(sorted(nid.LETTER_CODES))
SEVEN_DIGITS = st.text("0123456789", min_size=7, max_size=7)


@st.composite
def valid_ids(draw, marks="12"):
    prefix = draw(LETTERS) + draw(st.sampled_from(marks)) + draw(SEVEN_DIGITS)
    return nid.with_check_digit(prefix)


@pytest.mark.parametrize(
    "value",
    [
        "A123456789",  # the textbook example
        "F131104093",
        "Z199999990",
        "A800000014",  # 2021 uniform resident certificate
        "AC01234567",  # old resident certificate
    ],
)
def test_known_valid_ids(value):
    assert nid.is_valid(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "required"),
        ("A12345678", "length"),
        ("A1234567890", "length"),
        ("1123456789", "first_letter"),
        ("A323456789", "format"),
        ("A12345678X", "format"),
        ("A123456788", "checksum"),
    ],
)
def test_invalid_ids_say_why(value, code):
    with pytest.raises(nid.NationalIdError) as info:
        nid.validate(value)
    assert info.value.code == code
    assert info.value.message


def test_input_is_normalised():
    assert nid.validate(" a123456789 ").value == "A123456789"
    assert nid.validate("Ａ１２３４５６７８９").value == "A123456789"  # full-width from an IME


@given(valid_ids(marks="1289"))
def test_every_completed_prefix_is_valid(value):
    assert nid.is_valid(value)


# Positions whose weight (7, 3, 1, 1) is coprime with 10: any change there must be caught.
@given(valid_ids(), st.sampled_from([2, 6, 8, 9]), st.integers(min_value=1, max_value=9))
def test_changing_a_coprime_weighted_digit_breaks_the_checksum(value, position, delta):
    digit = (int(value[position]) + delta) % 10
    altered = value[:position] + str(digit) + value[position + 1 :]
    assert not nid.is_valid(altered)


@given(valid_ids(marks="1289ABCD"))
def test_sex_follows_the_second_character(value):
    assert nid.sex_of(value) == ("M" if value[1] in "18AC" else "F")


@given(st.text(max_size=12))
def test_arbitrary_text_never_crashes(text):
    assert nid.is_valid(text) in (True, False)
