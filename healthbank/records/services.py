"""Ingestion: how institutions and agencies feed records in (one path for the API and bulk loads).

``ingest(sender, record_type, payloads)`` validates every record on its own,
writes the accepted ones and reports each outcome with per-field reasons (every
fault of a record at once, each keyed to the element it concerns).

A record is never half-written and never changes owner. The accepted records of
a batch are written in one transaction that first locks their record ids
(``_lock_record_ids``), then looks the ids up: a stored record of another person
refuses the re-send, an identical one is ``unchanged``, another version is a
correction that keeps the replaced version in ``RecordRevision``, and the rest
are inserted together (COPY on PostgreSQL). Checks that only a record about to
be written must pass (a virtual-card visit's live grant) run there, after the
look-up: an identical re-send never meets them. Because the look-up and the
comparison happen under the lock, concurrent senders of the same ids wait for
each other and then see each other's rows: no conflict reaches the database's
unique constraint. The same id twice in one batch is handled in order, as if
sent one after the other. Rejected records touch nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from types import SimpleNamespace
from typing import Annotated, Any
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models.expressions import RawSQL
from django.forms.models import model_to_dict
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from healthbank.core import codes
from healthbank.core.ids import new_public_id, new_public_id_hex
from healthbank.identity.models import NhiCard, Person
from healthbank.vcard import services as vcard

from . import schemas
from .models import (
    Agency,
    Allergy,
    ApiClient,
    CancerScreening,
    CareWish,
    ChronicPrescription,
    DrugOrder,
    FollowUp,
    IngestedRecord,
    Institution,
    LabResult,
    NonDrugOrder,
    PreventiveCheck,
    RecordRevision,
    Report,
    Vaccination,
    Visit,
    VisitDiagnosis,
)

log = logging.getLogger(__name__)

INSTITUTION = "institution"


class SenderNotAllowed(Exception):
    """This sender may not send this kind of record at all (answered 403)."""


@dataclass(frozen=True)
class Sender:
    """Who sends: an institution (as itself) or an agency."""

    source: str
    institution: Institution | None = None
    agency: str = ""

    @property
    def kind(self) -> str:
        return INSTITUTION if self.institution is not None else self.agency

    @classmethod
    def for_institution(cls, institution: Institution) -> Sender:
        return cls(institution.code, institution, "")

    @classmethod
    def for_agency(cls, agency: str) -> Sender:
        return cls(Agency(agency).value, None, agency)

    @classmethod
    def for_client(cls, client: ApiClient) -> Sender:
        if client.institution_id:
            return cls.for_institution(client.institution)
        return cls.for_agency(client.agency)


@dataclass
class RecordOutcome:
    index: int
    record_id: str | None
    status: str  # created | replaced | unchanged | rejected
    id: UUID | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.status != "rejected"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "record_id": self.record_id, "status": self.status}
        if self.id is not None:
            out["id"] = str(self.id)
        if self.errors:
            out["errors"] = self.errors
        return out


@dataclass
class Candidate:
    """One record on its way through the checks.

    ``item`` is the validated schema model, or, when the shape checks found
    faults (already in ``errors``), a namespace of the fields that passed them,
    so that the domain checks can still report everything else that is wrong.
    """

    index: int
    record_id: str | None
    item: Any
    person: Person | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    digest: str = ""
    record_pk: UUID | None = None  # set when the record replaces an existing one
    card: NhiCard | None = None  # the card of a visit, once checked
    refill_rx: ChronicPrescription | None = None  # the prescription a pharmacy visit refills, once checked

    def reject(self, field_name: str, message: str) -> None:
        self.errors.setdefault(field_name, []).append(message)


@dataclass
class Context:
    sender: Sender
    today: Any
    now: Any
    lookups: dict[str, dict] = field(default_factory=dict)


class Row:
    """Column values of one row to insert, without the cost of a model instance.

    Foreign keys may be given as model instances or other Rows; they are stored
    by column. Bulk writes copy these values straight to the database.
    """

    __slots__ = ("model", "values")

    def __init__(self, model: type[models.Model], **values: Any):
        for name, attname in _foreign_keys(model):
            if name in values:
                target = values.pop(name)
                values[attname] = target.pk if target is not None else None
        if values.get("id") is None:
            values["id"] = new_public_id()
        self.model = model
        self.values = values

    @classmethod
    def of_columns(cls, model: type[models.Model], values: dict[str, Any]) -> Row:
        """A row given by column already: foreign keys as their ``<name>_id``, and its id. For the rows a bulk
        load makes by the million, which need none of the conversions above."""
        row = object.__new__(cls)
        row.model, row.values = model, values
        return row

    @property
    def pk(self) -> UUID:
        return self.values["id"]

    def instance(self) -> models.Model:
        return self.model(**self.values)


@cache
def _foreign_keys(model: type[models.Model]) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, f.attname) for f in model._meta.concrete_fields if f.is_relation)


@dataclass
class Built:
    """The rows one record becomes: its own row and rows to create after it."""

    record: Row
    children: list[Row] = field(default_factory=list)
    extra_records: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class RecordType:
    name: str
    schema: type[BaseModel]
    model: type[IngestedRecord]
    senders: frozenset[str]
    date_field: str
    build: Callable[[Context, Candidate], Built]
    prefetch: Callable[[Context, list[Candidate]], None] = lambda ctx, cands: None
    check: Callable[[Context, Candidate], None] = lambda ctx, cand: None
    child_models: tuple[type[models.Model], ...] = ()
    # Checks of a record about to be written (new, or a correction of ``stored``), made under the batch's
    # record-id locks; an identical re-send is ``unchanged`` without them. ``stored_fields``: the columns of
    # the stored record they read.
    check_written: Callable[[Context, Candidate, IngestedRecord | None], None] = lambda ctx, cand, stored: None
    stored_fields: tuple[str, ...] = ()


# ------------------------------------------------------------------ shared checks


def _error_key(loc: Sequence[Any]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key else str(part)
    return key or "record"


_MESSAGES = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
}


def errors_from_validation(exc: ValidationError) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        message = _MESSAGES.get(err["type"]) or err["msg"].removeprefix("Value error, ")
        out.setdefault(_error_key(err["loc"]), []).append(message)
    return out


_LENIENT = ConfigDict(str_strip_whitespace=True)


@cache
def _field_adapters(schema: type[BaseModel]) -> dict[str, TypeAdapter]:
    """One validator per top-level field, to keep the fields that passed when others did not."""
    adapters = {}
    for name, info in schema.model_fields.items():
        annotation = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            adapters[name] = TypeAdapter(annotation)  # a model brings its own config
        else:
            adapters[name] = TypeAdapter(annotation, config=_LENIENT)
    return adapters


def _parse(rt: RecordType, index: int, raw: Any, today) -> Candidate:
    """Shape and code checks; a faulty record keeps its good fields for the domain checks."""
    record_id = raw.get("record_id") if isinstance(raw, dict) else None
    record_id = record_id if isinstance(record_id, str) else None
    if not isinstance(raw, dict):
        return Candidate(index, record_id, SimpleNamespace(), errors={"record": ["must be a JSON object."]})
    context = {"today": today}
    try:
        item = rt.schema.model_validate(raw, context=context)
    except ValidationError as exc:
        faulty = {err["loc"][0] for err in exc.errors(include_url=False) if err["loc"]}
        good: dict[str, Any] = {}
        for name, adapter in _field_adapters(rt.schema).items():
            if name in faulty:
                continue
            info = rt.schema.model_fields[name]
            if name in raw:
                try:
                    good[name] = adapter.validate_python(raw[name], context=context)
                except ValidationError:
                    continue
            elif not info.is_required():
                good[name] = info.get_default(call_default_factory=True)
        return Candidate(index, record_id, SimpleNamespace(**good), errors=errors_from_validation(exc))
    return Candidate(index, item.record_id, item, digest=_digest(item))


def _digest(item: BaseModel) -> str:
    """Fingerprint of the accepted payload (field order is the schema's, so it is stable).

    Fields a schema gained after records were stored are left out while they hold their default
    (``digest_omits_default``): an earlier record re-sent as it was stays ``unchanged``.
    """
    fields = type(item).model_fields
    exclude = {"national_id"} | {
        name for name in getattr(item, "digest_omits_default", ()) if getattr(item, name) == fields[name].default
    }
    return hashlib.sha256(item.model_dump_json(exclude=exclude).encode()).hexdigest()


def _given(item: Any, name: str) -> Any:
    """A field of a record on its way (a schema model, or the namespace of a faulty record's good fields), or None
    where it has none: a record type without the field, or a field that failed its checks.

    Read from the item's own attributes: ``getattr`` with a default pays for a raised ``AttributeError`` (in
    pydantic's ``__getattr__``) on every record of a type without the field, 3 % of a bulk loader's time.
    """
    return item.__dict__.get(name)


PERSON_FIELDS_READ = ("id", "national_id_hash", "sex", "birth_date", "died_on")


def _resolve_people(candidates: list[Candidate]) -> None:
    with_id = [c for c in candidates if _given(c.item, "national_id")]
    hashes = {c.item.national_id: Person.hash_national_id(c.item.national_id) for c in with_id}
    # What the checks and rows read of a person (another field would be fetched when read): not the encrypted ID.
    found = Person.objects.filter(national_id_hash__in=set(hashes.values())).only(*PERSON_FIELDS_READ)
    people = {p.national_id_hash: p for p in found}
    for c in with_id:
        c.person = people.get(hashes[c.item.national_id])
        if c.person is None:
            c.reject("national_id", "No insured person has this national ID.")


def _check_sender_institution(ctx: Context, c: Candidate) -> None:
    code = _given(c.item, "institution")
    if ctx.sender.kind == INSTITUTION and code is not None and code != ctx.sender.source:
        c.reject("institution", f"This credential may only send records of institution {ctx.sender.source}.")


def _check_dates_after_birth(rt: RecordType, c: Candidate) -> None:
    day = _given(c.item, rt.date_field)
    if c.person is not None and day is not None and day < c.person.birth_date:
        c.reject(rt.date_field, "date is before the person's birth date.")


def _prefetch_institutions(ctx: Context, candidates: list[Candidate]) -> None:
    wanted = {c.item.institution for c in candidates if _given(c.item, "institution")}
    ctx.lookups["institutions"] = {i.code: i for i in Institution.objects.filter(code__in=wanted)}


def _institution_for(ctx: Context, c: Candidate, required: bool = True) -> Institution | None:
    if ctx.sender.institution is not None:
        return ctx.sender.institution
    code = _given(c.item, "institution")
    if not code:
        return None
    found = ctx.lookups["institutions"].get(code)
    if found is None:
        c.reject("institution", f"'{code}' is not a known institution code.")
    return found


def _check_agency_institution(ctx: Context, c: Candidate) -> None:
    _institution_for(ctx, c)


def _base_fields(ctx: Context, c: Candidate) -> dict[str, Any]:
    fields: dict[str, Any] = {"id": c.record_pk} if c.record_pk else {}
    return fields | {
        "person": c.person,
        "source": ctx.sender.source,
        "source_record_id": c.item.record_id,
        "payload_digest": c.digest,
        "ingested_at": ctx.now,
    }


# ------------------------------------------------------------------ visits


def _prefetch_visits(ctx: Context, candidates: list[Candidate]) -> None:
    people = {c.person.pk for c in candidates if c.person is not None}
    cards_by_person: dict[UUID, list[NhiCard]] = {}
    cards = NhiCard.objects.filter(person_id__in=people).only("id", "person_id", "card_number", "issued_on")
    for card in cards.order_by("person_id", "issued_on", "card_number"):
        cards_by_person.setdefault(card.person_id, []).append(card)
    ctx.lookups["cards_by_person"] = cards_by_person
    # The prescription a refill names: looked up for this person only, never by source and record id alone.
    refs = [
        (c.person.pk, c.item.refill_of.institution, c.item.refill_of.record_id)
        for c in candidates
        if c.person is not None and _given(c.item, "refill_of") is not None
    ]
    prescriptions: dict[tuple[UUID, str, str], ChronicPrescription] = {}
    if refs:
        found = ChronicPrescription.objects.filter(
            person_id__in={r[0] for r in refs},
            source__in={r[1] for r in refs},
            source_record_id__in={r[2] for r in refs},
        )
        for rx in found:
            prescriptions[(rx.person_id, rx.source, rx.source_record_id)] = rx
    ctx.lookups["prescriptions"] = prescriptions


def _card_valid_on(cards: list[NhiCard], day) -> NhiCard | None:
    """The newest card issued on or before ``day`` (cards sorted by issue date)."""
    valid = None
    for card in cards:
        if card.issued_on <= day:
            valid = card
    return valid


def _check_visit(ctx: Context, c: Candidate) -> None:
    item = c.item
    card_number = _given(item, "card_number")
    if c.person is not None and card_number is not None:
        cards = ctx.lookups["cards_by_person"].get(c.person.pk, [])
        mine = next((card for card in cards if card.card_number == card_number), None)
        visit_date = _given(item, "visit_date")
        if mine is None:
            c.reject("card_number", "This card is not one of this person's NHI cards.")
        elif visit_date is not None:
            valid = _card_valid_on(cards, visit_date)
            if valid is None:
                c.reject("card_number", "This card was issued after the visit date.")
            elif valid.pk != mine.pk:
                c.reject(
                    "card_number",
                    f"This card was replaced on {valid.issued_on.isoformat()}; only the newest card is valid.",
                )
            else:
                c.card = mine
    refill = _given(item, "refill_of")
    if refill is not None and c.person is not None:
        rx = ctx.lookups["prescriptions"].get((c.person.pk, refill.institution, refill.record_id))
        if rx is None:
            c.reject("refill_of", "No chronic prescription with this institution and record id for this person.")
        elif refill.refill_number > rx.fills:
            c.reject("refill_of.refill_number", f"The prescription allows {rx.fills} fills.")
        else:
            c.refill_rx = rx
    # Only visits' senders are institutions today; should an agency ever send visits, the virtual card still
    # lends itself to institutions only (a scan or an accepted request is always one institution's).
    if _given(item, "card_medium") in VIRTUAL_MEDIA and ctx.sender.institution is None:
        c.reject("card_medium", "Only an institution can send a visit made with the virtual card.")


VIRTUAL_MEDIA = (Visit.CardMedium.VIRTUAL, Visit.CardMedium.MIXED)
NO_LIVE_CARD_GRANT = "No live virtual-card scan or authorisation of this institution for this person has this id."


def _normalised_reference(reference: str) -> str:
    """As the virtual card keeps its scan and request ids: a scan id's hex digits and a UUID are lowercase."""
    return reference.strip().lower()


def _check_visit_card_grant(ctx: Context, c: Candidate, stored: IngestedRecord | None) -> None:
    """A visit made with the virtual card names a scan or an accepted request that lets this institution upload
    it now (SPEC §9: a scan for 24 hours, a request for 1 hour; another institution's or another person's never).

    Checked when the visit is new, and when a correction names a virtual card other than the one its stored
    version was accepted with. Not checked for an identical re-send (``unchanged`` before this is called), nor
    for a correction that keeps the virtual card it was accepted with: that grant was checked when the visit
    was first accepted, and a correction (copayment, orders) after the hour or the day does not use the card
    again. Refusing those would leave a virtual-card visit impossible to correct once its grant ended.
    """
    item = c.item
    if item.card_medium not in VIRTUAL_MEDIA:
        return
    reference = _normalised_reference(item.virtual_card)
    already = stored is not None and stored.card_medium in VIRTUAL_MEDIA and stored.virtual_card == reference
    if already:
        return
    grant = vcard.card_grant_for_visit(ctx.sender.institution.pk, c.person.pk, reference, at=ctx.now)
    if grant is None:
        c.reject("virtual_card", NO_LIVE_CARD_GRANT)


def _prescription_digest(item: schemas.VisitIn) -> str:
    """Fingerprint of the chronic prescription a visit carries (with the visit that issues it, and its date)."""
    cp = item.chronic_prescription
    data = {"visit": item.record_id, "prescribed_on": item.visit_date.isoformat(), **cp.model_dump(mode="json")}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _build_visit(ctx: Context, c: Candidate) -> Built:
    item: schemas.VisitIn = c.item
    person = c.person
    visit = Row(
        Visit,
        **_base_fields(ctx, c),
        kind=item.kind,
        institution=ctx.sender.institution,
        card=c.card,
        visit_date=item.visit_date,
        end_date=item.end_date,
        card_sequence=item.card_sequence,
        department=item.department,
        copayment=item.copayment,
        points=item.points,
        chronic_prescription=c.refill_rx,
        refill_number=item.refill_of.refill_number if item.refill_of else None,
        card_medium=item.card_medium,
        virtual_card=_normalised_reference(item.virtual_card),
        course_treatment=item.course_treatment,
    )
    payment = codes.payment_codes()
    # The visit's diagnoses and orders: rows by column with ids as text (``new_public_id_hex``), the most numerous
    # rows of all, addressed through their visit only.
    of_columns, new_id = Row.of_columns, new_public_id_hex
    common = {"person_id": person.pk.hex, "visit_id": visit.pk.hex}
    children: list[Row] = [
        of_columns(VisitDiagnosis, {"id": new_id(), **common, "position": i, "icd10": code})
        for i, code in enumerate(item.diagnoses, 1)
    ]
    children += [
        of_columns(
            DrugOrder,
            {
                "id": new_id(),
                **common,
                "position": i,
                "drug_code": o.drug_code,
                "days_supplied": o.days_supplied,
                "quantity": o.quantity,
                "frequency": o.frequency,
            },
        )
        for i, o in enumerate(item.drug_orders, 1)
    ]
    children += [
        of_columns(
            NonDrugOrder,
            {
                "id": new_id(),
                **common,
                "position": i,
                "payment_code": o.payment_code,
                "quantity": o.quantity,
                "tooth": o.tooth,
                "body_site": o.body_site or payment[o.payment_code].body_site,
                "is_surgery": payment[o.payment_code].kind == "surgery",
            },
        )
        for i, o in enumerate(item.non_drug_orders, 1)
    ]
    extra: list[Row] = []
    if item.chronic_prescription is not None:
        cp = item.chronic_prescription
        extra.append(
            Row(
                ChronicPrescription,
                person=person,
                source=ctx.sender.source,
                source_record_id=cp.record_id,
                payload_digest=_prescription_digest(item),
                ingested_at=ctx.now,
                institution=ctx.sender.institution,
                visit=visit,
                prescribed_on=item.visit_date,
                icd10=cp.icd10,
                days_per_fill=cp.days_per_fill,
                fills=cp.fills,
            )
        )
    return Built(visit, children, extra)


# ------------------------------------------------------------------ other record types


def _build_lab(ctx: Context, c: Candidate) -> Built:
    item: schemas.LabResultIn = c.item
    test = codes.lab_test(item.lab_key, c.person.sex)
    return Built(
        Row(
            LabResult,
            **_base_fields(ctx, c),
            institution=ctx.sender.institution,
            collected_on=item.collected_on,
            lab_key=item.lab_key,
            loinc=test.loinc,
            name=test.name_zh,
            value=item.value,
            value_numeric=_numeric(item.value),
            unit=item.unit or test.unit,
            reference_range=item.reference_range or test.ref_text,
        )
    )


def _numeric(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and abs(value) < 10**8 else None


def _prefetch_reports(ctx: Context, candidates: list[Candidate]) -> None:
    wanted = [c for c in candidates if c.person is not None and _given(c.item, "visit_record_id")]
    found = Visit.objects.filter(
        person_id__in={c.person.pk for c in wanted},
        source=ctx.sender.source,
        source_record_id__in={c.item.visit_record_id for c in wanted},
    )
    ctx.lookups["visits"] = {(v.person_id, v.source_record_id): v for v in found}


def _report_visit(ctx: Context, c: Candidate) -> Visit | None:
    """The visit a report names: this sender's, and this person's."""
    return ctx.lookups["visits"].get((c.person.pk, c.item.visit_record_id))


def _check_report(ctx: Context, c: Candidate) -> None:
    if _given(c.item, "visit_record_id") and c.person is not None and _report_visit(ctx, c) is None:
        c.reject("visit_record_id", "No visit of this person with this record id from this institution.")


def _build_report(ctx: Context, c: Candidate) -> Built:
    item: schemas.ReportIn = c.item
    visit = _report_visit(ctx, c) if item.visit_record_id else None
    return Built(
        Row(
            Report,
            **_base_fields(ctx, c),
            kind=item.kind,
            institution=ctx.sender.institution,
            visit=visit,
            performed_on=item.performed_on,
            title=item.title,
            text=item.text,
        )
    )


def _build_allergy(ctx: Context, c: Candidate) -> Built:
    item: schemas.AllergyIn = c.item
    return Built(
        Row(
            Allergy,
            **_base_fields(ctx, c),
            institution=ctx.sender.institution,
            uploaded_on=item.uploaded_on,
            allergen=item.allergen,
            drug_code=item.drug_code or "",
            reaction=item.reaction,
            doctor_name=item.doctor_name,
        )
    )


def _build_vaccination(ctx: Context, c: Candidate) -> Built:
    item: schemas.VaccinationIn = c.item
    institution = ctx.lookups["institutions"].get(item.institution) if item.institution else None
    return Built(
        Row(
            Vaccination,
            **_base_fields(ctx, c),
            vaccine_code=item.vaccine_code,
            vaccinated_on=item.vaccinated_on,
            institution=institution,
            institution_name=item.institution_name or (institution.name if institution else ""),
        )
    )


_PREVENTIVE_FIELDS = [
    f for f in schemas.PreventiveCheckIn.model_fields if f not in {"record_id", "national_id", "institution"}
]


def _build_preventive(ctx: Context, c: Candidate) -> Built:
    item = c.item
    return Built(
        Row(
            PreventiveCheck,
            **_base_fields(ctx, c),
            institution=ctx.lookups["institutions"][item.institution],
            **{name: getattr(item, name) for name in _PREVENTIVE_FIELDS},
        )
    )


def _build_cancer(ctx: Context, c: Candidate) -> Built:
    item: schemas.CancerScreeningIn = c.item
    return Built(
        Row(
            CancerScreening,
            **_base_fields(ctx, c),
            institution=ctx.lookups["institutions"][item.institution],
            kind=item.kind,
            screened_on=item.screened_on,
            result=item.result,
            abnormal=item.abnormal,
        )
    )


def _build_followup(ctx: Context, c: Candidate) -> Built:
    item: schemas.FollowUpIn = c.item
    return Built(
        Row(
            FollowUp,
            **_base_fields(ctx, c),
            institution=ctx.sender.institution,
            program=item.program,
            measured_on=item.measured_on,
            values={k: str(v) for k, v in item.values.items()},
        )
    )


def _build_wish(ctx: Context, c: Candidate) -> Built:
    item: schemas.CareWishIn = c.item
    return Built(
        Row(
            CareWish,
            **_base_fields(ctx, c),
            kind=item.kind,
            signed_on=item.signed_on,
            registered_on=item.registered_on,
            withdrawn_on=item.withdrawn_on,
        )
    )


_institutions_only = frozenset({INSTITUTION})

RECORD_TYPES: dict[str, RecordType] = {
    rt.name: rt
    for rt in (
        RecordType(
            "visits",
            schemas.VisitIn,
            Visit,
            _institutions_only,
            "visit_date",
            _build_visit,
            _prefetch_visits,
            _check_visit,
            (VisitDiagnosis, DrugOrder, NonDrugOrder),
            _check_visit_card_grant,
            ("card_medium", "virtual_card"),
        ),
        RecordType("lab-results", schemas.LabResultIn, LabResult, _institutions_only, "collected_on", _build_lab),
        RecordType(
            "reports",
            schemas.ReportIn,
            Report,
            _institutions_only,
            "performed_on",
            _build_report,
            _prefetch_reports,
            _check_report,
        ),
        RecordType("allergies", schemas.AllergyIn, Allergy, _institutions_only, "uploaded_on", _build_allergy),
        RecordType("follow-ups", schemas.FollowUpIn, FollowUp, _institutions_only, "measured_on", _build_followup),
        RecordType(
            "vaccinations",
            schemas.VaccinationIn,
            Vaccination,
            frozenset({Agency.CDC.value}),
            "vaccinated_on",
            _build_vaccination,
            _prefetch_institutions,
            _check_agency_institution,
        ),
        RecordType(
            "preventive-checks",
            schemas.PreventiveCheckIn,
            PreventiveCheck,
            frozenset({Agency.HPA.value}),
            "checked_on",
            _build_preventive,
            _prefetch_institutions,
            _check_agency_institution,
        ),
        RecordType(
            "cancer-screenings",
            schemas.CancerScreeningIn,
            CancerScreening,
            frozenset({Agency.HPA.value}),
            "screened_on",
            _build_cancer,
            _prefetch_institutions,
            _check_agency_institution,
        ),
        RecordType(
            "care-wishes",
            schemas.CareWishIn,
            CareWish,
            frozenset({Agency.MOHW.value}),
            "signed_on",
            _build_wish,
        ),
    )
}


def register_record_types(*record_types: RecordType) -> None:
    """Record types whose tables another app keeps (issue 11: the insurance app's cases and employer records).

    Called from that app's ``AppConfig.ready``, before any URL configuration is loaded, so the ingestion API
    (``records.api``) and its OpenAPI document see them; records never imports the apps above it.
    """
    for record_type in record_types:
        if RECORD_TYPES.setdefault(record_type.name, record_type) is not record_type:
            raise ValueError(f"record type {record_type.name} is registered twice")


# ------------------------------------------------------------------ the engine


def ingest(sender: Sender, record_type: str, payloads: Iterable[Any], *, now=None) -> list[RecordOutcome]:
    """Validate and store a batch of records of one type; one outcome per record, in order.

    Raises ``SenderNotAllowed`` when this sender may not send this type at all.
    """
    rt = RECORD_TYPES[record_type]
    if sender.kind not in rt.senders:
        raise SenderNotAllowed(f"{sender.source} may not send {record_type}.")
    now = now or timezone.now()
    ctx = Context(sender=sender, today=timezone.localdate(now), now=now)
    candidates = [_parse(rt, index, raw, ctx.today) for index, raw in enumerate(payloads)]
    if candidates:
        # Also for records whose shape is faulty: every fault of a record is reported at once.
        _resolve_people(candidates)
        rt.prefetch(ctx, candidates)
        for c in candidates:
            for key, message in rt.schema.cross_field_errors(c.item):
                c.reject(key, message)
            _check_sender_institution(ctx, c)
            _check_dates_after_birth(rt, c)
            rt.check(ctx, c)
    outcomes: list[RecordOutcome | None] = [None] * len(candidates)
    for c in candidates:
        if c.errors:
            outcomes[c.index] = RecordOutcome(c.index, c.record_id, "rejected", errors=c.errors)
    for outcome in _write(ctx, rt, [c for c in candidates if not c.errors]):
        outcomes[outcome.index] = outcome
    return outcomes  # type: ignore[return-value]


# A batch locks the buckets its record ids fall in, not each id: PostgreSQL keeps every lock in one shared table
# (about max_locks_per_transaction × max_connections entries), so a batch holds at most this many locks a record
# type. Two batches wait for each other only where their ids share a bucket; the parallel bulk loader
# (``records.bulk``) gives each worker process its own buckets, so its workers never wait for one another.
RECORD_LOCK_BUCKETS = 64


def _lock_key(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def record_bucket(model: type[models.Model], record_id: str) -> int:
    """The lock bucket of a record id of ``model`` (0 … RECORD_LOCK_BUCKETS-1), the same in every process."""
    digest = hashlib.blake2b(f"{model._meta.label_lower}\x1f{record_id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % RECORD_LOCK_BUCKETS


def _lock_record_ids(source: str, keys: set[tuple[type[models.Model], str]]) -> None:
    """Hold the record ids of a batch until the transaction ends, so no other batch writes them meanwhile.

    PostgreSQL: an exclusive transaction-level advisory lock on each (record type, sender, bucket) the batch's
    record ids fall in, taken in sorted order (no deadlock between batches). A record id is in one bucket, so
    two batches that share an id — the same record, or one id sent for two people — take turns; the look-ups
    that follow see what the other committed. SQLite needs none: its write transactions are IMMEDIATE, one
    writer at a time.
    """
    if connection.vendor != "postgresql" or not keys:
        return
    buckets = {(model._meta.label_lower, record_bucket(model, record_id)) for model, record_id in keys}
    locks = sorted({_lock_key(label, source, str(bucket)) for label, bucket in buckets})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", [locks])


def _carried_prescription(c: Candidate) -> schemas.ChronicPrescriptionIn | None:
    return _given(c.item, "chronic_prescription")


def _keys(rt: RecordType, c: Candidate) -> list[tuple[type[models.Model], str]]:
    """The records one record writes: itself, and the chronic prescription a visit issues."""
    keys = [(rt.model, c.record_id)]
    rx = _carried_prescription(c)
    if rx is not None:
        keys.append((ChronicPrescription, rx.record_id))
    return keys


def _rounds(rt: RecordType, accepted: list[Candidate]) -> list[list[Candidate]]:
    """Split a batch so that no round holds one record id twice; later rounds see what earlier ones wrote."""
    last_round: dict[tuple[type[models.Model], str], int] = {}
    rounds: list[list[Candidate]] = []
    for c in accepted:
        keys = _keys(rt, c)
        n = max((last_round[k] + 1 for k in keys if k in last_round), default=0)
        for k in keys:
            last_round[k] = n
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(c)
    return rounds


def _write(ctx: Context, rt: RecordType, accepted: list[Candidate]) -> list[RecordOutcome]:
    if not accepted:
        return []
    outcomes: list[RecordOutcome] = []
    with transaction.atomic():
        _lock_record_ids(ctx.sender.source, {k for c in accepted for k in _keys(rt, c)})
        for batch in _rounds(rt, accepted):
            outcomes += _write_round(ctx, rt, batch)
    return outcomes


@dataclass
class Stored:
    """The rows a sender already stored under some record ids, by record id (normally one row each)."""

    rows: dict[str, list[IngestedRecord]]

    @classmethod
    def load(cls, model: type[IngestedRecord], source: str, record_ids: set[str], fields: Sequence[str] = ()) -> Stored:
        rows: dict[str, list[IngestedRecord]] = {}
        if record_ids:
            ids: Any = record_ids
            if connection.vendor == "postgresql":
                # One array parameter: psycopg takes a long time splitting a query of thousands of placeholders.
                ids = RawSQL("SELECT unnest(%s::text[])", (list(record_ids),))
            found = model.objects.filter(source=source, source_record_id__in=ids).only(
                "id", "person_id", "source_record_id", "payload_digest", "version", *fields
            )
            for row in found:
                rows.setdefault(row.source_record_id, []).append(row)
        return cls(rows)

    def find(self, record_id: str, person: Person) -> tuple[IngestedRecord | None, bool]:
        """This person's stored record with this id, and whether the id is taken by another person's record."""
        rows = self.rows.get(record_id, [])
        mine = next((r for r in rows if r.person_id == person.pk), None)
        return mine, mine is None and bool(rows)


NOT_YOURS = (
    "This sender already stored a record with this record id for another person; a record never changes "
    "owner, so nothing was changed. Send a new record id for this person."
)


def _write_round(ctx: Context, rt: RecordType, batch: list[Candidate]) -> list[RecordOutcome]:
    source = ctx.sender.source
    stored = Stored.load(rt.model, source, {c.record_id for c in batch}, rt.stored_fields)
    carried = {c.index: rx for c in batch if (rx := _carried_prescription(c)) is not None}
    stored_rx = Stored.load(ChronicPrescription, source, {rx.record_id for rx in carried.values()})
    outcomes: list[RecordOutcome] = []
    fresh: list[tuple[Candidate, IngestedRecord | None]] = []
    corrections: list[tuple[Candidate, IngestedRecord, IngestedRecord | None]] = []
    for c in batch:
        mine, taken = stored.find(c.record_id, c.person)
        if taken:
            c.reject("record_id", NOT_YOURS)
        rx_mine = None
        if c.index in carried:
            rx_mine, rx_taken = stored_rx.find(carried[c.index].record_id, c.person)
            if rx_taken:
                c.reject("chronic_prescription.record_id", NOT_YOURS)
        if not c.errors and (mine is None or mine.payload_digest != c.digest):
            rt.check_written(ctx, c, mine)
        if c.errors:
            outcomes.append(RecordOutcome(c.index, c.record_id, "rejected", errors=c.errors))
        elif mine is None:
            fresh.append((c, rx_mine))
        elif mine.payload_digest == c.digest:
            outcomes.append(RecordOutcome(c.index, c.record_id, "unchanged", mine.pk))
        else:
            corrections.append((c, mine, rx_mine))
    outcomes += _create_all(ctx, rt, fresh)
    outcomes += [_replace(ctx, rt, c, mine, rx_mine) for c, mine, rx_mine in corrections]
    return outcomes


def _create_all(
    ctx: Context, rt: RecordType, fresh: list[tuple[Candidate, IngestedRecord | None]]
) -> list[RecordOutcome]:
    """Insert new records together; a prescription one of them issues that is already stored is corrected."""
    if not fresh:
        return []
    built = [(c, rt.build(ctx, c), rx_mine) for c, rx_mine in fresh]
    rows: list[Row] = []
    for _, b, rx_mine in built:
        rows.append(b.record)
        rows += b.children
        rows += [r for r in b.extra_records if rx_mine is None]
    _insert_all(rows)
    for _, b, rx_mine in built:
        if rx_mine is not None:
            _save_prescription(ctx, b, rx_mine)
    return [RecordOutcome(c.index, c.record_id, "created", b.record.pk) for c, b, _ in built]


def _insert_all(rows: list[Row]) -> None:
    by_model: dict[type[models.Model], list[Row]] = {}
    for row in rows:
        by_model.setdefault(row.model, []).append(row)
    for model, model_rows in by_model.items():
        insert_rows(model, model_rows)


def insert_rows(model: type[models.Model], rows: list[Row]) -> None:
    """Insert new rows: PostgreSQL's COPY where we have it, else ``bulk_create``."""
    if connection.vendor == "postgresql":
        _copy_rows(model, rows)
    else:
        model.objects.bulk_create([r.instance() for r in rows], batch_size=2000)


@dataclass(frozen=True)
class _CopyPlan:
    sql: str
    defaults: dict[str, Any]  # column (attname) → the value a row that does not give one gets
    in_order: Any  # a row's values → its columns' values, in the COPY's order
    json: tuple[str, ...]  # JSON columns: their values go as JSON


@cache
def _copy_plan(model: type[models.Model]) -> _CopyPlan:
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    return _CopyPlan(
        sql=f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN",
        defaults={f.attname: None if f.primary_key else f.get_default() for f in fields},
        in_order=operator.itemgetter(*(f.attname for f in fields)),
        json=tuple(f.attname for f in fields if isinstance(f, models.JSONField)),
    )


def _copy_rows(model: type[models.Model], rows: list[Row]) -> None:
    from psycopg.types.json import Jsonb

    plan = _copy_plan(model)
    defaults, in_order = plan.defaults, plan.in_order
    # COPY goes to psycopg's own cursor, past Django's wrapper: wrap its errors as Django would, so a dropped
    # connection is Django's OperationalError (an outage, 503) and a constraint its IntegrityError.
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(plan.sql) as copy:
        for row in rows:
            values = {**defaults, **row.values}  # a dict merge and one look-up of every column: both in C
            for name in plan.json:
                if name in row.values:
                    values[name] = Jsonb(values[name])
            copy.write_row(in_order(values))


PRESCRIPTIONS = "prescriptions"  # record type of chronic prescriptions in the revision history


def _snapshot(record: models.Model, child_models: Sequence[type[models.Model]] = ()) -> dict[str, Any]:
    data = model_to_dict(record)
    for child_model in child_models:
        rows = child_model.objects.filter(visit=record).order_by("position")
        data[child_model._meta.model_name] = [model_to_dict(r, exclude=["visit", "person", "id"]) for r in rows]
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _overwrite(ctx: Context, record_type: str, row: Row, current_pk: UUID, child_models=()) -> None:
    """Keep the stored version in the revision history, then write ``row`` over it (same id, next version)."""
    current = row.model.objects.get(pk=current_pk)
    RecordRevision.objects.create(
        person_id=current.person_id,
        record_type=record_type,
        record_id=current.pk,
        version=current.version,
        payload=_snapshot(current, child_models),
        replaced_at=ctx.now,
    )
    record = row.instance()
    record.pk = current.pk
    record.version = current.version + 1
    record._state.adding = False
    record.save(force_update=True)


def _replace(
    ctx: Context, rt: RecordType, c: Candidate, mine: IngestedRecord, rx_mine: IngestedRecord | None
) -> RecordOutcome:
    """A correction of this person's record: keep the old version, then overwrite the record and its children."""
    c.record_pk = mine.pk
    b = rt.build(ctx, c)
    _overwrite(ctx, rt.name, b.record, mine.pk, rt.child_models)
    for child_model in rt.child_models:
        child_model.objects.filter(visit_id=mine.pk).delete()
    _insert_all(b.children)
    if b.extra_records:
        if rx_mine is None:
            _insert_all(b.extra_records)
        else:
            _save_prescription(ctx, b, rx_mine)
    return RecordOutcome(c.index, c.record_id, "replaced", mine.pk)


def _save_prescription(ctx: Context, b: Built, rx_mine: IngestedRecord) -> None:
    """The chronic prescription a visit issues is a record of its own: corrected only when it changed."""
    (row,) = b.extra_records
    if row.values["payload_digest"] != rx_mine.payload_digest:
        _overwrite(ctx, PRESCRIPTIONS, row, rx_mine.pk)


def summarise(outcomes: list[RecordOutcome]) -> dict[str, int]:
    counts = {"created": 0, "replaced": 0, "unchanged": 0, "rejected": 0}
    for o in outcomes:
        counts[o.status] += 1
    return counts
