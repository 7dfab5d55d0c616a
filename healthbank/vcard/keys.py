"""The card QR's signing keys: files in ``settings.VCARD_KEY_DIR``, newest signs, recent ones are published.

Each key is one PKCS#8 PEM file ``<UTC time>-<key id>.pem`` (mode 0600). The
newest signs every new code; every key whose successor is younger than
``policy.VCARD_KEY_PUBLISHED_FOR`` stays in the published set, so codes signed a
moment before a rotation still check out, at the counter and offline.
``manage.py rotate_vcard_key`` adds a key and drops the long-retired ones. A
machine without a key makes its first one (exclusively: two processes starting
at once end up with one key each at most, and both are published).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

from healthbank import policy

from . import tokens


@dataclass(frozen=True)
class KeyRing:
    signing: Ed25519PrivateKey
    signing_id: str
    published: dict[str, Ed25519PublicKey]


_cache: dict[str, tuple[tuple, KeyRing]] = {}


def _folder() -> Path:
    return Path(settings.VCARD_KEY_DIR)


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pem")) if folder.is_dir() else []


def add_key(now: dt.datetime | None = None) -> str:
    """Write a new signing key; it signs from now on. Its key id."""
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = tokens.new_private_key()
    kid = tokens.key_id(key.public_key())
    stamp = (now or timezone.now()).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(folder / f"{stamp}-{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    _cache.clear()
    return kid


def _created(path: Path) -> dt.datetime:
    return dt.datetime.strptime(path.name.split("-")[0], "%Y%m%dT%H%M%S%f").replace(tzinfo=dt.UTC)


def ring() -> KeyRing:
    """The key ring now (read again only when the folder changed)."""
    folder = _folder()
    files = _files(folder)
    if not files:
        add_key()
        files = _files(folder)
    fingerprint = tuple((p.name, p.stat().st_mtime_ns) for p in files)
    cached = _cache.get(str(folder))
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    keys = [(p, serialization.load_pem_private_key(p.read_bytes(), password=None)) for p in files]
    now = timezone.now()
    published = {}
    for index, (_path, key) in enumerate(keys):
        successor = keys[index + 1][0] if index + 1 < len(keys) else None
        if successor is None or now - _created(successor) < policy.VCARD_KEY_PUBLISHED_FOR:
            published[tokens.key_id(key.public_key())] = key.public_key()
    signing = keys[-1][1]
    result = KeyRing(signing, tokens.key_id(signing.public_key()), published)
    _cache[str(folder)] = (fingerprint, result)
    return result


def drop_retired() -> list[str]:
    """Delete keys that are no longer published; their ids."""
    published = ring().published
    dropped = []
    for path in _files(_folder()):
        kid = path.stem.split("-")[-1]
        if kid not in published:
            path.unlink()
            dropped.append(kid)
    _cache.clear()
    return dropped


def jwks() -> dict:
    """The published keys as a JSON Web Key Set, newest first."""
    current = ring()
    keys = [tokens.jwk(key) for key in current.published.values()]
    keys.sort(key=lambda k: k["kid"] != current.signing_id)
    return {"keys": keys, "environment": settings.VCARD_ENVIRONMENT}
