"""Insurance status, cards, premiums; vaccinations, allergies and care wishes (SPEC §6.1, §6.2).

健保投保資料專區 — the insurance page shows the current enrolment, how the month's
premium follows from the insured salary, the card status and the newest rows of
cards, premium calculations and premium payments; each of those lists has its
own page that sorts and pages. Premiums belong to the insured person: a
dependent is told whom they are billed to, never shown the insured's figures.
"""

from __future__ import annotations

from django.db.models import Case, CharField, Q, Value, When
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.core import codes
from healthbank.core.masking import mask_card_number
from healthbank.identity.models import Enrolment, NhiCard
from healthbank.insurance import rules
from healthbank.insurance.models import PremiumCalculation, PremiumPayment
from healthbank.records.models import Allergy, CareWish, Vaccination

from ..listing import Filter, ListError, ListSpec, page_of, parse_params, span_back, years_back
from ..viewing import Viewing
from .common import Category, drug, institution_name, open_category

NEWEST_SHOWN = 3  # rows of each list on the insurance page itself; our number (the lists have their own pages)


# ---------------------------------------------------------------- insurance status


def _percent(basis_points: int) -> str:
    """517 ‱ → "5.17"."""
    whole, rest = divmod(basis_points, 100)
    return f"{whole}.{rest:02d}"


def _current_enrolment(enrolments: list[Enrolment], viewing: Viewing) -> Enrolment | None:
    current = [e for e in enrolments if e.is_current_on(viewing.today)]
    return max(current, key=lambda e: e.started_on) if current else None


def enrolment_row(enrolment: Enrolment, viewing: Viewing) -> dict:
    return {
        "unit": {"code": enrolment.unit.code, "name": enrolment.unit.name},
        "category": enrolment.category,
        "category_label": str(Enrolment.Category(enrolment.category).label),
        "role": enrolment.role,
        "role_label": str(Enrolment.Role(enrolment.role).label),
        "relationship": enrolment.relationship,
        "relationship_label": str(Enrolment.Relationship(enrolment.relationship).label),
        "started_on": enrolment.started_on,
        "ended_on": enrolment.ended_on,
        "current": enrolment.is_current_on(viewing.today),
    }


def premium_explanation(enrolment: Enrolment, viewing: Viewing) -> dict:
    """How this month's premium follows from the insured salary (rules.monthly_premium, policy's numbers)."""
    dependents = (
        Enrolment.objects.filter(household_id=enrolment.household_id, role=Enrolment.Role.DEPENDENT)
        .filter(started_on__lte=viewing.today)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=viewing.today))
        .count()
    )
    amount, billed = rules.monthly_premium(
        category=enrolment.category, insured_salary=enrolment.insured_salary, dependents=dependents
    )
    per_person = amount // billed
    rate = policy.PREMIUM_RATE_PER_TEN_THOUSAND
    share = policy.PREMIUM_INSURED_SHARE_PCT[enrolment.category]
    numbers = {
        "salary": f"{enrolment.insured_salary:,}",
        "rate": _percent(rate),
        "share": share,
        "per_person": f"{per_person:,}",
        "billed": billed,
        "amount": f"{amount:,}",
        "flat": f"{policy.PREMIUM_CATEGORY6_FLAT:,}",
        "dependents": dependents,
        "max_billed": policy.PREMIUM_MAX_DEPENDENTS_BILLED,
    }
    if enrolment.category == 6:
        formula = _("%(flat)s per person × %(billed)s people = NT$%(amount)s") % numbers
        plain = (
            _(
                "In category 6 the premium is a fixed amount per person, not a share of a salary: NT$%(flat)s a month "
                "for you and for each dependent billed."
            )
            % numbers
        )
    elif share == 0:
        formula = _("%(salary)s × %(rate)s %% × %(share)s %% = 0") % numbers
        plain = _("In your category the government pays the whole premium; you pay nothing.")
    else:
        formula = (
            _("%(salary)s × %(rate)s %% × %(share)s %% = %(per_person)s per person × %(billed)s people = NT$%(amount)s")
            % numbers
        )
        plain = (
            _(
                "The premium is your insured salary (NT$%(salary)s) times the premium rate (%(rate)s %%) "
                "times the share you pay in your category (%(share)s %%), rounded to a whole dollar: "
                "NT$%(per_person)s. You pay that for yourself and for each dependent billed, so NT$%(amount)s "
                "a month; the rest is paid by others: your employer, if you have one, and the government."
            )
            % numbers
        )
    dependents_note = ""
    if dependents > policy.PREMIUM_MAX_DEPENDENTS_BILLED:
        dependents_note = (
            _("You have %(dependents)s dependents; at most %(max_billed)s are billed, the others are insured free.")
            % numbers
        )
    return {
        "category": enrolment.category,
        "insured_salary": enrolment.insured_salary,
        "rate_per_ten_thousand": rate,
        "rate_percent": _percent(rate),
        "share_pct": share,
        "dependents": dependents,
        "people_billed": billed,
        "per_person": per_person,
        "amount": amount,
        "formula": formula,
        "plain": plain,
        "dependents_note": dependents_note,
    }


def insurance_status(viewing: Viewing) -> dict:
    """The current status, the enrolment history and (for the insured) how the premium follows from the salary."""
    open_category(viewing, Category.INSURANCE)
    enrolments = list(
        Enrolment.objects.filter(person=viewing.person).select_related("unit").order_by("-started_on", "-pk")
    )
    current = _current_enrolment(enrolments, viewing)
    status = "withdrawn" if current is None else current.role
    labels = {
        "insured": _("Insured (as the insured person)"),
        "dependent": _("Insured (as a dependent)"),
        "withdrawn": _("Not insured now (withdrawn)"),
    }
    result = {
        "status": status,
        "status_label": labels[status],
        "name": viewing.person.masked_name,
        "current": enrolment_row(current, viewing) if current else None,
        "insured_salary": current.insured_salary if current and current.role == Enrolment.Role.INSURED else None,
        "premium": None,
        "premium_note": "",
        "enrolments": [enrolment_row(e, viewing) for e in enrolments],
    }
    if current is not None and current.role == Enrolment.Role.INSURED:
        result["premium"] = premium_explanation(current, viewing)
    elif current is not None:
        result["premium_note"] = _(
            "As a dependent you are billed with the insured person of your household: the premium for you is part of "
            "theirs, so the premium calculations and payments are in the insured person's passbook, not here."
        )
    return result


# ---------------------------------------------------------------- cards

CARD_LIST = ListSpec(
    sorts={"issued": ("issued_on",)},
    default_sort="-issued",
    date_field="issued_on",
    since=span_back(policy.SPAN_CARD_RECORDS),
)


def card_status(viewing: Viewing) -> dict:
    """The newest issued card is the valid one (SPEC §2); a card reported lost is not valid."""
    open_category(viewing, Category.CARDS)
    newest = NhiCard.objects.filter(person=viewing.person).order_by("-issued_on", "-card_number").first()
    if newest is None:
        return {"status": "none", "status_label": _("No NHI card has been issued."), "card": None}
    if newest.reported_lost_on is not None:
        status, label = "lost", _("Your newest card was reported lost; apply for a new one.")
    else:
        status, label = "valid", _("Your newest card is the valid one; any older cards were replaced.")
    return {"status": status, "status_label": label, "card": card_row(newest, newest.pk)}


def card_row(card: NhiCard, newest_id) -> dict:
    if card.reported_lost_on is not None:
        status, label = "lost", _("Reported lost")
    elif card.pk == newest_id:
        status, label = "valid", _("Valid")
    else:
        status, label = "replaced", _("Replaced")
    return {
        "card_number": mask_card_number(card.card_number),
        "issued_on": card.issued_on,
        "reason": card.reason,
        "reason_label": str(NhiCard.Reason(card.reason).label),
        "reported_lost_on": card.reported_lost_on,
        "status": status,
        "status_label": label,
    }


def card_list(viewing: Viewing, query):
    """The card issuance records: the past year, older ones with older=1."""
    open_category(viewing, Category.CARDS)
    params = parse_params(CARD_LIST, query)
    cards = NhiCard.objects.filter(person=viewing.person)
    newest_id = cards.order_by("-issued_on", "-card_number").values_list("pk", flat=True).first()
    return page_of(cards, CARD_LIST, params, viewing.today, row=lambda c: card_row(c, newest_id))


# ---------------------------------------------------------------- premiums

PREMIUM_LIST = ListSpec(
    sorts={"month": ("month",), "amount": ("amount",), "unit": ("unit__code",)},
    default_sort="-month",
    date_field="month",
    since=lambda today: span_back(policy.SPAN_PREMIUM_CALCULATION)(today).replace(day=1),
)
PAYMENT_LIST = ListSpec(
    sorts={"paid": ("paid_on",), "month": ("calculation__month",), "amount": ("amount",)},
    default_sort="-paid",
    date_field="paid_on",
    since=years_back(policy.SPAN_PREMIUM_PAYMENTS_YEARS),
    filters=(
        Filter(
            "method",
            lambda qs, value: qs.filter(method=value),
            choices=lambda: {k: str(v) for k, v in PremiumPayment.Method.choices},
        ),
    ),
)


def premium_row(calc: PremiumCalculation) -> dict:
    return {
        "month": calc.month,
        "unit": {"code": calc.unit.code, "name": calc.unit.name},
        "insured_salary": calc.insured_salary,
        "rate_per_ten_thousand": calc.rate_per_ten_thousand,
        "rate_percent": _percent(calc.rate_per_ten_thousand),
        "share_pct": calc.contribution_share_pct,
        "people_billed": calc.insured_count,
        "amount": calc.amount,
    }


def payment_row(payment: PremiumPayment) -> dict:
    return {
        "paid_on": payment.paid_on,
        "month": payment.calculation.month,
        "amount": payment.amount,
        "method": payment.method,
        "method_label": str(PremiumPayment.Method(payment.method).label),
    }


def is_dependent_only(viewing: Viewing) -> bool:
    """Premiums belong to the insured: someone insured only as a dependent now has none of their own to show."""
    current = _current_enrolment(list(Enrolment.objects.filter(person=viewing.person)), viewing)
    return current is not None and current.role == Enrolment.Role.DEPENDENT


def premium_list(viewing: Viewing, query):
    """The premium calculations of the past year (older with older=1): month, unit, salary, rate, share, amount."""
    open_category(viewing, Category.PREMIUM_CALCULATIONS)
    params = parse_params(PREMIUM_LIST, query)
    rows = PremiumCalculation.objects.filter(person=viewing.person).select_related("unit")
    return page_of(rows, PREMIUM_LIST, params, viewing.today, row=premium_row)


def payment_list(viewing: Viewing, query):
    """The premium payments of the past 3 years (older with older=1)."""
    open_category(viewing, Category.PREMIUM_PAYMENTS)
    params = parse_params(PAYMENT_LIST, query)
    rows = PremiumPayment.objects.filter(person=viewing.person).select_related("calculation")
    return page_of(rows, PAYMENT_LIST, params, viewing.today, row=payment_row)


def insurance_page(viewing: Viewing) -> dict:
    """Everything the insurance page shows: status, and card status and the newest rows of each list it may read."""
    page = {"insurance": insurance_status(viewing), "cards": None, "premiums": None, "payments": None}
    if viewing.can(Category.CARDS):
        page["card_status"] = card_status(viewing)
        page["cards"] = card_list(viewing, {}).rows[:NEWEST_SHOWN]
    else:
        page["card_status"] = None
    if viewing.can(Category.PREMIUM_CALCULATIONS):
        page["premiums"] = premium_list(viewing, {}).rows[:NEWEST_SHOWN]
    if viewing.can(Category.PREMIUM_PAYMENTS):
        page["payments"] = payment_list(viewing, {}).rows[:NEWEST_SHOWN]
    return page


# ---------------------------------------------------------------- vaccinations


def _vaccine_names(language: str) -> Case:
    """The vaccine's name in the reader's language as a column, so the database can sort by it."""
    catalogue = codes.vaccines()
    return Case(
        *[When(vaccine_code=code, then=Value(v.name_in(language))) for code, v in catalogue.items()],
        default=Value(""),
        output_field=CharField(),
    )


def vaccination_list_spec() -> ListSpec:
    return ListSpec(
        sorts={"date": ("vaccinated_on",), "code": ("vaccine_code",), "name": ("vaccine_name",)},
        default_sort="-date",
        date_field="vaccinated_on",
        since=lambda today: policy.VACCINATIONS_SINCE,
        filters=(
            Filter(
                "code",
                lambda qs, value: qs.filter(vaccine_code=value),
                choices=lambda: {code: v.name_en for code, v in codes.vaccines().items()},
            ),
        ),
    )


def vaccination_row(v: Vaccination, viewing: Viewing) -> dict:
    known = codes.vaccines().get(v.vaccine_code)
    if v.institution is not None:
        place = {"code": v.institution.code, "name": institution_name(v.institution, viewing)}
    else:
        place = {"code": "", "name": v.institution_name}
    return {
        "id": v.pk,
        "date": v.vaccinated_on,
        "code": v.vaccine_code,
        "name": known.name_in(viewing.language) if known else "",
        "institution": place,
        "imported": v.is_imported,
    }


def vaccination_list(viewing: Viewing, query):
    """The person's vaccinations from the CDC (since 2003; older with older=1), sortable by date, code, name."""
    open_category(viewing, Category.VACCINATIONS)
    spec = vaccination_list_spec()
    params = parse_params(spec, query)
    rows = (
        Vaccination.objects.filter(person=viewing.person)
        .select_related("institution")
        .annotate(vaccine_name=_vaccine_names(viewing.language))
    )
    return page_of(rows, spec, params, viewing.today, row=lambda v: vaccination_row(v, viewing))


def vaccine_codes_of(viewing: Viewing) -> list[dict]:
    """The vaccine codes the person has, for the filter's choices."""
    open_category(viewing, Category.VACCINATIONS)
    present = Vaccination.objects.filter(person=viewing.person).values_list("vaccine_code", flat=True).distinct()
    catalogue = codes.vaccines()
    return [
        {"code": code, "name": catalogue[code].name_in(viewing.language) if code in catalogue else ""}
        for code in sorted(set(present))
    ]


# ---------------------------------------------------------------- allergies

ALLERGY_LIST = ListSpec(
    sorts={"date": ("uploaded_on",), "allergen": ("allergen",), "institution": ("institution__name",)},
    default_sort="-date",
    date_field="uploaded_on",
    since=lambda today: policy.ALLERGIES_SINCE,
)


def allergy_row(a: Allergy, viewing: Viewing) -> dict:
    return {
        "id": a.pk,
        "date": a.uploaded_on,
        "allergen": a.allergen,
        "drug": drug(a.drug_code, viewing) if a.drug_code else None,
        "reaction": a.reaction,
        "doctor": a.doctor_name,
        "institution": {
            "code": a.institution.code,
            "name": institution_name(a.institution, viewing),
            "phone": a.institution.phone,
            "address": a.institution.address,
        },
        "imported": a.is_imported,
    }


def allergy_list(viewing: Viewing, query):
    """The allergies institutions uploaded from the card (since 2015; older with older=1)."""
    open_category(viewing, Category.ALLERGIES)
    params = parse_params(ALLERGY_LIST, query)
    rows = Allergy.objects.filter(person=viewing.person).select_related("institution")
    return page_of(rows, ALLERGY_LIST, params, viewing.today, row=lambda a: allergy_row(a, viewing))


# ---------------------------------------------------------------- organ-donation and hospice wishes

WISHES_SINCE = {
    CareWish.Kind.ORGAN_DONATION: policy.ORGAN_DONATION_WISHES_SINCE,
    CareWish.Kind.HOSPICE: policy.HOSPICE_WISHES_SINCE,
}
WISH_LIST = ListSpec(
    sorts={"registered": ("registered_on",), "signed": ("signed_on",), "kind": ("kind",)},
    default_sort="-registered",
)


def wish_row(w: CareWish, viewing: Viewing) -> dict:
    return {
        "id": w.pk,
        "kind": w.kind,
        "kind_label": str(CareWish.Kind(w.kind).label),
        "signed_on": w.signed_on,
        "registered_on": w.registered_on,
        "withdrawn_on": w.withdrawn_on,
        "in_force": w.withdrawn_on is None or w.withdrawn_on > viewing.today,
    }


def wish_list(viewing: Viewing, query) -> dict:
    """The registered wishes (organ donation since 2004-11, hospice since 2006-09) and whether each is in force."""
    open_category(viewing, Category.CARE_WISHES)
    params = parse_params(WISH_LIST, query)
    wishes = CareWish.objects.filter(person=viewing.person)
    in_span = Q()
    for kind, since in WISHES_SINCE.items():
        in_span |= Q(kind=kind, registered_on__gte=since)
    older_exist = wishes.exclude(in_span).exists()
    listed = wishes if params.older else wishes.filter(in_span)
    page = page_of(listed, WISH_LIST, params, viewing.today, row=lambda w: wish_row(w, viewing))
    page.has_older = older_exist and not params.older
    page.since = None
    now = {}
    all_rows = [wish_row(w, viewing) for w in wishes.order_by("-registered_on", "-pk")]
    for kind in CareWish.Kind:
        in_force = [r for r in all_rows if r["kind"] == kind and r["in_force"]]
        now[kind.value] = {
            "kind": kind.value,
            "kind_label": str(kind.label),
            "registered": bool(in_force),
            "registered_on": in_force[0]["registered_on"] if in_force else None,
            "since": WISHES_SINCE[kind],
        }
    return {"page": page, "now": now}


__all__ = ["ListError"]
