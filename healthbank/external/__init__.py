"""Adapters to government and carrier systems HealthBank cannot reach here, each with a simulator.

Settings name the class for each system (``EXTERNAL_ADAPTERS``); the simulators
are real implementations answering from data files that the population
generator writes (``EXTERNAL_DATA_DIR``), never test-only branches.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def _adapter(name: str, path: str, data_dir: str):
    return import_string(path)(data_dir)


def adapter(name: str):
    """The configured adapter for ``household_registry``, ``mobile_carrier``, ``citizen_certificate``, ``bank`` or
    ``card_maker``."""
    return _adapter(name, settings.EXTERNAL_ADAPTERS[name], str(settings.EXTERNAL_DATA_DIR))


def reset_adapters() -> None:
    """Forget loaded adapters (after their data files change)."""
    _adapter.cache_clear()
