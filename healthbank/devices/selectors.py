"""Reads of a person's devices (DESIGN: reads in selectors)."""

from __future__ import annotations

from .models import DeviceBinding


def devices_of(person):
    """Every device the person ever verified, newest first."""
    return DeviceBinding.objects.filter(person=person).order_by("-verified_at", "-pk")
