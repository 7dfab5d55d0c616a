"""Security notices (our choice, decisions.md): the person hears of every change to how they get in.

A password change or reset, new contact details (told to the address being
replaced), a newly verified device and a lock after wrong passwords each send a
short bilingual e-mail. The e-mail is written to the outbox in the same
transaction as the change, so it leaves if and only if the change is committed,
even when the broker is away at that moment.
"""

from __future__ import annotations

from . import emails
from .models import OnlineAccount

KINDS = ("password_changed", "contacts_changed", "device_bound", "locked")


def notify(account: OnlineAccount, kind: str, *, to: str = "", **detail: str) -> None:
    """Call inside the transaction of the change."""
    assert kind in KINDS, kind
    address = to or account.email
    if address:
        emails.security_notice(account, kind, address, detail)
