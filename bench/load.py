"""make load: a load test of the whole service (issue 12), on this machine's loopback only.

1. A fresh PostgreSQL database ``healthbank_load`` (``LOAD_PG_ADMIN_URL``), ``migrate``, ``generate_population
   --people LOAD_PEOPLE`` (3,000; the history ends a month back, as the passbook figure's does) and the cast
   (bench/load_setup.py: registered citizens, kiosk people, institutions' API keys). Its keys, simulated world
   and logs live in ``var/load/``; its cache and broker are Redis database 7 (``LOAD_REDIS_URL``; emptied with
   FLUSHDB first).
2. The service as docs/operations.md runs it, with ``healthbank.settings.load`` (production settings plus the
   load environment's captcha test mode and trusted proxy): gunicorn with ``LOAD_WORKERS`` (3) sync workers
   on 127.0.0.1 and a free port, and a Celery worker (tasks go through Redis).
3. Locust, headless: the mix (bench/locustfile.py) with ``LOAD_USERS`` (24) users for ``LOAD_SECONDS`` (120),
   then the ceiling (the same number of users asking for ``/me/`` only) for ``LOAD_CEILING_SECONDS`` (30).
4. Every process it started is stopped, also on Ctrl-C or a failure. The figure: p50/p95/p99, requests a
   second and errors per endpoint, the mixed throughput against the ceiling; ``bench/results/load.json``
   and a table. It exits 1 when any request failed (the target is 0 errors).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent

PG_ADMIN_URL = os.environ.get("LOAD_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "healthbank_load"
DATABASE_URL = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{DB_NAME}"
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/7")
VAR_DIR = Path(os.environ.get("LOAD_VAR", ROOT / "var" / "load"))

PEOPLE = int(os.environ.get("LOAD_PEOPLE", "3000"))
SEED = int(os.environ.get("LOAD_SEED", "2026"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "3"))
USERS = int(os.environ.get("LOAD_USERS", "24"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "120"))
CEILING_SECONDS = int(os.environ.get("LOAD_CEILING_SECONDS", "30"))
SPAWN_RATE = float(os.environ.get("LOAD_SPAWN_RATE", "4"))
HISTORY_ENDS_DAYS_AGO = 31  # as bench/passbook_bench.py: a care wish may be dated up to 29 days after "today"


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", file=sys.stderr, flush=True)


def env(settings: str = "healthbank.settings.load") -> dict[str, str]:
    out = dict(os.environ, DJANGO_SETTINGS_MODULE=settings, DATABASE_URL=DATABASE_URL, HEALTHBANK_VAR_DIR=str(VAR_DIR))
    for name in ("DJANGO_SECRET_KEY", "NATIONAL_ID_HASH_KEY", "NATIONAL_ID_ENCRYPTION_KEY", "LOG_FILE", "SITE_URL"):
        out.pop(name, None)
    out.update(
        HEALTHBANK_EXTERNAL_DIR=str(VAR_DIR / "external"),
        HEALTHBANK_CARDS_DIR=str(VAR_DIR / "cards"),
        LOG_LEVEL="WARNING",
        REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX="hbload",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOAD_CAST=str(VAR_DIR / "cast.json"),
    )
    if settings.endswith("embedded"):  # generating the population: tasks in-process, nothing queued
        out.pop("REDIS_URL")
    return out


def manage(*args: str, settings: str = "healthbank.settings.load") -> None:
    subprocess.run([PYTHON, "manage.py", *args], env=env(settings), cwd=ROOT, check=True, stdout=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database() -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).flushdb()  # database 7 only: the load test's own
    shutil.rmtree(VAR_DIR, ignore_errors=True)  # keys and world files belong to the database just dropped
    VAR_DIR.mkdir(parents=True)


def populate() -> dict:
    started = time.perf_counter()
    manage("migrate", "--noinput", "-v0", settings="healthbank.settings.embedded")
    today = dt.date.today() - dt.timedelta(days=HISTORY_ENDS_DAYS_AGO)
    manage(
        "generate_population", "--people", str(PEOPLE), "--seed", str(SEED), "--today", today.isoformat(),
        settings="healthbank.settings.embedded",
    )  # fmt: skip
    generated = time.perf_counter() - started
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        people = conn.execute("SELECT count(*) FROM identity_person").fetchone()[0]
        visits = conn.execute("SELECT count(*) FROM records_visit").fetchone()[0]
    subprocess.run([PYTHON, str(HERE / "load_setup.py"), str(VAR_DIR / "cast.json")], env=env(), cwd=ROOT, check=True)
    manage("collectstatic", "--noinput", "-v0")
    log(f"{people} people, {visits} visits, generated in {generated:.0f} s")
    return {"people": people, "visits": visits, "seed": SEED, "generation_seconds": round(generated)}


class Processes:
    """Everything started here, stopped in reverse order whatever happens (SIGTERM, then SIGKILL)."""

    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], **kwargs) -> subprocess.Popen:
        log_file = open(VAR_DIR / f"{name}.log", "ab")
        process = subprocess.Popen(
            command, env=env(), cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )
        self.started.append((name, process))
        return process

    def stop(self) -> None:
        for name, process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    log(f"{name} did not stop in 30 s: killing its process group")
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.started.clear()


def wait_for(port: int, gunicorn: subprocess.Popen) -> None:
    import http.client

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if gunicorn.poll() is not None:
            sys.exit(f"gunicorn stopped at start:\n{(VAR_DIR / 'gunicorn.log').read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit("gunicorn did not answer /health/ready within 90 s")


def serve(processes: Processes, port: int) -> None:
    gunicorn = processes.start(
        "gunicorn",
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "healthbank.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--timeout", "30", "--access-logfile", str(VAR_DIR / "access.log")],
    )  # fmt: skip
    processes.start(
        "celery", [str(BIN / "celery"), "-A", "healthbank", "worker", "--loglevel", "WARNING", "--concurrency", "1"]
    )
    wait_for(port, gunicorn)
    log(f"gunicorn ({WORKERS} workers) on 127.0.0.1:{port} and a Celery worker are up")


def locust(processes: Processes, port: int, name: str, classes: list[str], users: int, seconds: int) -> Path:
    prefix = VAR_DIR / name
    command = [
        str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
        "--host", f"http://127.0.0.1:{port}", "-u", str(users), "-r", str(SPAWN_RATE), "-t", f"{seconds}s",
        "--stop-timeout", "10", "--csv", str(prefix), "--exit-code-on-error", "0", "--loglevel", "WARNING",
        *classes,
    ]  # fmt: skip
    log(f"locust {name}: {users} users, {seconds} s ({' '.join(classes)})")
    process = processes.start(f"locust-{name}", command)
    if process.wait() != 0:
        sys.exit(f"locust {name} failed:\n{(VAR_DIR / f'locust-{name}.log').read_text()[-3000:]}")
    return Path(f"{prefix}_stats.csv")


def read_stats(path: Path) -> dict:
    rows = {}
    with open(path, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows[f"{row['Type']} {row['Name']}" if row["Type"] else "all"] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "requests_per_second": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"]) if row["50%"] != "N/A" else None,
                "p95_ms": float(row["95%"]) if row["95%"] != "N/A" else None,
                "p99_ms": float(row["99%"]) if row["99%"] != "N/A" else None,
                "max_ms": round(float(row["Max Response Time"])),
            }
    return rows


def steady_rate(name: str, users: int) -> float | None:
    """Requests a second once every user has started (Locust's per-second history of its running total), so the
    ramp-up (users start ``LOAD_SPAWN_RATE`` a second, each logging in first) does not dilute the figure."""
    with open(VAR_DIR / f"{name}_stats_history.csv", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Name"] == "Aggregated"]
    started = [r for r in rows if int(r["User Count"]) >= users]
    if len(started) < 2:
        return None
    first, last = started[0], started[-1]
    seconds = int(last["Timestamp"]) - int(first["Timestamp"])
    done = int(last["Total Request Count"]) - int(first["Total Request Count"])
    return round(done / seconds, 1) if seconds > 0 else None


def failures(name: str) -> list[dict]:
    path = VAR_DIR / f"{name}_failures.csv"
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return [
            {"method": r["Method"], "name": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])}
            for r in csv.DictReader(handle)
        ]


def table(figure: dict) -> str:
    lines = [
        f"load test {figure['date']}: {figure['population']['people']} people, {figure['users']} users, "
        f"{figure['server']['gunicorn_workers']} gunicorn workers, {figure['seconds']} s mixed + "
        f"{figure['ceiling_seconds']} s ceiling",
        f"{'endpoint':52} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}",
    ]
    for run in ("mixed", "ceiling"):
        lines.append(f"-- {run}")
        for name, row in figure[run].items():
            lines.append(
                f"{name[:52]:52} {row['requests']:8d} {row['requests_per_second']:7.1f} "
                f"{row['p50_ms'] or 0:7.0f} {row['p95_ms'] or 0:7.0f} {row['p99_ms'] or 0:7.0f} {row['errors']:6d}"
            )
    lines.append(
        f"mixed throughput {figure['mixed_rps']:.1f} req/s against the ceiling {figure['ceiling_rps']:.1f} req/s "
        f"(GET /me/ alone), both once every user had started: {figure['ratio']:.2f}; errors {figure['errors']}"
    )
    return "\n".join(lines)


def main() -> int:
    processes = Processes()

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even when started with SIGINT ignored
    load_before = [round(x, 2) for x in os.getloadavg()]
    try:
        log(f"fresh database {DB_NAME}, {PEOPLE} people")
        fresh_database()
        population = populate()
        port = free_port()
        serve(processes, port)
        mix = ["Citizen", "AppUser", "Institution", "KioskVisitor"]
        mixed = read_stats(locust(processes, port, "mixed", mix, USERS, SECONDS))
        ceiling = read_stats(locust(processes, port, "ceiling", ["Ceiling"], USERS, CEILING_SECONDS))
    except KeyboardInterrupt:
        log("interrupted: stopping what was started")
        return 130
    finally:
        processes.stop()
    steady = {"mixed": steady_rate("mixed", USERS), "ceiling": steady_rate("ceiling", USERS)}
    ceiling_rps = steady["ceiling"] or ceiling.get("GET /me/", {}).get("requests_per_second", 0.0)
    mixed_rps = steady["mixed"] or mixed["all"]["requests_per_second"]
    errors = mixed["all"]["errors"] + ceiling["all"]["errors"]
    figure = {
        "figure": "load",
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "population": population,
        "server": {"gunicorn_workers": WORKERS, "celery_workers": 1, "settings": "healthbank.settings.load"},
        "users": USERS,
        "think_seconds_max": float(os.environ.get("LOAD_THINK", "0")),
        "seconds": SECONDS,
        "ceiling_seconds": CEILING_SECONDS,
        "load_average": {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]},
        "mixed": mixed,
        "ceiling": ceiling,
        "steady_requests_per_second": steady,  # once every user has started; the ratio's figures
        "mixed_rps": mixed_rps,
        "ceiling_rps": ceiling_rps,
        "ratio": round(mixed_rps / ceiling_rps, 2) if ceiling_rps else None,
        "errors": errors,
        "failures": failures("mixed") + failures("ceiling"),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "load.json").write_text(json.dumps(figure, indent=1, ensure_ascii=False) + "\n")
    print(table(figure))
    for failure in figure["failures"]:
        print(f"  failed {failure['count']}×: {failure['method']} {failure['name']}: {failure['error']}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
