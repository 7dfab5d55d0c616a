"""python manage.py ingest_file FILE (--institution CODE | --agency NAME) [--workers N] [--chunk N]

Loads a file of batches through the bulk path (``records.bulk``): the same rules as the ingestion API, split over
worker processes. The file is JSON Lines, one batch a line, as the API takes them with the record type added::

    {"record_type": "visits", "records": [{...}, {...}]}

Prints what was created, replaced, unchanged and rejected; each rejection names its line, its place in the
line's batch, the record id and the fields with their reasons. Exits 1 when any record was rejected.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from healthbank.records import bulk
from healthbank.records.models import Agency, Institution
from healthbank.records.services import RECORD_TYPES, SenderNotAllowed


def read_batches(path: Path):
    """(record type, ((position, record), …)) for each line; a malformed line stops the load before it starts."""
    lines = []
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                batch = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CommandError(f"line {number}: not JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(batch, dict) or not isinstance(batch.get("records"), list):
                raise CommandError(f'line {number}: expected {{"record_type": ..., "records": [...]}}')
            record_type = batch.get("record_type")
            if record_type not in RECORD_TYPES:
                raise CommandError(f"line {number}: record_type: unknown {record_type!r}")
            lines.append((number, record_type, batch["records"]))
    return [(record_type, _positioned(number, records)) for number, record_type, records in lines]


def _positioned(number: int, records: list):
    return ((f"line {number} record {i}", record) for i, record in enumerate(records))


class Command(BaseCommand):
    help = "Ingest a JSON Lines file of batches through the bulk path, split over worker processes."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        sender = parser.add_mutually_exclusive_group(required=True)
        sender.add_argument("--institution", help="the sending institution's code")
        sender.add_argument("--agency", choices=Agency.values, help="the sending agency")
        parser.add_argument("--workers", type=int, default=0, help="worker processes (default: one a core)")
        parser.add_argument("--chunk", type=int, default=bulk.CHUNK, help="records a worker ingests at once")

    def handle(self, *args, file: Path, institution, agency, workers, chunk, **options):
        if not file.is_file():
            raise CommandError(f"file: {file} does not exist")
        if chunk < 1 or workers < 0:
            raise CommandError("--chunk must be at least 1 and --workers at least 0")
        if institution and not Institution.objects.filter(code=institution).exists():
            raise CommandError(f"--institution: no institution {institution}")
        spec = bulk.SenderSpec(institution=institution or "", agency=agency or "")
        batches = read_batches(file)
        try:
            report = bulk.load(spec, batches, workers=workers or None, chunk=chunk)
        except SenderNotAllowed as exc:
            raise CommandError(str(exc)) from None
        rate = report.records / report.seconds if report.seconds else 0
        self.stdout.write(
            f"{report.records} records in {report.seconds:.1f} s ({rate:,.0f} a second, {report.workers} workers): "
            + ", ".join(f"{n} {status}" for status, n in report.counts.items())
        )
        for rejection in report.rejections:
            reasons = "; ".join(f"{k}: {' '.join(v)}" for k, v in rejection["errors"].items())
            self.stdout.write(f"  {rejection['at']} ({rejection['record_id']}): {reasons}")
        if report.counts["rejected"] > len(report.rejections):
            self.stdout.write(f"  … and {report.counts['rejected'] - len(report.rejections)} more rejected")
        if report.counts["rejected"]:
            raise SystemExit(1)
