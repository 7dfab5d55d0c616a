"""The e-mail outbox: written with the change, delivered after it, exactly once per row.

``queue_email`` writes the message in the caller's transaction and, after the
commit, hands it to a worker (``tasks.deliver_emails``). If the broker is away
at that moment the request still answers as committed: the row waits and the
periodic sweep (``tasks.deliver_pending_emails``, Celery beat) sends it. A failed
send is retried by the sweep with a doubling pause. Every send first *claims* the
row with one conditional UPDATE, so two workers (or a worker and the sweep) never
both send it; a worker that dies mid-send leaves a claim that lapses after
``OUTBOX_CLAIM_FOR``, and the row is sent again (at least once, then).
"""

from __future__ import annotations

import logging
import uuid
from functools import partial

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from healthbank import policy
from healthbank.core.outage import is_dependency_outage

from .models import OutboxEmail

logger = logging.getLogger(__name__)

# The kinds whose text holds no one-time link or code: kept after sending (the others are erased).
KEEPS_BODY = frozenset({OutboxEmail.Kind.SECURITY_NOTICE, OutboxEmail.Kind.VIRTUAL_CARD})


def queue_email(
    *,
    kind: str,
    to: str,
    subject: str,
    body: str,
    person_id=None,
    attachment_name: str = "",
    attachment: str = "",
    deliver: bool = True,
) -> OutboxEmail:
    """Write an e-mail in the current transaction; after the commit a worker is asked to send it.

    ``deliver=False`` leaves the hand-over to the caller (``hand_over`` many at once) or to the sweep.
    """
    now = timezone.now()
    row = OutboxEmail.objects.create(
        kind=kind,
        person_id=person_id,
        recipient=to,
        subject=subject,
        body=body,
        attachment_name=attachment_name,
        attachment=attachment,
        created_at=now,
        next_attempt_at=now,
    )
    if deliver:
        transaction.on_commit(partial(hand_over, [row.pk]), robust=True)
    return row


HAND_OVER_CHUNK = 500


def hand_over(ids: list) -> None:
    """Ask a worker to send these e-mails now; with the broker away, leave them to the sweep (one log line)."""
    from .tasks import deliver_emails

    ids = [str(i) for i in ids]
    for start in range(0, len(ids), HAND_OVER_CHUNK):
        try:
            # One try, no publish retries: a broker that is away must not hold the request.
            deliver_emails.apply_async(args=[ids[start : start + HAND_OVER_CHUNK]], retry=False)
        except Exception as exc:
            if not is_dependency_outage(exc):
                raise
            logger.warning(
                "broker away (%s): %d e-mail(s) wait for the outbox sweep", type(exc).__name__, len(ids) - start
            )
            return


def _claim(email_id, now) -> bool:
    return bool(
        OutboxEmail.objects.filter(pk=email_id, sent_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(claimed_until=now + policy.OUTBOX_CLAIM_FOR, attempts=F("attempts") + 1)
    )


def _pause_after(attempts: int):
    pause = policy.OUTBOX_RETRY_FIRST * 2 ** max(0, min(attempts - 1, 16))
    return min(pause, policy.OUTBOX_RETRY_LONGEST)


def deliver(email_id: str | uuid.UUID) -> bool:
    """Claim one e-mail and send it; True when this call sent it (False: already sent, claimed, or it failed)."""
    now = timezone.now()
    if not _claim(email_id, now):
        return False
    row = OutboxEmail.objects.get(pk=email_id)
    message = EmailMessage(subject=row.subject, body=row.body, to=[row.recipient])
    if row.attachment_name:
        message.attach(row.attachment_name, "\ufeff" + row.attachment, "text/csv")  # BOM: Excel reads UTF-8
    try:
        message.send()
    except Exception as exc:  # the mail server refused or is away: the sweep tries again later
        error = f"{type(exc).__name__}: {exc}"[:200]
        OutboxEmail.objects.filter(pk=row.pk).update(
            claimed_until=None, next_attempt_at=now + _pause_after(row.attempts), last_error=error
        )
        logger.warning("e-mail %s not sent (attempt %d): %s", row.pk, row.attempts, error)
        return False
    # Sent: the one-time links in the body and the result file are not kept. A notice that carries no one-time
    # link keeps its text, for the person's list of notices sent (insurance.notices).
    body = row.body if row.kind in KEEPS_BODY else ""
    OutboxEmail.objects.filter(pk=row.pk).update(
        sent_at=timezone.now(), claimed_until=None, body=body, attachment="", last_error=""
    )
    return True


def deliver_due(limit: int = 1000) -> int:
    """The sweep: send every unsent e-mail whose time has come, oldest first; the number sent."""
    now = timezone.now()
    due = (
        OutboxEmail.objects.filter(
            sent_at__isnull=True, next_attempt_at__lte=now, attempts__lt=policy.OUTBOX_MAX_ATTEMPTS
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver(email_id) for email_id in list(due))
