"""How dates and Chinese glosses are written for the reader's language (templates, e-mails, files).

Chinese pages and e-mails give dates in the ROC calendar as the NHI prints them
(``115/12/08 21:08``); English ones the Gregorian ``2026-12-08 21:08``. A Chinese
term kept beside its English translation (a gloss such as 戶號) is marked with its
own language so a screen reader pronounces it in Chinese.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .rocdate import ROC_OFFSET, format_roc

CHINESE_TAG = "zh-Hant-TW"


def _is_chinese(language: str | None) -> bool:
    return (language or translation.get_language() or "").lower().startswith("zh")


def format_date(value: dt.date | dt.datetime | None, language: str | None = None) -> str:
    """A date (or the local day of a moment): ``115/12/08`` in Chinese, ``2026-12-08`` otherwise."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if _is_chinese(language) and value.year > ROC_OFFSET:
        return format_roc(value)
    return value.isoformat()


def format_month(value: dt.date | None, language: str | None = None) -> str:
    """A month (any day of it): ``115/12`` in Chinese, ``2026-12`` otherwise."""
    if value is None or value == "":
        return ""
    if _is_chinese(language) and value.year > ROC_OFFSET:
        return f"{value.year - ROC_OFFSET}/{value.month:02d}"
    return f"{value.year:04d}-{value.month:02d}"


def format_datetime(value: dt.datetime | None, language: str | None = None) -> str:
    """A moment in Taiwan time: ``115/12/08 21:08`` in Chinese, ``2026-12-08 21:08`` otherwise."""
    if value is None or value == "":
        return ""
    if not isinstance(value, dt.datetime):
        return format_date(value, language)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{format_date(local.date(), language)} {local:%H:%M}"


def gloss(chinese: str, language: str | None = None) -> SafeString:
    """`` (<span lang="zh-Hant-TW">戶號</span>)`` after an English term; nothing on a Chinese page."""
    if _is_chinese(language):
        return SafeString("")
    return format_html(' (<span lang="{}">{}</span>)', CHINESE_TAG, chinese)


def _glossed(label, chinese: str) -> SafeString:
    return format_html("{}{}", label, gloss(chinese))


glossed = lazy(_glossed, SafeString)
"""A form label with its Chinese gloss, evaluated in the language of each request."""
