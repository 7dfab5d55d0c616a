"""The shapes institutions and agencies send (pydantic; also the OpenAPI request bodies).

Shape and code checks live here; checks that need the database (is this person
known, is this their newest card) live in services. Validation context:
``today`` — no date may lie after it. A fault between fields that concerns one
element of a list is found by ``cross_field_errors`` rather than a validator,
so that it is reported at that element (``non_drug_orders[2].tooth``).
"""

from __future__ import annotations

import datetime as dt
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


def _national_id(value: str) -> str:
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
