"""Search parameters of the FHIR API (FHIR R4 §3.1.1 "search": dates, _count, paging); Django only for the
messages' language.

Every fault names the parameter and the reason (``SearchError``, in the caller's language); the API turns it
into a 400 ``OperationOutcome``. A date parameter is a range (a year, a month or a day, or a full timestamp cut to its
day: our resources are dated by day), compared with the resource's day as FHIR's prefixes say.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from healthbank import policy


class SearchError(ValueError):
    """A search parameter the API cannot take: ``parameter`` names it, the message says why."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


PREFIXES = ("eq", "ne", "lt", "le", "gt", "ge", "sa", "eb")
_DATE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?$",
    re.ASCII,  # "\d" is 0-9 only: a full-width ２０２４ is not a year
)


@dataclass(frozen=True)
class DateFilter:
    """``prefix`` and the days [start, end) the parameter's value covers."""

    prefix: str
    start: dt.date
    end: dt.date

    def matches(self, day: dt.date) -> bool:
        inside = self.start <= day < self.end
        match self.prefix:
            case "eq":
                return inside
            case "ne":
                return not inside
            case "lt" | "eb":
                return day < self.start
            case "le":
                return day < self.end
            case "gt" | "sa":
                return day >= self.end
            case _:  # "ge"
                return day >= self.start


SHOWN = 40  # characters of a refused value said back in the message (a 100 kB value is not echoed whole)


def shown(value: str) -> str:
    return value if len(value) <= SHOWN else value[:SHOWN] + "…"


def parse_date(value: str, parameter: str = "date") -> DateFilter:
    """``ge2024-01-01``, ``lt2025``, ``2024-05`` (eq) … as a ``DateFilter``; ``SearchError`` when malformed.

    A ``+`` of a time zone sent unescaped in a URL arrives as a space: it is read as the ``+`` it was."""
    prefix, text = "eq", value.strip().replace(" ", "+")
    if text[:2] in PREFIXES:
        prefix, text = text[:2], text[2:]
    elif text[:2].isalpha():
        raise SearchError(
            parameter,
            _("The prefix %(prefix)s is not one of %(prefixes)s.")
            % {"prefix": text[:2], "prefixes": ", ".join(PREFIXES)},
        )
    found = _DATE.match(text) if len(text) <= SHOWN else None
    if found is None:
        raise SearchError(
            parameter,
            _("%(value)s is not a date: write YYYY, YYYY-MM or YYYY-MM-DD after the prefix.") % {"value": shown(value)},
        )
    year, month, day = int(found["year"]), found["month"], found["day"]
    try:
        if day is not None:
            start = dt.date(year, int(month), int(day))
        elif month is not None:
            start = dt.date(year, int(month), 1)
        else:
            start = dt.date(year, 1, 1)
    except ValueError:
        raise SearchError(parameter, _("%(value)s is not a day of the calendar.") % {"value": shown(value)}) from None
    return DateFilter(prefix, start, _end(start, day is not None, month is not None))


def _end(start: dt.date, by_day: bool, by_month: bool) -> dt.date:
    """The first day after the range (the last day of year 9999 has none: the range then ends on it)."""
    try:
        if by_day:
            return start + dt.timedelta(days=1)
        if by_month:
            return dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return dt.date(start.year + 1, 1, 1)
    except (ValueError, OverflowError):
        return dt.date.max


def parse_count(value: str | None) -> int:
    """``_count``: how many resources a page holds (0: only the total); at most ``policy.FHIR_MAX_COUNT``."""
    if value is None or value == "":
        return policy.FHIR_DEFAULT_COUNT
    number = _whole(value, "_count")
    if number > policy.FHIR_MAX_COUNT:
        raise SearchError(
            "_count",
            _("A page holds at most %(most)d resources; follow the next link for more.")
            % {"most": policy.FHIR_MAX_COUNT},
        )
    return number


def parse_offset(value: str | None) -> int:
    """``_offset``: where the page starts (the ``next`` link carries it)."""
    if value is None or value == "":
        return 0
    number = _whole(value, "_offset")
    if number > policy.FHIR_MAX_OFFSET:
        raise SearchError("_offset", _("Must be at most %(most)d.") % {"most": policy.FHIR_MAX_OFFSET})
    return number


def _whole(value: str, parameter: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise SearchError(parameter, _("%(value)s is not a whole number from 0.") % {"value": shown(value)})
    return int(value)
