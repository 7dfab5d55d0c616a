"""Puts the logged-in insured person (if any) on ``request.citizen``; staff login stays Django's own."""

from __future__ import annotations

import hmac

from .login import SESSION_ACCOUNT, SESSION_AUTH, end_session, session_auth_hash
from .models import OnlineAccount


class CitizenSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.citizen = None
        account_id = request.session.get(SESSION_ACCOUNT)
        if account_id:
            account = OnlineAccount.objects.select_related("person").filter(pk=account_id, status="active").first()
            if account is not None and hmac.compare_digest(
                request.session.get(SESSION_AUTH, ""), session_auth_hash(account)
            ):
                request.citizen = account
            else:
                end_session(request)
        return self.get_response(request)
