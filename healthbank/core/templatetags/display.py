"""``{% load display %}``: ``{{ moment|rocdatetime }}``, ``{{ day|rocdate }}``, ``{{ amount|thousands }}`` and
``{% gloss "戶號" %}``.

The date filters write the ROC calendar on Chinese pages and Gregorian dates on
English ones (``healthbank.core.display``).
"""

from __future__ import annotations

from django import template

from healthbank.core import display

register = template.Library()


@register.filter
def rocdate(value) -> str:
    return display.format_date(value)


@register.filter
def rocmonth(value) -> str:
    return display.format_month(value)


@register.filter
def rocdatetime(value) -> str:
    return display.format_datetime(value)


@register.filter
def thousands(value):
    """A whole amount with thousands separators (33300 → 33,300), as amounts are written in both languages."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value


@register.simple_tag
def gloss(chinese: str):
    return display.gloss(chinese)
