"""Write a planned population: people and insurance directly, every record through ``ingest`` — on PostgreSQL
through the parallel bulk loader (``records.bulk``, one worker process a core), on SQLite in this process."""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, connections, transaction

from healthbank import policy
from healthbank.access.services import grant_children_to_parents
from healthbank.core.ids import new_public_id_hex
from healthbank.identity.models import Enrolment, InsuranceUnit, NhiCard, NhiHousehold, Person
from healthbank.identity.services import build_person
from healthbank.insurance.models import PremiumCalculation, PremiumPayment
from healthbank.insurance.rules import monthly_premium
from healthbank.records import bulk
from healthbank.records.models import ChronicPrescription, Institution
from healthbank.records.services import RECORD_TYPES, Row, insert_rows

from .population import Population, premium_months

SEND_ORDER = (  # the order of record types within a phase (``load_population``)
    "visits",
    "reports",
    "lab-results",
    "follow-ups",
    "allergies",
    "vaccinations",
    "preventive-checks",
    "cancer-screenings",
    "care-wishes",
)
CHUNK = 2000


def card_public_key(private_key: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes_raw()


class GenerationError(RuntimeError):
    pass


@dataclass
class LoadSummary:
    people: int = 0
    households: int = 0
    institutions: int = 0
    records: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    person_ids: dict[str, object] = field(default_factory=dict)  # national ID → Person pk

    def add(self, part: LoadSummary) -> None:
        """Another slice of the same population (the institutions are the same ones)."""
        self.people += part.people
        self.households += part.households
        self.institutions = max(self.institutions, part.institutions)
        self.records.update(part.records)
        self.seconds += part.seconds
        self.person_ids.update(part.person_ids)


def load_population(population: Population, workers: int | None = None) -> LoadSummary:
    """``workers``: processes for the records (default one a core on PostgreSQL, one on SQLite)."""
    started = time.perf_counter()
    summary = LoadSummary()
    with transaction.atomic(), bulk.bulk_collection():  # hundreds of thousands of rows made at once
        institutions = _institutions(population)
        units = _units(population)
        people = _people(population)
        _households(population, people, units)
    if connection.vendor == "postgresql":
        _gather_statistics()
    summary.institutions = len(institutions)
    summary.people = len(people)
    summary.households = len(population.households)
    summary.person_ids = {p.national_id: people[i].pk for i, p in enumerate(population.people)}

    def phase(key: tuple[str, str]) -> int:
        """0: the visits of every institution but the pharmacies, which issue the chronic prescriptions the
        pharmacies refill and are the visits reports cite; 1: the rest, which needs nothing of one another."""
        source, record_type = key
        inst = institutions.get(source)
        return 0 if record_type == "visits" and (inst is None or inst.kind != Institution.Kind.PHARMACY) else 1

    def send_rank(key: tuple[str, str]) -> tuple[int, int]:
        return phase(key), SEND_ORDER.index(key[1])

    # Every record through the bulk loader in two phases: a pharmacy's refill finds its prescription and a report
    # its visit, whichever worker wrote them. Within a phase the workers never wait for one another: each
    # barrier between phases leaves one of them idle while the other finishes its last chunks (there were 18).
    # Worker processes see only what is committed: inside a caller's transaction the loader works in this process.
    workers = 1 if connection.in_atomic_block else workers or bulk.default_workers()
    items = (
        (_spec(source, institutions), record_type, enumerate(population.batches[(source, record_type)]),
         phase((source, record_type)))
        for source, record_type in sorted(population.batches, key=send_rank)
    )  # fmt: skip
    # Not durable: a crash mid-generation loses at most the last moments of commits of a population that is made
    # again anyway (docs/decisions.md), and a commit no longer waits for the disk.
    report = bulk.load_batches(items, workers=workers, chunk=CHUNK, durable=False, in_memory=True)
    if report.rejections:
        first = report.rejections[0]
        raise GenerationError(f"{first['record_id']} rejected: {first['errors']}")
    summary.records.update(report.by_type)
    summary.seconds = time.perf_counter() - started
    return summary


class LoadingAside:
    """A slice loaded by a process of its own (forked: it has the plan without copying it) while this one goes on
    — plans the next slice, writes this one's simulator files. ``result()`` waits for it.

    On two cores the planner (one process) and the loader (its workers and their database backends) share the
    machine instead of taking turns: planning a slice alone left a core idle for a sixth of the run.
    """

    def __init__(self, population: Population):
        context = multiprocessing.get_context("fork")
        self._answer, answer = context.Pipe(duplex=False)
        connections.close_all()  # the loader opens its own; this process opens a new one when it next needs one
        # Not a daemon: the loader forks its own workers, which a daemon may not.
        self._process = context.Process(target=_load_aside, args=(population, answer))
        self._process.start()
        answer.close()

    def result(self) -> LoadSummary:
        try:
            kind, body = self._answer.recv()
        except EOFError:
            kind, body = "failed", f"the loading process stopped (exit code {self._process.exitcode})"
        self._process.join()
        self._answer.close()
        if kind == "failed":
            raise GenerationError(body)
        return body


def _load_aside(population: Population, answer) -> None:
    try:
        answer.send(("done", load_population(population)))
    except BaseException as exc:  # the parent raises it: a rejected record stops the run, as in one process
        answer.send(("failed", str(exc) if isinstance(exc, GenerationError) else f"{type(exc).__name__}: {exc}"))
    finally:
        connections.close_all()
        answer.close()


# The tables the loader's look-ups read with a list of a thousand values and more: people by national-ID hash, their
# cards by person, and each record type's rows by sender and record id (is this record new, a correction, or another
# person's?). Without statistics (a new database; autovacuum comes later, or never where it is off) PostgreSQL guesses
# such a list, or a sender's share of a table, small, and reads the rows the wrong way, once a chunk: at 140,000
# people the cards' table had been read whole 9,644 times; at 190,000, every chunk of the CDC's vaccinations read all
# of its million earlier ones to find a few (238 million index entries in all; 342 ms a chunk, 4 ms with statistics).
def looked_up_records() -> tuple[type, ...]:
    return (ChronicPrescription, *(RECORD_TYPES[record_type].model for record_type in SEND_ORDER))


def _gather_statistics() -> None:
    """ANALYZE the people and cards (just written by this process: every slice), and each record table that has no
    statistics yet or has had as many rows written since they were gathered as it then held (autovacuum's rule,
    with the table's own size as threshold; its earlier slices' workers reported their writes as they ended):
    each time it has doubled, not every slice. A sample costs the same at any size, and what the statistics
    describe here are shares (a sender's part of a table), which stay true as the table grows."""
    tables = [model._meta.db_table for model in looked_up_records()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.relid::regclass::text FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
            " WHERE s.relid = ANY(%s::regclass[]) AND s.n_mod_since_analyze >= GREATEST(c.reltuples, 0)"
            " ORDER BY 1",
            [tables],
        )
        stale = [table for (table,) in cursor.fetchall()]
        names = [Person._meta.db_table, NhiCard._meta.db_table, *stale]
        cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(name) for name in names)}")


def slice_tables() -> tuple[type, ...]:
    """The tables a slice writes by the hundred thousand: its people's cards and insurance, every record type it
    sends with the rows a record brings (a visit's diagnoses and orders, the prescription it issues)."""
    records = [
        model
        for record_type in SEND_ORDER
        for model in (RECORD_TYPES[record_type].model, *RECORD_TYPES[record_type].child_models)
    ]
    return (NhiCard, NhiHousehold, Enrolment, PremiumCalculation, PremiumPayment, ChronicPrescription, *records)


def _spec(source: str, institutions: dict[str, Institution]) -> bulk.SenderSpec:
    return bulk.SenderSpec(institution=source) if source in institutions else bulk.SenderSpec(agency=source)


def _institutions(population: Population) -> dict[str, Institution]:
    # A clinic's department decides which patients the plan sends there; the register keeps no such column.
    rows = [
        Institution(**{k: v for k, v in vars(plan).items() if k != "department"}) for plan in population.institutions
    ]
    existing = set(Institution.objects.filter(code__in=[r.code for r in rows]).values_list("code", flat=True))
    Institution.objects.bulk_create([r for r in rows if r.code not in existing])
    return {i.code: i for i in Institution.objects.filter(code__in=[r.code for r in rows])}


def _units(population: Population) -> dict[str, InsuranceUnit]:
    rows = [InsuranceUnit(code=u.code, name=u.name, kind=u.kind, county=u.county) for u in population.units]
    existing = set(InsuranceUnit.objects.filter(code__in=[r.code for r in rows]).values_list("code", flat=True))
    InsuranceUnit.objects.bulk_create([r for r in rows if r.code not in existing])
    return {u.code: u for u in InsuranceUnit.objects.filter(code__in=[r.code for r in rows])}


def _people(population: Population) -> list:
    people = [
        build_person(
            national_id=p.national_id,
            name=p.name,
            sex=p.sex,
            birth_date=p.birth_date,
            name_en=p.name_en,
            is_indigenous=p.is_indigenous,
        )
        for p in population.people
    ]
    Person.objects.bulk_create(people, batch_size=1000)
    cards = [
        NhiCard(
            person=person,
            card_number=c.card_number,
            issued_on=c.issued_on,
            reason=c.reason,
            public_key=card_public_key(c.private_key) if c.private_key else None,
        )
        for plan, person in zip(population.people, people, strict=True)
        for c in plan.cards
    ]
    NhiCard.objects.bulk_create(cards, batch_size=2000)
    return people


def _households(population: Population, people: list, units: dict[str, InsuranceUnit]) -> None:
    households, enrolments, calculations, payments = [], [], [], []
    months = premium_months(population.today)
    for plan in population.households:
        insured = people[plan.insured]
        household = NhiHousehold(person=insured)
        households.append(household)
        unit = units[plan.unit]
        common = {"household": household, "unit": unit, "category": plan.category, "insured_salary": plan.salary}
        enrolments.append(
            Enrolment(person=insured, role="insured", relationship="self", started_on=plan.since, **common)
        )
        for index, relationship in plan.dependents:
            dependent = people[index]
            enrolments.append(
                Enrolment(
                    person=dependent,
                    role="dependent",
                    relationship=relationship,
                    started_on=max(plan.since, dependent.birth_date),
                    **common,
                )
            )
        amount, billed = monthly_premium(
            category=plan.category, insured_salary=plan.salary, dependents=len(plan.dependents)
        )
        # Three years of months a household, by column with ids as text (``new_public_id_hex``): by far the most
        # rows of this step.
        insured_id = insured.pk.hex
        month_common = {
            "person_id": insured_id,
            "unit_id": unit.pk.hex,
            "insured_salary": plan.salary,
            "rate_per_ten_thousand": policy.PREMIUM_RATE_PER_TEN_THOUSAND,
            "contribution_share_pct": policy.PREMIUM_INSURED_SHARE_PCT[plan.category],
            "insured_count": billed,
            "amount": amount,
        }
        method = "payroll" if plan.category == 1 else "direct_debit"
        for month in months:
            if month < plan.since.replace(day=1):
                continue
            calculation_id = new_public_id_hex()
            calculations.append(
                Row.of_columns(PremiumCalculation, {"id": calculation_id, "month": month, **month_common})
            )
            if month != months[-1]:
                paid_on = month.replace(day=28)
                paid_on = paid_on.replace(month=paid_on.month % 12 + 1, year=paid_on.year + (paid_on.month == 12))
                paid_on = paid_on.replace(day=15)
                payments.append(
                    Row.of_columns(
                        PremiumPayment,
                        {
                            "id": new_public_id_hex(),
                            "person_id": insured_id,
                            "calculation_id": calculation_id,
                            "paid_on": paid_on,
                            "amount": amount,
                            "method": method,
                        },
                    )
                )
    NhiHousehold.objects.bulk_create(households, batch_size=1000)
    Enrolment.objects.bulk_create(enrolments, batch_size=2000)
    grant_children_to_parents(enrolments)  # bulk_create sends no signal: the children's grants, as enrolling does
    insert_rows(PremiumCalculation, calculations)
    insert_rows(PremiumPayment, payments)
