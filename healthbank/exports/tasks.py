"""Celery tasks of the download service, each a thin wrapper over a service."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def produce_export_task(job_id: str) -> None:
    services.produce_export(job_id)


@shared_task(ignore_result=True)
def sweep_exports_task() -> None:
    services.sweep_exports()
