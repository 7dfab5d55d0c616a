"""Public identifiers: time-ordered random UUIDs (RFC 9562 version 7).

Rows are addressed outside the database only by these. Version 7 keeps new
rows at the right edge of primary-key indexes, which matters for bulk ingestion
on PostgreSQL, while the 74 random bits keep them unguessable.

The random bits come from the operating system's generator (``os.urandom``), drawn for many ids at once: the
bulk loader makes millions of ids, and one system call each was a tenth of a loader's time. The drawn bytes are
used once each, under a lock (threads), and thrown away in a child process after a fork (the bulk loader's
workers are forked: each must draw its own, or two would make the same ids).
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_IDS_A_DRAW = 4096
_RANDOM_BYTES = 10  # 80 bits drawn, 74 used
_lock = threading.Lock()
_drawn = b""
_used = 0


def _forget_drawn() -> None:
    global _drawn, _used, _lock
    _drawn, _used, _lock = b"", 0, threading.Lock()


os.register_at_fork(after_in_child=_forget_drawn)

_new_uuid = object.__new__
_set = object.__setattr__
_UUID = uuid.UUID
_SAFE_UNKNOWN = uuid.SafeUUID.unknown


def _random_bits() -> int:
    global _drawn, _used
    with _lock:
        if _used >= len(_drawn):
            _drawn, _used = os.urandom(_RANDOM_BYTES * _IDS_A_DRAW), 0
        start = _used
        _used += _RANDOM_BYTES
        return int.from_bytes(_drawn[start : start + _RANDOM_BYTES], "big")


def _new_value() -> int:
    millis = time.time_ns() // 1_000_000
    rand = _random_bits()
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 68) << 64  # 12 random bits (rand_a)
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # 62 random bits (rand_b)
    return value


def new_public_id() -> uuid.UUID:
    # What ``uuid.UUID(int=value)`` makes, without its checks of a value built right above.
    made = _new_uuid(_UUID)
    _set(made, "int", _new_value())
    _set(made, "is_safe", _SAFE_UNKNOWN)
    return made


def new_public_id_hex() -> str:
    """The same kind of id as its 32 hexadecimal digits, for a row written straight to the database.

    The bulk loader's rows that no one outside it addresses (a visit's diagnoses and orders, a household's
    premium months): PostgreSQL reads the digits as the uuid, and COPY sends a text as it is, where a
    ``uuid.UUID`` costs a call of Python code a value (a twentieth of a loader's time, measured).
    """
    return f"{_new_value():032x}"
