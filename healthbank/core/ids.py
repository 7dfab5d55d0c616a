"""Public identifiers: time-ordered random UUIDs (RFC 9562 version 7).

Rows are addressed outside the database only by these. Version 7 keeps new
rows at the right edge of primary-key indexes, which matters for bulk ingestion
on PostgreSQL, while the 74 random bits keep them unguessable.
"""

from __future__ import annotations

import os
import time
import uuid


def new_public_id() -> uuid.UUID:
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 68) << 64  # 12 random bits (rand_a)
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # 62 random bits (rand_b)
    return uuid.UUID(int=value)
