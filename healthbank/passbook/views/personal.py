"""Measurements and reminders, the calendar page and its .ics download (SPEC §6.2)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from .. import services
from ..selectors import calendar as calendars
from ..selectors import personal
from .common import passbook_page


def measurements_context(viewing, form) -> dict:
    rows = personal.measurements(viewing)
    found = calendars.upcoming(viewing)
    return {
        "title": _("Measurements and reminders"),
        "form": form if viewing.may_write else None,
        "rows": rows,
        "latest": personal.latest_values(rows),
        "charts": personal.measurement_charts(rows, viewing),
        "reminders": [r.as_dict(viewing) for r in found],
        "links": personal.related_links(viewing),
    }


@passbook_page
def measurements(request, viewing):
    if request.method == "POST":
        if not viewing.may_write:
            raise PermissionDenied
        try:
            services.record_measurement(viewing, request.POST)
        except services.MeasurementRefused as refused:
            form = services.measurement_form(viewing, request.POST)
            if form.is_valid():  # the values were good: the refusal is the day's limit
                for message in refused.errors.get("__all__", []):
                    form.add_error(None, message)
            return "passbook/personal_measurements.html", measurements_context(viewing, form), 400
        messages.success(request, _("Your measurement is saved."))
        return redirect("passbook:measurements", viewing.person.pk)
    form = services.measurement_form(viewing, None)
    form.initial["measured_on"] = viewing.today
    return "passbook/personal_measurements.html", measurements_context(viewing, form)


@passbook_page
def calendar(request, viewing):
    first = calendars.parse_month(request.GET.get("month"), viewing.today)
    unknown = sorted(set(request.GET) - {"month"})
    if unknown:
        from ..listing import ListError

        raise ListError(unknown[0], _("This page has no parameter %(name)s.") % {"name": unknown[0]})
    month = calendars.month_calendar(viewing, first, calendars.upcoming(viewing))
    return "passbook/personal_calendar.html", {"title": _("My calendar"), "calendar": month, "full_page": True}


@passbook_page
def calendar_ics(request, viewing):
    response = HttpResponse(calendars.ics(viewing), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="healthbank-reminders.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


routes = [
    path("measurements/", measurements, name="measurements"),
    path("calendar/", calendar, name="calendar"),
    path("calendar.ics", calendar_ics, name="calendar-ics"),
]
