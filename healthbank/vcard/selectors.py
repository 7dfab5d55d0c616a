"""Reads of the virtual card (SPEC §9), always scoped to the person asking or the institution reading."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank.access import rules
from healthbank.access.models import Grant
from healthbank.access.rules import Reader
from healthbank.access.services import open_for_reading
from healthbank.audit.models import AccessLog
from healthbank.core.categories import DataCategory
from healthbank.identity.models import Enrolment, Person
from healthbank.identity.services import current_card as current_nhi_card

from . import photos
from .models import CardApplication, CardScan, Delegation, InstitutionRequest


def current_card(person: Person | None) -> CardApplication | None:
    """The person's approved virtual card (its approved application), or ``None``."""
    if person is None:
        return None
    return CardApplication.objects.filter(person=person, status=CardApplication.Status.APPROVED).first()


def latest_application(person: Person) -> CardApplication | None:
    return CardApplication.objects.filter(person=person).order_by("-submitted_at").first()


def _current(day: dt.date):
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gte=day))


def household_members(person: Person, day: dt.date) -> list[Person]:
    """同一健保戶 — the other people enrolled now in the person's current NHI household(s), oldest first."""
    households = Enrolment.objects.filter(_current(day), person=person).values("household_id")
    return list(
        Person.objects.filter(enrolments__in=Enrolment.objects.filter(_current(day), household_id__in=households))
        .exclude(pk=person.pk)
        .distinct()
        .order_by("birth_date", "pk")
    )


def insurance_now(person: Person, day: dt.date) -> dict:
    enrolment = Enrolment.objects.filter(_current(day), person=person).order_by("-started_on", "-pk").first()
    if enrolment is None:
        return {"status": "withdrawn", "status_label": _("Not insured now"), "category": None, "since": None}
    label = _("Insured (as the insured person)") if enrolment.role == "insured" else _("Insured (as a dependent)")
    return {
        "status": enrolment.role,
        "status_label": label,
        "category": enrolment.category,
        "since": enrolment.started_on.isoformat(),
    }


def visit_summary(reader: Reader, holder: Person, card: CardApplication | None) -> dict:
    """What an institution's counter needs for the visit: who, which NHI card, insured or not, the card photo.

    Read through the access rule (the scan's or the request's grant) and logged as a virtual-card read.
    """
    open_for_reading(reader, holder, DataCategory.INSURANCE, detail="vcard.visit", what=AccessLog.What.VCARD_READ)
    open_for_reading(reader, holder, DataCategory.CARDS, detail="vcard.visit", what=AccessLog.What.VCARD_READ)
    today = timezone.localdate()
    nhi_card = current_nhi_card(holder)
    return {
        "name": holder.name,
        "name_en": holder.name_en,
        "national_id": holder.national_id_masked,
        "sex": holder.sex,
        "birth_date": holder.birth_date.isoformat(),
        "card_number": nhi_card.card_number if nhi_card is not None else "",
        "card_reported_lost": bool(nhi_card is not None and nhi_card.reported_lost_on is not None),
        "insurance": insurance_now(holder, today),
        "photo": photos.card_photo_data_url(card.card_photo) if card is not None else "",
    }


# ---------------------------------------------------------------- the person's lists


def waiting_requests(person: Person) -> list[InstitutionRequest]:
    """Institutions' requests the person can still answer (newest first)."""
    return list(
        InstitutionRequest.objects.filter(
            person=person, status=InstitutionRequest.Status.WAITING, answer_by__gt=timezone.now()
        )
        .select_related("institution")
        .order_by("-requested_at")
    )


def waiting_household_asks(member: Person) -> list[Delegation]:
    """Household delegations waiting for this member to agree (newest first)."""
    return list(
        Delegation.objects.filter(
            delegate=member,
            kind=Delegation.Kind.HOUSEHOLD,
            status=Delegation.Status.WAITING,
            answer_by__gt=timezone.now(),
        )
        .select_related("person")
        .order_by("-created_at")
    )


def delegation_state(delegation: Delegation, now: dt.datetime) -> str:
    """waiting, expired (never taken up), declined, cancelled, active, scheduled, ended."""
    if delegation.status == Delegation.Status.WAITING:
        return "waiting" if delegation.answer_by > now else "expired"
    if delegation.status in (Delegation.Status.DECLINED, Delegation.Status.CANCELLED):
        return delegation.status
    grant = delegation.grant
    if grant is None or (grant.ended_at is not None and grant.ended_at <= now) or delegation.ends_at <= now:
        return "ended"
    return "scheduled" if delegation.starts_at > now else "active"


def my_delegations(person: Person) -> list[Delegation]:
    """我授權的 — every delegation of the person's card, newest first (history kept)."""
    return list(
        Delegation.objects.filter(person=person).select_related("delegate", "grant").order_by("-created_at")[:100]
    )


def my_institution_authorisations(person: Person) -> list[InstitutionRequest]:
    return list(
        InstitutionRequest.objects.filter(person=person)
        .select_related("institution", "grant")
        .order_by("-requested_at")[:50]
    )


def cards_i_can_use(person: Person) -> list[Grant]:
    """我可使用 — the grants that let this person show someone else's card now, only for cards there are (a child
    lent to the parent before anyone applied for the child's card has none to show)."""
    grants = rules.cards_usable_by(Reader.person(person))
    holders = set(
        CardApplication.objects.filter(
            person_id__in=[g.person_id for g in grants], status=CardApplication.Status.APPROVED
        ).values_list("person_id", flat=True)
    )
    return [g for g in grants if g.person_id in holders]


def scan_history(person: Person) -> list[CardScan]:
    """使用紀錄 — every scan of the person's card: when, where, and who showed it."""
    return list(
        CardScan.objects.filter(person=person)
        .select_related("institution", "presented_by")
        .order_by("-scanned_at")[:100]
    )


def scans_by_me(person: Person) -> list[CardScan]:
    """The scans of other people's cards that this person showed."""
    return list(
        CardScan.objects.filter(presented_by=person)
        .select_related("institution", "person")
        .order_by("-scanned_at")[:100]
    )


def request_state(made: InstitutionRequest, now: dt.datetime) -> str:
    """waiting, expired (not answered in time), declined, accepted (its hour running) or ended."""
    if made.status == InstitutionRequest.Status.WAITING:
        return "waiting" if made.answer_by > now else "expired"
    if made.status == InstitutionRequest.Status.DECLINED:
        return "declined"
    grant = made.grant
    if grant is None or (grant.ended_at is not None and grant.ended_at <= now) or grant.valid_until <= now:
        return "ended"
    return "accepted"


def delegation_of(holder: Person, delegation_id) -> Delegation | None:
    """One delegation of ``holder``'s card (``None`` for anyone else's: the page answers 404)."""
    return Delegation.objects.filter(pk=delegation_id, person=holder).select_related("delegate", "grant").first()


def card_photo_for(user: Person, holder_id) -> bytes | None:
    """The card photo (a small JPEG) of ``holder``'s card for ``user``: the holder or someone who may use the card.

    ``None`` when there is no such card or it is not ``user``'s to see. Anyone but the holder is logged.
    """
    from healthbank.audit.services import record_access

    holder = Person.objects.filter(pk=holder_id).first()
    if holder is None:
        return None
    reader = Reader.person(user)
    access = rules.may_use_card(reader, holder)
    card = current_card(holder) if access is not None else None
    if card is None:
        return None
    if not access.is_self:
        kind = (
            AccessLog.ActorKind.PARENT if access.grant.why == Grant.Why.CHILD_UNDER_15 else AccessLog.ActorKind.DELEGATE
        )
        record_access(
            holder.pk, what=AccessLog.What.VCARD_READ, detail="vcard.photo", actor_kind=kind, actor_label=reader.label
        )
    return photos.card_photo_jpeg(card.card_photo)
