"""Reads of the personal NHI data services (SPEC §10), always through the one acting rule."""

from __future__ import annotations

import uuid

from healthbank.access import rules
from healthbank.access.rules import Reader
from healthbank.access.services import NotReadable, open_for_service
from healthbank.identity.models import Person


def person_acted_for(reader: Reader, person_id, *, service: str, known: Person | None = None) -> Person:
    """The person ``reader`` uses ``service`` for: themselves or a dependent now; 404 (``NotReadable``) else.

    The check and the access-log entry are ``access.services.open_for_service``: a dependent's data read or
    changed by the insured person is in the dependent's log.
    """
    if isinstance(person_id, str):
        try:
            person_id = uuid.UUID(person_id)
        except ValueError:
            raise NotReadable from None
    person = known if known is not None and known.pk == person_id else Person.objects.filter(pk=person_id).first()
    if person is None:
        raise NotReadable
    open_for_service(reader, person, detail=service)
    return person


def people_acted_for(reader: Reader, *, known: Person | None = None) -> list[Person]:
    """The reader first, then their dependents now (oldest first): whom the services' person picker offers."""
    me = known if known is not None and known.pk == reader.person_id else Person.objects.get(pk=reader.person_id)
    return [me, *rules.dependents_of(reader)]


def unpaid_premiums(person: Person, *, today=None) -> list:
    """個人未繳保費 — the months of ``person``'s premium bills with no payment yet, oldest first.

    A bill is the insured person's (it covers the dependents billed with them); each row carries ``due_on``
    (``rules.premium_due_on``) and ``overdue``. The caller has checked the acting rule.
    """
    from django.utils import timezone

    from .models import PremiumCalculation
    from .rules import premium_due_on

    today = today or timezone.localdate()
    rows = list(
        PremiumCalculation.objects.filter(person=person, payment__isnull=True, month__lte=today)
        .select_related("unit")
        .order_by("month", "unit__code")
    )
    for row in rows:
        row.due_on = premium_due_on(row.month)
        row.overdue = row.due_on < today
    return rows


def card_requests(person: Person) -> list:
    """健保卡補發申請 — ``person``'s card requests, newest first, with the new card (the caller checked access)."""
    from .models import CardReplacementRequest

    return list(
        CardReplacementRequest.objects.filter(person=person).select_related("new_card").order_by("-submitted_at")
    )


def card_summary(person: Person) -> dict | None:
    """The card now: the newest issued one, its masked number, and whether it works (SPEC §2)."""
    from django.utils.translation import gettext as _

    from healthbank.core.masking import mask_card_number
    from healthbank.identity.services import current_card

    card = current_card(person)
    if card is None:
        return None
    if card.reported_lost_on is not None:
        status, label = "lost", _("Reported lost: it no longer works")
    else:
        status, label = "valid", _("Valid")
    return {
        "card_number": mask_card_number(card.card_number),
        "issued_on": card.issued_on,
        "reported_lost_on": card.reported_lost_on,
        "status": status,
        "status_label": label,
    }
