"""寄發通知 — the letters and e-mails the NHI sent a person, newest first (SPEC §10).

E-mails are the outbox's rows about the person (``OutboxEmail.person``). An e-mail that carried a one-time link
(registration confirmation, password reset) is never shown with its text: the outbox erases such a body once
sent, and before that it would still work, so the page says only that its text is not kept. Any other e-mail's
text is shown with its links taken out (a link in an old e-mail is no business of this page).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from healthbank import policy
from healthbank.accounts.models import OutboxEmail
from healthbank.accounts.outbox import KEEPS_BODY
from healthbank.identity.models import Person

from .models import Letter

POST, EMAIL = "post", "email"
CHANNELS = {POST: gettext_lazy("By post"), EMAIL: gettext_lazy("E-mail")}
# The outbox kinds whose text carries no one-time link: the outbox keeps it after sending (outbox.KEEPS_BODY).
READABLE_EMAIL_KINDS = KEEPS_BODY
EMAIL_KIND_LABELS = {
    OutboxEmail.Kind.REGISTRATION: gettext_lazy("Registration confirmation"),
    OutboxEmail.Kind.PASSWORD_RESET: gettext_lazy("Password reset link"),
    OutboxEmail.Kind.SECURITY_NOTICE: gettext_lazy("Security notice"),
    OutboxEmail.Kind.VIRTUAL_CARD: gettext_lazy("Virtual NHI card notice"),
}
LINK = re.compile(r"https?://\S+", re.IGNORECASE)


@dataclass
class Notice:
    channel: str
    id: uuid.UUID
    kind: str
    kind_label: str
    subject: str
    sent_at: object  # a date (letters) or a moment (e-mails)
    text: str | None = None  # None: not kept

    @property
    def channel_label(self) -> str:
        return str(CHANNELS[self.channel])

    def as_dict(self, *, with_text: bool = False) -> dict:
        found = {
            "channel": self.channel,
            "id": str(self.id),
            "kind": self.kind,
            "kind_label": self.kind_label,
            "subject": self.subject,
            "sent_at": self.sent_at.isoformat(),
        }
        if with_text:
            found["text"] = self.text
        return found


def _email_kind(kind: str) -> str:
    return str(EMAIL_KIND_LABELS.get(kind) or _("E-mail notice"))


def safe_email_text(row: OutboxEmail) -> str | None:
    """The text to show of an e-mail: None when it carried a one-time link or is no longer kept; links removed."""
    if row.kind not in READABLE_EMAIL_KINDS or not row.body:
        return None
    return LINK.sub(_("[link removed]"), row.body)


def _letter(row: Letter) -> Notice:
    return Notice(POST, row.pk, row.kind, row.get_kind_display(), row.subject, row.sent_on, row.body)


def _email(row: OutboxEmail, *, with_text: bool = False) -> Notice:
    return Notice(
        EMAIL,
        row.pk,
        row.kind,
        _email_kind(row.kind),
        row.subject,
        row.sent_at or row.created_at,
        safe_email_text(row) if with_text else None,
    )


def _emails(person: Person):
    # Only e-mails about this person that went (or go) to them; a unit's batch result is the unit's.
    return OutboxEmail.objects.filter(person=person).exclude(kind=OutboxEmail.Kind.BATCH_RESULT)


def notices_sent(person: Person) -> list[Notice]:
    """The newest ``policy.NOTICES_SHOWN`` letters and e-mails, newest first. The caller checked the acting rule."""
    limit = policy.NOTICES_SHOWN
    letters = [_letter(r) for r in Letter.objects.filter(person=person).order_by("-sent_on", "-pk")[:limit]]
    emails = [
        _email(r)
        for r in _emails(person).only("id", "kind", "subject", "sent_at", "created_at").order_by("-created_at")[:limit]
    ]
    return sorted(letters + emails, key=lambda n: _sort_key(n.sent_at), reverse=True)[:limit]


def _sort_key(value):
    import datetime as dt

    from django.utils import timezone

    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    return dt.datetime.combine(value, dt.time(12, 0))


def notice(person: Person, channel: str, notice_id) -> Notice | None:
    """One notice of the person with its text; None when there is none by that id for them (a 404)."""
    if channel == POST:
        row = Letter.objects.filter(person=person, pk=notice_id).first()
        return _letter(row) if row else None
    if channel == EMAIL:
        row = _emails(person).filter(pk=notice_id).first()
        return _email(row, with_text=True) if row else None
    return None


def post_letter(person: Person, kind: str, subject: str, body: str, *, sent_on=None) -> Letter:
    """Record a letter posted to the person (for the services that send one: arrears, a card mailed ...).

    It goes to the person's current mailing address, kept on the letter; none on file → the household-registry
    address (left empty here: HealthBank does not store it).
    """
    from django.utils import timezone

    from .models import MailingAddress

    current = MailingAddress.objects.filter(person=person, valid_until__isnull=True).first()
    return Letter.objects.create(
        person=person,
        kind=kind,
        subject=subject,
        body=body,
        address=current.one_line if current else "",
        sent_on=sent_on or timezone.localdate(),
    )
