"""Liveness and readiness for a load balancer or process manager (docs/operations.md).

``/health/live`` answers as long as the process serves requests and touches nothing
else, so a database outage never gets healthy web processes restarted.
``/health/ready`` checks the database and the cache (Redis, which is also the
broker) with their short timeouts, and answers 503 while either is away, so the
balancer sends no traffic to a process that could only answer 503.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from healthbank.core import outage
from healthbank.core.logformat import summary

logger = logging.getLogger("healthbank.health")


def _answer(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    patch_cache_control(response, no_store=True)
    if status == 503:
        response["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
        response._has_been_logged = True  # the "not ready" line names what is away; no second line
    return response


@require_GET
def live(request):
    return _answer({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    cache.set("health:ready", "1", timeout=10)
    if cache.get("health:ready") != "1":
        raise RuntimeError("the cache did not keep a value")


@require_GET
def ready(request):
    checks = {}
    for name, check in (("database", _database), ("cache", _cache)):
        try:
            check()
        except Exception as exc:  # any failure means not ready; the reason goes to the log, not to the caller
            checks[name] = "unavailable"
            logger.warning("not ready: %s [%s]", name, summary(exc))
        else:
            checks[name] = "ok"
    ok = all(v == "ok" for v in checks.values())
    return _answer({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)
