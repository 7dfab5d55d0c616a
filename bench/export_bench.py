"""The download figure: task time of a full three-year package for the heaviest person of the demo population.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 .venv/bin/python bench/export_bench.py

On the scratch database named by DATABASE_URL (migrated here) it loads the demo population (``BENCH_PEOPLE``,
300, seed 2026: what ``make demo`` loads), picks the person with the most records (visits with their
diagnoses and orders, labs, reports, vaccinations, checks...), and times ``exports.services.produce_export``
— the Celery task's whole body: reading every category through the access rule, writing HTML, My Health Bank
JSON and XML and FHIR, the AES-256 zip, storing it — ``BENCH_EXPORT_ROUNDS`` (7) times; then each writer on
its own, and the doctor summary PDF. Prints one JSON object (the figure, ``"figure": "export"``).
Timings are wall clock (``time.perf_counter``); no timed assertions live in the test suite.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthbank.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from healthbank.access.rules import Reader  # noqa: E402
from healthbank.demo.loader import load_population  # noqa: E402
from healthbank.demo.population import build_population  # noqa: E402
from healthbank.exports import package, services, summary  # noqa: E402
from healthbank.exports.choices import ExportCategory, ExportFormat  # noqa: E402
from healthbank.exports.collect import collect  # noqa: E402
from healthbank.exports.writers import fhir, html, myhealthbank  # noqa: E402
from healthbank.identity.models import Person  # noqa: E402
from healthbank.passbook.viewing import open_viewing  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "300"))
ROUNDS = int(os.environ.get("BENCH_EXPORT_ROUNDS", "7"))


def _stats(seconds: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 1),
        "min_ms": round(min(seconds) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


def heaviest_person() -> Person:
    best, best_count = None, -1
    for person in Person.objects.all():
        viewing = open_viewing(Reader.person(person), person.pk, "zh-hant", known=person)
        count = collect(viewing, ExportCategory.values).record_count()
        if count > best_count:
            best, best_count = person, count
    return best


def timed(function, rounds: int = ROUNDS) -> tuple[list[float], object]:
    seconds, result = [], None
    for _round in range(rounds):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def main() -> None:
    import logging

    from healthbank.celery import app

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    app.conf.task_always_eager = False  # the request only queues (in memory); the task body is timed alone below
    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="export-bench-"))
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    load_population(build_population(PEOPLE, seed=2026, today=timezone.localdate()))
    loaded = time.perf_counter() - start
    person = heaviest_person()
    viewing = open_viewing(Reader.person(person), person.pk, "zh-hant", known=person)
    selection = services.clean_selection(viewing, categories=ExportCategory.values, formats=ExportFormat.values)

    task_seconds, request_seconds, job = [], [], None
    for _round in range(ROUNDS):
        start = time.perf_counter()
        asked = services.request_export(viewing, selection)
        request_seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        job = services.produce_export(asked.pk)  # the task's whole body
        task_seconds.append(time.perf_counter() - start)
    snapshot = collect(viewing, ExportCategory.values)
    collect_seconds, _ = timed(lambda: collect(viewing, ExportCategory.values))
    html_seconds, _ = timed(lambda: [html.category_html(snapshot, c) for c in snapshot.categories])
    mhb_seconds, document = timed(lambda: myhealthbank.document(snapshot))
    json_seconds, _ = timed(lambda: myhealthbank.to_json(document))
    xml_seconds, _ = timed(lambda: myhealthbank.to_xml(document))
    fhir_seconds, _ = timed(lambda: [fhir.bundle(snapshot, c) for c in snapshot.categories])
    zip_seconds, _ = timed(
        lambda: package.build_zip(snapshot, ExportFormat.values, "merged", package.default_password("A123456789"))
    )
    pdf_seconds, _ = timed(lambda: summary.summary_pdf(viewing))
    figure = {
        "figure": "export",
        "database": connection.vendor,
        "people": PEOPLE,
        "population_load_s": round(loaded, 1),
        "records": snapshot.record_count(),
        "visits": sum(len(snapshot.rows(c)) for c in ("outpatient", "dental", "chinese_medicine", "inpatient")),
        "package_bytes": job.size,
        "rounds": ROUNDS,
        "task": _stats(task_seconds),
        "request": _stats(request_seconds),
        "collect": _stats(collect_seconds),
        "html": _stats(html_seconds),
        "myhealthbank_document": _stats(mhb_seconds),
        "myhealthbank_json": _stats(json_seconds),
        "myhealthbank_xml": _stats(xml_seconds),
        "fhir": _stats(fhir_seconds),
        "zip_all_formats": _stats(zip_seconds),
        "doctor_summary_pdf": _stats(pdf_seconds),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(figure, ensure_ascii=False))


if __name__ == "__main__":
    main()
