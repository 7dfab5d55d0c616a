"""Celery tasks of connect: forget the codes and tokens that can no longer be used."""

from __future__ import annotations

from celery import shared_task
from oauth2_provider.models import clear_expired


@shared_task
def clear_expired_tokens() -> None:
    """Celery beat, daily: django-oauth-toolkit's own clean-up of expired codes, access, refresh and ID tokens."""
    clear_expired()
