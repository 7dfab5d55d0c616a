"""Pages of insurance status, cards, premiums, vaccinations, allergies and care wishes (SPEC §6.1, §6.2)."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _

from healthbank.core import display
from healthbank.core.categories import DataCategory
from healthbank.insurance.models import PremiumPayment

from ..selectors import insurance
from .common import passbook_page


def _labelled(rows, language: str):
    """Months and NT$ amounts written for the page (ROC months on Chinese pages, thousands separators)."""
    for row in rows or ():
        if "month" in row:
            row["month_label"] = display.format_month(row["month"], language)
        for key, label in (("amount", "amount_label"), ("insured_salary", "salary_label")):
            if key in row:
                row[label] = f"{row[key]:,}"
    return rows


@passbook_page
def insurance_status(request, viewing):
    """健保投保資料專區 — status, premium explanation, and the newest rows of each list."""
    context = insurance.insurance_page(viewing)
    _labelled(context["premiums"], viewing.language)
    _labelled(context["payments"], viewing.language)
    if context["insurance"]["insured_salary"] is not None:
        context["insurance"]["salary_label"] = f"{context['insurance']['insured_salary']:,}"
    context.update(
        {
            "title": _("Insurance status"),
            "can_cards": viewing.can(DataCategory.CARDS),
            "can_premiums": viewing.can(DataCategory.PREMIUM_CALCULATIONS),
            "can_payments": viewing.can(DataCategory.PREMIUM_PAYMENTS),
        }
    )
    return "passbook/insurance_status.html", context


@passbook_page
def insurance_cards(request, viewing):
    page = insurance.card_list(viewing, request.GET)
    return "passbook/insurance_cards.html", {
        "title": _("NHI card issuance records"),
        "page": page,
        "card_status": insurance.card_status(viewing),
    }


@passbook_page
def insurance_premiums(request, viewing):
    page = insurance.premium_list(viewing, request.GET)
    _labelled(page.rows, viewing.language)
    return "passbook/insurance_premiums.html", {
        "title": _("Premium calculations"),
        "page": page,
        "dependent": insurance.is_dependent_only(viewing),
    }


@passbook_page
def insurance_payments(request, viewing):
    page = insurance.payment_list(viewing, request.GET)
    _labelled(page.rows, viewing.language)
    return "passbook/insurance_payments.html", {
        "title": _("Premium payments"),
        "page": page,
        "dependent": insurance.is_dependent_only(viewing),
        "methods": PremiumPayment.Method.choices,
    }


@passbook_page
def vaccinations(request, viewing):
    page = insurance.vaccination_list(viewing, request.GET)
    return "passbook/insurance_vaccinations.html", {
        "title": _("Vaccinations"),
        "page": page,
        "vaccine_codes": insurance.vaccine_codes_of(viewing),
    }


@passbook_page
def allergies(request, viewing):
    page = insurance.allergy_list(viewing, request.GET)
    return "passbook/insurance_allergies.html", {"title": _("Allergies"), "page": page}


@passbook_page
def wishes(request, viewing):
    result = insurance.wish_list(viewing, request.GET)
    return "passbook/insurance_wishes.html", {
        "title": _("Organ-donation and hospice wishes"),
        "page": result["page"],
        "now": list(result["now"].values()),
    }


routes = [
    path("insurance/", insurance_status, name="insurance"),
    path("insurance/cards/", insurance_cards, name="insurance-cards"),
    path("insurance/premiums/", insurance_premiums, name="insurance-premiums"),
    path("insurance/payments/", insurance_payments, name="insurance-payments"),
    path("vaccinations/", vaccinations, name="vaccinations"),
    path("allergies/", allergies, name="allergies"),
    path("wishes/", wishes, name="wishes"),
]
