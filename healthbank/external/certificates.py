"""自然人憑證 — MOICA citizen digital certificates, simulated with the card's challenge–signature shape.

A simulated certificate is a JSON file (``certificates/<serial>.json``) with
the holder's ID, an Ed25519 key and a PIN hash; the registry of issued
certificates (serial → holder, public key, revoked) is ``certificates.csv``.
The certificate in the reader is served by the local card agent
(``cardagent.certificate``, ``POST /certificate/proof``); this module issues
certificate files and verifies the agent's proofs.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cardagent.proof import certificate_proof_message

FILE_NAME = "certificates.csv"
COLUMNS = ["serial", "national_id", "public_key", "revoked"]


def pin_hash(pin: str, salt: bytes) -> str:
    """The PIN hash written into a certificate file (the agent's ``cardagent.certificate`` checks it)."""
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, 100_000).hex()


@dataclass(frozen=True)
class IssuedCertificate:
    serial: str
    national_id: str
    public_key: bytes
    revoked: bool


class SimulatedCertificateAuthority:
    """Verifies a certificate proof against the issued-certificates file (the CA's directory)."""

    def __init__(self, data_dir: str | Path):
        self.path = Path(data_dir) / FILE_NAME
        self._rows: dict[str, IssuedCertificate] | None = None

    def _load(self) -> dict[str, IssuedCertificate]:
        if self._rows is None:
            rows: dict[str, IssuedCertificate] = {}
            if self.path.exists():
                with open(self.path, encoding="utf-8", newline="") as handle:
                    for r in csv.DictReader(handle):
                        rows[r["serial"]] = IssuedCertificate(
                            r["serial"], r["national_id"], bytes.fromhex(r["public_key"]), r["revoked"] == "1"
                        )
            self._rows = rows
        return self._rows

    def verify(self, challenge: str, serial: str, signature_b64: str) -> str | None:
        """The holder's national ID when the proof is good and the certificate live, else None (also if malformed)."""
        if not isinstance(serial, str) or not isinstance(signature_b64, str):
            return None
        issued = self._load().get(serial)
        if issued is None or issued.revoked:
            return None
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            Ed25519PublicKey.from_public_bytes(issued.public_key).verify(
                signature, certificate_proof_message(challenge, serial, issued.national_id)
            )
        except (InvalidSignature, ValueError):
            return None
        return issued.national_id


def pin_record(pin: str) -> tuple[bytes, str]:
    """A fresh salt and the PIN's hash under it (PBKDF2, 100,000 rounds: about 0.1 s of CPU)."""
    salt = os.urandom(16)
    return salt, pin_hash(pin, salt)


def issue(directory: Path, serial: str, national_id: str, pin: str, private_key: bytes, *, pin_hashed=None) -> dict:
    """Write a certificate card file and return its row for ``certificates.csv``.

    ``pin_hashed``: a ``pin_record(pin)`` made once for many cards of the same PIN (the demo's), so a world of
    tens of thousands of certificates does not spend a tenth of a second on each.
    """
    salt, hashed = pin_hashed or pin_record(pin)
    key = Ed25519PrivateKey.from_private_bytes(private_key)
    card = {
        "serial": serial,
        "national_id": national_id,
        "private_key": private_key.hex(),
        "pin_salt": salt.hex(),
        "pin_hash": hashed,
    }
    (directory / "certificates").mkdir(parents=True, exist_ok=True)
    (directory / "certificates" / f"{serial}.json").write_text(json.dumps(card), encoding="utf-8")
    return {
        "serial": serial,
        "national_id": national_id,
        "public_key": key.public_key().public_bytes_raw().hex(),
        "revoked": "0",
    }


def write(path: Path, rows: list[dict]) -> None:
    with open(path / FILE_NAME, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
