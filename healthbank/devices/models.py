"""行動裝置認證 — device verification codes and the devices bound with them (SPEC §5)."""

from __future__ import annotations

from django.db import models

from healthbank.core.ids import new_public_id
from healthbank.identity.models import Person


class DeviceVerificationCode(models.Model):
    """An 8-character code shown as text and QR; works once, for ``policy.DEVICE_CODE_VALID_FOR``."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "-created_at"])]

    def __str__(self) -> str:
        return f"device code until {self.expires_at:%Y-%m-%d %H:%M}"


class DeviceBinding(models.Model):
    """A device bound to a person; one person may bind many, only one is enabled at a time."""

    class Status(models.TextChoices):
        ENABLED = "enabled", "啟用 Enabled"
        DISABLED = "disabled", "停用 Disabled"

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="device_bindings")
    platform = models.CharField(max_length=20)
    model = models.CharField(max_length=60)
    device_identifier = models.CharField(max_length=100)
    verified_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ENABLED)
    credential_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        indexes = [models.Index(fields=["person", "-verified_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status="enabled"), name="one_enabled_device_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.model} ({self.status})"


class AppToken(models.Model):
    """A token the app sends after logging in from an enabled device (SPEC §4 app login)."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(DeviceBinding, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["person", "-created_at"])]

    def __str__(self) -> str:
        return f"app token until {self.expires_at:%Y-%m-%d %H:%M}"
