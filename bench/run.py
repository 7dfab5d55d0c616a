"""make bench: bench/ingest_bench.py and bench/export_bench.py on a scratch SQLite file and, if reachable, a
scratch PostgreSQL database; bench/vcard_bench.py (the virtual card: its own SQLite, PostgreSQL and
PostgreSQL + Redis runs); bench/services_bench.py (certificate PDFs a second, its own scratch SQLite); then,
with PostgreSQL, bench/passbook_bench.py (the passbook under gunicorn; BENCH_PASSBOOK=0 skips it) and
bench/fhir_bench.py (a connected app's FHIR lab search against the passbook summary, same database) and, when
BENCH_PEOPLE is set, bench/passbook_scale.py (the passbook at 20,000 and at BENCH_PEOPLE people, in turn)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "healthbank_bench"


def run(database_url: str, script: str = "ingest_bench.py") -> dict:
    env = dict(os.environ, DATABASE_URL=database_url)
    env.pop("REDIS_URL", None)
    out = subprocess.run([sys.executable, str(HERE / script)], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"benchmark failed on {database_url}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
            conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
        return True
    except Exception as exc:
        print(f"PostgreSQL skipped: {exc}")
        return False


def passbook() -> None:
    """The passbook figure (it adds itself to latest.json and writes results/passbook.json); its table on stderr."""
    out = subprocess.run([sys.executable, str(HERE / "passbook_bench.py")], stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        sys.exit("passbook benchmark failed (its output is above)")


def fhir() -> None:
    """A connected app's FHIR lab search against the passbook summary (results/fhir.json); its table on stderr."""
    out = subprocess.run([sys.executable, str(HERE / "fhir_bench.py")], stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        sys.exit("FHIR benchmark failed (its output is above)")


def main() -> None:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(run(f"sqlite:///{tmp}/bench.sqlite3"))
        print(json.dumps(results[-1], ensure_ascii=False))
    with tempfile.TemporaryDirectory() as tmp:  # the download figure (issue 9), on its own scratch database
        results.append(run(f"sqlite:///{tmp}/export.sqlite3", "export_bench.py"))
        print(json.dumps(results[-1], ensure_ascii=False))
    with_postgres = postgres_available()
    if with_postgres:
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        results.append(run(f"{base}/{PG_BENCH_DB}"))
        print(json.dumps(results[-1], ensure_ascii=False))
        postgres_available()  # a fresh scratch database for the download figure
        results.append(run(f"{base}/{PG_BENCH_DB}", "export_bench.py"))
        print(json.dumps(results[-1], ensure_ascii=False))
    results.append(run("", "vcard_bench.py"))  # the virtual card (issue 10): makes its own three configurations
    print(json.dumps(results[-1], ensure_ascii=False))
    results.append(run("", "services_bench.py"))  # certificate PDFs a second (issue 11): its own scratch SQLite
    print(json.dumps(results[-1], ensure_ascii=False))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "latest.json").write_text(json.dumps(results, indent=1) + "\n")
    if with_postgres and os.environ.get("BENCH_PASSBOOK", "1") != "0":
        passbook()
        fhir()  # the FHIR figure (issue 14) on the passbook figure's database and server
    if with_postgres and os.environ.get("BENCH_PEOPLE"):  # the passbook at 20,000 and at BENCH_PEOPLE people
        out = subprocess.run([sys.executable, str(HERE / "passbook_scale.py")], stdout=subprocess.PIPE, text=True)
        if out.returncode != 0:
            sys.exit("passbook scale benchmark failed (its output is above)")


if __name__ == "__main__":
    main()
