"""Device verification (SPEC §5): issue a one-time code, bind a device with it, enable or disable devices."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.identity.models import Person

from .models import DeviceBinding, DeviceVerificationCode


class DeviceError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _digest(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: object


def issue_device_code(person: Person) -> IssuedCode:
    """A new code (no look-alike characters); earlier unused codes of the person stop working."""
    now = timezone.now()
    code = "".join(secrets.choice(policy.DEVICE_CODE_ALPHABET) for _ in range(policy.DEVICE_CODE_LENGTH))
    with transaction.atomic():
        DeviceVerificationCode.objects.filter(person=person, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        row = DeviceVerificationCode.objects.create(
            person=person, code_hash=_digest(code), created_at=now, expires_at=now + policy.DEVICE_CODE_VALID_FOR
        )
    return IssuedCode(code, row.expires_at)


@transaction.atomic
def bind_device(code: str, *, platform: str, model: str, device_identifier: str) -> tuple[DeviceBinding, str]:
    """Use a code once: bind the device, disable the person's other devices, return the device credential."""
    now = timezone.now()
    for name, value, limit in (
        ("platform", platform, 20),
        ("model", model, 60),
        ("device_identifier", device_identifier, 100),
    ):
        if not value or len(value) > limit:
            raise DeviceError(
                name, _("Give the device's %(name)s (at most %(limit)s characters).") % {"name": name, "limit": limit}
            )
    row = (
        DeviceVerificationCode.objects.select_for_update()
        .filter(code_hash=_digest(code.strip()), used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if row is None:
        raise DeviceError("code", _("This device verification code is wrong, used or expired; generate a new one."))
    row.used_at = now
    row.save(update_fields=["used_at"])
    DeviceBinding.objects.filter(person_id=row.person_id, status=DeviceBinding.Status.ENABLED).update(
        status=DeviceBinding.Status.DISABLED
    )
    credential = secrets.token_urlsafe(32)
    binding = DeviceBinding.objects.create(
        person_id=row.person_id,
        platform=platform,
        model=model,
        device_identifier=device_identifier,
        verified_at=now,
        credential_hash=_digest(credential),
    )
    return binding, credential


@transaction.atomic
def set_device_enabled(person: Person, binding_id, enabled: bool) -> DeviceBinding:
    binding = DeviceBinding.objects.select_for_update().filter(person=person, pk=binding_id).first()
    if binding is None:
        raise DeviceError("device", _("No such device."))
    if enabled:
        DeviceBinding.objects.filter(person=person, status=DeviceBinding.Status.ENABLED).exclude(pk=binding.pk).update(
            status=DeviceBinding.Status.DISABLED
        )
    binding.status = DeviceBinding.Status.ENABLED if enabled else DeviceBinding.Status.DISABLED
    binding.save(update_fields=["status"])
    return binding
