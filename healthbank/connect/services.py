"""Writes of the connect app: the Django user that owns a person's tokens, what an authorization recorded."""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from healthbank import policy
from healthbank.access.services import end_grant, grant_to_app
from healthbank.identity.models import Person

from . import selectors
from .models import AppConnection, Application, Authorization, PersonUser

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def user_for(person: Person):
    """The person's token owner, made on their first authorization (no password, no staff flag, no name)."""
    link = PersonUser.objects.select_related("user").filter(person=person).first()
    if link is not None:
        return link.user
    User = get_user_model()
    try:
        with transaction.atomic():
            user = User(username=f"person-{person.pk.hex}", is_active=True, is_staff=False, is_superuser=False)
            user.set_unusable_password()
            user.save()
            PersonUser.objects.create(person=person, user=user)
    except IntegrityError:  # a parallel first authorization made it
        return PersonUser.objects.select_related("user").get(person=person).user
    return user


def pairwise_subject(person_id, application: Application) -> str:
    """The ``sub`` one application knows the person by: the same every time, different for every application.

    HMAC-SHA256 of the person's id under the server's pairwise key, per client id (its own sector): two
    applications cannot match their people by it, and it says nothing of the national ID or our ids.
    """
    message = f"{application.client_id}|{person_id}".encode()
    digest = hmac.new(settings.CONNECT_PAIRWISE_KEY.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def record_authorization(code, *, acr: str, auth_time: dt.datetime, connection_id=None) -> Authorization:
    return Authorization.objects.create(code=code, acr=acr, auth_time=auth_time, connection_id=connection_id)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same local day ``months`` later (the month's last day when it has fewer)."""
    local = timezone.localtime(moment)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def connect_app(person: Person, application: Application, categories: list[str], months: int) -> AppConnection:
    """The person agreed: a grant in the passbook's access rule for these categories, for ``months`` (0: once).

    A connection already in force for the same app ends first: one app, one grant in force.
    """
    now = timezone.now()
    if months == policy.CONNECT_ONE_TIME:
        until = now + dt.timedelta(seconds=policy.CONNECT_ACCESS_TOKEN_SECONDS)
    else:
        until = add_months(now, months)
    with transaction.atomic():
        for earlier in selectors.connections_in_force(person, application.pk):
            end_grant(earlier.grant, at=now)
        grant = grant_to_app(person, application.pk, categories, valid_from=now, valid_until=until)
        return AppConnection.objects.create(person=person, grant=grant, app_id=application.pk)


def note_use(connection: AppConnection) -> None:
    """The connected-apps page's "last used": written at most every ``policy.CONNECT_LAST_USE_EVERY`` (an app
    reading a page of resources is one use, not a write on every request)."""
    now = timezone.now()
    if connection.last_used_at is None or now - connection.last_used_at >= policy.CONNECT_LAST_USE_EVERY:
        AppConnection.objects.filter(pk=connection.pk).update(last_used_at=now)
        connection.last_used_at = now


def disconnect(person: Person, connection_id) -> AppConnection:
    """The person revokes an app: its grant ends and every token it holds for them stops working, at once.

    A connection that is not the person's is not found (``AppConnection.DoesNotExist``), as a missing one.
    """
    with transaction.atomic():
        connection = AppConnection.objects.select_related("grant").get(pk=connection_id, person=person)
        end_grant(connection.grant)
        user = PersonUser.objects.filter(person=person).values_list("user_id", flat=True).first()
        if user is not None:
            for refresh in RefreshToken.objects.filter(user_id=user, application_id=connection.app_id):
                refresh.revoke()
            for access in AccessToken.objects.filter(user_id=user, application_id=connection.app_id):
                access.revoke()
    return connection
