"""One working code or link at a time, however many requests ask at once (found in issue 7's attack).

Each of these issues something new and stops the earlier ones working. Without a
lock, parallel requests each stopped only what they saw: 30 parallel device-code
requests left up to 7 codes working, 20 parallel reset requests up to 13 links.
On SQLite write transactions already run one at a time; PostgreSQL is where the
lock matters, and CI runs both.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from healthbank.accounts import passwordreset, services
from healthbank.accounts.models import OnlineAccount, PasswordReset, RegistrationApplication
from healthbank.devices.models import DeviceVerificationCode
from healthbank.devices.services import issue_device_code
from healthbank.identity.models import NhiCard
from tests.accounts.test_parallel_limits import together

pytestmark = pytest.mark.django_db(transaction=True)

BURST = 20


def test_parallel_device_code_requests_leave_one_working_code(registered):
    person = OnlineAccount.objects.get().person
    together(BURST, lambda n: issue_device_code(person))
    working = DeviceVerificationCode.objects.filter(person=person, used_at=None, expires_at__gt=timezone.now())
    assert working.count() == 1
    assert DeviceVerificationCode.objects.filter(person=person).count() == BURST


def test_parallel_password_reset_requests_leave_one_working_link(registered):
    card = NhiCard.objects.filter(person__online_account__isnull=False).order_by("-issued_on").first()
    together(BURST, lambda n: passwordreset.reset_to_registered_email(card))
    working = PasswordReset.objects.filter(used_at=None, expires_at__gt=timezone.now())
    assert working.count() == 1
    assert PasswordReset.objects.count() == BURST


def test_parallel_resends_of_the_confirmation_leave_one_working_link(registered):
    account = OnlineAccount.objects.get()
    OnlineAccount.objects.filter(pk=account.pk).update(status=OnlineAccount.Status.PENDING)
    with transaction.atomic():
        services.new_application(account, "zh-hant", timezone.now())
    card = NhiCard.objects.filter(person=account.person).order_by("-issued_on").first()
    together(BURST, lambda n: services.resend_confirmation(card))
    pending = RegistrationApplication.objects.filter(status=RegistrationApplication.Status.PENDING)
    assert pending.count() == 1
    assert RegistrationApplication.objects.count() == BURST + 1
