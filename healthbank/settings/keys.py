"""Keys for a single-machine install, kept in var/ (never in the repository)."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path


def new_keys() -> dict[str, str]:
    return {
        "secret_key": secrets.token_urlsafe(50),
        "national_id_hash_key": secrets.token_hex(32),
        "national_id_encryption_key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }


def load_or_create_local_keys(path: Path) -> dict[str, str]:
    if path.exists():
        return json.loads(path.read_text())
    keys = new_keys()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(keys, handle)
    return keys


def _new_rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _write_new(path: Path, text: str) -> None:
    """Write a new secret file (mode 0600); another process that wrote it first wins."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def add_oidc_signing_key(folder: Path, stamp: str) -> Path:
    """A new RS256 signing key ``<stamp>.pem`` in ``folder``; the newest file signs (manage.py rotate_oidc_key)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{stamp}.pem"
    _write_new(path, _new_rsa_pem())
    return path


def oidc_keys(folder: Path, published: int) -> dict:
    """The OpenID Connect provider's secrets: the signing key, the earlier keys still published, the pairwise key.

    From the environment when ``OIDC_RSA_PRIVATE_KEY`` is set (PEM; ``OIDC_RSA_PREVIOUS_PRIVATE_KEY`` the key
    before it, and ``OIDC_PAIRWISE_KEY``), else from files in ``folder`` made on first use: ``*.pem`` signing
    keys, the newest signs and the ``published - 1`` before it stay in the JWKS; ``pairwise.key`` (docs/operations.md).
    """
    if os.environ.get("OIDC_RSA_PRIVATE_KEY"):
        previous = os.environ.get("OIDC_RSA_PREVIOUS_PRIVATE_KEY", "")
        return {
            "signing": os.environ["OIDC_RSA_PRIVATE_KEY"],
            "previous": [previous] if previous else [],
            "pairwise": os.environ.get("OIDC_PAIRWISE_KEY", ""),
        }
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    pems = sorted(folder.glob("*.pem"))
    if not pems:
        add_oidc_signing_key(folder, "00000000T000000")
        pems = sorted(folder.glob("*.pem"))
    _write_new(folder / "pairwise.key", secrets.token_hex(32))
    newest_first = [p.read_text() for p in reversed(pems)][:published]
    return {
        "signing": newest_first[0],
        "previous": newest_first[1:],
        "pairwise": (folder / "pairwise.key").read_text().strip(),
    }


def with_oidc_keys(provider: dict, folder: Path, published: int) -> tuple[dict, str]:
    """``OAUTH2_PROVIDER`` with the signing keys, and the pairwise-subject key (each overlay calls it)."""
    keys = oidc_keys(folder, published)
    if not keys["pairwise"]:
        raise RuntimeError("OIDC_PAIRWISE_KEY must be set with OIDC_RSA_PRIVATE_KEY")
    provider = {
        **provider,
        "OIDC_RSA_PRIVATE_KEY": keys["signing"],
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": keys["previous"],
    }
    return provider, keys["pairwise"]
