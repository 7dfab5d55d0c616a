"""Case progress and employer records as ingestion record types (SPEC §10, issue 11).

The tables are the insurance app's (``models/cases.py``); the shapes are ``records.schemas``'; every rule of
the ingestion engine (``records.services``) holds for them: an API key per sender, record ids scoped to the
person and the sender, a record never changes owner, identical concurrent writes store one, per-record results.
Who sends what: the NHIA (``Agency.NHIA``) sends subsidy cases, catastrophic-illness certificates,
reimbursements, the salary reports units file with it and the tobacco/lottery subsidies; an institution sends
its own prior reviews. ``apps.InsuranceConfig.ready`` registers them with ``records.services``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from healthbank.identity.models import Enrolment, InsuranceUnit
from healthbank.records import schemas
from healthbank.records.models import Agency
from healthbank.records.services import (
    INSTITUTION,
    Built,
    Candidate,
    Context,
    RecordType,
    Row,
    _base_fields,
    _check_agency_institution,
    _institution_for,
    _prefetch_institutions,
)

from .models import (
    CatastrophicIllnessCase,
    PriorReviewCase,
    ReimbursementCase,
    SalaryReport,
    SubsidyCase,
    WelfareSubsidy,
)

_institutions_only = frozenset({INSTITUTION})
_nhia_only = frozenset({Agency.NHIA.value})


def _case_fields(ctx: Context, c: Candidate) -> dict[str, Any]:
    item: schemas.CaseIn = c.item
    last = item.steps[-1]
    return _base_fields(ctx, c) | {
        "applied_on": item.applied_on,
        "steps": [step.model_dump(mode="json") for step in item.steps],
        "status": last.step,
        "status_on": last.on,
    }


def _build_subsidy_case(ctx: Context, c: Candidate) -> Built:
    item: schemas.SubsidyCaseIn = c.item
    return Built(
        Row(
            SubsidyCase,
            **_case_fields(ctx, c),
            kind=item.kind,
            share_pct=item.share_pct,
            months_from=item.months_from,
            months_until=item.months_until,
        )
    )


def _build_catastrophic_illness(ctx: Context, c: Candidate) -> Built:
    item: schemas.CatastrophicIllnessIn = c.item
    return Built(
        Row(
            CatastrophicIllnessCase,
            **_case_fields(ctx, c),
            icd10=item.icd10,
            institution=_institution_for(ctx, c),
            valid_from=item.valid_from,
            valid_until=item.valid_until,
        )
    )


def _build_reimbursement(ctx: Context, c: Candidate) -> Built:
    item: schemas.ReimbursementIn = c.item
    return Built(
        Row(
            ReimbursementCase,
            **_case_fields(ctx, c),
            where=item.where,
            country=item.country,
            treated_from=item.treated_from,
            treated_until=item.treated_until,
            amount_claimed=item.amount_claimed,
            amount_approved=item.amount_approved,
        )
    )


def _build_prior_review(ctx: Context, c: Candidate) -> Built:
    item: schemas.PriorReviewIn = c.item
    return Built(
        Row(
            PriorReviewCase,
            **_case_fields(ctx, c),
            institution=ctx.sender.institution,
            drug_code=item.drug_code or "",
            payment_code=item.payment_code or "",
        )
    )


def _prefetch_units(ctx: Context, candidates: list[Candidate]) -> None:
    """The units named, and the enrolments of the people named at those units (as insured persons)."""
    wanted = {c.item.unit for c in candidates if getattr(c.item, "unit", None)}
    units = {u.code: u for u in InsuranceUnit.objects.filter(code__in=wanted)}
    people = {c.person.pk for c in candidates if c.person is not None}
    enrolments: dict[tuple[UUID, UUID], list[Enrolment]] = {}
    found = Enrolment.objects.filter(
        person_id__in=people, unit_id__in=[u.pk for u in units.values()], role=Enrolment.Role.INSURED
    ).only("person_id", "unit_id", "started_on", "ended_on")
    for enrolment in found:
        enrolments.setdefault((enrolment.person_id, enrolment.unit_id), []).append(enrolment)
    ctx.lookups["units"] = units
    ctx.lookups["unit_enrolments"] = enrolments


def _check_salary_report(ctx: Context, c: Candidate) -> None:
    code = getattr(c.item, "unit", None)
    if code is None:
        return
    unit = ctx.lookups["units"].get(code)
    if unit is None:
        c.reject("unit", f"'{code}' is not a known insurance unit code.")
        return
    day = getattr(c.item, "effective_on", None)
    if c.person is None or day is None:
        return
    periods = ctx.lookups["unit_enrolments"].get((c.person.pk, unit.pk), [])
    if not any(e.is_current_on(day) for e in periods):
        c.reject("effective_on", f"The person is not insured at unit {code} on {day.isoformat()}.")


def _build_salary_report(ctx: Context, c: Candidate) -> Built:
    item: schemas.SalaryReportIn = c.item
    return Built(
        Row(
            SalaryReport,
            **_base_fields(ctx, c),
            unit=ctx.lookups["units"][item.unit],
            reason=item.reason,
            reported_on=item.reported_on,
            effective_on=item.effective_on,
            insured_salary=item.insured_salary,
        )
    )


def _build_welfare_subsidy(ctx: Context, c: Candidate) -> Built:
    item: schemas.WelfareSubsidyIn = c.item
    return Built(Row(WelfareSubsidy, **_base_fields(ctx, c), month=item.month, amount=item.amount, fund=item.fund))


RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType("subsidy-cases", schemas.SubsidyCaseIn, SubsidyCase, _nhia_only, "applied_on", _build_subsidy_case),
    RecordType(
        "catastrophic-illness",
        schemas.CatastrophicIllnessIn,
        CatastrophicIllnessCase,
        _nhia_only,
        "applied_on",
        _build_catastrophic_illness,
        _prefetch_institutions,
        _check_agency_institution,
    ),
    RecordType(
        "reimbursements",
        schemas.ReimbursementIn,
        ReimbursementCase,
        _nhia_only,
        "treated_from",
        _build_reimbursement,
    ),
    RecordType(
        "prior-reviews",
        schemas.PriorReviewIn,
        PriorReviewCase,
        _institutions_only,
        "applied_on",
        _build_prior_review,
    ),
    RecordType(
        "salary-reports",
        schemas.SalaryReportIn,
        SalaryReport,
        _nhia_only,
        "effective_on",
        _build_salary_report,
        _prefetch_units,
        _check_salary_report,
    ),
    RecordType(
        "welfare-subsidies",
        schemas.WelfareSubsidyIn,
        WelfareSubsidy,
        _nhia_only,
        "month",
        _build_welfare_subsidy,
    ),
)
