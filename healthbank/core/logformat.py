"""Log lines that stay lines: one per record, however the failure looked.

An outage (the database, the cache or the broker away, ``core.outage``) is one
line naming the exception, without its hundred-line traceback: during an outage
every request fails the same way and the traceback says nothing new. Any other
exception keeps its traceback, folded onto the same line (`` | `` between its
lines), so a log collector never splits one failure into many records. National
IDs are masked in the whole line, traceback included.
"""

from __future__ import annotations

import logging

from .masking import mask_ids_in_text
from .outage import is_dependency_outage


def summary(exc: BaseException) -> str:
    """``OperationalError: connection refused`` — the exception's first line, at most 200 characters."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


class OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and is_dependency_outage(exc):
            saved = record.exc_info, record.exc_text
            record.exc_info, record.exc_text = None, None
            try:
                line = f"{super().format(record)} [dependency away: {summary(exc)}]"
            finally:
                record.exc_info, record.exc_text = saved
        else:
            line = super().format(record)
        return mask_ids_in_text(line.replace("\r", "").replace("\n", " | "))
