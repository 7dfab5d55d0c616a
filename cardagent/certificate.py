"""The citizen digital certificate (自然人憑證, MOICA) in the reader, simulated by a JSON file.

A certificate file (written by ``healthbank.external.certificates.issue``) is UTF-8 JSON::

    {"serial": "0123456789ABCDEF", "national_id": "A123456789",
     "private_key": "<64 hex chars: Ed25519 raw private key>",
     "pin_salt": "<hex>", "pin_hash": "<64 hex chars: PBKDF2-HMAC-SHA256, 100000 rounds, of the PIN>"}

Like a real card, the certificate signs only after the right PIN, and only so many wrong PINs in a row are
allowed: after ``MAX_PIN_TRIES`` consecutive wrong PINs it is locked. The file is read on every call, so taking
it away (or putting another one in place) behaves like pulling the card out (or inserting another one).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from .nhicard import CardDataError, encode_field
from .proof import certificate_proof_message
from .sources import read_json_file

__all__ = [
    "CERTIFICATE_FILE_FIELDS",
    "MAX_PIN_TRIES",
    "BadPin",
    "CertificateFileError",
    "NoCertificateError",
    "PinError",
    "PinLocked",
    "SimulatedCertificate",
    "WrongPin",
    "parse_certificate_file",
]

#: Consecutive wrong PINs after which the certificate is locked.
MAX_PIN_TRIES = 3
#: A MOICA PIN is 6 to 8 digits.
PIN_RE = re.compile(r"[0-9]{6,8}")
PIN_HASH_ROUNDS = 100_000
CERTIFICATE_FILE_FIELDS = ("serial", "national_id", "private_key", "pin_salt", "pin_hash")
_SERIAL_RE = re.compile(r"[0-9A-Za-z]{1,64}")
_PRIVATE_KEY_RE = _PIN_HASH_RE = re.compile(r"[0-9a-fA-F]{64}")
_SALT_RE = re.compile(r"(?:[0-9a-fA-F]{2}){1,64}")


class NoCertificateError(Exception):
    """There is no certificate in the reader (no certificate file)."""


class CertificateFileError(ValueError):
    """A simulated certificate file is unreadable or malformed; the message names the file and the field."""


class PinError(Exception):
    """The certificate did not sign because of the PIN."""


class BadPin(PinError):
    """The PIN is not 6-8 digits. Refused before it reaches the card, so it does not count as a wrong PIN."""

    def __init__(self) -> None:
        super().__init__("PIN must be 6-8 digits")


class WrongPin(PinError):
    """The PIN does not match; ``tries_left`` more wrong PINs in a row are allowed before the card locks."""

    def __init__(self, tries_left: int) -> None:
        super().__init__(f"wrong PIN ({tries_left} tries left)")
        self.tries_left = tries_left


class PinLocked(PinError):
    """``MAX_PIN_TRIES`` wrong PINs in a row: the certificate refuses every PIN, the right one included."""

    def __init__(self) -> None:
        super().__init__("PIN locked: too many wrong PINs")


@dataclass(frozen=True)
class CertificateData:
    serial: str
    national_id: str
    private_key: object  # an Ed25519PrivateKey
    pin_salt: bytes
    pin_hash: bytes


class SimulatedCertificate:
    """A citizen certificate described by a JSON file; signs HealthBank challenges after the right PIN.

    The wrong-PIN counter is kept in memory, per certificate serial, so a locked certificate stays locked
    until the agent restarts (also when the file is taken away and put back). A real card keeps the counter
    on the chip and stays locked until it is reset at a household registration office.
    """

    kind = "simulated"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._wrong_pins: dict[str, int] = {}
        # Held for the whole check-compare-count sequence: parallel requests cannot try more PINs than allowed.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SimulatedCertificate({str(self.path)!r})"

    def present(self) -> bool:
        return self.path.is_file()

    def presence(self) -> tuple[bool, str]:
        if self.present():
            return True, f"simulated certificate file {self.path}"
        return False, f"no simulated certificate: {self.path} does not exist"

    def load(self) -> CertificateData:
        """The validated certificate file. Raises ``NoCertificateError`` or ``CertificateFileError``."""
        raw = read_json_file(self.path, "certificate", NoCertificateError, CertificateFileError)
        return parse_certificate_file(raw, where=f"certificate file {self.path}")

    def sign(self, challenge: str, pin: str) -> tuple[str, bytes]:
        """``(serial, Ed25519 signature of certificate_proof_message(challenge, serial, national_id))``.

        Raises ``NoCertificateError``, ``CertificateFileError``, ``ValueError`` (an empty challenge or one
        containing ``|``), ``PinLocked``, ``BadPin`` (not counted) or ``WrongPin`` (counted; the last allowed
        wrong PIN raises ``PinLocked``). The right PIN resets the count.
        """
        with self._lock:
            certificate = self.load()
            message = certificate_proof_message(challenge, certificate.serial, certificate.national_id)
            wrong = self._wrong_pins.get(certificate.serial, 0)
            if wrong >= MAX_PIN_TRIES:
                raise PinLocked
            if not isinstance(pin, str) or not PIN_RE.fullmatch(pin):
                raise BadPin
            given = hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), certificate.pin_salt, PIN_HASH_ROUNDS)
            if not hmac.compare_digest(given, certificate.pin_hash):
                wrong += 1
                self._wrong_pins[certificate.serial] = wrong
                if wrong >= MAX_PIN_TRIES:
                    raise PinLocked
                raise WrongPin(MAX_PIN_TRIES - wrong)
            self._wrong_pins.pop(certificate.serial, None)
            return certificate.serial, certificate.private_key.sign(message)


def parse_certificate_file(raw: object, where: str = "certificate file") -> CertificateData:
    """Validate a decoded certificate file; errors name the field (never its value)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not isinstance(raw, dict):
        raise CertificateFileError(f"{where}: must be a JSON object")
    values: dict[str, str] = {}
    for field in CERTIFICATE_FILE_FIELDS:
        if field not in raw:
            raise CertificateFileError(f"{where}: field {field!r} is missing")
        if not isinstance(raw[field], str):
            raise CertificateFileError(f"{where}: field {field!r} must be a string")
        values[field] = raw[field]
    if not _SERIAL_RE.fullmatch(values["serial"]):
        raise CertificateFileError(f"{where}: field 'serial' must be 1-64 ASCII letters or digits")
    try:
        encode_field("national_id", values["national_id"])
    except CardDataError as exc:
        raise CertificateFileError(f"{where}: field 'national_id': {exc}") from None
    if not _PRIVATE_KEY_RE.fullmatch(values["private_key"]):
        raise CertificateFileError(
            f"{where}: field 'private_key' must be 64 hex characters (an Ed25519 raw private key)"
        )
    if not _SALT_RE.fullmatch(values["pin_salt"]):
        raise CertificateFileError(f"{where}: field 'pin_salt' must be 2-128 hex characters (whole bytes)")
    if not _PIN_HASH_RE.fullmatch(values["pin_hash"]):
        raise CertificateFileError(f"{where}: field 'pin_hash' must be 64 hex characters (PBKDF2-HMAC-SHA256)")
    return CertificateData(
        serial=values["serial"],
        national_id=values["national_id"],
        private_key=Ed25519PrivateKey.from_private_bytes(bytes.fromhex(values["private_key"])),
        pin_salt=bytes.fromhex(values["pin_salt"]),
        pin_hash=bytes.fromhex(values["pin_hash"]),
    )
