"""通訊地址變更 — the person's mailing address: read it, change it (at once), keep the history (SPEC §10).

Writes live here (the address service); the checks of a place against the reference list are pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.accounts.emails import roc_datetime
from healthbank.accounts.models import OnlineAccount, OutboxEmail
from healthbank.accounts.outbox import queue_email
from healthbank.core import codes
from healthbank.identity.models import Person

from .models import MailingAddress


class AddressError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class AddressInput:
    county: str
    township: str
    village: str
    street: str


def postal_code_of(county: str, township: str, village: str) -> tuple[str, dict[str, list[str]]]:
    """The township's postal code, or the errors naming the field: an unknown county, township or village."""
    found = next((c for c in codes.counties() if c["name_zh"] == county), None)
    if found is None:
        return "", {"county": [_("Choose a county or city from the list.")]}
    town = next((t for t in found["townships"] if t["name_zh"] == township), None)
    if town is None:
        return "", {
            "township": [
                _("%(township)s is not a township or district of %(county)s.")
                % {"township": township or "—", "county": county}
            ]
        }
    if village not in town["villages"]:
        return "", {
            "village": [
                _("%(village)s is not a village of %(township)s.") % {"village": village or "—", "township": township}
            ]
        }
    return town["postal_code"], {}


def check(address: AddressInput) -> tuple[AddressInput, str]:
    """The address with its street tidied and its postal code; ``AddressError`` naming each bad field."""
    cleaned = AddressInput(
        address.county.strip(), address.township.strip(), address.village.strip(), " ".join(address.street.split())
    )
    postal_code, errors = postal_code_of(cleaned.county, cleaned.township, cleaned.village)
    if not cleaned.street:
        errors["street"] = [_("Enter the street, lane, number and floor.")]
    elif len(cleaned.street) > policy.MAILING_ADDRESS_STREET_MAX_LENGTH:
        errors["street"] = [_("At most %(n)s characters.") % {"n": policy.MAILING_ADDRESS_STREET_MAX_LENGTH}]
    if errors:
        raise AddressError(errors)
    return cleaned, postal_code


def current_address(person: Person) -> MailingAddress | None:
    return MailingAddress.objects.filter(person=person, valid_until__isnull=True).first()


def address_history(person: Person) -> list[MailingAddress]:
    """Every mailing address the person gave, newest first (the current one is the open one)."""
    return list(MailingAddress.objects.filter(person=person).order_by("-valid_from", "-pk"))


@transaction.atomic
def change_address(person: Person, address: AddressInput, *, language: str = "zh-hant") -> tuple[MailingAddress, bool]:
    """Make ``address`` the person's mailing address from now; (the current address, whether it changed).

    The person's row is locked first, so two changes at once run one after the other: the second sees the first
    one's address (the same address: nothing new is stored) and exactly one address stays open. The person gets
    an e-mail notice through the outbox in the same transaction.
    """
    cleaned, postal_code = check(address)
    Person.objects.select_for_update().filter(pk=person.pk).get()
    now = timezone.now()
    current = current_address(person)
    if current is not None and current.same_place(cleaned.county, cleaned.township, cleaned.village, cleaned.street):
        return current, False
    if current is not None:
        current.valid_until = now
        current.save(update_fields=["valid_until"])
    new = MailingAddress.objects.create(
        person=person,
        county=cleaned.county,
        township=cleaned.township,
        village=cleaned.village,
        postal_code=postal_code,
        street=cleaned.street,
        valid_from=now,
    )
    _notify(person, current, new, now)
    return new, True


def _notify(person: Person, old: MailingAddress | None, new: MailingAddress, when) -> OutboxEmail | None:
    to = OnlineAccount.objects.filter(person=person).values_list("email", flat=True).first()
    if not to:
        return None
    context = {
        "name": person.masked_name,
        "old": old.one_line if old else "",
        "new": new.one_line,
        "when": when,
        "when_roc": roc_datetime(when),
    }
    return queue_email(
        kind=OutboxEmail.Kind.SECURITY_NOTICE,
        person_id=person.pk,
        to=to,
        subject=ADDRESS_CHANGED_SUBJECT,
        body=render_to_string("insurance/email/address_changed.txt", context),
    )


ADDRESS_CHANGED_SUBJECT = "健保通訊地址已變更 Your NHI mailing address was changed"
