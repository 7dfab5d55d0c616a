"""The bulk loader: batches of records ingested by several worker processes (issue 12).

Every record goes through ``services.ingest``: every validation rule, and corrections and idempotency exactly as
for the API. Only the work is split. Worker k takes the records whose lock bucket (``services.record_bucket``)
is k modulo the number of workers, so:

* the workers' transactions lock disjoint buckets and never wait for one another;
* one record id, whoever it names, always goes to one worker, which applies its copies in the order of the
  input (a record, then its correction) and decides "a record never changes owner" under the one lock;
* each worker is a process of its own (Python's threads would share one core), fed in order through its own
  queue, with its own database connection.

The split is by record id rather than by person for the second point: the one-owner rule compares a record id
across people, so two workers each holding one person's copy of an id would both have to wait on the same
bucket. A worker still writes many people's records in one COPY, as a single process does.

SQLite has one writer at a time: there the loader runs in the calling process (``workers=1``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import itertools
import multiprocessing
import queue
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, connections, models, transaction

from . import services
from .models import Institution

CHUNK = 5000  # records a worker sends to ``ingest`` at once (one transaction, one COPY a table)
REJECTIONS_KEPT = 100  # rejections the report lists in full; all are counted
# A batch makes hundreds of thousands of short-lived objects without cycles: with Python's default threshold the
# cyclic collector runs every 700 allocations and walks the whole heap now and then (the benchmark measured a
# quarter of a loader's time in it). Bulk work moves what is already there out of its sight (``gc.freeze``) and
# collects the youngest generation every this many allocations instead.
BULK_GC_THRESHOLD = 100_000


_collection_depth = 0


@contextlib.contextmanager
def bulk_collection():
    """The cyclic collector tuned for bulk work while the block runs; as before afterwards (nested blocks: the
    outermost one puts it back)."""
    global _collection_depth
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(BULK_GC_THRESHOLD, before[1], before[2])
    _collection_depth += 1
    try:
        yield
    finally:
        _collection_depth -= 1
        gc.set_threshold(*before)
        if not _collection_depth:
            gc.unfreeze()


@dataclass(frozen=True)
class SenderSpec:
    """Who sends, as plain values a worker process can rebuild the ``Sender`` from."""

    institution: str = ""  # institution code
    agency: str = ""

    def sender(self) -> services.Sender:
        if self.institution:
            return services.Sender.for_institution(Institution.objects.get(code=self.institution))
        return services.Sender.for_agency(self.agency)


@dataclass
class LoadReport:
    counts: dict[str, int] = field(default_factory=lambda: {"created": 0, "replaced": 0, "unchanged": 0, "rejected": 0})
    by_type: Counter = field(default_factory=Counter)  # records of each record type, whatever their outcome
    rejections: list[dict[str, Any]] = field(default_factory=list)  # {"at": position, "record_id", "errors"}
    seconds: float = 0.0
    workers: int = 1

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    def add(self, record_type: str, counts: dict[str, int], rejections: list[dict[str, Any]]) -> None:
        for status, n in counts.items():
            self.counts[status] += n
            self.by_type[record_type] += n
        room = REJECTIONS_KEPT - len(self.rejections)
        self.rejections += rejections[: max(room, 0)]


def default_workers() -> int:
    """One worker a core on PostgreSQL; one on SQLite (a single writer)."""
    if connection.vendor != "postgresql":
        return 1
    return max(1, multiprocessing.cpu_count())


def worker_of(record_type: str, payload: Any, workers: int) -> int:
    """Which worker takes this record: by its record id's lock bucket (a record without one: worker 0)."""
    record_id = payload.get("record_id") if isinstance(payload, dict) else None
    if workers == 1 or not isinstance(record_id, str):
        return 0
    return services.record_bucket(services.RECORD_TYPES[record_type].model, record_id) % workers


class _Senders(dict):
    """``Sender`` of each ``SenderSpec``, made once a process."""

    def __missing__(self, spec: SenderSpec) -> services.Sender:
        self[spec] = spec.sender()
        return self[spec]


def _ingest_chunk(senders: _Senders, spec: SenderSpec, record_type: str, chunk: list[tuple[Any, Any]]):
    outcomes = services.ingest(senders[spec], record_type, [payload for _, payload in chunk])
    rejections = [
        {"at": chunk[o.index][0], "record_id": o.record_id, "errors": o.errors}
        for o in outcomes
        if o.status == "rejected"
    ]
    return record_type, services.summarise(outcomes), rejections[:REJECTIONS_KEPT]


@contextlib.contextmanager
def _session_setting(name: str, value: str):
    """PostgreSQL's ``name`` set to ``value`` on this connection while the block runs, and reset afterwards."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET {name} TO {value}")
    try:
        yield
    finally:
        if connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"RESET {name}")


def _commits(durable: bool):
    """``durable=False``: this connection's commits return before their WAL reaches the disk (PostgreSQL's
    ``synchronous_commit = off``). A crash may then lose the last moments of commits, never half of one: the
    database stays consistent. Only for what can be made again (the synthetic population), never for what a
    sender was told is stored."""
    if durable or connection.vendor != "postgresql":
        return contextlib.nullcontext()
    return _session_setting("synchronous_commit", "off")


# What a bulk session tells PostgreSQL a page read at random costs (its default, 4, is a spinning disk's). Each chunk
# looks up lists of a thousand keys and more (its people by national-ID hash, their cards by person); at the
# default cost PostgreSQL plans such a list as a scan of the whole table, which grows with every slice of a load,
# at this one (what is usual for SSD or a database held in memory) as index scans, which do not: a thousand
# people at 50,000 took 13.1 ms scanned, 5.6 ms through the index (EXPLAIN ANALYZE).
BULK_RANDOM_PAGE_COST = 1.1


def _lookup_costs():
    """This connection plans its look-ups with ``BULK_RANDOM_PAGE_COST`` while the block runs (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return contextlib.nullcontext()
    return _session_setting("random_page_cost", str(BULK_RANDOM_PAGE_COST))


# The chunks of an in-memory load (``load_batches(in_memory=True)``), made before the workers are forked: a worker
# reads its chunk here, in the memory it shares with the parent, and is sent only the chunk's number.
_forked_chunks: list[tuple] = []


def _work(inbox, outbox, durable: bool = True) -> None:
    """A worker process: ingest each (sender, record type, chunk) from ``inbox`` in order — or the chunk of that
    number in ``_forked_chunks`` — and report each."""
    connections.close_all()  # the parent's connection is not ours to share: open our own
    gc.freeze()  # what the parent had (frozen before the fork) stays out of the collector's walks
    gc.set_threshold(BULK_GC_THRESHOLD, *gc.get_threshold()[1:])
    senders = _Senders()
    try:
        with _commits(durable), _lookup_costs():
            while (task := inbox.get()) is not None:
                if isinstance(task, int):
                    task = _forked_chunks[task][1]
                outbox.put(("done", _ingest_chunk(senders, *task)))
    except BaseException as exc:
        outbox.put(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        connections.close_all()


def load(
    spec: SenderSpec,
    batches: Iterable[tuple[str, Iterable[tuple[Any, Any]]]],
    *,
    workers: int | None = None,
    chunk: int = CHUNK,
) -> LoadReport:
    """Ingest ``batches`` of one sender — (record type, iterable of (position, payload)) — over ``workers``.

    A position is whatever names the record in the input (e.g. "line 3, record 7"); rejections carry it.
    Record types are written in the order they come (each one finished before the next starts).
    """
    items = ((spec, record_type, records, record_type) for record_type, records in batches)
    return load_batches(items, workers=workers, chunk=chunk)


def load_batches(
    items: Iterable[tuple],
    *,
    workers: int | None = None,
    chunk: int = CHUNK,
    durable: bool = True,
    in_memory: bool = False,
) -> LoadReport:
    """Ingest (sender spec, record type, iterable of (position, payload), phase) of any senders over ``workers``.

    Consecutive items of one phase are written side by side; a phase is finished before the next starts (the
    demo's phases: prescribing clinics' visits before the pharmacies' refills, visits before their reports).
    ``durable=False`` lets commits return before the disk has them (``_commits``): the synthetic population only.
    ``in_memory=True``: the records are already in this process's memory (the generator's plan), so they are
    split into chunks before the workers are forked and each worker reads its chunks from the memory it shares
    with this process instead of receiving them pickled (a tenth of the machine's time, measured). A stream read
    from a file is not: it is sent a chunk at a time and never held whole.
    """
    global _forked_chunks
    workers = workers or default_workers()
    report = LoadReport(workers=workers)
    started = time.perf_counter()
    senders = _Senders()
    items = _allowed(senders, items)
    if workers == 1:
        with bulk_collection(), _commits(durable or connection.in_atomic_block), _lookup_costs():
            for item in _chunks(items, 1, chunk):
                if item is not BARRIER:
                    report.add(*_ingest_chunk(senders, *item[1]))
        report.seconds = time.perf_counter() - started
        return report

    chunks: Iterable = _chunks(items, workers, chunk)
    if in_memory:
        _forked_chunks = list(chunks)  # (worker, chunk) or BARRIER, as ``_chunks`` made them
        chunks = (item if item is BARRIER else (item[0], n) for n, item in enumerate(_forked_chunks))
    context = multiprocessing.get_context("fork")  # the children inherit Django, set up, and the settings
    connections.close_all()
    gc.freeze()  # before the fork: the children share these pages instead of copying them when a walk touches them
    outbox = context.Queue()
    inboxes = [context.Queue(maxsize=2) for _ in range(workers)]  # a bounded lead: memory stays flat
    processes = [context.Process(target=_work, args=(inboxes[k], outbox, durable), daemon=True) for k in range(workers)]
    for process in processes:
        process.start()
    state = {"sent": 0, "received": 0, "failure": ""}

    def receive(block: bool) -> None:
        try:
            message = outbox.get(timeout=1) if block else outbox.get_nowait()
        except queue.Empty:
            if block and not all(p.is_alive() for p in processes):
                state["failure"] = state["failure"] or "a worker process died"
            return
        kind, body = message
        if kind == "failed":
            state["failure"] = state["failure"] or body
        else:
            report.add(*body)
        state["received"] += 1

    def send(worker: int, task) -> None:
        while not state["failure"]:
            try:
                inboxes[worker].put(task, timeout=1)
                state["sent"] += 1
                return
            except queue.Full:
                receive(block=False)

    try:
        for item in chunks:
            while not state["failure"] and not outbox.empty():
                receive(block=False)
            while not state["failure"] and item is BARRIER and state["received"] < state["sent"]:
                receive(block=True)
            if state["failure"]:
                break
            if item is not BARRIER:
                send(*item)
    finally:
        for inbox in inboxes:
            try:
                inbox.put(None, timeout=1)
            except queue.Full:
                pass
        for process in processes:
            process.join(timeout=5 if state["failure"] or state["received"] < state["sent"] else None)
            if process.is_alive():
                process.terminate()
        if not _collection_depth:
            gc.unfreeze()
        _forked_chunks = []
    report.seconds = time.perf_counter() - started
    if state["failure"]:
        raise RuntimeError(f"a bulk worker stopped: {state['failure']}")
    return report


def _allowed(senders: _Senders, items):
    """The items, each checked first: an unknown record type, an unknown institution or a record type this sender
    may not send stops the load before its records are sent (as the API's 403)."""
    for spec, record_type, records, phase in items:
        rt = services.RECORD_TYPES.get(record_type)
        if rt is None:
            raise ValueError(f"unknown record type {record_type!r}")
        sender = senders[spec]
        if sender.kind not in rt.senders:
            raise services.SenderNotAllowed(f"{sender.source} may not send {record_type}.")
        yield spec, record_type, records, phase


BARRIER = object()  # between two phases: everything sent before it is written before anything after it


def _chunks(items, workers: int, size: int) -> Iterator:
    """(worker, (sender spec, record type, chunk)) as each chunk fills, what is left when the phase changes, then
    ``BARRIER``: a report sent after its visit must find the visit written, whichever worker wrote it."""
    for _phase, group in itertools.groupby(items, key=lambda item: item[3]):
        pending: dict[tuple, list] = {}
        for spec, record_type, records, _ in group:
            for position, payload in records:
                key = (worker_of(record_type, payload, workers), spec, record_type)
                bucket = pending.setdefault(key, [])
                bucket.append((position, payload))
                if len(bucket) >= size:
                    del pending[key]
                    yield key[0], (spec, record_type, bucket)
        for (worker, spec, record_type), bucket in pending.items():
            yield worker, (spec, record_type, bucket)
        yield BARRIER


@dataclass(frozen=True)
class ForeignKey:
    """A foreign-key constraint as PostgreSQL holds it: its table, its name, its definition."""

    table: str
    name: str
    definition: str  # pg_get_constraintdef: "FOREIGN KEY (visit_id) REFERENCES records_visit(id) DEFERRABLE ..."


class BrokenKey(RuntimeError):
    """A row names a row that is not there: a key put back could not be validated."""


class KeysCheckedAtEnd:
    """The foreign keys of some tables set aside while a large load writes them, then put back and checked in
    one pass a key: PostgreSQL's own advice for populating a database (its manual, "Populating a Database":
    "a foreign key constraint can be checked in bulk more efficiently than row-by-row"). Row by row, each
    row's keys are looked up at commit, one query a row and key — more of the generator's machine than
    PostgreSQL's copying of the rows itself (docs/decisions.md, "Issue 12: the keys checked at the end, and
    statistics of every looked-up table").

    Only for a load into tables nothing else writes meanwhile (the generator's new population): while the keys
    are set aside nothing checks them. Never for ingestion into a live database, which keeps its keys.

    ``set_aside()`` drops the keys (remembering their definitions); ``put_back()`` adds them again as NOT VALID,
    so every row written from then on is checked as before; ``check()`` validates the rows already there,
    one scan a key, and raises ``BrokenKey`` naming the key and the row that breaks it (the key then stays NOT
    VALID: still enforced for new rows). ``while_loading()`` is the first two around a block. PostgreSQL only;
    tables owned by the connecting role.
    """

    def __init__(self, tables: Iterable[type[models.Model]]):
        self.tables = sorted({model._meta.db_table for model in tables})
        self.keys: list[ForeignKey] = []

    def set_aside(self) -> None:
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
                [self.tables],
            )
            self.keys = [ForeignKey(*row) for row in cursor.fetchall()]
            for key in self.keys:
                cursor.execute(f"ALTER TABLE {quote(key.table)} DROP CONSTRAINT {quote(key.name)}")

    def put_back(self) -> None:
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            for key in self.keys:
                cursor.execute(
                    f"ALTER TABLE {quote(key.table)} ADD CONSTRAINT {quote(key.name)} {key.definition} NOT VALID"
                )

    @contextlib.contextmanager
    def while_loading(self):
        """The keys set aside while the block runs and put back after it. A block stopped by an error (or Ctrl-C)
        has them put back and checked over what it wrote before the error goes on (a broken one stays NOT VALID)."""
        self.set_aside()
        try:
            yield
        except BaseException:
            self.put_back()
            with contextlib.suppress(BrokenKey):
                self.check()
            raise
        self.put_back()

    def check(self) -> float:
        """Validate every key put back; a key's table is locked against other DDL (not against writes) while its
        key is checked. The seconds it took."""
        started = time.perf_counter()
        quote = connection.ops.quote_name
        for key in self.keys:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"ALTER TABLE {quote(key.table)} VALIDATE CONSTRAINT {quote(key.name)}")
            except IntegrityError as exc:  # the message names the key, the row's value and the table it is not in
                raise BrokenKey(f"{key.table}.{key.name}: {exc}".strip()) from exc
        return time.perf_counter() - started

    def check_aside(self) -> concurrent.futures.Future:
        """``check()`` in a thread of its own, on a connection of its own, while the caller goes on: PostgreSQL
        does the scanning, so the caller's Python keeps its core. ``result()`` waits (and raises ``BrokenKey``),
        then gives the seconds the check took."""
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="keys")

        def run() -> float:
            try:
                return self.check()
            finally:
                connections.close_all()  # this thread's connection only

        future = pool.submit(run)
        pool.shutdown(wait=False)
        return future
