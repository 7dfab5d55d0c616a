"""Log in with HealthBank: the authorization endpoint on HealthBank's own login, and the consent page (issue 14).

The protocol is django-oauth-toolkit's ``AuthorizationView``; this view only says who the person is (the
citizen session, not Django's auth), sends a visitor without one to HealthBank's login pages and back, and
shows the consent page in the person's language.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.views import AuthorizationView, ConnectDiscoveryInfoView
from oauthlib.oauth2.rfc6749.errors import ConsentRequired, LoginRequired

from healthbank import policy
from healthbank.accounts.decorators import AFTER_LOGIN, citizen_required
from healthbank.accounts.login import end_session
from healthbank.core.categories import DataCategory

from . import acr, scopes, selectors, services
from .models import AppConnection, Application


class AuthorizeView(AuthorizationView):
    template_name = "connect/authorize.html"

    def dispatch(self, request, *args, **kwargs):
        citizen = request.citizen
        if citizen is None:
            if "none" in request.GET.get("prompt", "").split():  # no page may be shown: login_required
                self.oauth2_data = {}
                try:
                    self.validate_authorization_request(request)
                except OAuthToolkitError as error:
                    found = error.oauthlib_error
                    if isinstance(found, ConsentRequired):  # a valid request (client, redirect URI): nobody logged in
                        login = LoginRequired(state=found.state)
                        login.redirect_uri = found.redirect_uri
                        error = OAuthToolkitError(error=login, redirect_uri=found.redirect_uri)
                    return self.error_response(error, application=None)
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

    def form_valid(self, form):
        """A health app: the categories the person left ticked and the duration they picked narrow the request."""
        self._choice = None
        application = Application.objects.filter(client_id=form.cleaned_data.get("client_id")).first()
        if application is not None and application.kind == Application.Kind.HEALTH_APP and form.cleaned_data["allow"]:
            requested = form.cleaned_data["scope"].split()
            ticked = set(self.request.POST.getlist("category"))
            chosen = [s for s in requested if scopes.category_of(s) and s in ticked]
            if not chosen:  # nothing left to read: the same as declining
                form.cleaned_data["allow"] = False
            else:
                others = [s for s in requested if not scopes.category_of(s)]
                form.cleaned_data["scope"] = " ".join(others + chosen)
                offered = durations(application)
                months = int(self.request.POST["duration"]) if self.request.POST.get("duration", "").isdigit() else 0
                months = months if months in offered else policy.CONNECT_ONE_TIME
                self._choice = ([scopes.category_of(s) for s in chosen], months)
        return super().form_valid(form)

    def create_authorization_response(self, request, scopes, credentials, allow):
        credentials["healthbank_choice"] = getattr(self, "_choice", None)
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
            context["asked"] = [
                {"scope": s, "text": scopes.describe(s)}
                for s in asked
                if s != scopes.OPENID and not scopes.category_of(s)
            ]
            context["categories"] = [  # under "What it may read from your passbook": the category's name
                {"scope": s, "text": DataCategory(scopes.category_of(s)).label} for s in asked if scopes.category_of(s)
            ]
            context["gives_national_id"] = scopes.NATIONAL_ID in asked and application.may_receive_national_id
            context["durations"] = [(m, duration_label(m)) for m in durations(application)]
            context["longest"] = application.longest_access_months
        return context


def durations(application: Application) -> list[int]:
    """What the consent page offers: one time, and each policy duration up to the app's longest (its longest too)."""
    longest = application.longest_access_months
    offered = [policy.CONNECT_ONE_TIME, *(m for m in policy.CONNECT_DURATIONS_MONTHS if m <= longest)]
    if longest not in offered:
        offered.append(longest)
    return offered


def duration_label(months: int) -> str:
    if months == policy.CONNECT_ONE_TIME:
        return gettext("This time only (one hour)")
    return ngettext("%(n)s month", "%(n)s months", months) % {"n": months}


@citizen_required()
def connected_apps(request):
    """The person's connected health apps: what each may read, since, until, last use; revoke one."""
    apps = selectors.connected_apps(request.citizen.person)
    return render(request, "connect/connected_apps.html", {"apps": apps})


@require_POST
@citizen_required()
def revoke_app(request, connection_id):
    try:
        services.disconnect(request.citizen.person, connection_id)
    except AppConnection.DoesNotExist:
        raise Http404 from None
    messages.success(request, gettext("The app can no longer read your data."))
    return redirect("connect:apps")


class DiscoveryView(ConnectDiscoveryInfoView):
    """DOT's discovery document, with the ``acr`` values HealthBank's ID tokens carry."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["acr_values_supported"] = acr.SUPPORTED
        data["claims_parameter_supported"] = False
        response.content = json.dumps(data)
        return response
