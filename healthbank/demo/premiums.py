"""Unpaid premiums in the demo (issue 11, 個人未繳保費): a share of the people who pay their own premium bills
(categories 2, 3 and 6: union members, farmers, township-office insured) left some recent months unpaid, the
older of them overdue; and one demo login among them when neither registered showcase person pays their own
bill (an employee's premium is withheld by the employer, so their list is rightly empty). The login shown has
six months unpaid, five overdue, above the instalment threshold.

The loader pays every month but the last; here the demo's own payments (direct debits on the 15th) of the
last one to five months before it are taken back for the chosen people. Running it again takes back the same
months and adds nothing; a payment made since in another way (a store, a one-off debit) is left alone.
"""

from __future__ import annotations

import hashlib

from django.db import transaction

from healthbank import policy
from healthbank.identity.models import Enrolment, Person
from healthbank.insurance import selectors
from healthbank.insurance.models import PremiumCalculation, PremiumPayment

SHARE_PCT = 35  # of the self-paying insured people, who left months unpaid
MOST_MONTHS = 6  # unpaid months at most (the last, not yet due, and up to five overdue before it)
LABEL = "premiums: unpaid premiums, some overdue: payment slips and instalments at /services/"


def _draw(person: Person) -> int:
    """A number 0–99 that stays the same for the same synthetic person (same seed, same people)."""
    return int(hashlib.sha256(f"{person.name}{person.birth_date}".encode()).hexdigest(), 16) % 100


def _leave_unpaid(person: Person, months: int) -> None:
    recent = PremiumCalculation.objects.filter(person=person).order_by("-month").values_list("pk", flat=True)
    ids = list(recent[:months])
    PremiumPayment.objects.filter(
        calculation_id__in=ids, method=PremiumPayment.Method.DIRECT_DEBIT, paid_on__day=15
    ).delete()


@transaction.atomic
def add_unpaid_premiums(registered: list[Person], shown: list[Person] = ()) -> list[tuple[str, Person]]:
    """Leave months unpaid for a share of the self-paying people; the showcase line to add, if one is needed
    (someone not ``shown`` in the showcase already)."""
    insured = (
        Person.objects.filter(
            enrolments__role=Enrolment.Role.INSURED,
            enrolments__category__in=policy.PREMIUM_SELF_BILLED_CATEGORIES,
            enrolments__ended_on__isnull=True,
        )
        .distinct()
        .order_by("birth_date", "pk")
    )
    chosen = [p for p in insured if _draw(p) < SHARE_PCT]
    for person in chosen:
        _leave_unpaid(person, 1 + _draw(person) % MOST_MONTHS)
    for person in registered:  # a registered showcase person who pays their own bill shows it all
        if selectors.unpaid_premiums(person) and _owes_enough(person):
            return []
    for person in chosen:
        if person not in registered and person not in shown and _owes_enough(person):
            return [(LABEL, person)]
    return []


def _owes_enough(person: Person) -> bool:
    """Leave six months unpaid, five of them overdue: enough to show instalments (above the threshold)."""
    _leave_unpaid(person, MOST_MONTHS)
    return sum(row.amount for row in selectors.unpaid_premiums(person)) >= policy.PREMIUM_INSTALMENT_MIN_TOTAL
