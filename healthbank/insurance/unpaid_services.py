"""Writes of the unpaid-premiums service (SPEC §10): accepting an instalment plan (簡易分期申請).

Also the read the pages and the app share: the proposal (the months, the total, the schedule) and a slip's
data. The caller has checked the acting rule; the premium services are the person's own (decisions.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.identity.models import Person

from . import selectors, unpaid
from .models import DirectDebitMonth, Instalment, InstalmentPlan, PremiumCalculation


class PremiumRefused(Exception):
    """A request the service refuses: the field it is about and why (a 400, nothing stored)."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


@dataclass
class Proposal:
    months: list  # the unpaid PremiumCalculation rows the plan would cover
    total: int
    most: int  # the most instalments allowed
    count: int
    instalments: list[unpaid.ScheduledInstalment]


def _whole(value) -> int | None:
    """The number of instalments asked (a JSON number or the digits a form sends), or None when it is not one.

    Not ``int(value)``: that turns 3.7 into 3 and ``1e400`` (JSON's infinity) into an OverflowError.
    """
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 4:
        return int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _count(value, most: int) -> int:
    count = _whole(value)
    if count is None:
        raise PremiumRefused("count", _("The number of instalments is a whole number."))
    if not policy.PREMIUM_INSTALMENT_MIN_COUNT <= count <= most:
        raise PremiumRefused(
            "count",
            _("The number of instalments is from %(least)d to %(most)d for this amount.")
            % {"least": policy.PREMIUM_INSTALMENT_MIN_COUNT, "most": most},
        )
    return count


def propose(person: Person, count=None, *, today: dt.date | None = None) -> Proposal:
    """The schedule the person would accept: all their unpaid months not in a plan, in ``count`` instalments
    (the most allowed when not given). Refused below the threshold (field ``total``) or with an open plan."""
    today = today or timezone.localdate()
    if selectors.open_instalment_plan(person) is not None:
        raise PremiumRefused("instalments", _("You already pay in instalments: one plan is open at a time."), 409)
    months = [row for row in selectors.unpaid_premiums(person, today=today) if row.plan is None]
    total = sum(row.amount for row in months)
    if not unpaid.may_pay_in_instalments(total):
        raise PremiumRefused(
            "total",
            _("Instalments are for unpaid premiums of NT$ %(threshold)s or more; yours total NT$ %(total)s.")
            % {"threshold": f"{policy.PREMIUM_INSTALMENT_MIN_TOTAL:,}", "total": f"{total:,}"},
        )
    most = unpaid.most_instalments(total)
    count = most if count in (None, "") else _count(count, most)
    return Proposal(months, total, most, count, unpaid.schedule(total, count, today=today))


def _same_plan(plan: InstalmentPlan, months: set, count: int) -> bool:
    return {c.pk for c in plan.calculations.all()} == months and plan.instalments.count() == count


def accept_plan(person: Person, *, count, months, today: dt.date | None = None) -> tuple[InstalmentPlan, bool]:
    """Store the plan the person accepted; ``(plan, created)``.

    ``months`` are the ids of the months the proposal showed: when the unpaid months changed since, nothing is
    stored. One open plan a person (a unique constraint, the person's row locked): the same request again, or
    two at once, leave one plan and answer it; a different one while a plan is open is refused.
    """
    today = today or timezone.localdate()
    try:
        wanted = {PremiumCalculation._meta.pk.to_python(m) for m in months}
    except (ValidationError, TypeError, AttributeError):  # a malformed id is bad input, named as such
        raise PremiumRefused("months", _("The months are not the ones shown; look at the proposal again.")) from None
    try:
        with transaction.atomic():
            Person.objects.select_for_update().filter(pk=person.pk).first()
            existing = selectors.open_instalment_plan(person)
            if existing is not None:
                if _same_plan(existing, wanted, _whole(count)):
                    return existing, False
                raise PremiumRefused(
                    "instalments", _("You already pay in instalments: one plan is open at a time."), 409
                )
            proposal = propose(person, count, today=today)
            if {row.pk for row in proposal.months} != wanted:
                raise PremiumRefused("months", _("The unpaid months changed; look at the proposal again."))
            if DirectDebitMonth.objects.filter(person=person, calculation__in=proposal.months, claimed=True).exists():
                # a direct debit of one of the months is waiting for the bank (it claimed the month under the
                # same lock): the month is being paid, not owed
                raise PremiumRefused(
                    "months", _("A month is being paid by direct debit now; look at the proposal again later."), 409
                )
            plan = InstalmentPlan.objects.create(person=person, total=proposal.total, accepted_at=timezone.now())
            plan.calculations.set(proposal.months, through_defaults={"person": person})
            Instalment.objects.bulk_create(
                Instalment(person=person, plan=plan, number=i.number, amount=i.amount, due_on=i.due_on)
                for i in proposal.instalments
            )
            return plan, True
    except IntegrityError:  # another request of the same person stored its plan first
        existing = selectors.open_instalment_plan(person)
        if existing is not None and _same_plan(existing, wanted, _whole(count)):
            return existing, False
        raise PremiumRefused(
            "instalments", _("You already pay in instalments: one plan is open at a time."), 409
        ) from None


# ---------------------------------------------------------------- slips


@dataclass
class Slip:
    """What a payment slip (繳款單) shows: whose, for what, how much, by when, and the store barcodes."""

    kind: str  # "month" or "instalment"
    person: Person
    title_month: dt.date  # the month billed (an instalment: the month it is due)
    amount: int
    deadline: dt.date
    bill_number: str
    barcodes: unpaid.SlipBarcodes | None
    months: list  # the months covered (a month's slip: that month)
    instalment: Instalment | None = None
    plan: InstalmentPlan | None = None
    unit_name: str = ""


def _serial(pk) -> int:
    return pk.int if hasattr(pk, "int") else int(str(pk).replace("-", ""), 16)


def month_slip(person: Person, calculation_id, *, today: dt.date | None = None) -> Slip | None:
    """The slip of one unpaid month of the person's own (``None``: not theirs, paid, or in a plan: a 404)."""
    row = next((r for r in selectors.unpaid_premiums(person, today=today) if str(r.pk) == str(calculation_id)), None)
    if row is None or row.plan is not None:
        return None
    today = today or timezone.localdate()
    # An overdue month is still payable at a store: the slip gives the end of this month as its deadline.
    deadline = row.due_on if not row.overdue else unpaid.end_of_month(today)
    number = unpaid.bill_number("month", _serial(row.pk))
    barcodes = unpaid.slip_barcodes(deadline=deadline, bill=number, month=row.month, amount=row.amount)
    return Slip("month", person, row.month, row.amount, deadline, number, barcodes, [row], unit_name=row.unit.name)


def instalment_slip(person: Person, number) -> Slip | None:
    """The slip of instalment ``number`` of the person's open plan (``None`` when there is none such)."""
    plan = selectors.open_instalment_plan(person)
    if plan is None:
        return None
    instalment = next((i for i in plan.instalments.all() if str(i.number) == str(number)), None)
    if instalment is None or instalment.paid_on is not None:
        return None
    bill = unpaid.bill_number("instalment", _serial(instalment.pk))
    barcodes = unpaid.slip_barcodes(
        deadline=instalment.due_on, bill=bill, month=instalment.due_on, amount=instalment.amount
    )
    months = sorted(plan.calculations.all(), key=lambda c: c.month)
    return Slip(
        "instalment",
        person,
        instalment.due_on,
        instalment.amount,
        instalment.due_on,
        bill,
        barcodes,
        months,
        instalment=instalment,
        plan=plan,
    )
