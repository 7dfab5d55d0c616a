"""When a dependency (database, cache, broker) is away: tell it apart from a bug, so it answers 503, not 500.

One list, used by the API's error handler and by the page middleware alike: a
request that failed because PostgreSQL, Redis or the Celery broker could not be
reached answers 503 with ``Retry-After`` and a clear message, never a bare 500.
"""

from __future__ import annotations

from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.utils.translation import gettext as _

from healthbank import policy


def _outage_types() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [DatabaseOperationalError, InterfaceError, ConnectionError, TimeoutError]
    try:
        from redis import exceptions as redis_exceptions

        found += [redis_exceptions.ConnectionError, redis_exceptions.TimeoutError, redis_exceptions.BusyLoadingError]
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    try:
        from kombu.exceptions import OperationalError as BrokerOperationalError

        found.append(BrokerOperationalError)
    except ImportError:  # pragma: no cover - kombu comes with celery
        pass
    return tuple(found)


OUTAGE_EXCEPTIONS = _outage_types()
RETRY_AFTER_SECONDS = policy.DEPENDENCY_RETRY_AFTER_SECONDS


def is_dependency_outage(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says a dependency could not be reached in time."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, OUTAGE_EXCEPTIONS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def outage_message() -> str:
    """What a page or an API caller is told while a dependency is away, in the active language."""
    return _(
        "HealthBank cannot reach one of its systems right now, so this could not be done. "
        "Please try again in %(seconds)s seconds."
    ) % {"seconds": RETRY_AFTER_SECONDS}
