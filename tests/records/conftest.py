"""Credentials for the app API: a registered person with a verified device and a fresh app token."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from healthbank.accounts.models import OnlineAccount
from healthbank.devices import services as devices

APP_PASSWORD = "Hb-2026ok"


def app_login(person, device_identifier: str = "phone-1") -> tuple[str, str]:
    """(device id, app token) for ``person``, through the same services the app's endpoints call."""
    if not OnlineAccount.objects.filter(person=person).exists():
        OnlineAccount.objects.create(
            person=person,
            status="active",
            channel="online",
            password=make_password(APP_PASSWORD),
            email="me@example.tw",
            created_at=timezone.now(),
            activated_at=timezone.now(),
        )
    issued = devices.issue_device_code(person)
    binding, credential = devices.bind_device(
        issued.code, platform="Android", model="Pixel 8", device_identifier=device_identifier
    )
    _, token = devices.app_login(
        national_id=person.national_id, password=APP_PASSWORD, device_credential=credential, source="10.77.0.1"
    )
    return str(binding.pk), token


@pytest.fixture
def app_token(person) -> str:
    return app_login(person)[1]
