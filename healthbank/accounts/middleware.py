"""Puts the logged-in insured person (if any) on ``request.citizen``; staff login stays Django's own."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.utils import timezone
from django.utils.cache import patch_cache_control

from healthbank.identity.models import Person

from .login import (
    SESSION_ACCOUNT,
    SESSION_AUTH,
    SESSION_ENDS_AT,
    SESSION_METHOD,
    SESSION_PERSON,
    SESSION_SINCE,
    Method,
    Proof,
    end_session,
    session_auth_hash,
)
from .models import OnlineAccount


@dataclass(frozen=True)
class Citizen:
    """Who is logged in, how, and (when registered) their online account."""

    person: Person
    account: OnlineAccount | None
    method: str
    proof: str = Proof.CARD_NUMBER  # what was shown at login (Proof): an agency's login is told (connect/acr.py)
    since: float | None = None  # when the person logged in (a timestamp)

    @property
    def at_kiosk(self) -> bool:
        return self.method == Method.KIOSK


def _citizen(session) -> Citizen | None:
    person_id = session.get(SESSION_PERSON)
    if not person_id:
        return None
    ends_at = session.get(SESSION_ENDS_AT)
    if ends_at is not None and timezone.now().timestamp() >= ends_at:
        return None
    method = session.get(SESSION_METHOD, Method.PASSWORD)
    account = None
    account_id = session.get(SESSION_ACCOUNT)
    if account_id:
        account = OnlineAccount.objects.select_related("person").filter(pk=account_id, status="active").first()
        if account is None or str(account.person_id) != person_id:
            return None
        if method == Method.PASSWORD and not hmac.compare_digest(
            session.get(SESSION_AUTH, ""), session_auth_hash(account)
        ):
            return None  # the password changed since this session began
        return Citizen(account.person, account, method, Proof.of(session), session.get(SESSION_SINCE))
    if method == Method.PASSWORD:
        return None
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return None
    return Citizen(person, None, method, Proof.of(session), session.get(SESSION_SINCE))


class CitizenSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.citizen = None
        if request.session.get(SESSION_PERSON):
            request.citizen = _citizen(request.session)
            if request.citizen is None:
                end_session(request)
        response = self.get_response(request)
        if request.citizen is not None:
            patch_cache_control(response, private=True, no_store=True)  # a shared or kiosk browser keeps no copy
        return response
