"""Security notices (our choice, decisions.md): the person hears of every change to how they get in.

A password change or reset, new contact details (told to the address being
replaced), a newly verified device and a lock after wrong passwords each send a
short bilingual e-mail, after the change is committed, so that someone who did
not do it can act at once.
"""

from __future__ import annotations

from django.db import transaction

from .models import OnlineAccount

KINDS = ("password_changed", "contacts_changed", "device_bound", "locked")


def notify(account: OnlineAccount, kind: str, *, to: str = "", **detail: str) -> None:
    from .tasks import send_security_notice

    assert kind in KINDS, kind
    address = to or account.email
    if address:
        transaction.on_commit(lambda: send_security_notice.delay(str(account.pk), kind, address, detail))
