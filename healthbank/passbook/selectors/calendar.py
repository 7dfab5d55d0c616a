"""The home page's calendar and health news, the calendar page's month and the .ics of reminders (SPEC §6.2).

A month grid runs Sunday to Saturday as Taiwan's calendars (and the NHI's page: 星期日 first) do, with the
days of the neighbouring months that fill its first and last week. A reminder marks its first day, and a
window also its last; the month's reminders are listed under the grid.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re

from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.core import display
from healthbank.core.rocdate import ROC_OFFSET

from ..listing import ListError
from ..viewing import Viewing
from . import personal

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
SUNDAY_FIRST = _calendar.Calendar(firstweekday=_calendar.SUNDAY)
MARK = "●"


def add_months(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_month(text: str | None, today: dt.date) -> dt.date:
    """``?month=2026-12`` → its first day; none → this month. Refused (400, naming ``month``) when malformed or
    further than ``policy.CALENDAR_MONTHS_AROUND`` months from today."""
    this_month = today.replace(day=1)
    if text is None or text == "":
        return this_month
    match = MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ListError("month", _("The month is written like 2026-12 (year, then month 01–12)."))
    first = dt.date(int(match.group(1)), int(match.group(2)), 1)
    if (
        not add_months(this_month, -policy.CALENDAR_MONTHS_AROUND)
        <= first
        <= add_months(this_month, policy.CALENDAR_MONTHS_AROUND)
    ):
        raise ListError(
            "month", _("The calendar shows months up to %(n)s months away.") % {"n": policy.CALENDAR_MONTHS_AROUND}
        )
    return first


def month_title(first: dt.date, viewing: Viewing) -> str:
    """``115年11月`` on Chinese pages (the ROC year), ``November 2026`` in English."""
    if viewing.chinese and first.year > ROC_OFFSET:
        return f"{first.year - ROC_OFFSET}年{first.month}月"
    with translation.override(viewing.language):
        return dateformat.format(first, "F Y")


def month_calendar(viewing: Viewing, first: dt.date, found: list[personal.Reminder]) -> dict:
    """The grid of ``first``'s month with the days of ``found`` marked, and those reminders listed."""
    last = add_months(first, 1) - dt.timedelta(days=1)
    in_month = [r for r in found if r.start <= last and (r.end or r.start) >= first]
    marks: dict[dt.date, list[int]] = {}
    listed = []
    for number, reminder in enumerate(in_month, start=1):
        for day in reminder.days():
            marks.setdefault(day, []).append(number)
        listed.append({"number": number, **reminder.as_dict(viewing)})
    grid = SUNDAY_FIRST.monthdatescalendar(first.year, first.month)
    weeks = []
    for week in grid:
        weeks.append(
            [
                {
                    "day": day.day,
                    "iso": day.isoformat(),
                    "label": display.format_date(day, viewing.language),
                    "in_month": day.month == first.month,
                    "today": day == viewing.today,
                    "marks": marks.get(day, []) if day.month == first.month else [],
                }
                for day in week
            ]
        )
    with translation.override(viewing.language):
        weekdays = [
            {
                "full": dateformat.format(day, "l"),
                # Chinese calendars head their columns 日 一 二 …, the last character of 星期日 …
                "short": dateformat.format(day, "l")[-1] if viewing.chinese else dateformat.format(day, "D"),
            }
            for day in grid[0]
        ]
    return {
        "month": f"{first.year:04d}-{first.month:02d}",
        "title": month_title(first, viewing),
        "weekdays": weekdays,
        "weeks": weeks,
        "reminders": listed,
        "mark": MARK,
        "previous": add_months(first, -1).strftime("%Y-%m"),
        "next": add_months(first, 1).strftime("%Y-%m"),
        "is_this_month": first == viewing.today.replace(day=1),
    }


def upcoming(viewing: Viewing) -> list[personal.Reminder]:
    """Reminders not yet over: a window until its last day, a single day from that day on."""
    return [r for r in personal.reminders(viewing) if (r.end or r.start) >= viewing.today]


def home_extras(viewing) -> dict:
    """The home page and the app summary: this month's calendar, its reminders (JSON-safe) and health news."""
    found = upcoming(viewing)
    calendar = month_calendar(viewing, viewing.today.replace(day=1), found)
    return {"calendar": calendar, "reminders": calendar["reminders"], "news": personal.news(viewing)}


def ics(viewing: Viewing) -> bytes:
    """Every upcoming reminder as all-day events of an iCalendar file (RFC 5545) a phone calendar imports."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//HealthBank//My Health Bank reminders//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    with translation.override(viewing.language):
        cal.add("x-wr-calname", _("My Health Bank reminders"))
    stamp = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    for reminder in upcoming(viewing):
        event = icalendar.Event()
        event.add("uid", f"{reminder.key}@healthbank")
        event.add("dtstamp", stamp)
        event.add("dtstart", reminder.start)
        event.add("dtend", (reminder.end or reminder.start) + dt.timedelta(days=1))  # all-day: the day after
        event.add("summary", reminder.what)
        event.add("description", reminder.why)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
