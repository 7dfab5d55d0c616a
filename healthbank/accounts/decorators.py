"""Which logged-in sessions may open a page: one rule for every citizen page."""

from __future__ import annotations

from functools import wraps

from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

AFTER_LOGIN = "after_login"


def after_login(request, fallback: str = "accounts:me"):
    """Where a login goes on: the page that asked for it (only a path of this site), else ``fallback``."""
    wanted = request.session.pop(AFTER_LOGIN, "")
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return redirect(wanted)
    return redirect(fallback)


def citizen_required(*, kiosk: bool = False, account: bool = False, come_back: bool = False):
    """Log in first; a kiosk session only reads (``kiosk=True`` pages); ``account`` pages need a registration.

    ``come_back`` pages (a link scanned with the phone's camera, with a code in it) open again after the login.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            citizen = request.citizen
            if citizen is None:
                if come_back and request.method in ("GET", "HEAD"):
                    request.session[AFTER_LOGIN] = request.get_full_path()
                return redirect("accounts:login")
            if citizen.at_kiosk and not kiosk:
                return render(request, "accounts/not_at_kiosk.html", status=403)
            if account and citizen.account is None:
                return render(request, "accounts/needs_registration.html", status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
