"""Card sources: the simulated card file and the PC/SC reader (with and without pyscard)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
import types

import pytest

from cardagent.nhicard import (
    READ_BASIC_DATA_APDU,
    SELECT_APDU,
    CardDataError,
    build_basic_data,
    parse_basic_data,
)
from cardagent.sources import (
    CardFileError,
    CardSource,
    NoCardError,
    PcscCard,
    SigningNotAvailable,
    SimulatedCard,
    write_card_file,
)

from .conftest import CARD, PRIVATE_KEY

# ---------------------------------------------------------------------------------------------------- simulated


def test_simulated_card_reads_like_a_real_one(card):
    assert isinstance(card, CardSource)
    assert card.present()
    assert card.presence() == (True, f"simulated card file {card.path}")
    answer = card.read_basic_data()
    assert len(answer) == 59
    assert answer[-2:] == b"\x90\x00"
    assert parse_basic_data(answer) == CARD


def test_card_file_shape(card_path):
    raw = json.loads(card_path.read_text(encoding="utf-8"))
    assert raw == {
        "card_number": "000012345678",
        "name": "王小明",
        "national_id": "A123456789",
        "birth_date": "1970-05-04",
        "sex": "M",
        "issue_date": "2025-03-01",
        "private_key": PRIVATE_KEY.hex(),
    }


def test_write_card_file_returns_the_public_key(tmp_path):
    public = write_card_file(tmp_path / "c.json", **CARD)
    assert len(public) == 32
    assert SimulatedCard(tmp_path / "c.json").public_key_raw() == public


def test_missing_card_file(tmp_path):
    card = SimulatedCard(tmp_path / "nope.json")
    assert not card.present()
    present, detail = card.presence()
    assert not present
    assert "nope.json does not exist" in detail
    with pytest.raises(NoCardError):
        card.read_basic_data()
    with pytest.raises(NoCardError):
        card.sign(b"message")


def test_taking_the_card_out(card, card_path):
    assert card.present()
    card_path.unlink()
    assert not card.present()


def _write(path, raw):
    path.write_text(raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False), encoding="utf-8")


GOOD_FILE = {
    "card_number": "000012345678",
    "name": "王小明",
    "national_id": "A123456789",
    "birth_date": "1970-05-04",
    "sex": "M",
    "issue_date": "2025-03-01",
    "private_key": PRIVATE_KEY.hex(),
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"card_number": None}, "field 'card_number' is missing"),
        ({"name": None}, "field 'name' is missing"),
        ({"national_id": None}, "field 'national_id' is missing"),
        ({"birth_date": None}, "field 'birth_date' is missing"),
        ({"sex": None}, "field 'sex' is missing"),
        ({"issue_date": None}, "field 'issue_date' is missing"),
        ({"private_key": None}, "field 'private_key' is missing"),
        ({"card_number": 12345678}, "field 'card_number' must be a string"),
        ({"card_number": "1234"}, "field 'card_number': card number must be 12 ASCII digits"),
        ({"name": "王" * 11}, "field 'name': name takes 22 bytes"),
        ({"name": "Ωmega😀"}, "field 'name': name cannot be encoded"),
        ({"national_id": "A12345678"}, "field 'national_id': national ID must be"),
        ({"birth_date": "1970-02-30"}, "field 'birth_date' must be a real date written YYYY-MM-DD"),
        ({"birth_date": "04/05/1970"}, "field 'birth_date' must be a real date written YYYY-MM-DD"),
        ({"birth_date": "1900-01-01"}, "field 'birth_date': birth date is outside ROC years"),
        ({"issue_date": "20250301"}, "field 'issue_date' must be a real date written YYYY-MM-DD"),
        ({"sex": "male"}, "field 'sex': sex must be M or F"),
        ({"private_key": "00" * 31}, "field 'private_key' must be 64 hex characters"),
        ({"private_key": "zz" * 32}, "field 'private_key' must be 64 hex characters"),
    ],
)
def test_malformed_card_file_names_the_field(tmp_path, change, message):
    raw = {key: value for key, value in (GOOD_FILE | change).items() if value is not None}
    path = tmp_path / "card.json"
    _write(path, raw)
    card = SimulatedCard(path)
    assert card.present()  # the file is there; reading it is what fails
    for call in (card.read_basic_data, lambda: card.sign(b"m")):
        with pytest.raises(CardFileError, match=message.replace("(", r"\(")) as caught:
            call()
        assert str(path) in str(caught.value)
        assert "A123456789" not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not valid JSON"), ("[1, 2]", "must be a JSON object"), ("", "not valid JSON")],
)
def test_card_file_not_a_json_object(tmp_path, content, message):
    path = tmp_path / "card.json"
    _write(path, content)
    with pytest.raises(CardFileError, match=message):
        SimulatedCard(path).read_basic_data()


def test_card_file_not_utf8(tmp_path):
    path = tmp_path / "card.json"
    path.write_bytes(json.dumps(GOOD_FILE, ensure_ascii=False).encode("big5"))
    with pytest.raises(CardFileError, match="cannot be read as UTF-8"):
        SimulatedCard(path).read_basic_data()


# ---------------------------------------------------------------------------------------------------- PC/SC


@pytest.mark.skipif(importlib.util.find_spec("smartcard") is not None, reason="pyscard is installed here")
def test_pcsc_without_pyscard_is_not_present():
    card = PcscCard()
    assert card.kind == "pcsc"
    assert not card.present()
    assert card.presence() == (False, "pyscard is not installed (pip install pyscard)")
    with pytest.raises(NoCardError, match="pyscard is not installed"):
        card.read_basic_data()


def test_pcsc_cannot_sign():
    with pytest.raises(SigningNotAvailable, match="NHI secure access module"):
        PcscCard().sign(b"anything")


class FakeConnection:
    """A pyscard connection to an NHI card: answers SELECT and READ, records what was sent."""

    def __init__(self, reader):
        self.reader = reader
        self.sent: list[bytes] = []
        self.disconnected = False

    def connect(self):
        if not self.reader.card_inserted:
            raise self.reader.no_card("no card")

    def transmit(self, apdu):
        apdu = bytes(apdu)
        self.sent.append(apdu)
        return self.reader.answers[apdu]

    def disconnect(self):
        self.disconnected = True


class FakeReader:
    def __init__(self, answers, card_inserted=True):
        self.answers = answers
        self.card_inserted = card_inserted
        self.connections: list[FakeConnection] = []
        self.no_card = type("NoCardException", (Exception,), {})

    def createConnection(self):  # pyscard's name
        connection = FakeConnection(self)
        self.connections.append(connection)
        return connection

    def __str__(self):
        return "Fake Reader 0"


@pytest.fixture
def fake_pyscard(monkeypatch):
    """Install a fake ``smartcard`` package; returns the list its ``readers()`` answers."""
    found: list[FakeReader] = []
    package = types.ModuleType("smartcard")
    system = types.ModuleType("smartcard.System")
    system.readers = lambda: list(found)
    package.System = system
    monkeypatch.setitem(sys.modules, "smartcard", package)
    monkeypatch.setitem(sys.modules, "smartcard.System", system)
    return found


def _nhi_answers():
    data = build_basic_data(**CARD)
    return {SELECT_APDU: ([], 0x90, 0x00), READ_BASIC_DATA_APDU: (list(data), 0x90, 0x00)}


def test_pcsc_reads_select_then_read(fake_pyscard):
    reader = FakeReader(_nhi_answers())
    fake_pyscard.append(reader)
    card = PcscCard()
    assert card.presence() == (True, "card in reader Fake Reader 0")
    answer = card.read_basic_data()
    assert parse_basic_data(answer) == CARD
    last = reader.connections[-1]
    assert last.sent == [SELECT_APDU, READ_BASIC_DATA_APDU]
    assert last.disconnected


def test_pcsc_follows_get_response(fake_pyscard):
    answers = _nhi_answers()
    data, _, _ = answers[READ_BASIC_DATA_APDU]
    answers[READ_BASIC_DATA_APDU] = ([], 0x61, len(data))
    answers[bytes([0x00, 0xC0, 0x00, 0x00, len(data)])] = (data, 0x90, 0x00)
    fake_pyscard.append(FakeReader(answers))
    assert parse_basic_data(PcscCard().read_basic_data())["national_id"] == "A123456789"


def test_pcsc_not_an_nhi_card(fake_pyscard):
    fake_pyscard.append(FakeReader({SELECT_APDU: ([], 0x6A, 0x82)}))
    with pytest.raises(CardDataError, match="not an NHI card: SELECT of the NHI application answered 6A82"):
        PcscCard().read_basic_data()


def test_pcsc_no_reader_no_card_wrong_index(fake_pyscard):
    assert PcscCard().presence() == (False, "no PC/SC smart card reader found")
    fake_pyscard.append(FakeReader(_nhi_answers(), card_inserted=False))
    present, detail = PcscCard().presence()
    assert not present
    assert detail == "no card in reader Fake Reader 0 (NoCardException)"
    with pytest.raises(NoCardError):
        PcscCard().read_basic_data()
    assert PcscCard(reader_index=1).presence() == (False, "reader index 1 not available (1 reader(s) found)")


def test_pcsc_card_pulled_out_mid_read(fake_pyscard):
    fake_pyscard.append(FakeReader({SELECT_APDU: ([], 0x90, 0x00)}))  # READ raises KeyError, like a lost card
    with pytest.raises(NoCardError, match="reading the card failed"):
        PcscCard().read_basic_data()


def test_dates_survive_the_card_file(tmp_path):
    path = tmp_path / "young.json"
    write_card_file(path, **(CARD | {"birth_date": dt.date(2012, 2, 29), "issue_date": dt.date(2024, 12, 31)}))
    parsed = parse_basic_data(SimulatedCard(path).read_basic_data())
    assert parsed["birth_date"] == dt.date(2012, 2, 29)
    assert parsed["issue_date"] == dt.date(2024, 12, 31)
