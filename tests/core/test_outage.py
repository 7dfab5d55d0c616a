"""A dependency that is away is told apart from a bug (503 rather than 500)."""

from __future__ import annotations

import redis
from django.db import OperationalError

from healthbank.core.outage import is_dependency_outage


def test_database_and_cache_outages_are_outages():
    assert is_dependency_outage(OperationalError("server closed the connection unexpectedly"))
    assert is_dependency_outage(redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379"))
    assert is_dependency_outage(redis.exceptions.TimeoutError("Timeout reading from socket"))


def test_an_outage_wrapped_in_another_error_is_still_an_outage():
    try:
        try:
            raise redis.exceptions.ConnectionError("refused")
        except redis.exceptions.ConnectionError as exc:
            raise RuntimeError("the throttle could not count") from exc
    except RuntimeError as wrapped:
        assert is_dependency_outage(wrapped)


def test_a_bug_is_not_an_outage():
    assert not is_dependency_outage(KeyError("missing"))
    assert not is_dependency_outage(ValueError("bad"))
