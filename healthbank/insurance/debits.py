"""單次約定轉帳 — the services of a one-off direct debit of chosen unpaid months (SPEC §10).

1. Check the input (bank code, account number, months that are the person's and unpaid) and refuse naming the
   field; nothing is stored.
2. Claim: in one transaction a ``DirectDebit`` (unique per person and request key: a double submit is the same
   request) and one ``DirectDebitMonth`` per month (one open or accepted claim a month: a concurrent debit of the
   same month is refused before it reaches the bank). Committed before the bank is called.
3. Ask the bank (``external.adapter("bank")``) once, with the debit's id as the reference.
4. Record the answer in one transaction: accepted → a ``PremiumPayment`` (method direct debit) for exactly the
   chosen months; refused → the reason, the months released, nothing paid; bank away → the months released,
   ``DebitUnavailable`` (503), nothing paid.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.external import adapter
from healthbank.external.bank import BankUnavailable, Outcome
from healthbank.identity.models import Person

from . import selectors
from .models import DirectDebit, DirectDebitMonth, InstalmentPlan, PremiumPayment

logger = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class DebitRefused(ValueError):
    """Bad input or a month already paid or being paid: the field and the reason; nothing stored."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


class DebitUnavailable(ConnectionError):
    """The bank did not answer: the attempt is stored, nothing was paid; 503."""

    def __init__(self, debit: DirectDebit):
        super().__init__(_("The bank cannot be reached right now; nothing was paid. Please try again later."))
        self.debit = debit
        self.message = str(self.args[0])


@dataclass(frozen=True)
class DebitResult:
    debit: DirectDebit
    repeated: bool  # the same request key again: the first request's answer, the bank not asked again


def mask_account(account_number: str) -> str:
    return "*" * (len(account_number) - 4) + account_number[-4:]


def _clean(bank_code: str, account_number: str, request_key: str) -> tuple[str, str, str]:
    bank_code = (bank_code or "").strip()
    account_number = re.sub(r"[\s-]", "", account_number or "")
    if not re.fullmatch(rf"[0-9]{{{policy.BANK_CODE_DIGITS}}}", bank_code):
        raise DebitRefused("bank_code", _("The bank code is the bank's 3 digits, for example 812."))
    low, high = policy.BANK_ACCOUNT_DIGITS
    if not re.fullmatch(rf"[0-9]{{{low},{high}}}", account_number):
        raise DebitRefused(
            "account_number",
            _("The account number is %(low)s to %(high)s digits.") % {"low": low, "high": high},
        )
    if not KEY_PATTERN.match(request_key or ""):
        raise DebitRefused("request_key", _("The form has expired; open the page again."))
    return bank_code, account_number, request_key


def debit_months(
    person: Person, *, calculation_ids: list, bank_code: str, account_number: str, request_key: str
) -> DebitResult:
    """Debit ``person``'s account for the chosen unpaid months; the caller has checked the acting rule."""
    bank_code, account_number, request_key = _clean(bank_code, account_number, request_key)
    earlier = DirectDebit.objects.filter(person=person, request_key=request_key).first()
    if earlier is not None:
        return DebitResult(earlier, repeated=True)
    wanted = {str(i) for i in calculation_ids if i}
    if not wanted:
        raise DebitRefused("months", _("Choose at least one month to pay."))
    unpaid = {str(row.pk): row for row in selectors.unpaid_premiums(person)}
    if not wanted <= unpaid.keys():
        raise DebitRefused(
            "months", _("A month you chose is not one of your unpaid months (it may just have been paid).")
        )
    chosen = [unpaid[i] for i in sorted(wanted, key=lambda i: (unpaid[i].month, unpaid[i].unit_id))]
    if any(row.plan is not None for row in chosen):
        raise _in_plan()
    now = timezone.now()
    try:
        with transaction.atomic():
            # The person's row locked, as accepting an instalment plan locks it: a month is claimed here or put
            # in a plan there, never both (the plan's check of the claims is in unpaid_services.accept_plan).
            Person.objects.select_for_update().filter(pk=person.pk).first()
            if InstalmentPlan.objects.filter(
                person=person, status=InstalmentPlan.Status.OPEN, calculations__in=[row.pk for row in chosen]
            ).exists():
                raise _in_plan()
            debit = DirectDebit.objects.create(
                person=person,
                request_key=request_key,
                bank_code=bank_code,
                account_masked=mask_account(account_number),
                amount=sum(row.amount for row in chosen),
                requested_at=now,
            )
            DirectDebitMonth.objects.bulk_create(
                [DirectDebitMonth(person=person, debit=debit, calculation=row, amount=row.amount) for row in chosen]
            )
    except IntegrityError:
        earlier = DirectDebit.objects.filter(person=person, request_key=request_key).first()
        if earlier is not None:  # the same submit, a moment earlier
            return DebitResult(earlier, repeated=True)
        raise DebitRefused(
            "months", _("A month you chose is already being paid or has been paid."), status=409
        ) from None
    try:
        answer = adapter("bank").debit(
            bank_code=bank_code,
            account_number=account_number,
            national_id=person.national_id,
            amount=debit.amount,
            reference=str(debit.pk),
        )
    except BankUnavailable:
        logger.warning("direct debit %s: bank %s away, nothing paid", debit.pk, bank_code)
        _close(debit, DirectDebit.Status.BANK_AWAY)
        raise DebitUnavailable(debit) from None
    if not answer.accepted:
        _close(debit, DirectDebit.Status.REFUSED, reason=answer.outcome.value, reference=answer.reference)
        return DebitResult(debit, repeated=False)
    with transaction.atomic():
        today = timezone.localdate()
        PremiumPayment.objects.bulk_create(
            [
                PremiumPayment(
                    person=person,
                    calculation=row,
                    paid_on=today,
                    amount=row.amount,
                    method=PremiumPayment.Method.DIRECT_DEBIT,
                )
                for row in chosen
            ]
        )
        debit.status, debit.bank_reference, debit.answered_at = (
            DirectDebit.Status.ACCEPTED,
            answer.reference,
            timezone.now(),
        )
        debit.save(update_fields=["status", "bank_reference", "answered_at"])
    return DebitResult(debit, repeated=False)


def _in_plan() -> DebitRefused:
    return DebitRefused(
        "months",
        _("A month you chose is in your instalment plan: pay it with the instalment's payment slip."),
        status=409,
    )


def _close(debit: DirectDebit, status: str, *, reason: str = "", reference: str = "") -> None:
    """A refusal or an outage: store it with its reason and release the months (nothing paid)."""
    with transaction.atomic():
        debit.status, debit.reason, debit.bank_reference, debit.answered_at = status, reason, reference, timezone.now()
        debit.save(update_fields=["status", "reason", "bank_reference", "answered_at"])
        debit.months.update(claimed=False)


def reason_message(debit: DirectDebit) -> str:
    """What the person is told about a debit's outcome, in the active language."""
    if debit.status == DirectDebit.Status.ACCEPTED:
        return _("Paid: NT$%(amount)s was debited from your account.") % {"amount": f"{debit.amount:,}"}
    if debit.status == DirectDebit.Status.BANK_AWAY:
        return _("The bank did not answer; nothing was paid.")
    if debit.status == DirectDebit.Status.PENDING:
        return _("Sent to the bank; waiting for its answer.")
    messages = {
        Outcome.INSUFFICIENT_FUNDS.value: _(
            "The bank refused: the balance does not cover the amount. Nothing was paid."
        ),
        Outcome.UNKNOWN_ACCOUNT.value: _("The bank refused: it has no such account. Nothing was paid."),
        Outcome.NOT_HOLDER.value: _(
            "The bank refused: the account is not in your name. Only your own account can pay. Nothing was paid."
        ),
    }
    return messages.get(debit.reason, _("The bank refused the debit. Nothing was paid."))


REFUSAL_FIELDS = {
    Outcome.UNKNOWN_ACCOUNT.value: "account_number",
    Outcome.NOT_HOLDER.value: "account_number",
    Outcome.INSUFFICIENT_FUNDS.value: "account_number",
}
