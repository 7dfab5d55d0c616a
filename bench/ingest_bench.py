"""One benchmark run on the database named by DATABASE_URL (a scratch database: it is migrated here).

Prints one JSON object: people generated per second, and visits ingested per
second through the bulk path (``ingest`` called directly, 5,000 a call) and the
API path (HTTP batches of 1,000 through DRF in-process, with authentication).

On PostgreSQL it also measures, in the same run, the parallel bulk path (``records.bulk.load``: the
``ingest_file`` command's loader, ``BENCH_WORKERS`` processes, default one a core) and its ceiling: raw ``COPY``
of exactly the rows the parallel path stored (visits, diagnoses, drug and non-drug orders, copied out of the
database as COPY text) into scratch copies of the same tables with the same indexes (``LIKE … INCLUDING
ALL``), one COPY a table in one transaction. The ratio is the bulk path's rows a second over the ceiling's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthbank.settings.test")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from healthbank.core import codes  # noqa: E402
from healthbank.demo.loader import load_population  # noqa: E402
from healthbank.demo.population import build_population  # noqa: E402
from healthbank.records import bulk as bulk_loader  # noqa: E402
from healthbank.records.auth import issue_api_key  # noqa: E402
from healthbank.records.models import DrugOrder, Institution, NonDrugOrder, Visit, VisitDiagnosis  # noqa: E402
from healthbank.records.services import Sender, ingest  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "300"))
BULK_VISITS = int(os.environ.get("BENCH_BULK_VISITS", "40000"))
API_VISITS = int(os.environ.get("BENCH_API_VISITS", "5000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "0")) or os.cpu_count() or 1
VISIT_TABLES = (Visit, VisitDiagnosis, DrugOrder, NonDrugOrder)


def visit_payloads(plan, count: int, prefix: str, clinic: Institution, day: dt.date):
    drugs = [d.code for d in codes.drugs().values()][:50]
    consult = next(p.code for p in codes.payment_codes().values() if p.kind == "consultation")
    icd = list(codes.diagnoses())[:50]
    people = [p for p in plan.people if p.card_on(day)]
    out = []
    for i in range(count):
        person = people[i % len(people)]
        out.append(
            {
                "record_id": f"{prefix}{i:09d}",
                "national_id": person.national_id,
                "card_number": person.card_on(day).card_number,
                "institution": clinic.code,
                "kind": "western",
                "visit_date": day.isoformat(),
                "copayment": 50,
                "points": 350,
                "diagnoses": [icd[i % len(icd)]],
                "drug_orders": [
                    {"drug_code": drugs[i % len(drugs)], "days_supplied": 3, "quantity": "9", "frequency": "TID"},
                    {"drug_code": drugs[(i + 7) % len(drugs)], "days_supplied": 3, "quantity": "3", "frequency": "QD"},
                ],
                "non_drug_orders": [{"payment_code": consult}],
            }
        )
    return out


def main() -> None:
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    day = today - dt.timedelta(days=1)

    started = time.perf_counter()
    plan = build_population(PEOPLE, seed=1, today=today)
    planned = time.perf_counter() - started
    summary = load_population(plan)
    generated = time.perf_counter() - started
    history_records = sum(summary.records.values())

    clinic = Institution.objects.filter(kind="clinic", specialty="western").order_by("code").first()
    sender = Sender.for_institution(clinic)
    bulk = visit_payloads(plan, BULK_VISITS, "B", clinic, day)
    before = Visit.objects.count()
    started = time.perf_counter()
    for start in range(0, len(bulk), 5000):
        outcomes = ingest(sender, "visits", bulk[start : start + 5000])
        assert all(o.accepted for o in outcomes), outcomes[0].errors
    bulk_seconds = time.perf_counter() - started
    assert Visit.objects.count() == before + BULK_VISITS

    _, key = issue_api_key(name="bench", institution=clinic)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")
    api = visit_payloads(plan, API_VISITS, "H", clinic, day)
    started = time.perf_counter()
    for start in range(0, len(api), 1000):
        body = json.dumps({"records": api[start : start + 1000]})
        response = client.post("/api/ingest/v1/visits", body, content_type="application/json")
        assert response.status_code == 200, response.content[:500]
    api_seconds = time.perf_counter() - started

    parallel = ceiling_figures(plan, clinic, day) if connection.vendor == "postgresql" else {}

    print(
        json.dumps(
            {
                **parallel,
                "database": connection.vendor,
                "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
                "people": PEOPLE,
                "history_records": history_records,
                "plan_seconds": round(planned, 2),
                "people_per_second": round(PEOPLE / generated, 1),
                "history_records_per_second": round(history_records / (generated - planned), 0),
                "bulk_visits": BULK_VISITS,
                "bulk_visits_per_second": round(BULK_VISITS / bulk_seconds, 0),
                "bulk_rows_per_second": round(BULK_VISITS * 5 / bulk_seconds, 0),
                **(
                    {
                        "bulk_to_ceiling_one_process": round(
                            BULK_VISITS * 5 / bulk_seconds / parallel["ceiling_rows_per_second"], 3
                        )
                    }
                    if parallel
                    else {}
                ),
                "api_visits": API_VISITS,
                "api_visits_per_second": round(API_VISITS / api_seconds, 0),
            }
        )
    )


def ceiling_figures(plan, clinic: Institution, day: dt.date) -> dict:
    """The parallel bulk path, then raw COPY of the very rows it stored into scratch tables with the same indexes."""
    payloads = visit_payloads(plan, BULK_VISITS, "P", clinic, day)
    spec = bulk_loader.SenderSpec(institution=clinic.code)
    report = bulk_loader.load(spec, [("visits", enumerate(payloads))], workers=WORKERS)
    assert report.counts["created"] == BULK_VISITS, report.counts
    rows = BULK_VISITS * 5
    visits = f"SELECT id FROM {Visit._meta.db_table} WHERE source = %s AND source_record_id LIKE 'P%%'"
    dumps = []
    with connection.cursor() as cursor:
        for model in VISIT_TABLES:
            table = model._meta.db_table
            where = f"id IN ({visits})" if model is Visit else f"visit_id IN ({visits})"
            query = cursor.mogrify(f"SELECT * FROM {table} WHERE {where}", [clinic.code])
            data = bytearray()
            with cursor.cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
                for block in copy:
                    data += block
            dumps.append((table, bytes(data)))
            cursor.execute(f"DROP TABLE IF EXISTS bench_ceiling_{table}")
            cursor.execute(f"CREATE TABLE bench_ceiling_{table} (LIKE {table} INCLUDING ALL)")
    copied = 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, data in dumps:
            with cursor.cursor.copy(f"COPY bench_ceiling_{table} FROM STDIN") as copy:
                copy.write(data)
            copied += data.count(b"\n")
    ceiling_seconds = time.perf_counter() - started
    assert copied == rows, (copied, rows)
    with connection.cursor() as cursor:
        for table, _ in dumps:
            cursor.execute(f"DROP TABLE bench_ceiling_{table}")
    bulk_rate = rows / report.seconds
    ceiling_rate = rows / ceiling_seconds
    return {
        "parallel_workers": report.workers,
        "parallel_bulk_rows_per_second": round(bulk_rate, 0),
        "ceiling_rows_per_second": round(ceiling_rate, 0),
        "bulk_to_ceiling": round(bulk_rate / ceiling_rate, 3),
    }


if __name__ == "__main__":
    main()
