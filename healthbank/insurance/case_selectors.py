"""Reads of case progress and employer records (SPEC §10), for the person only.

重大傷病、自墊醫療費用核退、事前審查進度查詢 and 減免補助: the person's cases, newest first, each with the steps it
went through and the steps still ahead (a progress line); 雇主投保金額、菸捐及公益彩券補助: per year. The seed
offers these to the person themselves (unlike the enrolment records, not "及眷屬"), and catastrophic illness and
reimbursements are health data: ``own_person`` refuses a dependent's id exactly like a stranger's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.access.rules import Reader
from healthbank.access.services import NotReadable, note_refused
from healthbank.core import codes, display
from healthbank.identity.models import Person

from . import selectors
from .models import (
    CatastrophicIllnessCase,
    PriorReviewCase,
    ReimbursementCase,
    SalaryReport,
    SubsidyCase,
    WelfareSubsidy,
)
from .models.cases import DECISION_STEPS, FINAL_STEPS, CaseStep

# Countries people most often claim treatment abroad from (our list: the NHI's figures name Asia's neighbours
# and the United States first); any other ISO code is shown as it came.
COUNTRY_NAMES = {
    "JP": ("日本", "Japan"),
    "CN": ("中國大陸", "Mainland China"),
    "HK": ("香港", "Hong Kong"),
    "MO": ("澳門", "Macao"),
    "KR": ("韓國", "South Korea"),
    "US": ("美國", "United States"),
    "CA": ("加拿大", "Canada"),
    "TH": ("泰國", "Thailand"),
    "VN": ("越南", "Vietnam"),
    "SG": ("新加坡", "Singapore"),
    "MY": ("馬來西亞", "Malaysia"),
    "PH": ("菲律賓", "Philippines"),
    "ID": ("印尼", "Indonesia"),
    "AU": ("澳洲", "Australia"),
    "NZ": ("紐西蘭", "New Zealand"),
    "GB": ("英國", "United Kingdom"),
    "FR": ("法國", "France"),
    "DE": ("德國", "Germany"),
}


def own_person(reader: Reader, person_id, *, service: str, known: Person | None = None) -> Person:
    """The reader themselves, through the acting rule; any other id (a dependent's too) is ``NotReadable``."""
    try:
        wanted = person_id if isinstance(person_id, uuid.UUID) else uuid.UUID(str(person_id))
    except ValueError:
        raise NotReadable from None
    if wanted != reader.person_id:
        if Person.objects.filter(pk=wanted).exists():  # as the acting rule does: a refused read is in their log
            note_refused(reader, wanted, "insurance")
        raise NotReadable
    return selectors.person_acted_for(reader, wanted, service=service, known=known)


def _language() -> str:
    return translation.get_language() or "zh-hant"


def _chinese() -> bool:
    return _language().lower().startswith("zh")


def country_name(code: str) -> str:
    names = COUNTRY_NAMES.get(code)
    if names is None:
        return code
    return names[0] if _chinese() else names[1]


def institution_name(institution) -> str:
    return institution.name if _chinese() or not institution.name_en else institution.name_en


def money(amount: int | None) -> str:
    return "" if amount is None else f"NT$ {amount:,}"


@dataclass
class Step:
    step: str
    label: str
    on: dt.date | None = None
    note: str = ""
    state: str = "done"  # done | current | ahead


@dataclass
class Case:
    """One case as the person sees it: what it is, where it stands, the steps done and ahead."""

    id: uuid.UUID
    kind: str  # subsidy | catastrophic_illness | reimbursement | prior_review
    kind_label: str
    title: str
    applied_on: dt.date
    status: str
    status_label: str
    status_on: dt.date
    outcome: str  # open | approved | partly_approved | refused | withdrawn
    steps: list[Step]
    details: list[tuple[str, str]] = field(default_factory=list)
    fields: dict = field(default_factory=dict)  # the kind's own values, for the app


def _label(step: str) -> str:
    return str(CaseStep(step).label)


def _steps(record, *, paid_ahead: bool) -> list[Step]:
    """Done steps (the last is ``current``), then the milestones still ahead of an open case, greyed."""
    done = [Step(s["step"], _label(s["step"]), dt.date.fromisoformat(s["on"]), s.get("note", "")) for s in record.steps]
    done[-1].state = "current"
    reached = {s.step for s in done}
    ahead: list[Step] = []
    if not reached & (DECISION_STEPS | FINAL_STEPS):
        if CaseStep.UNDER_REVIEW not in reached:
            ahead.append(Step(CaseStep.UNDER_REVIEW, _label(CaseStep.UNDER_REVIEW), state="ahead"))
        ahead.append(Step("decision", _("Decision"), state="ahead"))
    if paid_ahead and CaseStep.PAID not in reached and CaseStep.REFUSED not in reached:
        if CaseStep.WITHDRAWN not in reached:
            ahead.append(Step(CaseStep.PAID, _label(CaseStep.PAID), state="ahead"))
    return done + ahead


def _outcome(record) -> str:
    reached = [s["step"] for s in record.steps]
    for step in reached:
        if step in DECISION_STEPS:
            return step
    return CaseStep.WITHDRAWN.value if CaseStep.WITHDRAWN in reached else "open"


def _case(record, kind: str, kind_label: str, title: str, details, fields, *, paid_ahead: bool = False) -> Case:
    return Case(
        id=record.pk,
        kind=kind,
        kind_label=kind_label,
        title=title,
        applied_on=record.applied_on,
        status=record.status,
        status_label=_label(record.status),
        status_on=record.status_on,
        outcome=_outcome(record),
        steps=_steps(record, paid_ahead=paid_ahead),
        details=[(label, value) for label, value in details if value],
        fields=fields,
    )


def _subsidy(record: SubsidyCase) -> Case:
    months = ""
    if record.months_from:
        until = display.format_month(record.months_until) if record.months_until else _("no end yet")
        months = f"{display.format_month(record.months_from)} – {until}"
    return _case(
        record,
        "subsidy",
        _("Premium subsidy or reduction"),
        record.get_kind_display(),
        [
            (_("Subsidy"), record.get_kind_display()),
            (_("Share of the premium"), f"{record.share_pct} %" if record.share_pct else ""),
            (_("Months"), months),
        ],
        {
            "subsidy": record.kind,
            "share_pct": record.share_pct,
            "months_from": record.months_from,
            "months_until": record.months_until,
        },
    )


def _catastrophic(record: CatastrophicIllnessCase) -> Case:
    diagnosis = codes.diagnoses().get(record.icd10)
    name = diagnosis.name_in(_language()) if diagnosis else ""
    validity = ""
    if record.valid_from:
        until = display.format_date(record.valid_until) if record.valid_until else _("no end")
        validity = f"{display.format_date(record.valid_from)} – {until}"
    return _case(
        record,
        "catastrophic_illness",
        _("Catastrophic-illness certificate"),
        f"{record.icd10} {name}".strip(),
        [
            (_("Illness (ICD-10-CM)"), f"{record.icd10} {name}".strip()),
            (_("Applied through"), institution_name(record.institution) if record.institution else ""),
            (_("Valid"), validity),
        ],
        {
            "icd10": record.icd10,
            "illness": name,
            "institution": record.institution.code if record.institution else None,
            "valid_from": record.valid_from,
            "valid_until": record.valid_until,
        },
    )


def _reimbursement(record: ReimbursementCase) -> Case:
    where = country_name(record.country) if record.country else record.get_where_display()
    treated = display.format_date(record.treated_from)
    if record.treated_until and record.treated_until != record.treated_from:
        treated += f" – {display.format_date(record.treated_until)}"
    return _case(
        record,
        "reimbursement",
        _("Reimbursement of self-paid medical costs"),
        _("Treatment in %(where)s") % {"where": where},
        [
            (_("Where treated"), where),
            (_("Treated"), treated),
            (_("Amount claimed"), money(record.amount_claimed)),
            (_("Amount approved"), money(record.amount_approved)),
        ],
        {
            "where": record.where,
            "country": record.country,
            "country_name": country_name(record.country) if record.country else "",
            "treated_from": record.treated_from,
            "treated_until": record.treated_until,
            "amount_claimed": record.amount_claimed,
            "amount_approved": record.amount_approved,
        },
        paid_ahead=True,
    )


def _prior_review(record: PriorReviewCase) -> Case:
    if record.drug_code:
        drug = codes.drugs().get(record.drug_code)
        item = f"{record.drug_code} {drug.name_in(_language()) if drug else ''}".strip()
    else:
        payment = codes.payment_codes().get(record.payment_code)
        item = f"{record.payment_code} {payment.name_in(_language()) if payment else ''}".strip()
    return _case(
        record,
        "prior_review",
        _("Prior review"),
        item,
        [(_("Item reviewed"), item), (_("Institution"), institution_name(record.institution))],
        {
            "drug_code": record.drug_code or None,
            "payment_code": record.payment_code or None,
            "item": item,
            "institution": record.institution.code,
            "institution_name": institution_name(record.institution),
        },
    )


CASE_KINDS = ("subsidy", "catastrophic_illness", "reimbursement", "prior_review")


def cases_of(person: Person, *, today: dt.date | None = None) -> list[Case]:
    """The person's cases applied for in the last ``policy.CASES_SHOWN_YEARS`` years, newest first.

    Four per-person indexed queries (person, -applied_on). The caller has checked ``own_person``.
    """
    today = today or timezone.localdate()
    since = today.replace(year=today.year - policy.CASES_SHOWN_YEARS, day=1)
    mine = {"person": person, "applied_on__gte": since}
    found = [
        *(_subsidy(r) for r in SubsidyCase.objects.filter(**mine)),
        *(_catastrophic(r) for r in CatastrophicIllnessCase.objects.filter(**mine).select_related("institution")),
        *(_reimbursement(r) for r in ReimbursementCase.objects.filter(**mine)),
        *(_prior_review(r) for r in PriorReviewCase.objects.filter(**mine).select_related("institution")),
    ]
    found.sort(key=lambda c: (c.applied_on, c.status_on, str(c.id)), reverse=True)
    return found


@dataclass
class EmployerYear:
    """雇主投保金額、菸捐及公益彩券補助 of one year."""

    year: int
    salary_reports: list
    subsidies: list
    subsidy_total: int
    subsidy_total_text: str


def year_label(year: int) -> str:
    """``115年`` on a Chinese page (the ROC year, as the NHI prints it), ``2026`` otherwise."""
    return f"{year - 1911}年" if _chinese() else str(year)


def employer_record_years(person: Person, today: dt.date | None = None) -> list[int]:
    """The years one may pick, newest first: the last ``policy.EMPLOYER_RECORDS_YEARS`` and any with a record."""
    today = today or timezone.localdate()
    years = {today.year - n for n in range(policy.EMPLOYER_RECORDS_YEARS)}
    years |= {d.year for d in SalaryReport.objects.filter(person=person).dates("effective_on", "year")}
    years |= {d.year for d in WelfareSubsidy.objects.filter(person=person).dates("month", "year")}
    return sorted((y for y in years if y <= today.year), reverse=True)


def employer_records_of(person: Person, year: int) -> EmployerYear:
    """The salary reports effective in ``year`` and the subsidised months of ``year``, oldest first."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    reports = list(
        SalaryReport.objects.filter(person=person, effective_on__range=(start, end))
        .select_related("unit")
        .order_by("effective_on", "reported_on", "pk")
    )
    subsidies = list(
        WelfareSubsidy.objects.filter(person=person, month__range=(start, end)).order_by("month", "fund", "pk")
    )
    for report in reports:
        report.salary_text = money(report.insured_salary)
    for subsidy in subsidies:
        subsidy.amount_text = money(subsidy.amount)
    total = sum(s.amount for s in subsidies)
    return EmployerYear(year, reports, subsidies, total, money(total))
