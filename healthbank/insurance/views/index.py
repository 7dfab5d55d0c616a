"""個人健保資料網路服務作業 — the list of services, for the citizen and the dependents they act for."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from healthbank.accounts.decorators import citizen_required

from .. import catalogue, selectors
from .common import reader_of


@require_safe
@citizen_required()
def index(request):
    people = selectors.people_acted_for(reader_of(request), known=request.citizen.person)
    return render(
        request,
        "insurance/index.html",
        {
            "title": _("Personal NHI data services"),
            "services": catalogue.SERVICES,
            "me": people[0],
            "dependents": people[1:],
        },
    )
