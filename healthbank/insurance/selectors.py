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
