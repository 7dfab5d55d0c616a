"""Reads of the personal NHI data services (SPEC §10), always through the one acting rule."""

from __future__ import annotations

import uuid

from healthbank.access import rules
from healthbank.access.rules import Reader
from healthbank.access.services import NotReadable, note_refused, open_for_service
from healthbank.identity.models import Person


def person_acted_for(reader: Reader, person_id, *, service: str, known: Person | None = None) -> Person:
    """The person ``reader`` uses ``service`` for: themselves or a dependent now; 404 (``NotReadable``) else.

    The check and the access-log entry are ``access.services.open_for_service``: a dependent's data read or
    changed by the insured person is in the dependent's log. A service the catalogue marks as the person's own
    (``for_dependents=False``: the bills, the address, the cases) refuses a dependent's id like a stranger's.
    """
    if isinstance(person_id, str):
        try:
            person_id = uuid.UUID(person_id)
        except ValueError:
            raise NotReadable from None
    person = known if known is not None and known.pk == person_id else Person.objects.filter(pk=person_id).first()
    if person is None:
        raise NotReadable
    if person.pk != reader.person_id and not _for_dependents(service):
        note_refused(reader, person.pk, "insurance")
        raise NotReadable
    open_for_service(reader, person, detail=service)
    return person


def _for_dependents(service: str) -> bool:
    from . import catalogue  # the catalogue's labels are lazy; it imports nothing of ours

    try:
        return catalogue.by_key(service).for_dependents
    except KeyError:
        raise ValueError(f"{service!r} is not a service of the catalogue") from None


def people_acted_for(reader: Reader, *, known: Person | None = None) -> list[Person]:
    """The reader first, then their dependents now (oldest first): whom the services' person picker offers."""
    me = known if known is not None and known.pk == reader.person_id else Person.objects.get(pk=reader.person_id)
    return [me, *rules.dependents_of(reader)]


def unpaid_premiums(person: Person, *, today=None) -> list:
    """個人未繳保費 — the months of the premium bills ``person`` owes themselves with no payment yet, oldest first.

    Whose bills: the insured person's own bill (it covers the dependents billed with them) when their category
    pays it themselves (``unpaid.is_self_billed``: 2, 3 and 6); a category-1 employee's share is withheld by the
    employer and is the employer's to pay, categories 4 and 5 are paid by the government (decisions.md). Each
    row carries ``due_on`` (``rules.premium_due_on``), ``overdue`` and ``plan`` (the open instalment plan the
    month is in, or ``None``). The caller has checked the acting rule.
    """
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from healthbank import policy
    from healthbank.identity.models import Enrolment

    from .models import PremiumCalculation
    from .rules import premium_due_on

    today = today or timezone.localdate()
    self_billed = Enrolment.objects.filter(
        person=OuterRef("person"),
        unit=OuterRef("unit"),
        role=Enrolment.Role.INSURED,
        category__in=policy.PREMIUM_SELF_BILLED_CATEGORIES,
    )
    rows = list(
        PremiumCalculation.objects.filter(person=person, payments__isnull=True, month__lte=today, amount__gt=0)
        .filter(Exists(self_billed))
        .select_related("unit")
        .order_by("month", "unit__code")
    )
    open_plan = open_instalment_plan(person)
    in_plan = {c.pk for c in open_plan.calculations.all()} if open_plan else set()
    for row in rows:
        row.due_on = premium_due_on(row.month)
        row.overdue = row.due_on < today
        row.plan = open_plan if row.pk in in_plan else None
    return rows


def open_instalment_plan(person: Person):
    """The person's open instalment plan with its instalments, or ``None`` (one at most)."""
    from .models import InstalmentPlan

    return (
        InstalmentPlan.objects.filter(person=person, status=InstalmentPlan.Status.OPEN)
        .prefetch_related("instalments", "calculations")
        .first()
    )


def direct_debits(person: Person) -> list:
    """單次約定轉帳: the person's latest debits, newest first, with the months each paid or tried to pay."""
    from healthbank import policy

    from .models import DirectDebit

    return list(
        DirectDebit.objects.filter(person=person)
        .prefetch_related("months__calculation")
        .order_by("-requested_at")[: policy.DIRECT_DEBIT_ATTEMPTS_SHOWN]
    )


def ebill_subscription(person: Person):
    """The person's e-bill subscription (on or off), or None if they never subscribed."""
    from .models import EBillSubscription

    return EBillSubscription.objects.filter(person=person).first()


def ebill_months(person: Person, *, today=None) -> list:
    """The months with a premium bill of the person, newest first, up to ``policy.EBILL_MONTHS_LISTED``."""
    from django.db.models import Sum
    from django.utils import timezone

    from healthbank import policy

    from .models import PremiumCalculation

    today = today or timezone.localdate()
    return list(
        PremiumCalculation.objects.filter(person=person, month__lte=today)
        .values("month")
        .annotate(total=Sum("amount"))
        .order_by("-month")[: policy.EBILL_MONTHS_LISTED]
    )


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
