"""Celery application: Redis broker in production, eager in the embedded default."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthbank.settings.embedded")

app = Celery("healthbank")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
