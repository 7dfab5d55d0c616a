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
