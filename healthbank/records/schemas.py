"""The shapes institutions and agencies send (pydantic; also the OpenAPI request bodies).

Shape and code checks live here; checks that need the database (is this person
known, is this their newest card) live in services. Validation context:
``today`` — no date may lie after it. A fault between fields that concerns one
element of a list is found by ``cross_field_errors`` rather than a validator,
so that it is reported at that element (``non_drug_orders[2].tooth``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from healthbank import policy
from healthbank.core import codes
from healthbank.core import national_id as nid

BODY_SITES = (
    "head", "eye", "ear_nose_throat", "neck", "chest", "breast", "heart", "abdomen", "upper_gi",
    "liver_gallbladder", "colon_rectum", "kidney_urinary", "reproductive", "spine", "shoulder", "arm",
    "hand", "hip", "knee", "leg", "foot", "skin",
)  # fmt: skip
PERMANENT_TEETH = frozenset(q * 10 + n for q in (1, 2, 3, 4) for n in range(1, 9))
PRIMARY_TEETH = frozenset(q * 10 + n for q in (5, 6, 7, 8) for n in range(1, 6))


NATIONAL_IDS_REMEMBERED = 65536  # a slice of the generator names 25,000 people


@functools.lru_cache(maxsize=NATIONAL_IDS_REMEMBERED)
def _national_id(value: str) -> str:
    # Remembered (valid ones only: a refusal raises and is not kept): a bulk load names each person in dozens of
    # records, and the check was 4 % of a loader's time.
    try:
        return nid.validate(value).value
    except nid.NationalIdError as exc:
        raise ValueError(exc.message) from None


def _icd10(value: str) -> str:
    code = codes.icd10_normalise(value)
    if code not in codes.diagnoses():
        raise ValueError(f"'{value}' is not a known ICD-10-CM code.")
    return code


def _drug_code(value: str) -> str:
    code = value.strip().upper()
    if code not in codes.drugs():
        raise ValueError(f"'{value}' is not a known NHI drug code.")
    return code


def _payment_code(value: str) -> str:
    code = value.strip().upper()
    if code not in codes.payment_codes():
        raise ValueError(f"'{value}' is not a known NHI payment code.")
    return code


def _vaccine_code(value: str) -> str:
    if value not in codes.vaccines():
        raise ValueError(f"'{value}' is not a known CDC vaccine code.")
    return value


def _lab_key(value: str) -> str:
    if value not in codes.lab_tests():
        raise ValueError(f"'{value}' is not a known lab test key.")
    return value


def _not_future(value: dt.date | None, info: ValidationInfo) -> dt.date | None:
    today = (info.context or {}).get("today")
    if value is not None and today is not None and value > today:
        raise ValueError(f"date {value.isoformat()} is in the future.")
    return value


RecordId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$")]
NationalIdStr = Annotated[str, AfterValidator(_national_id)]
CardNumber = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
InstitutionCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{10}$")]
PastDate = Annotated[dt.date, AfterValidator(_not_future)]
OptionalPastDate = Annotated[dt.date | None, AfterValidator(_not_future)]
Icd10 = Annotated[str, AfterValidator(_icd10)]
DrugCode = Annotated[str, AfterValidator(_drug_code)]
PaymentCodeStr = Annotated[str, AfterValidator(_payment_code)]
Quantity = Annotated[Decimal, Field(gt=0, le=policy.INGEST_MAX_QUANTITY, max_digits=10, decimal_places=2)]
ShortText = Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)]
Measure = Annotated[Decimal | None, Field(ge=0, le=10000, max_digits=7, decimal_places=2)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def cross_field_errors(cls, item: Any) -> Iterator[tuple[str, str]]:
        """Faults between fields as (where, reason); ``item`` may hold only the fields that passed their checks."""
        return iter(())


class PersonRecord(Strict):
    record_id: RecordId = Field(description="The sender's own id of this record; re-sending it corrects the record.")
    national_id: NationalIdStr = Field(description="身分證字號 or 居留證號 of the person")


class DrugOrderIn(Strict):
    drug_code: DrugCode = Field(description="NHI drug code (10 characters)")
    days_supplied: int = Field(ge=1, le=policy.INGEST_MAX_DAYS_SUPPLIED)
    quantity: Quantity = Field(description="total quantity dispensed")
    frequency: str = Field("", max_length=12, description="NHI dosing frequency code, e.g. TID")


class NonDrugOrderIn(Strict):
    payment_code: PaymentCodeStr = Field(description="NHI payment code, e.g. 00158C")
    quantity: Quantity = Decimal(1)
    tooth: int | None = Field(None, description="FDI tooth number (dental only)")
    body_site: Literal[BODY_SITES] | None = Field(None, description="operated body site (surgery)")  # type: ignore[valid-type]

    @field_validator("tooth")
    @classmethod
    def _tooth(cls, value: int | None) -> int | None:
        if value is not None and value not in PERMANENT_TEETH | PRIMARY_TEETH:
            raise ValueError(f"{value} is not an FDI tooth number (11–48, 51–85).")
        return value


class ChronicPrescriptionIn(Strict):
    record_id: RecordId
    days_per_fill: int = Field(ge=1, le=policy.CHRONIC_PRESCRIPTION_MAX_DAYS_PER_FILL)
    fills: int = Field(ge=2, le=policy.CHRONIC_PRESCRIPTION_MAX_FILLS)
    icd10: Icd10

    @field_validator("fills")
    @classmethod
    def _total(cls, fills: int, info: ValidationInfo) -> int:
        per_fill = info.data.get("days_per_fill")
        if per_fill and per_fill * fills > policy.CHRONIC_PRESCRIPTION_MAX_TOTAL_DAYS:
            raise ValueError(
                f"{fills} fills of {per_fill} days exceed the "
                f"{policy.CHRONIC_PRESCRIPTION_MAX_TOTAL_DAYS} days a chronic prescription may cover."
            )
        return fills


class RefillOf(Strict):
    institution: InstitutionCode = Field(description="the institution that issued the chronic prescription")
    record_id: RecordId = Field(description="its record id of the prescription")
    refill_number: int = Field(ge=2, le=policy.CHRONIC_PRESCRIPTION_MAX_FILLS)


# Kinds of visit that may mix the NHI card and the virtual card besides refills and courses (SPEC §9).
MIXED_CARD_KINDS = frozenset({"inpatient"})
MIXED_NOT_ALLOWED = (
    "Only inpatient stays, courses of treatment and prescription refills can mix the NHI card and the virtual card."
)
VIRTUAL_CARD_NEEDS_MEDIUM = "Name a virtual card only with card_medium virtual or mixed."
VIRTUAL_CARD_MISSING = (
    "A visit made with the virtual card names the scan_id of the scanned code or the id of the accepted "
    "authorisation request."
)


class VisitIn(PersonRecord):
    """One visit uploaded from the card or claims: diagnoses, drug and non-drug orders.

    Made with the virtual card (虛擬健保卡): ``card_medium`` ``virtual``, and ``virtual_card`` the ``scan_id``
    the scan answered or the id of the authorisation request the person accepted; the scan lets this
    institution upload the visit for 24 hours, an accepted request for 1 hour. Inpatient stays, courses of
    treatment (療程, ``course_treatment``) and prescription refills may mix both cards (``mixed``).
    ``card_number`` is always the person's NHI card number (the scan answers it too).
    """

    # Fields added after visits were stored: left out of the fingerprint while they hold their default, so
    # a re-send of a visit stored before them is still ``unchanged``.
    digest_omits_default: ClassVar[frozenset[str]] = frozenset({"card_medium", "virtual_card", "course_treatment"})

    card_number: CardNumber = Field(description="12-digit number of the NHI card used")
    institution: InstitutionCode
    kind: Literal["western", "chinese", "dental", "inpatient", "pharmacy", "preventive"]
    visit_date: PastDate = Field(description="visit, admission or dispensing date")
    end_date: OptionalPastDate = Field(None, description="discharge date (inpatient)")
    card_sequence: str = Field("", max_length=4, description="就醫序號")
    department: str = Field("", max_length=4)
    copayment: int = Field(0, ge=0, le=policy.INGEST_MAX_COPAYMENT)
    points: int = Field(0, ge=0, le=policy.INGEST_MAX_POINTS)
    diagnoses: list[Icd10] = Field(min_length=1, max_length=10)
    drug_orders: list[DrugOrderIn] = Field(default_factory=list, max_length=60)
    non_drug_orders: list[NonDrugOrderIn] = Field(default_factory=list, max_length=60)
    chronic_prescription: ChronicPrescriptionIn | None = None
    refill_of: RefillOf | None = None
    card_medium: Literal["physical", "virtual", "mixed"] = Field(
        "physical",
        description="the card the visit was made with: physical (the NHI card), virtual (the virtual NHI card) "
        "or mixed (both; inpatient stays, courses of treatment and prescription refills only)",
    )
    virtual_card: str = Field(
        "",
        max_length=40,
        description="virtual or mixed: the scan_id the card scan answered (32 hex digits), or the id of the "
        "authorisation request the person accepted (UUID); it must be this institution's and this person's, "
        "and still live (a scan for 24 hours, an accepted request for 1 hour)",
    )
    course_treatment: bool = Field(
        False, description="part of a course of treatment (療程, e.g. rehabilitation or Chinese-medicine courses)"
    )

    @field_validator("end_date")
    @classmethod
    def _end_date(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        if end is None:
            return end
        if info.data.get("kind") != "inpatient":
            raise ValueError("end_date is only for inpatient stays.")
        start = info.data.get("visit_date")
        if start is not None and end < start:
            raise ValueError("end_date is before visit_date.")
        return end

    @classmethod
    def cross_field_errors(cls, item: Any) -> Iterator[tuple[str, str]]:
        kind = getattr(item, "kind", None)
        if kind is not None and kind != "dental":
            for i, order in enumerate(getattr(item, "non_drug_orders", None) or []):
                if order.tooth is not None:
                    yield f"non_drug_orders[{i}].tooth", "tooth numbers are only for dental visits."
        yield from cls._card_medium_errors(item)

    @classmethod
    def _card_medium_errors(cls, item: Any) -> Iterator[tuple[str, str]]:
        """The card rules that need no database; whether the scan or authorisation named is live is for services."""
        medium = getattr(item, "card_medium", None)
        virtual_card = getattr(item, "virtual_card", None)
        if medium == "physical" and virtual_card:
            yield "virtual_card", VIRTUAL_CARD_NEEDS_MEDIUM
        if medium in ("virtual", "mixed") and virtual_card == "":
            yield "virtual_card", VIRTUAL_CARD_MISSING
        kind = getattr(item, "kind", None)
        # A field that failed its own check is missing from ``item``: then whether mixing is allowed is unknown.
        known = kind is not None and hasattr(item, "refill_of") and hasattr(item, "course_treatment")
        if medium == "mixed" and known:
            # A refill is a pharmacy visit naming the prescription it refills (stored as its refill_number).
            if kind not in MIXED_CARD_KINDS and item.refill_of is None and not item.course_treatment:
                yield "card_medium", MIXED_NOT_ALLOWED

    @field_validator("refill_of")
    @classmethod
    def _refill(cls, refill: RefillOf | None, info: ValidationInfo) -> RefillOf | None:
        if refill is not None and info.data.get("kind") != "pharmacy":
            raise ValueError("refill_of is only for pharmacy dispensing.")
        return refill


class LabResultIn(PersonRecord):
    institution: InstitutionCode
    collected_on: PastDate
    lab_key: Annotated[str, AfterValidator(_lab_key)] = Field(description="e.g. hba1c, ldl, creatinine, egfr")
    value: str = Field(min_length=1, max_length=40, description="as reported: '6.8', 'Negative', '<0.5'")
    unit: str = Field("", max_length=20)
    reference_range: str = Field("", max_length=40, description="as the lab sent it: '4.0-5.6', '<200'")


class ReportIn(PersonRecord):
    institution: InstitutionCode
    kind: Literal["imaging", "pathology", "discharge"]
    performed_on: PastDate
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=20000)
    visit_record_id: RecordId | None = Field(None, description="record id of the visit or stay it belongs to")


class AllergyIn(PersonRecord):
    institution: InstitutionCode
    uploaded_on: PastDate
    allergen: ShortText = Field(min_length=1)
    drug_code: DrugCode | None = None
    reaction: ShortText = ""
    doctor_name: str = Field("", max_length=40)


class VaccinationIn(PersonRecord):
    vaccine_code: Annotated[str, AfterValidator(_vaccine_code)]
    vaccinated_on: PastDate
    institution: InstitutionCode | None = None
    institution_name: ShortText = ""


class PreventiveCheckIn(PersonRecord):
    institution: InstitutionCode
    checked_on: PastDate
    height_cm: Measure = None
    weight_kg: Measure = None
    waist_cm: Measure = None
    systolic: int | None = Field(None, ge=40, le=300)
    diastolic: int | None = Field(None, ge=20, le=200)
    fasting_glucose: Measure = None
    cholesterol_total: Measure = None
    triglycerides: Measure = None
    hdl: Measure = None
    ldl: Measure = None
    bun: Measure = None
    creatinine: Measure = None
    egfr: Measure = None
    urine_protein: Literal["", "-", "+/-", "+", "++", "+++", "++++"] = ""
    got: int | None = Field(None, ge=0, le=10000)
    gpt: int | None = Field(None, ge=0, le=10000)
    hbsag: Literal["", "positive", "negative"] = ""
    anti_hcv: Literal["", "positive", "negative"] = ""


class CancerScreeningIn(PersonRecord):
    institution: InstitutionCode
    kind: Literal["cervical", "breast", "colorectal", "oral"]
    screened_on: PastDate
    result: str = Field(min_length=1, max_length=200)
    abnormal: bool = False


# Labs that belong to one hepatitis programme only: a B follow-up carrying an HCV lab is a mix-up.
HEPATITIS_ONLY_LABS = {"hepatitis_b": {"hbv_dna", "hbsag", "hbeag"}, "hepatitis_c": {"hcv_rna", "anti_hcv"}}


class FollowUpIn(PersonRecord):
    institution: InstitutionCode
    program: Literal["diabetes", "ckd_early", "hepatitis_b", "hepatitis_c"] = Field(
        description="NHI care programme; hepatitis B and C are separate programmes"
    )
    measured_on: PastDate
    values: dict[Annotated[str, AfterValidator(_lab_key)], Annotated[Decimal, Field(ge=0, le=100000)]] = Field(
        min_length=1, max_length=20
    )

    @field_validator("values")
    @classmethod
    def _programme_labs(cls, values: dict, info: ValidationInfo) -> dict:
        program = info.data.get("program")
        for other, labs in HEPATITIS_ONLY_LABS.items():
            wrong = sorted(set(values) & labs) if program != other and program in HEPATITIS_ONLY_LABS else []
            if wrong:
                raise ValueError(f"{', '.join(wrong)} belong to the {other} programme, not {program}.")
        return values


class CareWishIn(PersonRecord):
    kind: Literal["organ_donation", "hospice"]
    signed_on: PastDate
    registered_on: PastDate
    withdrawn_on: OptionalPastDate = None

    @field_validator("registered_on")
    @classmethod
    def _registered(cls, day: dt.date, info: ValidationInfo) -> dt.date:
        signed = info.data.get("signed_on")
        if signed is not None and day < signed:
            raise ValueError("registered_on is before signed_on.")
        return day

    @field_validator("withdrawn_on")
    @classmethod
    def _withdrawn(cls, day: dt.date | None, info: ValidationInfo) -> dt.date | None:
        registered = info.data.get("registered_on")
        if day is not None and registered is not None and day < registered:
            raise ValueError("withdrawn_on is before registered_on.")
        return day


# ------------------------------------------------------------------ case progress and employer records (SPEC §10)

CASE_STEPS = (
    "received", "documents_requested", "documents_received", "under_review",
    "approved", "partly_approved", "refused", "paid", "withdrawn",
)  # fmt: skip
CASE_DECISIONS = frozenset({"approved", "partly_approved", "refused"})
CASE_CLOSED = frozenset({"refused", "paid", "withdrawn"})  # nothing follows these
UnitCode = Annotated[str, StringConstraints(pattern=r"^\d{9}$")]
Amount = Annotated[int, Field(ge=0, le=policy.INGEST_MAX_CASE_AMOUNT)]


class CaseStepIn(Strict):
    step: Literal[CASE_STEPS] = Field(  # type: ignore[valid-type]
        description="received, documents_requested, documents_received, under_review, approved, "
        "partly_approved, refused, paid (reimbursements only) or withdrawn"
    )
    on: PastDate = Field(description="the day of this step")
    note: ShortText = Field("", description="what the person should know, e.g. which documents are missing")


class CaseIn(PersonRecord):
    """A case and every step it went through so far, oldest first; re-send the case with each new step.

    The first step is ``received``; days never go back; one decision at most (approved, partly_approved,
    refused); nothing after refused, paid or withdrawn.
    """

    allowed_steps: ClassVar[frozenset[str]] = frozenset(CASE_STEPS) - {"paid", "partly_approved"}

    applied_on: PastDate = Field(description="the day the application was made")
    steps: list[CaseStepIn] = Field(min_length=1, max_length=policy.CASE_MAX_STEPS)

    @classmethod
    def decision(cls, item: Any) -> str | None:
        steps = getattr(item, "steps", None) or []
        return next((s.step for s in steps if s.step in CASE_DECISIONS), None)

    @classmethod
    def cross_field_errors(cls, item: Any) -> Iterator[tuple[str, str]]:
        steps = getattr(item, "steps", None) or []
        applied_on = getattr(item, "applied_on", None)
        if steps and steps[0].step != "received":
            yield "steps[0].step", "the first step of a case is received."
        if steps and applied_on is not None and steps[0].on < applied_on:
            yield "steps[0].on", "the application was received before it was made (applied_on)."
        decided = closed = None
        for i, step in enumerate(steps):
            if step.step not in cls.allowed_steps:
                yield f"steps[{i}].step", f"{step.step} is not a step of this kind of case."
            if i and step.on < steps[i - 1].on:
                yield f"steps[{i}].on", "a step cannot come before the step above it."
            if i and step.step == "received":
                yield f"steps[{i}].step", "received is the first step only."
            if closed is not None:
                yield f"steps[{i}].step", f"nothing follows {closed}."
            if step.step in CASE_DECISIONS:
                if decided is not None:
                    yield f"steps[{i}].step", f"the case was already decided ({decided})."
                decided = step.step
            if step.step == "paid" and decided not in ("approved", "partly_approved"):
                yield f"steps[{i}].step", "paid comes after approved or partly_approved."
            if step.step in CASE_CLOSED:
                closed = step.step


class SubsidyCaseIn(CaseIn):
    """減免補助 — an application for a premium subsidy or reduction, from the NHIA."""

    kind: Literal[
        "low_income", "near_poor", "near_poor_elderly", "disability", "unemployed", "indigenous", "children"
    ] = Field(description="who the subsidy is for (低收入戶, 中低收入戶, 中低收入老人, 身心障礙, 失業, 原住民, 兒少)")
    share_pct: int | None = Field(None, ge=1, le=100, description="share of the premium subsidised, once decided")
    months_from: dt.date | None = Field(None, description="first month subsidised (the 1st), once decided")
    months_until: dt.date | None = Field(None, description="last month subsidised (the 1st); none: no end yet")

    @classmethod
    def cross_field_errors(cls, item: Any) -> Iterator[tuple[str, str]]:
        yield from super().cross_field_errors(item)
        start, end = getattr(item, "months_from", None), getattr(item, "months_until", None)
        for name, day in (("months_from", start), ("months_until", end)):
            if day is not None and day.day != 1:
                yield name, "a month is given by its first day (YYYY-MM-01)."
        if start is not None and end is not None and end < start:
            yield "months_until", "months_until is before months_from."
        if hasattr(item, "steps"):
            granted = cls.decision(item) in ("approved", "partly_approved")
            if granted and (start is None or getattr(item, "share_pct", None) is None):
                yield "months_from", "an approved subsidy names months_from and share_pct."
            if not granted and start is not None:
                yield "months_from", "only an approved subsidy has months."


class CatastrophicIllnessIn(CaseIn):
    """重大傷病證明 — an application for a catastrophic-illness certificate, from the NHIA."""

    icd10: Icd10 = Field(description="the illness (ICD-10-CM) the certificate is for")
    institution: InstitutionCode | None = Field(None, description="the institution that applied for the person")
    valid_from: dt.date | None = Field(None, description="once approved: the first day the certificate is valid")
    valid_until: dt.date | None = Field(None, description="once approved: the last day; none: no end")

    @classmethod
    def cross_field_errors(cls, item: Any) -> Iterator[tuple[str, str]]:
        yield from super().cross_field_errors(item)
        start, end = getattr(item, "valid_from", None), getattr(item, "valid_until", None)
        if start is not None and end is not None and end < start:
            yield "valid_until", "valid_until is before valid_from."
        if hasattr(item, "steps"):
            approved = cls.decision(item) == "approved"
            if approved and start is None:
                yield "valid_from", "an approved certificate names valid_from."
            if not approved and (start is not None or end is not None):
                yield "valid_from", "only an approved certificate has a validity."


class ReimbursementIn(CaseIn):
    """自墊醫療費用核退 — medical costs paid by the person (abroad or in an emergency), claimed back; NHIA."""

    allowed_steps: ClassVar[frozenset[str]] = frozenset(CASE_STEPS)

    where: Literal["abroad", "taiwan"] = Field(description="treated abroad or in Taiwan")
    country: str = Field("", pattern=r"^([A-Z]{2})?$", description="ISO 3166-1 alpha-2 code, when abroad")
    treated_from: PastDate
    treated_until: OptionalPastDate = None
    amount_claimed: Amount = Field(description="NT$ the person asked for")
    amount_approved: Amount | None = Field(None, description="NT$ approved, once decided")

    @classmethod
    def cross_field_errors(cls, item: Any) -> Iterator[tuple[str, str]]:
        yield from super().cross_field_errors(item)
        where, country = getattr(item, "where", None), getattr(item, "country", None)
        if where == "abroad" and country == "":
            yield "country", "a claim for treatment abroad names the country."
        if where == "taiwan" and country:
            yield "country", "a claim for treatment in Taiwan names no country."
        start, end = getattr(item, "treated_from", None), getattr(item, "treated_until", None)
        if start is not None and end is not None and end < start:
            yield "treated_until", "treated_until is before treated_from."
        applied_on = getattr(item, "applied_on", None)
        if start is not None and applied_on is not None and applied_on < start:
            yield "applied_on", "the claim was made before the treatment."
        claimed, approved = getattr(item, "amount_claimed", None), getattr(item, "amount_approved", None)
        if not hasattr(item, "steps") or claimed is None:
            return
        decision = cls.decision(item)
        if decision in ("approved", "partly_approved") and approved is None:
            yield "amount_approved", "an approved claim names amount_approved."
        elif decision not in ("approved", "partly_approved") and approved is not None:
            yield "amount_approved", "only an approved claim has amount_approved."
        elif approved is not None and approved > claimed:
            yield "amount_approved", "amount_approved is more than amount_claimed."
        elif decision == "partly_approved" and approved is not None and approved >= claimed:
            yield "amount_approved", "a partly approved claim approves less than amount_claimed."


class PriorReviewIn(CaseIn):
    """事前審查 — an institution's prior review request for a drug, device or procedure, from the institution."""

    allowed_steps: ClassVar[frozenset[str]] = frozenset(CASE_STEPS) - {"paid"}

    institution: InstitutionCode = Field(description="the institution asking (the sender itself)")
    drug_code: DrugCode | None = Field(None, description="the drug reviewed (NHI drug code)")
    payment_code: PaymentCodeStr | None = Field(None, description="or the procedure or device (NHI payment code)")

    @classmethod
    def cross_field_errors(cls, item: Any) -> Iterator[tuple[str, str]]:
        yield from super().cross_field_errors(item)
        drug, payment = getattr(item, "drug_code", None), getattr(item, "payment_code", None)
        if hasattr(item, "drug_code") and hasattr(item, "payment_code") and (drug is None) == (payment is None):
            yield "drug_code", "name exactly one of drug_code and payment_code."


class SalaryReportIn(PersonRecord):
    """投保金額申報 — an insured salary a unit reported to the NHIA for the person; sent by the NHIA."""

    unit: UnitCode = Field(description="the insurance unit's 9-digit code; the person is insured there that day")
    reason: Literal["enrolment", "adjustment"] = Field(description="reported on enrolment or a change of salary")
    reported_on: PastDate = Field(description="the day the unit filed it")
    effective_on: dt.date = Field(description="the day the salary applies from")
    insured_salary: int = Field(ge=1, le=policy.INGEST_MAX_INSURED_SALARY, description="NT$ a month")


class WelfareSubsidyIn(PersonRecord):
    """菸捐及公益彩券補助 — a month of the person's premium paid from the tobacco surcharge or the lottery; NHIA."""

    month: PastDate = Field(description="the month subsidised, by its first day (YYYY-MM-01)")
    amount: int = Field(ge=1, le=policy.INGEST_MAX_CASE_AMOUNT, description="NT$")
    fund: Literal["tobacco", "lottery"] = Field(
        description="tobacco: 菸品健康福利捐 (tobacco health and welfare surcharge); lottery: 公益彩券回饋金"
    )

    @field_validator("month")
    @classmethod
    def _first_day(cls, day: dt.date) -> dt.date:
        if day.day != 1:
            raise ValueError("a month is given by its first day (YYYY-MM-01).")
        return day
