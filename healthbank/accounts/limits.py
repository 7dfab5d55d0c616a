"""Attempt counters for throttles and lockouts: one atomic step each, on Redis or in the database.

A limit that reads a count and then writes it lets a parallel burst through: forty
requests that all read "19" all go on. Every limit here is instead one atomic
"add one and tell me the new count", with the window's expiry set in the same step:

- Redis (production): ``INCR`` and, when the key has no expiry yet, ``EXPIRE``, in one Lua script;
- the database (the embedded default): one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement
  (SQLite ≥ 3.35 and PostgreSQL), which restarts the count when the stored window has ended.

Django's database cache is not used for this: its ``incr`` reads and then writes.
A caller takes a slot with ``hit`` *before* the work it limits (a password check)
and gives it back with ``give_back`` when the attempt turns out to be no failure,
so the number of checks in a window can never pass the limit, however parallel.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.db.models import F
from django.utils import timezone

from .models import AttemptCounter

_HIT = """
local n = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""
_GIVE_BACK = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


def _key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _redis():
    """The Redis client and key function of the default cache, when the cache is Redis; else None."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return None
    return cache


def _redis_call(cache: RedisCache, script: str, name: str, *args):
    key = cache.make_and_validate_key("attempts:" + _key(name))
    client = cache._cache.get_client(key, write=True)
    return client.eval(script, 1, key, *args)


def hit(name: str, window: dt.timedelta) -> int:
    """Count one attempt under ``name``; the count in the current window, this attempt included."""
    seconds = max(1, int(window.total_seconds()))
    cache = _redis()
    if cache is not None:
        return int(_redis_call(cache, _HIT, name, seconds))
    now = timezone.now().timestamp()
    table = connection.ops.quote_name(AttemptCounter._meta.db_table)
    key, count, ends = (connection.ops.quote_name(c) for c in ("key", "count", "window_ends"))
    sql = (
        f"INSERT INTO {table} ({key}, {count}, {ends}) VALUES (%s, 1, %s) "  # noqa: S608 - names are ours
        f"ON CONFLICT ({key}) DO UPDATE SET "
        f"{count} = CASE WHEN {table}.{ends} <= %s THEN 1 ELSE {table}.{count} + 1 END, "
        f"{ends} = CASE WHEN {table}.{ends} <= %s THEN excluded.{ends} ELSE {table}.{ends} END "
        f"RETURNING {count}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_key(name), now + seconds, now, now])
        return int(cursor.fetchone()[0])


def give_back(name: str) -> None:
    """Return the slot an attempt took when it turned out not to be a failure (never below zero)."""
    cache = _redis()
    if cache is not None:
        _redis_call(cache, _GIVE_BACK, name)
        return
    AttemptCounter.objects.filter(key=_key(name), count__gt=0).update(count=F("count") - 1)


def forget_ended_windows() -> int:
    """Delete database counters whose window has ended (Redis expires its own); the number deleted."""
    if _redis() is not None:
        return 0
    return AttemptCounter.objects.filter(window_ends__lte=timezone.now().timestamp()).delete()[0]
