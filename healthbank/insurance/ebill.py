"""電子繳款單 — the services of the e-bill (SPEC §10): subscribe, unsubscribe, each month's bill, the ready-notice.

The bill is the person's premium calculations of a month (every unit they are billed by), their due date and
whether each is paid. The notice says the bill is ready and links to the e-bill page (log in there): no PDF
and no amount in the e-mail. ``send_notices(month)`` is what the monthly Celery task runs: one notice a
subscriber a month, however often it runs (``EBillNotice`` is unique per person and month).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from healthbank.accounts.models import OnlineAccount, OutboxEmail
from healthbank.accounts.outbox import queue_email
from healthbank.core import display
from healthbank.identity.models import Person

from .models import EBillNotice, EBillSubscription, PremiumCalculation, PremiumPayment
from .rules import premium_due_on

logger = logging.getLogger(__name__)

SUBJECT = "電子繳款單已開立 Your NHI premium e-bill is ready"


class EBillRefused(ValueError):
    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def confirmed_email(person: Person) -> str:
    """The e-mail the person confirmed when registering for online services (an active registration's)."""
    return (
        OnlineAccount.objects.filter(person=person, status=OnlineAccount.Status.ACTIVE)
        .values_list("email", flat=True)
        .first()
        or ""
    )


def subscribe(person: Person, *, language: str) -> EBillSubscription:
    """Bills by e-mail from now on, to the confirmed e-mail; subscribing twice changes nothing."""
    email = confirmed_email(person)
    if not email:
        raise EBillRefused("email", _("You need a confirmed e-mail address (online-services registration) first."))
    with transaction.atomic():
        found = EBillSubscription.objects.select_for_update().filter(person=person).first()
        if found is None:
            try:
                with transaction.atomic():
                    return EBillSubscription.objects.create(
                        person=person, email=email, language=language, changed_at=timezone.now()
                    )
            except IntegrityError:  # a concurrent subscribe won
                found = EBillSubscription.objects.select_for_update().get(person=person)
        if not found.active or found.email != email or found.language != language:
            found.active, found.email, found.language, found.changed_at = True, email, language, timezone.now()
            found.save(update_fields=["active", "email", "language", "changed_at"])
        return found


def unsubscribe(person: Person) -> EBillSubscription | None:
    """Back to paper bills; the row is kept (off) so the page can say since when."""
    with transaction.atomic():
        found = EBillSubscription.objects.select_for_update().filter(person=person, active=True).first()
        if found is not None:
            found.active, found.changed_at = False, timezone.now()
            found.save(update_fields=["active", "changed_at"])
        return found


def bill_of(person: Person, month: dt.date) -> dict | None:
    """The bill of ``month`` (any day of it): its rows, total, due date; None when nothing was billed then."""
    month = month.replace(day=1)
    rows = list(
        PremiumCalculation.objects.filter(person=person, month=month)
        .select_related("unit")
        .annotate(paid=Exists(PremiumPayment.objects.filter(person=person, calculation=OuterRef("pk"))))
        .order_by("unit__code")
    )
    if not rows:
        return None
    return {
        "month": month,
        "rows": rows,
        "total": sum(r.amount for r in rows),
        "unpaid_total": sum(r.amount for r in rows if not r.paid),
        "due_on": premium_due_on(month),
    }


def previous_month(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _page_link(person: Person, language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return settings.SITE_URL.rstrip("/") + reverse("insurance:ebill", args=[person.pk])


def send_notices(month: dt.date | None = None) -> int:
    """Queue the ready-notice of ``month``'s bill (default: last month's) to each subscriber billed that month.

    Idempotent: a subscriber who has this month's notice gets nothing more. Returns how many were queued now.
    """
    month = (month or previous_month()).replace(day=1)
    billed = PremiumCalculation.objects.filter(month=month).values("person_id")
    subscribers = (
        EBillSubscription.objects.filter(active=True, person_id__in=billed)
        .exclude(person_id__in=EBillNotice.objects.filter(month=month).values("person_id"))
        .select_related("person")
        .order_by("pk")
    )
    queued = 0
    for subscription in subscribers.iterator(chunk_size=500):
        try:
            with transaction.atomic():
                EBillNotice.objects.create(
                    person=subscription.person, month=month, email=subscription.email, sent_at=timezone.now()
                )
                bill = bill_of(subscription.person, month)
                queue_email(
                    kind=OutboxEmail.Kind.EBILL,
                    person_id=subscription.person_id,
                    to=subscription.email,
                    subject=SUBJECT,
                    body=render_to_string(
                        "insurance/email/ebill_ready.txt",
                        {
                            "name": subscription.person.masked_name,
                            "month_roc": display.format_month(month, "zh-hant"),
                            "month": display.format_month(month, "en"),
                            "due_roc": display.format_date(bill["due_on"], "zh-hant"),
                            "due": display.format_date(bill["due_on"], "en"),
                            "link": _page_link(subscription.person, subscription.language),
                        },
                    ),
                )
        except IntegrityError:  # another run sent this one a moment ago
            continue
        queued += 1
    logger.info("e-bill notices for %s: %d queued", month.isoformat(), queued)
    return queued
