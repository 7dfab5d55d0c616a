"""Reads of the connect app."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from healthbank.identity.models import Person

from .models import AppConnection, Application, Authorization, PersonUser


def person_of(user) -> Person | None:
    """The person a token owner stands for (None for any other user, e.g. staff)."""
    link = PersonUser.objects.select_related("person").filter(user_id=getattr(user, "pk", None)).first()
    return link.person if link is not None else None


def authorization_of_code(code: str, application) -> Authorization | None:
    return Authorization.objects.filter(code__code=code, code__application=application).first()


def connections_in_force(person: Person, app_id=None) -> list[AppConnection]:
    """The person's connected apps whose grant is in force now (of one app, when ``app_id`` is given)."""
    now = timezone.now()
    rows = AppConnection.objects.select_related("grant").filter(
        person=person,
        grant__ended_at__isnull=True,
        grant__valid_from__lte=now,
        grant__valid_until__gt=now,
    )
    if app_id is not None:
        rows = rows.filter(app_id=app_id)
    return list(rows.order_by("-created_at"))


def connection_in_force(person: Person, app_id) -> AppConnection | None:
    found = connections_in_force(person, app_id)
    return found[0] if found else None


@dataclass(frozen=True)
class ConnectedApp:
    id: object
    name: str
    developer: str
    privacy_policy_url: str
    categories: list[str]
    since: object
    until: object
    last_used_at: object
    one_time: bool


def connected_apps(person: Person) -> list[ConnectedApp]:
    """The connected-apps page: each app in force, what it may read, since, until, its last use."""
    connections = connections_in_force(person)
    apps = Application.objects.in_bulk([c.app_id for c in connections])
    shown = []
    for c in connections:
        app = apps.get(c.app_id)
        if app is None:
            continue
        shown.append(
            ConnectedApp(
                id=c.pk,
                name=app.name,
                developer=app.developer_name,
                privacy_policy_url=app.privacy_policy_url,
                categories=c.grant.category_names(),
                since=c.grant.valid_from,
                until=c.grant.valid_until,
                last_used_at=c.last_used_at,
                one_time=app.longest_access_months == 0 or (c.grant.valid_until - c.grant.valid_from).days < 1,
            )
        )
    return shown
