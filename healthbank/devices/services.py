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
from healthbank.accounts.models import OnlineAccount
from healthbank.accounts.notices import notify
from healthbank.identity.models import Person

from .models import AppToken, DeviceBinding, DeviceVerificationCode


class DeviceError(ValueError):
    """``code`` is the login check's (``accounts.login.LoginError``) when there was one: ``throttled`` is a 429."""

    def __init__(self, field: str, message: str, code: str = ""):
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


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
        # One issuer at a time per person: two parallel requests would each expire the codes they saw and
        # leave both new codes working (30 parallel requests left up to 7).
        list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
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
    _check_device_fields(platform, model, device_identifier)
    # A code is unique per person only (issue 12: tables distributed by person); two people's live codes
    # that happen to be equal (47 bits, ten minutes) name nobody, so neither works: each makes a new one.
    live = list(
        DeviceVerificationCode.objects.select_for_update().filter(
            code_hash=_digest(code.strip()), used_at__isnull=True, expires_at__gt=now
        )[:2]
    )
    row = live[0] if len(live) == 1 else None
    if row is None:
        raise DeviceError("code", _("This device verification code is wrong, used or expired; generate a new one."))
    row.used_at = now
    row.save(update_fields=["used_at"])
    return _bind(row.person_id, platform, model, device_identifier, now)


def _check_device_fields(platform: str, model: str, device_identifier: str) -> None:
    for name, value, limit in (
        ("platform", platform, 20),
        ("model", model, 60),
        ("device_identifier", device_identifier, 100),
    ):
        if not value or len(value) > limit:
            raise DeviceError(
                name, _("Give the device's %(name)s (at most %(limit)s characters).") % {"name": name, "limit": limit}
            )


def _bind(person_id, platform: str, model: str, device_identifier: str, now) -> tuple[DeviceBinding, str]:
    replaced = DeviceBinding.objects.filter(person_id=person_id, status=DeviceBinding.Status.ENABLED).update(
        status=DeviceBinding.Status.DISABLED
    )
    credential = secrets.token_urlsafe(32)
    binding = DeviceBinding.objects.create(
        person_id=person_id,
        platform=platform,
        model=model,
        device_identifier=device_identifier,
        verified_at=now,
        credential_hash=_digest(credential),
    )
    account = OnlineAccount.objects.filter(person_id=person_id).first()
    if account is not None:
        notify(account, "device_bound", platform=platform, model=model, replaced="yes" if replaced else "")
    return binding, credential


def bind_by_phone(
    *, national_id: str, card_last4: str, mobile: str, password: str, source: str, **device: str
) -> tuple[DeviceBinding, str]:
    """SPEC §5 phone verification: card digits, mobile and ID, the password, then the carrier's word."""
    from healthbank.accounts.login import LoginError, authenticate_with_card_suffix
    from healthbank.external import adapter
    from healthbank.external.carriers import Verdict

    _check_device_fields(device.get("platform", ""), device.get("model", ""), device.get("device_identifier", ""))
    try:
        account = authenticate_with_card_suffix(
            national_id, card_last4, password, source, device=device.get("device_identifier", "")
        )
    except LoginError as exc:
        raise DeviceError("credentials", exc.message, exc.code) from None
    verdict = adapter("mobile_carrier").verify(account.person.national_id, mobile.strip())
    if verdict is not Verdict.CONFIRMED:
        raise DeviceError(
            "mobile",
            _(
                "This number cannot be verified: prepaid, company or someone else's numbers, and numbers not "
                "post-paid in your name, must use a device verification code instead."
            ),
        )
    with transaction.atomic():
        return _bind(
            account.person_id, device["platform"], device["model"], device["device_identifier"], timezone.now()
        )


def app_login(*, national_id: str, password: str, device_credential: str, source: str) -> tuple[AppToken, str]:
    """SPEC §4 app login: national ID + registration password, from this person's enabled device."""
    from healthbank.accounts.login import LoginError, authenticate_on_device

    binding = (
        DeviceBinding.objects.select_related("person").filter(credential_hash=_digest(device_credential or "")).first()
    )
    if binding is not None and binding.status != DeviceBinding.Status.ENABLED:
        # Only this phone holds its credential: saying why tells nobody else anything (issue 13).
        raise DeviceError(
            "device_credential",
            _(
                "This phone's verification is turned off: another phone was verified since, or it was disabled in"
                " the device list. Enable it in the device list (on the website or the enabled phone) or verify"
                " this phone again."
            ),
            "device_disabled",
        )
    try:
        account = authenticate_on_device(
            binding.person if binding else None,
            national_id,
            password,
            source,
            device=str(binding.pk) if binding else "",
        )
    except LoginError as exc:
        raise DeviceError("credentials", exc.message, exc.code) from None
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    row = AppToken.objects.create(
        person_id=account.person_id,
        device=binding,
        token_hash=_digest(token),
        created_at=now,
        expires_at=now + policy.APP_TOKEN_VALID_FOR,
    )
    return row, token


def app_token(token: str) -> AppToken | None:
    """An unexpired token from a still-enabled device (``.person`` speaks, ``.device`` is where from), else None."""
    row = (
        AppToken.objects.select_related("person", "device")
        .filter(token_hash=_digest(token or ""), expires_at__gt=timezone.now())
        .first()
    )
    if row is None or row.device.status != DeviceBinding.Status.ENABLED:
        return None
    return row


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
