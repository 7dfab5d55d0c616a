"""The NHI IC card's basic-data answer: the two APDUs, the 57-byte layout, a strict parser and its inverse.

See ``/work/shared/reference/nhi-card.md``. Layout (0-based, end exclusive)::

    0-12   card number    12 ASCII digits
    12-32  name           Big5, padded with NUL or spaces
    32-42  national ID    ASCII, a letter and 9 letters or digits
    42-49  birth date     ROC YYYMMDD (7 characters: the year has three digits)
    49     sex            "M" / "F"
    50-57  issue date     ROC YYYMMDD

Error messages say what is wrong and where, but never repeat the card's values (no ID or birth date in logs).
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = [
    "BASIC_DATA_LENGTH",
    "FIELD_ENCODERS",
    "NHI_AID",
    "READ_BASIC_DATA_APDU",
    "SELECT_APDU",
    "STATUS_OK",
    "CardDataError",
    "build_basic_data",
    "encode_field",
    "format_roc_date",
    "parse_basic_data",
    "parse_roc_date",
]

#: The NHI application identifier (16 bytes).
NHI_AID = bytes.fromhex("D1580000010000000000000000001100")

#: SELECT by AID exactly as nhi-card.md writes it: ``00 A4 04 00 10`` then the 16-byte AID (21 bytes, no Le),
#: the command every public reader sends.
SELECT_APDU = bytes.fromhex("00A4040010") + NHI_AID

#: READ basic data: ``00 CA 11 00 02 00 00``.
READ_BASIC_DATA_APDU = bytes.fromhex("00CA11000200 00")

STATUS_OK = b"\x90\x00"
BASIC_DATA_LENGTH = 57
NAME_LENGTH = 20
ROC_EPOCH = 1911

_CARD_NUMBER = slice(0, 12)
_NAME = slice(12, 32)
_NATIONAL_ID = slice(32, 42)
_BIRTH_DATE = slice(42, 49)
_SEX = slice(49, 50)
_ISSUE_DATE = slice(50, 57)

_CARD_NUMBER_RE = re.compile(r"[0-9]{12}")
_NATIONAL_ID_RE = re.compile(r"[A-Z][A-Z0-9]{9}")
_ROC_DATE_RE = re.compile(r"[0-9]{7}")
_NAME_CODECS = ("big5", "cp950")
_PADDING = b"\x00 "


class CardDataError(ValueError):
    """The card's answer (or the data to build one) is malformed; the message says what is wrong."""


def parse_roc_date(text: str, field: str = "date") -> dt.date:
    """``"0590504"`` → 1970-05-04. Seven digits: a three-digit ROC year (1–999), month, day."""
    if not _ROC_DATE_RE.fullmatch(text):
        raise CardDataError(f"{field} must be 7 ASCII digits (ROC YYYMMDD)")
    year, month, day = int(text[:3]), int(text[3:5]), int(text[5:7])
    if year < 1:
        raise CardDataError(f"{field} has ROC year 0, which does not exist")
    try:
        return dt.date(year + ROC_EPOCH, month, day)
    except ValueError:
        raise CardDataError(f"{field} is not a real date (month or day out of range)") from None


def format_roc_date(value: dt.date, field: str = "date") -> str:
    """1970-05-04 → ``"0590504"``; only ROC years 1–999 fit the card's three digits."""
    if not isinstance(value, dt.date):
        raise CardDataError(f"{field} must be a date")
    year = value.year - ROC_EPOCH
    if not 1 <= year <= 999:
        raise CardDataError(f"{field} is outside ROC years 1-999 (1912-2910)")
    return f"{year:03d}{value.month:02d}{value.day:02d}"


def _ascii(data: bytes, field: str, what: str) -> str:
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise CardDataError(f"{field} must be {what}; it has non-ASCII bytes") from None


def _decode_name(raw: bytes) -> str:
    stripped = raw.strip(_PADDING)
    if not stripped:
        raise CardDataError("name (bytes 12-32) is empty")
    if b"\x00" in stripped:
        raise CardDataError("name (bytes 12-32) has a NUL byte inside it")
    for codec in _NAME_CODECS:
        try:
            name = stripped.decode(codec)
        except UnicodeDecodeError:
            continue
        if name.isprintable():
            return name
        raise CardDataError("name (bytes 12-32) decodes to control characters")
    raise CardDataError("name (bytes 12-32) is not valid Big5 (nor cp950)")


def parse_basic_data(data: bytes) -> dict:
    """Parse the card's basic-data answer: exactly 57 bytes, or 57 bytes followed by status ``90 00``.

    Returns ``card_number``, ``name``, ``national_id`` (str), ``birth_date``, ``issue_date`` (``datetime.date``)
    and ``sex`` ("M"/"F"). Raises ``CardDataError`` for anything malformed.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CardDataError(f"card answer must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) == 2 and data != STATUS_OK:
        raise CardDataError(f"card answered status word {data.hex().upper()} (not 9000) with no data")
    if len(data) == BASIC_DATA_LENGTH + 2:
        status = data[-2:]
        if status != STATUS_OK:
            raise CardDataError(f"status word is {status.hex().upper()}, not 9000")
        data = data[:-2]
    if len(data) != BASIC_DATA_LENGTH:
        raise CardDataError(
            f"wrong length: {len(data)} bytes; expected {BASIC_DATA_LENGTH} data bytes, optionally followed by 9000"
        )

    card_number = _ascii(data[_CARD_NUMBER], "card number (bytes 0-12)", "12 digits")
    if not _CARD_NUMBER_RE.fullmatch(card_number):
        raise CardDataError("card number (bytes 0-12) must be 12 ASCII digits")

    name = _decode_name(data[_NAME])

    what = "10 ASCII characters: a letter and 9 letters or digits"
    national_id = _ascii(data[_NATIONAL_ID], "national ID (bytes 32-42)", what)
    if not _NATIONAL_ID_RE.fullmatch(national_id):
        raise CardDataError(f"national ID (bytes 32-42) must be {what}")

    birth_date = parse_roc_date(
        _ascii(data[_BIRTH_DATE], "birth date (bytes 42-49)", "7 digits"), "birth date (bytes 42-49)"
    )

    sex = data[_SEX]
    if sex not in (b"M", b"F"):
        raise CardDataError("sex (byte 49) must be M or F")

    issue_date = parse_roc_date(
        _ascii(data[_ISSUE_DATE], "issue date (bytes 50-57)", "7 digits"), "issue date (bytes 50-57)"
    )

    return {
        "card_number": card_number,
        "name": name,
        "national_id": national_id,
        "birth_date": birth_date,
        "sex": sex.decode("ascii"),
        "issue_date": issue_date,
    }


def _encode_name(name: str) -> bytes:
    if not isinstance(name, str) or not name.strip():
        raise CardDataError("name must be a non-empty string")
    if not name.isprintable() or name != name.strip():
        raise CardDataError("name must not have control characters or leading/trailing spaces")
    for codec in _NAME_CODECS:
        try:
            encoded = name.encode(codec)
        except UnicodeEncodeError:
            continue
        break
    else:
        raise CardDataError("name cannot be encoded in Big5 (nor cp950)")
    if len(encoded) > NAME_LENGTH:
        raise CardDataError(f"name takes {len(encoded)} bytes in Big5; the card has room for {NAME_LENGTH}")
    return encoded.ljust(NAME_LENGTH, b"\x00")


def _encode_card_number(card_number: str) -> bytes:
    if not isinstance(card_number, str) or not _CARD_NUMBER_RE.fullmatch(card_number):
        raise CardDataError("card number must be 12 ASCII digits")
    return card_number.encode("ascii")


def _encode_national_id(national_id: str) -> bytes:
    if not isinstance(national_id, str) or not _NATIONAL_ID_RE.fullmatch(national_id):
        raise CardDataError("national ID must be 10 ASCII characters: a letter and 9 letters or digits")
    return national_id.encode("ascii")


def _encode_sex(sex: str) -> bytes:
    if sex not in ("M", "F"):
        raise CardDataError("sex must be M or F")
    return sex.encode("ascii")


#: The basic-data fields in card order, each with its encoder (value → bytes, ``CardDataError`` if it cannot be).
FIELD_ENCODERS = {
    "card_number": _encode_card_number,
    "name": _encode_name,
    "national_id": _encode_national_id,
    "birth_date": lambda value: format_roc_date(value, "birth date").encode("ascii"),
    "sex": _encode_sex,
    "issue_date": lambda value: format_roc_date(value, "issue date").encode("ascii"),
}


def encode_field(field: str, value) -> bytes:
    """One field's bytes on the card (``field`` is a ``parse_basic_data`` key); raises ``CardDataError``."""
    return FIELD_ENCODERS[field](value)


def build_basic_data(
    card_number: str,
    name: str,
    national_id: str,
    birth_date: dt.date,
    sex: str,
    issue_date: dt.date,
) -> bytes:
    """The inverse of ``parse_basic_data``: the 57 data bytes (without status word) a card would answer."""
    values = {
        "card_number": card_number,
        "name": name,
        "national_id": national_id,
        "birth_date": birth_date,
        "sex": sex,
        "issue_date": issue_date,
    }
    data = b"".join(encode_field(field, value) for field, value in values.items())
    if len(data) != BASIC_DATA_LENGTH:  # pragma: no cover - layout invariant
        raise AssertionError(f"built {len(data)} bytes, expected {BASIC_DATA_LENGTH}")
    return data
