"""Celery tasks of the personal NHI data services (SPEC §10): thin wrappers over their services."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from . import ebill


@shared_task
def send_ebill_notices_task(month: str | None = None) -> int:
    """Celery beat, monthly (``policy.EBILL_NOTICE_DAY``): last month's e-bill is ready; once a subscriber."""
    return ebill.send_notices(dt.date.fromisoformat(month) if month else None)
