"""What the counter's download commands share: the operator at the counter and the person in front of them."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from healthbank.access.rules import operator_may_use_counter
from healthbank.core.national_id import NationalIdError, validate
from healthbank.identity.models import Person


def counter_operator(username: str):
    """The staff user of ``--operator``: an active member of the counter group, never only "is staff"."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not operator_may_use_counter(user):
        raise CommandError("--operator: not an active staff member of the counter group.")
    return user


def person_by_national_id(text: str) -> Person:
    try:
        national_id = validate(text).value
    except NationalIdError as exc:
        raise CommandError(f"--national-id: {exc}") from None
    person = Person.objects.by_national_id(national_id).first()
    if person is None:
        raise CommandError("--national-id: no person with this national ID.")
    return person
