"""Log in with HealthBank: the authorization endpoint on HealthBank's own login, and the consent page (issue 14).

The protocol is django-oauth-toolkit's ``AuthorizationView``; this view only says who the person is (the
citizen session, not Django's auth), sends a visitor without one to HealthBank's login pages and back, and
shows the consent page in the person's language.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

from django.shortcuts import redirect, render
from django.utils import timezone
from oauth2_provider.views import AuthorizationView, ConnectDiscoveryInfoView

from healthbank.accounts.decorators import AFTER_LOGIN
from healthbank.accounts.login import end_session

from . import acr, scopes, services


class AuthorizeView(AuthorizationView):
    template_name = "connect/authorize.html"

    def dispatch(self, request, *args, **kwargs):
        citizen = request.citizen
        if citizen is None:
            if request.method in ("GET", "HEAD"):
                request.session[AFTER_LOGIN] = request.get_full_path()  # back here once logged in (any method)
            return redirect("accounts:login")
        if citizen.at_kiosk:
            return render(request, "accounts/not_at_kiosk.html", status=403)
        request.user = services.user_for(citizen.person)  # the owner of this person's codes and tokens
        response = super().dispatch(request, *args, **kwargs)
        redirect_uri = getattr(self, "_redirect_uri", "")
        if redirect_uri:  # the consent form's answer goes on to the application: allow that one origin only
            parts = urlsplit(redirect_uri)
            response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
        return response

    def handle_prompt_login(self):
        """``prompt=login``: log in again, then come back to this request without the prompt."""
        query = self.request.GET.copy()
        query.pop("prompt", None)
        end_session(self.request)
        self.request.session[AFTER_LOGIN] = f"{self.request.path}?{query.urlencode()}"
        return redirect("accounts:login")

    def create_authorization_response(self, request, scopes, credentials, allow):
        citizen = request.citizen
        credentials["healthbank_acr"] = acr.for_proof(citizen.proof)
        since = citizen.since or timezone.now().timestamp()
        credentials["healthbank_auth_time"] = dt.datetime.fromtimestamp(since, tz=dt.UTC)
        return super().create_authorization_response(request, scopes, credentials, allow)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = context.get("application")
        asked = context.get("scopes") or []
        if application is not None:
            self._redirect_uri = context.get("redirect_uri", "")
            context["asked"] = [{"scope": s, "text": scopes.describe(s)} for s in asked if s != scopes.OPENID]
            context["gives_national_id"] = scopes.NATIONAL_ID in asked and application.may_receive_national_id
        return context


class DiscoveryView(ConnectDiscoveryInfoView):
    """DOT's discovery document, with the ``acr`` values HealthBank's ID tokens carry."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["acr_values_supported"] = acr.SUPPORTED
        data["claims_parameter_supported"] = False
        response.content = json.dumps(data)
        return response
