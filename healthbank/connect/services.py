"""Writes of the connect app: the Django user that owns a person's tokens, what an authorization recorded."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from healthbank.identity.models import Person

from .models import Application, Authorization, PersonUser


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


def record_authorization(code, *, acr: str, auth_time: dt.datetime) -> Authorization:
    return Authorization.objects.create(code=code, acr=acr, auth_time=auth_time)
