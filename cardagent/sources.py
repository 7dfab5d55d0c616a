"""Where the card's answers come from: a simulated card file, or a real NHI card in a PC/SC reader."""

from __future__ import annotations

import abc
import datetime as dt
import json
import os
import re
from pathlib import Path

from .nhicard import (
    FIELD_ENCODERS,
    READ_BASIC_DATA_APDU,
    SELECT_APDU,
    STATUS_OK,
    CardDataError,
    build_basic_data,
    encode_field,
)

__all__ = [
    "CARD_FILE_FIELDS",
    "CardFileError",
    "CardSource",
    "NoCardError",
    "PcscCard",
    "SigningNotAvailable",
    "SimulatedCard",
    "write_card_file",
]

SIGNING_NOT_AVAILABLE = (
    "real NHI cards sign through the NHI secure access module, which HealthBank cannot reach; "
    "use a simulated card for development"
)

CARD_FILE_FIELDS = ("card_number", "name", "national_id", "birth_date", "sex", "issue_date", "private_key")
_DATE_FIELDS = ("birth_date", "issue_date")
_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PRIVATE_KEY_RE = re.compile(r"[0-9a-fA-F]{64}")


class NoCardError(Exception):
    """There is no card to read (no card file, no reader, no card in the reader)."""


class CardFileError(ValueError):
    """A simulated card file is unreadable or malformed; the message names the file and the field."""


class SigningNotAvailable(Exception):  # the name the HealthBank pages and docs use
    """This card source cannot sign a HealthBank proof."""


def read_json_file(path: Path, what: str, missing: type[Exception], malformed: type[Exception]) -> object:
    """A simulated card or certificate file's JSON; ``missing`` when it is not there (the card is out)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise missing(f"no simulated {what}: {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise malformed(f"{what} file {path}: cannot be read as UTF-8 text ({exc.__class__.__name__})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise malformed(f"{what} file {path}: not valid JSON (line {exc.lineno}, column {exc.colno})") from None


class CardSource(abc.ABC):
    """A card the agent can read: ``present()``, ``read_basic_data()`` (57 bytes + 9000) and ``sign()``."""

    #: "simulated" or "pcsc", shown by ``GET /status``.
    kind: str = ""

    def presence(self) -> tuple[bool, str]:
        """Whether a card is present, and a human-readable detail (why not, or which card/reader)."""
        present = self.present()
        return present, "card present" if present else "no card"

    @abc.abstractmethod
    def present(self) -> bool: ...

    @abc.abstractmethod
    def read_basic_data(self) -> bytes:
        """The card's basic-data answer: 57 data bytes followed by status ``90 00``. Raises ``NoCardError``."""

    @abc.abstractmethod
    def sign(self, message: bytes) -> bytes:
        """An Ed25519 signature of ``message`` by the card's key. Raises ``SigningNotAvailable`` if impossible."""


# ---------------------------------------------------------------------------------------------------- simulated


class SimulatedCard(CardSource):
    """A card described by a JSON file (UTF-8)::

        {"card_number": "000012345678", "name": "王小明", "national_id": "A123456789",
         "birth_date": "1970-05-04", "sex": "M", "issue_date": "2025-03-01",
         "private_key": "<64 hex chars: Ed25519 raw private key>"}

    The file is read on every call, so taking it away (or putting another one in place) behaves like pulling
    the card out of the reader (or inserting another one).
    """

    kind = "simulated"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"SimulatedCard({str(self.path)!r})"

    def present(self) -> bool:
        return self.path.is_file()

    def presence(self) -> tuple[bool, str]:
        if self.present():
            return True, f"simulated card file {self.path}"
        return False, f"no simulated card: {self.path} does not exist"

    def load(self) -> dict:
        """The validated card file: dates as ``datetime.date``, the key as an Ed25519 private key object."""
        raw = read_json_file(self.path, "card", NoCardError, CardFileError)
        return parse_card_file(raw, where=f"card file {self.path}")

    def read_basic_data(self) -> bytes:
        card = self.load()
        return (
            build_basic_data(
                card["card_number"],
                card["name"],
                card["national_id"],
                card["birth_date"],
                card["sex"],
                card["issue_date"],
            )
            + STATUS_OK
        )

    def sign(self, message: bytes) -> bytes:
        return self.load()["private_key"].sign(bytes(message))

    def public_key_raw(self) -> bytes:
        """The 32-byte raw Ed25519 public key (what HealthBank registers when it issues the card)."""
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return self.load()["private_key"].public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def parse_card_file(raw: object, where: str = "card file") -> dict:
    """Validate a decoded card file; errors name the field (never its value)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not isinstance(raw, dict):
        raise CardFileError(f"{where}: must be a JSON object")
    card: dict = {}
    for field in CARD_FILE_FIELDS:
        if field not in raw:
            raise CardFileError(f"{where}: field {field!r} is missing")
        value = raw[field]
        if not isinstance(value, str):
            raise CardFileError(f"{where}: field {field!r} must be a string")
        card[field] = value
    for field in _DATE_FIELDS:
        value = card[field]
        try:
            if not _ISO_DATE_RE.fullmatch(value):
                raise ValueError
            card[field] = dt.date.fromisoformat(value)
        except ValueError:
            raise CardFileError(f"{where}: field {field!r} must be a real date written YYYY-MM-DD") from None
    if not _PRIVATE_KEY_RE.fullmatch(card["private_key"]):
        raise CardFileError(f"{where}: field 'private_key' must be 64 hex characters (an Ed25519 raw private key)")
    card["private_key"] = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(card["private_key"]))
    # The card's own rules (12-digit number, ID shape, Big5 name that fits, M/F, ROC years) apply too.
    for field in FIELD_ENCODERS:
        try:
            encode_field(field, card[field])
        except CardDataError as exc:
            raise CardFileError(f"{where}: field {field!r}: {exc}") from None
    return card


def write_card_file(
    path: str | os.PathLike[str],
    *,
    card_number: str,
    name: str,
    national_id: str,
    birth_date: dt.date,
    sex: str,
    issue_date: dt.date,
    private_key: bytes | None = None,
) -> bytes:
    """Write a simulated card file (a new random key unless ``private_key`` is given); returns the raw public key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    key = Ed25519PrivateKey.from_private_bytes(private_key) if private_key is not None else Ed25519PrivateKey.generate()
    raw = {
        "card_number": card_number,
        "name": name,
        "national_id": national_id,
        "birth_date": birth_date.isoformat(),
        "sex": sex,
        "issue_date": issue_date.isoformat(),
        "private_key": key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex(),
    }
    parse_card_file(raw, where=f"card file {path}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(raw, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


# ---------------------------------------------------------------------------------------------------- PC/SC


class PcscCard(CardSource):
    """A real NHI card in a PC/SC reader, through ``pyscard`` (imported only when used; not a dependency)."""

    kind = "pcsc"

    def __init__(self, reader_index: int = 0) -> None:
        self.reader_index = reader_index

    def __repr__(self) -> str:
        return f"PcscCard(reader_index={self.reader_index})"

    def _reader(self):
        """The pyscard reader object; raises ``NoCardError`` saying why there is none."""
        try:
            from smartcard.System import readers
        except ImportError:
            raise NoCardError("pyscard is not installed (pip install pyscard)") from None
        try:
            found = list(readers())
        except Exception as exc:  # pcscd missing, no permission, ...: all mean "no reader"
            raise NoCardError(f"cannot list PC/SC readers ({exc.__class__.__name__})") from None
        if not found:
            raise NoCardError("no PC/SC smart card reader found")
        if not 0 <= self.reader_index < len(found):
            raise NoCardError(f"reader index {self.reader_index} not available ({len(found)} reader(s) found)")
        return found[self.reader_index]

    def _connect(self):
        reader = self._reader()
        connection = reader.createConnection()
        try:
            connection.connect()
        except Exception as exc:  # NoCardException, CardConnectionException, ...
            raise NoCardError(f"no card in reader {reader} ({exc.__class__.__name__})") from None
        return reader, connection

    def presence(self) -> tuple[bool, str]:
        try:
            reader, connection = self._connect()
        except NoCardError as exc:
            return False, str(exc)
        _disconnect(connection)
        return True, f"card in reader {reader}"

    def present(self) -> bool:
        return self.presence()[0]

    def read_basic_data(self) -> bytes:
        _reader, connection = self._connect()
        try:
            select = _transmit(connection, SELECT_APDU)
            if select[-2:] != STATUS_OK:
                raise CardDataError(
                    f"not an NHI card: SELECT of the NHI application answered {select[-2:].hex().upper()}"
                )
            return _transmit(connection, READ_BASIC_DATA_APDU)
        except (CardDataError, NoCardError):
            raise
        except Exception as exc:  # card pulled out mid-read and the like
            raise NoCardError(f"reading the card failed ({exc.__class__.__name__})") from None
        finally:
            _disconnect(connection)

    def sign(self, message: bytes) -> bytes:
        raise SigningNotAvailable(SIGNING_NOT_AVAILABLE)


def _transmit(connection, apdu: bytes) -> bytes:
    """Send one APDU; follow ``61 xx`` (T=0: response waiting) with GET RESPONSE. Returns data + status."""
    data, sw1, sw2 = connection.transmit(list(apdu))
    if sw1 == 0x61:
        data, sw1, sw2 = connection.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
    return bytes(data) + bytes([sw1, sw2])


def _disconnect(connection) -> None:
    try:
        connection.disconnect()
    except Exception:  # noqa: S110 - nothing to do if the card is already gone
        pass
