"""The home page's calendar and health news (filled in with the reminders of SPEC §6.2)."""

from __future__ import annotations


def home_extras(viewing) -> dict:
    return {"calendar": None, "news": []}
