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


def by_key(key: str) -> Service:
    for service in SERVICES:
        if service.key == key:
            return service
    raise KeyError(key)


SERVICES.append(
    Service(
        key="card_replacement",
        label=_("NHI card replacement and photo change"),
        url_name="card-replacement",
        for_dependents=True,
        description=_("A new card when yours is lost or damaged, or with a new photo; the card is mailed to you."),
    )
)
