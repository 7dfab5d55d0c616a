"""What every services page shares: the logged-in reader, whose data, and the person picker."""

from __future__ import annotations

from healthbank.access.rules import Reader
from healthbank.core.http import client_address
from healthbank.identity.models import Person

from .. import selectors


def reader_of(request) -> Reader:
    return Reader.person(request.citizen.person, address=client_address(request))


def acting_for(request, person_id, service: str) -> Person:
    """The person this page is for (the citizen or a dependent); 404 otherwise, logged when not the citizen."""
    return selectors.person_acted_for(reader_of(request), person_id, service=service, known=request.citizen.person)


def picker(request, service: str, current: Person) -> list[dict]:
    """The people the citizen may use this service for, with the one shown marked (empty when only themselves)."""
    people = selectors.people_acted_for(reader_of(request), known=request.citizen.person)
    if len(people) < 2:
        return []
    return [{"person": p, "current": p.pk == current.pk, "is_self": i == 0} for i, p in enumerate(people)]
