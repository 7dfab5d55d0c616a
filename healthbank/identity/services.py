"""Writes for people, households, enrolments and cards. Callers pass validated domain values."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from healthbank.core import national_id as nid

from .models import Enrolment, InsuranceUnit, NhiCard, NhiHousehold, Person


class IdentityError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def build_person(*, national_id: str, name: str, sex: str, birth_date: dt.date, **extra) -> Person:
    """An unsaved Person with its ID stored the way it must be (hash, ciphertext, mask)."""
    try:
        value = nid.validate(national_id).value
    except nid.NationalIdError as exc:
        raise IdentityError("national_id", exc.message) from None
    if nid.sex_of(value) != sex:
        raise IdentityError("sex", "Sex does not match the national ID's second character.")
    person = Person(name=name, sex=sex, birth_date=birth_date, **extra)
    person.set_national_id(value)
    return person


def create_person(**fields) -> Person:
    person = build_person(**fields)
    if Person.objects.filter(national_id_hash=person.national_id_hash).exists():
        raise IdentityError("national_id", "A person with this national ID already exists.")
    person.save(force_insert=True)
    return person


@transaction.atomic
def start_household(insured: Person, unit: InsuranceUnit, *, category: int, salary: int, since: dt.date):
    """健保戶: the insured person's household and their own enrolment in it."""
    household = NhiHousehold.objects.create(person=insured)
    Enrolment.objects.create(
        person=insured,
        household=household,
        unit=unit,
        category=category,
        role=Enrolment.Role.INSURED,
        relationship=Enrolment.Relationship.SELF,
        insured_salary=salary,
        started_on=since,
    )
    return household


def enrol_dependent(household: NhiHousehold, person: Person, *, relationship: str, since: dt.date) -> Enrolment:
    insured_enrolment = household.enrolments.get(role=Enrolment.Role.INSURED, ended_on__isnull=True)
    return Enrolment.objects.create(
        person=person,
        household=household,
        unit=insured_enrolment.unit,
        category=insured_enrolment.category,
        role=Enrolment.Role.DEPENDENT,
        relationship=relationship,
        insured_salary=insured_enrolment.insured_salary,
        started_on=since,
    )


def issue_card(
    person: Person, *, card_number: str, issued_on: dt.date, reason: str = NhiCard.Reason.FIRST, public_key=None
) -> NhiCard:
    if len(card_number) != 12 or not card_number.isdigit():
        raise IdentityError("card_number", "An NHI card number is 12 digits.")
    return NhiCard.objects.create(
        person=person, card_number=card_number, issued_on=issued_on, reason=reason, public_key=public_key
    )


def current_card(person: Person, on: dt.date | None = None) -> NhiCard | None:
    """The newest issued card (SPEC §2): the latest issue day; on one day the larger number (numbers go up)."""
    cards = person.cards.all()
    if on is not None:
        cards = cards.filter(issued_on__lte=on)
    return cards.order_by("-issued_on", "-card_number").first()


def valid_card(person: Person) -> NhiCard | None:
    """The card accepted for login and card proofs: the newest issued one, unless it was reported lost.

    A card reported lost stops working at once (a finder cannot use it), not only when its replacement is
    issued; an older card stops when a newer one is issued (SPEC §2).
    """
    card = current_card(person)
    return card if card is not None and card.reported_lost_on is None else None


def card_refusal(person: Person | None, card_number: str) -> str:
    """Why ``card_number`` (one of ``person``'s cards) no longer works, in words for the card holder; "" else."""
    if person is None or not card_number:
        return ""
    card = person.cards.filter(card_number=card_number.strip()).first()
    if card is None:
        return ""
    if card.reported_lost_on is not None:
        return _("This NHI card was reported lost and no longer works. Use your new card when it arrives.")
    newest = current_card(person)
    if newest is not None and newest.pk != card.pk:
        return _("This NHI card has been replaced by a newer card and no longer works. Use your newest NHI card.")
    return ""
