"""Reads of the connect app."""

from __future__ import annotations

from healthbank.identity.models import Person

from .models import Authorization, PersonUser


def person_of(user) -> Person | None:
    """The person a token owner stands for (None for any other user, e.g. staff)."""
    link = PersonUser.objects.select_related("person").filter(user_id=getattr(user, "pk", None)).first()
    return link.person if link is not None else None


def authorization_of_code(code: str, application) -> Authorization | None:
    return Authorization.objects.filter(code__code=code, code__application=application).first()
