"""Celery tasks of accounts: deliver the e-mail outbox, and the periodic sweeps (eager in the embedded install)."""

from __future__ import annotations

from celery import shared_task

from . import limits, outbox


@shared_task(acks_late=True)
def deliver_emails(email_ids: list[str]) -> int:
    """Send these outbox e-mails now (each claimed first, so a second worker skips it); the number sent."""
    return sum(outbox.deliver(email_id) for email_id in email_ids)


@shared_task
def deliver_pending_emails() -> int:
    """Celery beat, every ``policy.OUTBOX_SWEEP_EVERY``: what the broker never carried or the mail server refused."""
    return outbox.deliver_due()


@shared_task
def forget_ended_attempt_windows() -> int:
    """Celery beat: drop database attempt counters whose window has ended (Redis expires its own)."""
    return limits.forget_ended_windows()
