"""Storage form of national IDs: a keyed hash for look-ups and authenticated encryption.

The keys are passed in (from settings); nothing here reads the environment.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet


def lookup_hash(national_id: str, key: str) -> str:
    """HMAC-SHA256 of the normalised ID: equal IDs give equal hashes, no key no reversal."""
    return hmac.new(key.encode(), national_id.encode(), hashlib.sha256).hexdigest()


def encrypt(national_id: str, key: str) -> str:
    return Fernet(key.encode()).encrypt(national_id.encode()).decode()


def decrypt(token: str, key: str) -> str:
    return Fernet(key.encode()).decrypt(token.encode()).decode()
