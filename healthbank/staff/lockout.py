"""What a staff login sees while django-axes holds its user name + address pair (settings: AXES_*)."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import render

from healthbank import policy


def locked_out(request, original_response=None, credentials=None):
    """429 in the operator pages' look and language, saying when to try again; never which part was wrong."""
    minutes = int(policy.OPERATOR_LOGIN_COOL_OFF.total_seconds() // 60)
    context = {**admin.site.each_context(request), "cooloff_minutes": minutes}
    return render(request, "admin/locked_out.html", context, status=429)
