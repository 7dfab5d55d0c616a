"""Bytes a person and a visit take on PostgreSQL, measured on a generated population (docs/scaling.md).

    .venv/bin/python bench/db_size.py healthbank_passbook_20000 [healthbank_passbook_250000 ...]

For each database: the visit family — ``records_visit`` and every table with a foreign key to it (diagnoses,
drug and other orders, …) — in bytes with their indexes and TOAST (``pg_total_relation_size``) divided by the
visits; everything else in the ``public`` schema divided by the people (their insurance, cards, labs, reports,
vaccinations, grants, premiums, … and the small shared catalogues, which make the figure a little high); rows a
visit writes (the family's rows ÷ visits, exact counts). Prints a table and one JSON object and writes
``bench/results/db_size.json``, whose ``scaling`` part ``bench/scaling_plan.py`` reads (the largest database's
figures: per-row sizes shrink a little as tables grow and their fixed overhead is shared).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

VISIT_FAMILY = """
SELECT c.relname FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
WHERE k.contype = 'f' AND k.confrelid = 'records_visit'::regclass
"""
TABLES = """
SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
"""


def measure(database: str) -> dict:
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{database}"
    with psycopg.connect(url, connect_timeout=5) as conn:
        sizes = dict(conn.execute(TABLES).fetchall())
        family = ["records_visit", *sorted({r[0] for r in conn.execute(VISIT_FAMILY)} - {"records_visit"})]
        rows = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in family}
        people = conn.execute("SELECT count(*) FROM identity_person").fetchone()[0]
        database_bytes = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    visits = rows["records_visit"]
    visit_bytes = sum(sizes[t] for t in family)
    other_bytes = sum(sizes.values()) - visit_bytes
    return {
        "database": database,
        "people": people,
        "visits": visits,
        "database_bytes": database_bytes,
        "visit_family_bytes": visit_bytes,
        "other_bytes": other_bytes,
        "bytes_per_visit": round(visit_bytes / visits) if visits else None,
        "bytes_per_person": round(other_bytes / people) if people else None,
        "database_bytes_per_person": round(database_bytes / people) if people else None,
        "visits_per_person": round(visits / people, 1) if people else None,
        "rows_per_visit": round(sum(rows.values()) / visits, 2) if visits else None,
        "visit_family_rows": rows,
        "largest_tables": dict(sorted(sizes.items(), key=lambda kv: -kv[1])[:12]),
    }


def main() -> None:
    databases = sys.argv[1:] or ["healthbank_passbook_bench"]
    measured = [measure(d) for d in databases]
    largest = max(measured, key=lambda m: m["people"])
    figure = {
        "figure": "db_size",
        "date": dt.date.today().isoformat(),
        "databases": measured,
        "scaling": {  # what bench/scaling_plan.py reads
            "bytes_per_person": largest["bytes_per_person"],
            "bytes_per_visit": largest["bytes_per_visit"],
            "rows_per_visit": largest["rows_per_visit"],
        },
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "db_size.json").write_text(json.dumps(figure, indent=1) + "\n")
    print(
        "| database | people | visits | database | bytes a person (visits aside) | bytes a visit | rows a visit |",
        file=sys.stderr,
    )
    print("| --- | --- | --- | --- | --- | --- | --- |", file=sys.stderr)
    for m in measured:
        print(
            f"| {m['database']} | {m['people']:,} | {m['visits']:,} | {m['database_bytes'] / 2**30:.1f} GiB"
            f" | {m['bytes_per_person']:,} | {m['bytes_per_visit']:,} | {m['rows_per_visit']} |",
            file=sys.stderr,
        )
    print(json.dumps(figure))


if __name__ == "__main__":
    main()
