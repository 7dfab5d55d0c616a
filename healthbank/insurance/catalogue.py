"""個人健保資料網路服務作業 — the services of SPEC §10, in the order of the seed's list.

Each service adds one ``Service`` here when it is built: the index page and the app's index list exactly
these. ``for_dependents``: the insured person may use it for their dependents too (the seed says so for the
enrolment records and card replacement; the premium services are the household's bill).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Service:
    key: str  # the app API's name and the access log's detail
    label: Promise  # gettext_lazy
    url_name: str  # the web page, under the ``insurance`` namespace, taking ``person_id``
    for_dependents: bool = False
    description: Promise | str = ""


SERVICES: list[Service] = []

# The last services of the seed's list, for the person only (the seed says "個人", not "及眷屬").
SERVICES += [
    Service(
        "cases",
        _("Case progress: subsidies, catastrophic illness, reimbursements, prior reviews"),
        "cases",
        description=_("Each application and where it stands, step by step."),
    ),
    Service(
        "employer_records",
        _("Employer's insured salary, tobacco-tax and lottery subsidies"),
        "employer-records",
        description=_(
            "What your employer reported, and premiums paid for you from the tobacco surcharge or the lottery."
        ),
    ),
]


def by_key(key: str) -> Service:
    for service in SERVICES:
        if service.key == key:
            return service
    raise KeyError(key)
