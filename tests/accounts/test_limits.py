"""The attempt counter counts within its window and starts again after it (the embedded database's own clock)."""

from __future__ import annotations

import datetime as dt

from healthbank.accounts import limits
from healthbank.accounts.models import AttemptCounter

WINDOW = dt.timedelta(minutes=15)


def test_a_count_starts_again_when_its_window_has_ended(db, time_machine, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    time_machine.move_to(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), tick=False)
    assert [limits.hit("a", WINDOW) for _ in range(3)] == [1, 2, 3]
    assert limits.hit("b", WINDOW) == 1  # each name its own count
    time_machine.shift(WINDOW - dt.timedelta(seconds=1))
    assert limits.hit("a", WINDOW) == 4
    time_machine.shift(dt.timedelta(seconds=1))
    assert limits.hit("a", WINDOW) == 1


def test_a_slot_given_back_is_free_again_and_never_below_zero(db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    limits.hit("c", WINDOW)
    limits.give_back("c")
    limits.give_back("c")
    assert limits.hit("c", WINDOW) == 1


def test_ended_windows_are_forgotten_and_nothing_names_what_was_counted(db, time_machine, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    time_machine.move_to(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), tick=False)
    limits.hit("login-source:203.0.113.9", WINDOW)
    assert "203.0.113.9" not in AttemptCounter.objects.get().key  # a hash, not the address
    time_machine.shift(WINDOW + dt.timedelta(seconds=1))
    limits.hit("fresh", WINDOW)
    assert limits.forget_ended_windows() == 1
    assert AttemptCounter.objects.count() == 1
