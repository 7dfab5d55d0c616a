"""行動裝置認證 — device verification codes and the devices bound with them (SPEC §5)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from healthbank.core.ids import new_public_id
from healthbank.identity.models import Person


class DeviceVerificationCode(models.Model):
    """An 8-character code shown as text and QR; works once, for ``policy.DEVICE_CODE_VALID_FOR``."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("issued"))
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("device verification code")
        verbose_name_plural = _("device verification codes")
        indexes = [
            models.Index(fields=["person", "-created_at"]),
            models.Index(fields=["code_hash"], name="device_code_hash"),  # the app sends the code alone
        ]
        constraints = [models.UniqueConstraint(fields=["person", "code_hash"], name="device_code_unique")]

    def __str__(self) -> str:
        return f"device code until {self.expires_at:%Y-%m-%d %H:%M}"


class DeviceBinding(models.Model):
    """A device bound to a person; one person may bind many, only one is enabled at a time."""

    class Status(models.TextChoices):
        ENABLED = "enabled", _("Enabled")
        DISABLED = "disabled", _("Disabled")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="device_bindings", db_index=False
    )
    platform = models.CharField(_("platform"), max_length=20)
    model = models.CharField(_("device model"), max_length=60)
    device_identifier = models.CharField(_("device identifier"), max_length=100)
    verified_at = models.DateTimeField(_("verified"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ENABLED)
    credential_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("verified device")
        verbose_name_plural = _("verified devices")
        indexes = [
            models.Index(fields=["person", "-verified_at"]),
            models.Index(fields=["credential_hash"], name="device_credential"),  # the app sends it alone
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status="enabled"), name="one_enabled_device_per_person"
            ),
            models.UniqueConstraint(fields=["person", "credential_hash"], name="device_credential_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.model} ({self.status})"


class AppToken(models.Model):
    """A token the app sends after logging in from an enabled device (SPEC §4 app login)."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    device = models.ForeignKey(DeviceBinding, verbose_name=_("device"), on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("issued"))
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        verbose_name = _("app token")
        verbose_name_plural = _("app tokens")
        indexes = [
            models.Index(fields=["person", "-created_at"]),
            models.Index(fields=["token_hash"], name="app_token_hash"),  # the app sends the token alone
        ]
        constraints = [models.UniqueConstraint(fields=["person", "token_hash"], name="app_token_unique")]

    def __str__(self) -> str:
        return f"app token until {self.expires_at:%Y-%m-%d %H:%M}"
