"""Which logged-in sessions may open a page: one rule for every citizen page."""

from __future__ import annotations

from functools import wraps

from django.shortcuts import redirect, render


def citizen_required(*, kiosk: bool = False, account: bool = False):
    """Log in first; a kiosk session only reads (``kiosk=True`` pages); ``account`` pages need a registration."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            citizen = request.citizen
            if citizen is None:
                return redirect("accounts:login")
            if citizen.at_kiosk and not kiosk:
                return render(request, "accounts/not_at_kiosk.html", status=403)
            if account and citizen.account is None:
                return render(request, "accounts/needs_registration.html", status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
