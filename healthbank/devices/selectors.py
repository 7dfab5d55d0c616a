"""Reads of a person's devices (DESIGN: reads in selectors)."""

from __future__ import annotations

from .models import DeviceBinding


def devices_of(person):
    """Every device the person ever verified, newest first."""
    return DeviceBinding.objects.filter(person=person).order_by("-verified_at", "-pk")


def device_code_usable(person, code: str) -> bool:
    """Whether this person's code can still bind a device (not used, not expired, not replaced)."""
    from django.utils import timezone

    from .models import DeviceVerificationCode
    from .services import _digest

    return DeviceVerificationCode.objects.filter(
        person=person, code_hash=_digest(code), used_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()
