"""Ingestion: how institutions and agencies feed records in (one path for the API and bulk loads).

``ingest(sender, record_type, payloads)`` validates every record on its own,
writes the accepted ones and reports each outcome with per-field reasons.
A record is never half-written: new records are written together in one
transaction (and one at a time if that fails), a correction replaces a record
and its children inside a savepoint, and the replaced version is kept in
``RecordRevision``. Rejected records touch nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from pydantic import BaseModel, ValidationError

from healthbank.core import codes
from healthbank.core.ids import new_public_id
from healthbank.identity.models import NhiCard, Person

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
    """A record that passed the shape checks, on its way through the domain checks."""

    index: int
    item: Any
    person: Person | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    digest: str = ""
    record_pk: UUID | None = None  # set when the record replaces an existing one

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


def _digest(item: BaseModel) -> str:
    """Fingerprint of the accepted payload (field order is the schema's, so it is stable)."""
    return hashlib.sha256(item.model_dump_json(exclude={"national_id"}).encode()).hexdigest()


def _resolve_people(candidates: list[Candidate]) -> None:
    hashes = {c.item.national_id: Person.hash_national_id(c.item.national_id) for c in candidates}
    people = {p.national_id_hash: p for p in Person.objects.filter(national_id_hash__in=set(hashes.values()))}
    for c in candidates:
        c.person = people.get(hashes[c.item.national_id])
        if c.person is None:
            c.reject("national_id", "No insured person has this national ID.")


def _check_sender_institution(ctx: Context, c: Candidate) -> None:
    code = getattr(c.item, "institution", None)
    if ctx.sender.kind == INSTITUTION and code != ctx.sender.source:
        c.reject("institution", f"This credential may only send records of institution {ctx.sender.source}.")


def _check_dates_after_birth(rt: RecordType, c: Candidate) -> None:
    day = getattr(c.item, rt.date_field)
    if c.person is not None and day < c.person.birth_date:
        c.reject(rt.date_field, "date is before the person's birth date.")


def _prefetch_institutions(ctx: Context, candidates: list[Candidate]) -> None:
    wanted = {c.item.institution for c in candidates if getattr(c.item, "institution", None)}
    ctx.lookups["institutions"] = {i.code: i for i in Institution.objects.filter(code__in=wanted)}


def _institution_for(ctx: Context, c: Candidate, required: bool = True) -> Institution | None:
    if ctx.sender.institution is not None:
        return ctx.sender.institution
    code = getattr(c.item, "institution", None)
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
    for card in NhiCard.objects.filter(person_id__in=people).order_by("person_id", "issued_on", "card_number"):
        cards_by_person.setdefault(card.person_id, []).append(card)
    ctx.lookups["cards_by_person"] = cards_by_person
    refs = {(c.item.refill_of.institution, c.item.refill_of.record_id) for c in candidates if c.item.refill_of}
    prescriptions: dict[tuple[str, str], ChronicPrescription] = {}
    if refs:
        query = models.Q()
        for source, record_id in refs:
            query |= models.Q(source=source, source_record_id=record_id)
        for rx in ChronicPrescription.objects.filter(query):
            prescriptions[(rx.source, rx.source_record_id)] = rx
    ctx.lookups["prescriptions"] = prescriptions


def _card_valid_on(cards: list[NhiCard], day) -> NhiCard | None:
    """The newest card issued on or before ``day`` (cards sorted by issue date)."""
    valid = None
    for card in cards:
        if card.issued_on <= day:
            valid = card
    return valid


def _check_visit(ctx: Context, c: Candidate) -> None:
    item: schemas.VisitIn = c.item
    if c.person is not None:
        cards = ctx.lookups["cards_by_person"].get(c.person.pk, [])
        mine = next((card for card in cards if card.card_number == item.card_number), None)
        if mine is None:
            c.reject("card_number", "This card is not one of this person's NHI cards.")
        else:
            valid = _card_valid_on(cards, item.visit_date)
            if valid is None:
                c.reject("card_number", "This card was issued after the visit date.")
            elif valid.pk != mine.pk:
                c.reject(
                    "card_number",
                    f"This card was replaced on {valid.issued_on.isoformat()}; only the newest card is valid.",
                )
            else:
                c.lookup_card = mine  # type: ignore[attr-defined]
    if item.refill_of is not None:
        rx = ctx.lookups["prescriptions"].get((item.refill_of.institution, item.refill_of.record_id))
        if rx is None or (c.person is not None and rx.person_id != c.person.pk):
            c.reject("refill_of", "No chronic prescription with this institution and record id for this person.")
        elif item.refill_of.refill_number > rx.fills:
            c.reject("refill_of.refill_number", f"The prescription allows {rx.fills} fills.")
        else:
            c.lookup_rx = rx  # type: ignore[attr-defined]


def _build_visit(ctx: Context, c: Candidate) -> Built:
    item: schemas.VisitIn = c.item
    person = c.person
    visit = Row(
        Visit,
        **_base_fields(ctx, c),
        kind=item.kind,
        institution=ctx.sender.institution,
        card=c.lookup_card,  # type: ignore[attr-defined]
        visit_date=item.visit_date,
        end_date=item.end_date,
        card_sequence=item.card_sequence,
        department=item.department,
        copayment=item.copayment,
        points=item.points,
        chronic_prescription=getattr(c, "lookup_rx", None),
        refill_number=item.refill_of.refill_number if item.refill_of else None,
    )
    payment = codes.payment_codes()
    children: list[Row] = [
        Row(VisitDiagnosis, person=person, visit=visit, position=i, icd10=code)
        for i, code in enumerate(item.diagnoses, 1)
    ]
    children += [
        Row(
            DrugOrder,
            person=person,
            visit=visit,
            position=i,
            drug_code=o.drug_code,
            days_supplied=o.days_supplied,
            quantity=o.quantity,
            frequency=o.frequency,
        )
        for i, o in enumerate(item.drug_orders, 1)
    ]
    children += [
        Row(
            NonDrugOrder,
            person=person,
            visit=visit,
            position=i,
            payment_code=o.payment_code,
            quantity=o.quantity,
            tooth=o.tooth,
            body_site=o.body_site or payment[o.payment_code].body_site,
            is_surgery=payment[o.payment_code].kind == "surgery",
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
                payload_digest=c.digest,
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


def _numeric(text: str):
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and abs(value) < 10**8 else None


def _prefetch_reports(ctx: Context, candidates: list[Candidate]) -> None:
    wanted = {c.item.visit_record_id for c in candidates if c.item.visit_record_id}
    ctx.lookups["visits"] = {
        v.source_record_id: v for v in Visit.objects.filter(source=ctx.sender.source, source_record_id__in=wanted)
    }


def _check_report(ctx: Context, c: Candidate) -> None:
    ref = c.item.visit_record_id
    if ref:
        visit = ctx.lookups["visits"].get(ref)
        if visit is None or (c.person is not None and visit.person_id != c.person.pk):
            c.reject("visit_record_id", "No visit of this person with this record id from this institution.")


def _build_report(ctx: Context, c: Candidate) -> Built:
    item: schemas.ReportIn = c.item
    visit = ctx.lookups["visits"].get(item.visit_record_id) if item.visit_record_id else None
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
    payloads = list(payloads)
    outcomes: list[RecordOutcome | None] = [None] * len(payloads)

    candidates: list[Candidate] = []
    seen_ids: set[str] = set()
    for index, raw in enumerate(payloads):
        record_id = raw.get("record_id") if isinstance(raw, dict) else None
        record_id = record_id if isinstance(record_id, str) else None
        if not isinstance(raw, dict):
            outcomes[index] = RecordOutcome(index, None, "rejected", errors={"record": ["must be a JSON object."]})
            continue
        try:
            item = rt.schema.model_validate(raw, context={"today": ctx.today})
        except ValidationError as exc:
            outcomes[index] = RecordOutcome(index, record_id, "rejected", errors=errors_from_validation(exc))
            continue
        if item.record_id in seen_ids:
            outcomes[index] = RecordOutcome(
                index, record_id, "rejected", errors={"record_id": ["appears more than once in this batch."]}
            )
            continue
        seen_ids.add(item.record_id)
        candidates.append(Candidate(index, item, digest=_digest(item)))

    if candidates:
        _resolve_people(candidates)
        rt.prefetch(ctx, candidates)
        for c in candidates:
            _check_sender_institution(ctx, c)
            _check_dates_after_birth(rt, c)
            rt.check(ctx, c)
        accepted = [c for c in candidates if not c.errors]
        for c in candidates:
            if c.errors:
                outcomes[c.index] = RecordOutcome(c.index, c.item.record_id, "rejected", errors=c.errors)
        for outcome in _write(ctx, rt, accepted):
            outcomes[outcome.index] = outcome
    return outcomes  # type: ignore[return-value]


def _write(ctx: Context, rt: RecordType, accepted: list[Candidate]) -> list[RecordOutcome]:
    existing = {
        r.source_record_id: r
        for r in rt.model.objects.filter(
            source=ctx.sender.source, source_record_id__in=[c.item.record_id for c in accepted]
        )
    }
    outcomes: list[RecordOutcome] = []
    fresh: list[Candidate] = []
    for c in accepted:
        current = existing.get(c.item.record_id)
        if current is None:
            fresh.append(c)
        elif current.person_id != c.person.pk:
            outcomes.append(
                RecordOutcome(
                    c.index,
                    c.item.record_id,
                    "rejected",
                    errors={"record_id": ["is already used for another person's record; it cannot be moved."]},
                )
            )
        elif current.payload_digest == c.digest:
            outcomes.append(RecordOutcome(c.index, c.item.record_id, "unchanged", current.pk))
        else:
            outcomes.append(_replace(ctx, rt, c, current))
    outcomes += _create_all(ctx, rt, fresh)
    return outcomes


def _create_all(ctx: Context, rt: RecordType, fresh: list[Candidate]) -> list[RecordOutcome]:
    if not fresh:
        return []
    built = [(c, rt.build(ctx, c)) for c in fresh]
    try:
        with transaction.atomic():
            _save_new(built)
    except IntegrityError:
        # Someone else wrote one of these record ids meanwhile: fall back to one at a time.
        return [_create_one(ctx, rt, c) for c in fresh]
    return [RecordOutcome(c.index, c.item.record_id, "created", b.record.pk) for c, b in built]


def _create_one(ctx: Context, rt: RecordType, c: Candidate) -> RecordOutcome:
    try:
        with transaction.atomic():
            b = rt.build(ctx, c)
            _save_new([(c, b)])
    except IntegrityError:
        return RecordOutcome(
            c.index, c.item.record_id, "rejected", errors={"record_id": ["was written concurrently; send it again."]}
        )
    return RecordOutcome(c.index, c.item.record_id, "created", b.record.pk)


def _save_new(built: list[tuple[Candidate, Built]]) -> None:
    by_model: dict[type[models.Model], list[Row]] = {}
    for _, b in built:
        by_model.setdefault(b.record.model, []).append(b.record)
    for _, b in built:
        for row in (*b.extra_records, *b.children):
            by_model.setdefault(row.model, []).append(row)
    for model, rows in by_model.items():
        insert_rows(model, rows)


def insert_rows(model: type[models.Model], rows: list[Row]) -> None:
    """Insert new rows: PostgreSQL's COPY where we have it, else ``bulk_create``."""
    if connection.vendor == "postgresql":
        _copy_rows(model, rows)
    else:
        model.objects.bulk_create([r.instance() for r in rows], batch_size=2000)


@cache
def _copy_plan(model: type[models.Model]) -> tuple[str, tuple[tuple[str, Any, bool], ...]]:
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    defaults = tuple(
        (f.attname, None if f.primary_key else f.get_default(), isinstance(f, models.JSONField)) for f in fields
    )
    return sql, defaults


def _copy_rows(model: type[models.Model], rows: list[Row]) -> None:
    from psycopg.types.json import Jsonb

    sql, plan = _copy_plan(model)
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            values = row.values
            copy.write_row(
                [
                    Jsonb(values[name]) if is_json and name in values else values.get(name, default)
                    for name, default, is_json in plan
                ]
            )


def _snapshot(rt: RecordType, record: IngestedRecord) -> dict[str, Any]:
    data = model_to_dict(record)
    for child_model in rt.child_models:
        rows = child_model.objects.filter(visit=record).order_by("position")
        data[child_model._meta.model_name] = [model_to_dict(r, exclude=["visit", "person", "id"]) for r in rows]
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _replace(ctx: Context, rt: RecordType, c: Candidate, current: IngestedRecord) -> RecordOutcome:
    """A correction: keep the old version, then overwrite the record and its children in place."""
    with transaction.atomic():
        current = rt.model.objects.select_for_update().get(pk=current.pk)
        RecordRevision.objects.create(
            person_id=current.person_id,
            record_type=rt.name,
            record_id=current.pk,
            version=current.version,
            payload=_snapshot(rt, current),
            replaced_at=ctx.now,
        )
        c.record_pk = current.pk
        b = rt.build(ctx, c)
        record = b.record.instance()
        record.version = current.version + 1
        record._state.adding = False
        record.save(force_update=True)
        for child_model in rt.child_models:
            child_model.objects.filter(visit_id=current.pk).delete()
        _save_children_and_extras(b)
    return RecordOutcome(c.index, c.item.record_id, "replaced", current.pk)


def _save_children_and_extras(b: Built) -> None:
    by_model: dict[type[models.Model], list[Row]] = {}
    for child in b.children:
        by_model.setdefault(child.model, []).append(child)
    for model, rows in by_model.items():
        model.objects.bulk_create([r.instance() for r in rows])
    for row in b.extra_records:
        extra = row.instance()
        prior = row.model.objects.filter(source=extra.source, source_record_id=extra.source_record_id).first()
        if prior is None:
            extra.save(force_insert=True)
        else:
            extra.pk = prior.pk
            extra.version = prior.version + 1
            extra._state.adding = False
            extra.save(force_update=True)


def summarise(outcomes: list[RecordOutcome]) -> dict[str, int]:
    counts = {"created": 0, "replaced": 0, "unchanged": 0, "rejected": 0}
    for o in outcomes:
        counts[o.status] += 1
    return counts
