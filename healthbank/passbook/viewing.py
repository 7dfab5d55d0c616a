"""Whose passbook is open, for whom, in which language: what every passbook page and endpoint starts from.

A ``Viewing`` is built once per request from the reader (the logged-in person,
a kiosk session, an operator after the counter's ID check, or an app token) and
the person whose passbook is asked for. It asks the access rule once for every
category; selectors then open each category they read through
``access.services.open_for_reading``, which decides again and writes the log.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.utils import timezone, translation

from healthbank.access import rules
from healthbank.access.rules import Access, Reader
from healthbank.access.services import NotReadable, note_refused
from healthbank.core.http import client_address
from healthbank.identity.models import Person


@dataclass
class Viewing:
    reader: Reader
    person: Person
    readable: dict[str, Access]
    language: str
    today: dt.date
    opened: set[str] = field(default_factory=set)
    cache: dict = field(default_factory=dict)  # what one request already read (e.g. the reminders' facts)

    @property
    def is_self(self) -> bool:
        return self.reader.kind == "person" and self.reader.person_id == self.person.pk

    @property
    def chinese(self) -> bool:
        return self.language.lower().startswith("zh")

    @property
    def may_write(self) -> bool:
        """The person (or the parent of a child under 15) may add measurements; kiosks and operators only read."""
        if self.reader.read_only:
            return False
        if self.is_self:
            return True
        access = self.readable.get("measurements")
        return access is not None and access.grant is not None and access.grant.why == "child_under_15"

    def can(self, category: str) -> bool:
        return category in self.readable


def reader_for_request(request) -> Reader | None:
    """The web reader: the logged-in person (read-only at a kiosk) or a staff user; None when nobody."""
    address = client_address(request)
    citizen = getattr(request, "citizen", None)
    if citizen is not None:
        return Reader.person(citizen.person, address=address, read_only=citizen.at_kiosk)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return Reader.operator(user, address=address)
    return None


def open_viewing(reader: Reader, person_id, language: str | None = None, *, known: Person | None = None) -> Viewing:
    """The passbook of ``person_id`` for ``reader``; ``NotReadable`` (404) when it is not theirs to read.

    ``known`` is a person the request has loaded already (the logged-in one): no second query when it is them.
    """
    if isinstance(person_id, str):
        try:
            person_id = uuid.UUID(person_id)
        except ValueError:
            raise NotReadable from None
    person = known if known is not None and known.pk == person_id else Person.objects.filter(pk=person_id).first()
    if person is None:
        raise NotReadable
    readable = rules.readable_categories(reader, person)
    if not readable:
        note_refused(reader, person.pk, "")
        raise NotReadable
    return Viewing(
        reader=reader,
        person=person,
        readable=readable,
        language=language or translation.get_language() or "zh-hant",
        today=timezone.localdate(),
    )


def switchable_people(reader: Reader, *, known: Person | None = None) -> list[tuple[Person, str]]:
    """The passbooks this person may switch to from the header: their own, then each child's (masked names)."""
    if reader.kind != "person":
        return []
    if known is not None and known.pk == reader.person_id:
        own = known
    else:
        own = Person.objects.filter(pk=reader.person_id).first()
    people = [(own, "self")] if own else []
    seen = {reader.person_id}
    for grant in rules.people_readable_by(reader):
        if grant.person_id not in seen:
            seen.add(grant.person_id)
            people.append((grant.person, grant.why))
    return people
