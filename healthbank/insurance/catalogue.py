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
        "enrolments",
        _("Enrolment and withdrawal records"),
        "enrolments",
        for_dependents=True,
        description=_("Your insurance periods: unit, category, insured salary, from–until and why."),
    ),
    Service(
        "address",
        _("Mailing address change"),
        "address",
        description=_("Where the NHI posts your letters; the change takes effect at once."),
    ),
    Service(
        "insurance_certificate",
        _("Certificate of insurance (Chinese and English)"),
        "certificate-insurance",
        for_dependents=True,
        description=_("Your insurance over a period you choose, as a PDF anyone can check by its code."),
    ),
    Service(
        "township",
        _("Township-office enrolment, transfer, suspension and resumption"),
        "township",
        for_dependents=True,
        description=_("For people insured at their township or district office (category 6)."),
    ),
    Service(
        "unpaid-premiums",
        _("Unpaid premiums"),
        "unpaid-premiums",
        description=_("The premium bills you pay yourself and have not paid: payment slips, instalments."),
    ),
    # 單次約定轉帳 and 電子繳款單 (insurance/debits.py, insurance/ebill.py): the insured person's own bill only.
    Service(
        "direct_debit",
        _("One-off direct debit"),
        "direct-debit",
        description=_("Pay unpaid premium months from your bank account."),
    ),
    Service(
        "ebill",
        _("E-bill"),
        "ebill",
        description=_("Your monthly premium bill by e-mail, and each month's bill as a PDF."),
    ),
    Service(
        "premium_certificate",
        _("Premium payment certificate"),
        "certificate-premiums",
        description=_("The premiums paid in a year, for the income-tax deduction."),
    ),
    Service(
        "card_replacement",
        _("NHI card replacement and photo change"),
        "card-replacement",
        for_dependents=True,
        description=_("A new card when yours is lost or damaged, or with a new photo; the card is mailed to you."),
    ),
    Service("notices", _("Notices sent"), "notices", description=_("The letters and e-mails the NHI sent you.")),
    # The case progress and employer records are the person's own (the seed says "個人", not "及眷屬").
    Service(
        "cases",
        _("Case progress: subsidies, catastrophic illness, reimbursements, prior reviews"),
        "cases",
        description=_("Each application and where it stands, step by step."),
    ),
    Service(
        "preventive_check",
        _("Last adult preventive check"),
        "preventive-check",
        description=_("When you last had it and when the next one is covered."),
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
