"""民國 dates — the ROC calendar (year = Gregorian − 1911), as the NHI prints them.

``format_roc`` gives ``105/10/27``; ``format_roc_compact`` the seven-digit
``1051027`` used in file names. ``parse_roc`` reads both (and ``105-10-27``,
``105.10.27``) and is the exact inverse of both formatters.
"""

from __future__ import annotations

import datetime as dt
import re

ROC_OFFSET = 1911
_SEPARATED = re.compile(r"^\s*(\d{1,3})[/\-.](\d{1,2})[/\-.](\d{1,2})\s*$")
_COMPACT = re.compile(r"^\s*(\d{3})(\d{2})(\d{2})\s*$")


class RocDateError(ValueError):
    pass


def _check(day: dt.date) -> None:
    if day.year <= ROC_OFFSET:
        raise RocDateError(f"{day.isoformat()} is before the ROC calendar (1912-01-01).")


def format_roc(day: dt.date) -> str:
    """``2016-10-27`` → ``105/10/27``."""
    _check(day)
    return f"{day.year - ROC_OFFSET}/{day.month:02d}/{day.day:02d}"


def format_roc_compact(day: dt.date) -> str:
    """``2016-07-30`` → ``1050730`` (always seven digits: ``0790501`` for 1990)."""
    _check(day)
    return f"{day.year - ROC_OFFSET:03d}{day.month:02d}{day.day:02d}"


def parse_roc(text: str) -> dt.date:
    """Read ``105/10/27`` or ``1051027``; raise RocDateError naming what is wrong."""
    if not isinstance(text, str):
        raise RocDateError("ROC date must be text like 105/10/27.")
    match = _SEPARATED.match(text) or _COMPACT.match(text)
    if not match:
        raise RocDateError(f"'{text}' is not an ROC date like 105/10/27 or 1051027.")
    year, month, day = (int(part) for part in match.groups())
    if year < 1:
        raise RocDateError("ROC year must be 1 or later.")
    try:
        return dt.date(year + ROC_OFFSET, month, day)
    except ValueError as exc:
        raise RocDateError(f"'{text}' is not a real date ({exc}).") from None
