"""What a person sees. For now the public landing page; the passbook pages follow with login."""

from __future__ import annotations

from django.shortcuts import render

from healthbank import policy


def home(request):
    return render(request, "passbook/home.html", {"lag_hours": policy.DATA_LAG_NOTICE_HOURS})
