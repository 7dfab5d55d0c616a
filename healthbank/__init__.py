"""HealthBank — an open re-implementation of Taiwan's NHI My Health Bank (健康存摺)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
