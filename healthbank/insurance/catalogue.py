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


SERVICES: list[Service] = [
    Service(
        key="unpaid-premiums",
        label=_("Unpaid premiums"),
        url_name="unpaid-premiums",
        description=_("The premium bills you pay yourself and have not paid: payment slips, instalments."),
    ),
    Service(
        key="township",
        label=_("Township-office enrolment, transfer, suspension and resumption"),
        url_name="township",
        for_dependents=True,
        description=_("For people insured at their township or district office (category 6)."),
    ),
]

SERVICES += [
    Service(
        "insurance_certificate",
        _("Certificate of insurance (Chinese and English)"),
        "certificate-insurance",
        for_dependents=True,
        description=_("Your insurance over a period you choose, as a PDF anyone can check by its code."),
    ),
    Service(
        "premium_certificate",
        _("Premium payment certificate"),
        "certificate-premiums",
        description=_("The premiums paid in a year, for the income-tax deduction."),
    ),
]


def by_key(key: str) -> Service:
    for service in SERVICES:
        if service.key == key:
            return service
    raise KeyError(key)


# 單次約定轉帳 and 電子繳款單 (insurance/debits.py, insurance/ebill.py): the insured person's own bill only.
from django.utils.translation import gettext_lazy as _debit_label  # noqa: E402

SERVICES += [
    Service(
        "direct_debit",
        _debit_label("One-off direct debit"),
        "direct-debit",
        description=_debit_label("Pay unpaid premium months from your bank account."),
    ),
    Service(
        "ebill",
        _debit_label("E-bill"),
        "ebill",
        description=_debit_label("Your monthly premium bill by e-mail, and each month's bill as a PDF."),
    ),
]
