"""The passbook figure: latency and throughput of the passbook home page and the app summary under gunicorn.

    .venv/bin/python bench/passbook_bench.py            # populate (or reuse), serve, drive, write the figure
    .venv/bin/python bench/passbook_bench.py populate   # only make sure the population is there

1. A PostgreSQL database of its own (``healthbank_passbook_bench``) holds ``BENCH_PASSBOOK_PEOPLE`` (20,000)
   people with three years of history, made by ``manage.py migrate`` + ``manage.py generate_population``
   (one process: the command refuses a second population in the same database). Generating takes long
   (25 minutes on the project machine), so a marker table records what was generated (people, seed, day, a
   digest of the national-ID keys) and the database is reused while it matches (new migrations are applied);
   it is rebuilt when missing, different, or when ``BENCH_PASSBOOK_REBUILD=1``. Keys, simulated world files,
   static files and gunicorn's logs live in ``var/passbook-bench/`` (``BENCH_PASSBOOK_VAR``).
2. gunicorn serves the site as docs/operations.md runs it (sync workers, access log) with the production
   settings (Redis cache, manifest static files, DEBUG off, the bench's keys) on ``127.0.0.1:8731``;
   ``BENCH_PASSBOOK_WORKERS`` (2 × cores + 1), ``BENCH_PASSBOOK_PORT``.
3. ``BENCH_PASSBOOK_CLIENTS`` (16) people with a typical history (three-year visit count between the
   population's quartiles, age 20-79) are drawn with a fixed seed; each gets a citizen-certificate web
   session made by ``accounts.login.start_person_session`` and an app token from ``POST /api/app/v1/login``
   (an online account and a verified device made through the services first, as the tests' ``app_as``).
4. One thread per person (http.client; sync workers close the connection after each answer) asks for one
   target after another, ``BENCH_PASSBOOK_WARMUP`` (5) seconds of warm-up, then ``BENCH_PASSBOOK_SECONDS``
   (30) measured; ``BENCH_PASSBOOK_ROUNDS`` (2) rounds of all four, so drifting load on a shared machine hits
   each alike. Targets (TARGETS): the passbook home page, the app summary and their baselines ``/me/`` (the
   smallest logged-in page) and ``GET /api/app/v1/me``. Then each target with one client alone
   (``BENCH_PASSBOOK_SINGLE_SECONDS``, 10): the latency without queueing.
5. Prints a table (stderr) and one JSON object (stdout, also ``bench/results/passbook.json`` and the
   ``"figure": "passbook"`` entry of ``bench/results/latest.json``): latencies, throughput, the ratios to the
   baselines, CPU seconds of the gunicorn workers, the PostgreSQL backends, the load generator and the whole
   machine over each window, the queries each target runs and the time it takes alone (in-process, Django
   test client), and the load average.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_PASSBOOK_DB", "healthbank_passbook_bench")
DATABASE_URL = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
VAR_DIR = Path(os.environ.get("BENCH_PASSBOOK_VAR", ROOT / "var" / "passbook-bench"))

PEOPLE = int(os.environ.get("BENCH_PASSBOOK_PEOPLE", "20000"))
SEED = int(os.environ.get("BENCH_PASSBOOK_SEED", "2026"))
REBUILD = os.environ.get("BENCH_PASSBOOK_REBUILD") == "1"
CLIENTS = int(os.environ.get("BENCH_PASSBOOK_CLIENTS", "16"))
SECONDS = float(os.environ.get("BENCH_PASSBOOK_SECONDS", "30"))
WARMUP = float(os.environ.get("BENCH_PASSBOOK_WARMUP", "5"))
SINGLE_SECONDS = float(os.environ.get("BENCH_PASSBOOK_SINGLE_SECONDS", "10"))
PORT = int(os.environ.get("BENCH_PASSBOOK_PORT", "8731"))
WORKERS = int(os.environ.get("BENCH_PASSBOOK_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
THREADS = int(os.environ.get("BENCH_PASSBOOK_THREADS", "1"))
PICK_SEED = 8  # issue 8
KEEP_LATENCIES = os.environ.get("BENCH_PASSBOOK_LATENCIES") == "1"  # every measured latency in the JSON printed
WRITE_RESULTS = os.environ.get("BENCH_PASSBOOK_WRITE", "1") != "0"  # results/passbook.json and latest.json
HISTORY_ENDS_DAYS_AGO = int(os.environ.get("BENCH_PASSBOOK_HISTORY_ENDS_DAYS_AGO", "31"))

MARKER = "bench_passbook_population"
PASSWORD = "Bench-2026-passbook"


def log(message: str) -> None:
    print(f"[passbook-bench {time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", file=sys.stderr, flush=True)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- 1. the population ---------------------------------------------------------------------------------------


def django_env(settings: str = "healthbank.settings.embedded") -> dict[str, str]:
    """The environment of every manage.py / in-process step: the bench database and var folder, its own keys."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=settings, DATABASE_URL=DATABASE_URL, HEALTHBANK_VAR_DIR=str(VAR_DIR))
    for name in ("REDIS_URL", "DJANGO_SECRET_KEY", "NATIONAL_ID_HASH_KEY", "NATIONAL_ID_ENCRYPTION_KEY", "LOG_FILE"):
        env.pop(name, None)
    env["HEALTHBANK_EXTERNAL_DIR"] = str(VAR_DIR / "external")
    env["HEALTHBANK_CARDS_DIR"] = str(VAR_DIR / "cards")
    env["LOG_LEVEL"] = "WARNING"
    return env


def keys() -> dict[str, str]:
    return json.loads((VAR_DIR / "local-keys.json").read_text())


def key_digest() -> str:
    path = VAR_DIR / "local-keys.json"
    if not path.exists():
        return ""
    return hashlib.sha256(json.loads(path.read_text())["national_id_hash_key"].encode()).hexdigest()[:16]


def marker() -> dict | None:
    """What the bench database holds (its marker row), or None when it is missing or unfinished."""
    try:
        with psycopg.connect(DATABASE_URL, connect_timeout=3) as conn:
            row = conn.execute(
                f"SELECT people, seed, today, key_digest, seconds, generated_at, person_count FROM {MARKER}"
            ).fetchone()
    except psycopg.Error:
        return None
    if row is None:
        return None
    names = ("people", "seed", "today", "key_digest", "seconds", "generated_at", "person_count")
    return dict(zip(names, row, strict=True))


def manage(*args: str) -> None:
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=django_env(), cwd=ROOT, check=True, stdout=sys.stderr)


def ensure_population() -> dict:
    held = marker()
    if (
        not REBUILD
        and held is not None
        and (held["people"], held["seed"]) == (PEOPLE, SEED)
        and held["key_digest"] == key_digest()
    ):
        log(
            f"reusing {DB_NAME}: {held['person_count']} people (--people {PEOPLE} --seed {SEED}, "
            f"history to {held['today']}, generated in {held['seconds']:.0f} s on {held['generated_at']:%Y-%m-%d})"
        )
        manage("migrate", "--noinput", "-v0")  # the code may have gained migrations since the population was made
        return {**held, "reused": True}
    log(f"building {DB_NAME} with {PEOPLE} people, seed {SEED} (slow: about 150 people/s on 2 cores)")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    shutil.rmtree(VAR_DIR, ignore_errors=True)  # keys and world files belong to the database just dropped
    VAR_DIR.mkdir(parents=True)
    started = time.perf_counter()
    manage("migrate", "--noinput", "-v0")
    manage("createcachetable")
    # The history ends a month back: generate_population (demo/history.py ``wishes``) can date a care wish's
    # registration up to 29 days after the day it is given when the person turned 20 in the last month, and the
    # ingest refuses future dates; at 20,000 people someone always has. A month back, every date is past.
    today = dt.date.today() - dt.timedelta(days=HISTORY_ENDS_DAYS_AGO)
    manage("generate_population", "--people", str(PEOPLE), "--seed", str(SEED), "--today", today.isoformat())
    seconds = time.perf_counter() - started
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        person_count = conn.execute("SELECT count(*) FROM identity_person").fetchone()[0]
        conn.execute("VACUUM ANALYZE")
        conn.execute(
            f"CREATE TABLE {MARKER} (people int, seed int, today date, key_digest text, seconds float8,"
            " generated_at timestamptz, person_count int, load_average text)"
        )
        conn.execute(
            f"INSERT INTO {MARKER} VALUES (%s, %s, %s, %s, %s, now(), %s, %s)",
            (PEOPLE, SEED, today, key_digest(), seconds, person_count, " ".join(map(str, load_average()))),
        )
    log(f"generated {person_count} people in {seconds:.0f} s ({person_count / seconds:.1f} people/s)")
    return {**marker(), "reused": False}


# --- 2. the server -------------------------------------------------------------------------------------------


def server_env() -> dict[str, str]:
    """Production settings: Redis cache and broker, manifest static files, DEBUG off, the bench's keys."""
    found = keys()
    env = django_env("healthbank.settings.production")
    env.update(
        REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX="pbbench",
        DJANGO_SECRET_KEY=found["secret_key"],
        NATIONAL_ID_HASH_KEY=found["national_id_hash_key"],
        NATIONAL_ID_ENCRYPTION_KEY=found["national_id_encryption_key"],
        ALLOWED_HOSTS="127.0.0.1,localhost",
        HEALTHBANK_ENVIRONMENT="passbook-bench",  # production names its environment (the card QR codes carry it)
    )
    return env


class Server:
    """gunicorn as docs/operations.md runs it (sync workers, access log), on a local port."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.log = VAR_DIR / "gunicorn.log"

    def __enter__(self) -> Server:
        env = server_env()
        subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True
        )
        command = [
            str(Path(PYTHON).parent / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "healthbank.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--timeout",
            "30",
            "--access-logfile",
            str(VAR_DIR / "access.log"),
            "--error-logfile",
            str(self.log),
        ]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn stopped at start:\n{self.log.read_text()[-3000:]}")
            try:
                if get("/health/live", {})[0] == 200 and len(self.workers()) >= WORKERS:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.__exit__()
        sys.exit("gunicorn did not answer /health/live within 60 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def workers(self) -> list[int]:
        return children(self.process.pid) if self.process else []


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def get(path: str, headers: dict, conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        if own:
            conn.close()


def post_json(path: str, body: dict) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


# --- 3. the people and their logins ----------------------------------------------------------------------------


def setup_django() -> None:
    os.environ.update(server_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def typical_people() -> tuple[list, dict]:
    """``CLIENTS`` adults (20-79) whose three-year visit count lies between the population's quartiles."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from healthbank.identity.models import Person
    from healthbank.records.models import Visit

    today = timezone.localdate()
    since = today - dt.timedelta(days=3 * 365)
    counts = dict(Visit.objects.filter(visit_date__gte=since).values_list("person").annotate(n=Count("id")).order_by())
    everyone = sorted(counts.values())
    quartiles = statistics.quantiles(everyone, n=4)
    low, high = int(quartiles[0]), int(quartiles[2])
    adults = Person.objects.filter(
        Q(birth_date__lte=today.replace(year=today.year - 20)) & Q(birth_date__gt=today.replace(year=today.year - 80))
    )
    candidates = sorted(str(pk) for pk in adults.values_list("pk", flat=True) if low <= counts.get(pk, 0) <= high)
    picked = random.Random(PICK_SEED).sample(candidates, CLIENTS)
    people = list(Person.objects.filter(pk__in=picked))
    people.sort(key=lambda p: picked.index(str(p.pk)))
    about = {
        "people_with_visits": len(everyone),
        "visits_3y_quartiles": [round(q, 1) for q in quartiles],
        "candidates": len(candidates),
        "picked_visits_3y": [counts[p.pk] for p in people],
    }
    return people, about


def web_session(person) -> str:
    """A citizen-certificate session made by the app's own login function; the session cookie's value."""
    from importlib import import_module

    from django.conf import settings
    from django.test import RequestFactory

    from healthbank.accounts.login import Method, start_person_session

    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    start_person_session(request, person, Method.CERTIFICATE)
    request.session.save()
    return request.session.session_key


def app_token(person) -> str:
    """An online account and a verified device (through the services, as the tests' app_as), then the login."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from healthbank.accounts.models import OnlineAccount
    from healthbank.devices import services as devices

    account = OnlineAccount.objects.filter(person=person).first()
    if account is None:
        OnlineAccount.objects.create(
            person=person,
            status="active",
            channel="online",
            password=make_password(PASSWORD),
            email=f"bench.{str(person.pk)[-8:]}@example.tw",
            mobile="0912345678",
            created_at=timezone.now(),
            activated_at=timezone.now(),
        )
    elif not account.email.startswith("bench."):
        sys.exit(f"person {person.pk} has an account the bench did not make; pick others (BENCH_PASSBOOK_SEED)")
    issued = devices.issue_device_code(person)
    _binding, credential = devices.bind_device(
        issued.code, platform="Android", model="Bench", device_identifier=f"bench-{person.pk}"
    )
    status, body = post_json(
        "/api/app/v1/login",
        {"national_id": person.national_id, "password": PASSWORD, "device_credential": credential},
    )
    if status != 200:
        sys.exit(f"app login failed ({status}): {body}")
    return body["token"]


# --- 4. the targets and the load --------------------------------------------------------------------------------

# name: (path with {person}, how the client proves who it is, what it is)
TARGETS = {
    "me": ("/me/", "web", "baseline (web): the smallest logged-in page, /me/"),
    "home": ("/passbook/{person}/", "web", "passbook home page, Chinese (default language)"),
    "app_me": ("/api/app/v1/me", "app", "baseline (app): GET /api/app/v1/me"),
    "summary": ("/api/app/v1/passbook/{person}/summary", "app", "app passbook summary"),
}
BASELINE = {"home": "me", "summary": "app_me"}


def request_headers(login: dict, how: str) -> dict[str, str]:
    headers = {"X-Forwarded-Proto": "https"}  # behind the TLS proxy, as in production (secure cookies)
    if how == "web":
        headers["Cookie"] = f"{login['cookie']}={login['session']}"
    elif how == "fhir":  # a connected health app's OAuth token (bench/fhir_bench.py)
        headers["Authorization"] = f"Bearer {login['fhir_token']}"
    else:
        headers["Authorization"] = f"Token {login['token']}"
    return headers


def check_logins(logins: list[dict]) -> None:
    for login in logins:
        for name, (path, how, _what) in TARGETS.items():
            status, body = get(path.format(person=login["person"]), request_headers(login, how))
            if status != 200:
                sys.exit(f"{name} for {login['person']} answered {status}: {body[:300]!r}")


def cpu_ticks(pids) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def machine_ticks() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]  # all, idle + iowait


def postgres_backends() -> list[int]:
    with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (DB_NAME,)).fetchall()
    return [r[0] for r in rows]


def drive(name: str, logins: list[dict], server: Server, seconds: float = SECONDS, warmup: float = WARMUP) -> dict:
    """One thread per login (its own person), request after request: ``warmup`` seconds, then ``seconds`` measured."""
    path, how, _what = TARGETS[name]
    start = threading.Barrier(len(logins) + 1)
    latencies: list[list[float]] = [[] for _ in logins]
    failures = [0] * len(logins)
    sizes = [0] * len(logins)
    window: dict[str, float] = {}

    def client(index: int, login: dict) -> None:
        url, headers = path.format(person=login["person"]), request_headers(login, how)
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        start.wait()
        begin, end = window["begin"], window["end"]
        while True:
            sent = time.perf_counter()
            if sent >= end:
                break
            try:
                conn.request("GET", url, headers=headers)
                response = conn.getresponse()
                body = response.read()
                status = response.status
                if response.will_close:  # sync workers close after each response
                    conn.close()
            except OSError:
                conn.close()
                status, body = 0, b""
            done = time.perf_counter()
            if begin <= done <= end:
                if status == 200:
                    latencies[index].append(done - sent)
                    sizes[index] += len(body)
                else:
                    failures[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i, login), daemon=True) for i, login in enumerate(logins)]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    window["begin"], window["end"] = now + warmup, now + warmup + seconds
    start.wait()
    time.sleep(warmup)
    workers = server.workers()
    before = {
        "driver": time.process_time(),
        "gunicorn": cpu_ticks(workers),
        "postgres": {pid: cpu_ticks([pid]) for pid in postgres_backends()},
        "machine": machine_ticks(),
        "load": load_average(),
    }
    for thread in threads:
        thread.join()
    ticks = os.sysconf("SC_CLK_TCK")
    all_after, idle_after = machine_ticks()
    all_before, idle_before = before["machine"]
    postgres_cpu = sum(cpu_ticks([pid]) - before["postgres"].get(pid, 0) for pid in postgres_backends())
    done = sorted(x for per in latencies for x in per)
    return {
        "path": path,
        **summarise(done, sum(failures), seconds),
        "mean_bytes": round(sum(sizes) / len(done)) if done else 0,
        "cpu_seconds": {  # over the measured window; 2 cores give at most 2 s a second
            "gunicorn_workers": round((cpu_ticks(workers) - before["gunicorn"]) / ticks, 1),
            "postgres_backends": round(postgres_cpu / ticks, 1),
            "load_generator": round(time.process_time() - before["driver"], 1),
            "machine_busy": round((all_after - all_before - idle_after + idle_before) / ticks, 1),
        },
        "load_average": {"start": before["load"], "end": load_average()},
        "latencies": done,
    }


def summarise(latencies: list[float], errors: int, seconds: float) -> dict:
    count = len(latencies)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if count > 1 else [float("nan")] * 99
    return {
        "requests": count,
        "errors": errors,
        "requests_per_second": round(count / seconds, 1),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
    }


# --- 5. queries and time per request, in-process -----------------------------------------------------------------


def in_process(logins: list[dict], repeat: int = 10) -> dict:
    """Queries each target runs (Django test client, one request at a time) and the time one request takes alone."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    out = {}
    for name, (path, how, _what) in TARGETS.items():
        queries, sql, wall = [], [], []
        for login in logins[:4]:
            client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
            if how == "web":
                client.cookies[login["cookie"]] = login["session"]
                extra = {}
            else:
                extra = {"HTTP_AUTHORIZATION": f"Token {login['token']}"}
            url = path.format(person=login["person"])
            assert client.get(url, **extra).status_code == 200
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url, **extra)
                    wall.append(time.perf_counter() - started)
                assert response.status_code == 200
                queries.append(len(captured.captured_queries))
                sql.append(sum(float(q["time"]) for q in captured.captured_queries))
        out[name] = {
            "queries": round(statistics.mean(queries), 1),
            "sql_ms": round(statistics.median(sql) * 1000, 1),
            "alone_ms": round(statistics.median(wall) * 1000, 1),
        }
    return out


# --- 6. the figure --------------------------------------------------------------------------------------------


def postgres_version() -> str:
    with psycopg.connect(DATABASE_URL, connect_timeout=3) as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


def population_counts() -> dict:
    with psycopg.connect(DATABASE_URL, connect_timeout=3) as conn:
        people = conn.execute("SELECT count(*) FROM identity_person").fetchone()[0]
        visits = conn.execute("SELECT count(*) FROM records_visit").fetchone()[0]
    return {"people": people, "visits": visits}


def write_results(figure: dict) -> None:
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "passbook.json").write_text(json.dumps(figure, indent=1, ensure_ascii=False) + "\n")
    latest = results / "latest.json"
    kept = json.loads(latest.read_text()) if latest.exists() else []
    kept = [entry for entry in kept if entry.get("figure") != "passbook"] + [figure]
    latest.write_text(json.dumps(kept, indent=1, ensure_ascii=False) + "\n")


def table(figure: dict) -> str:
    lines = [
        f"passbook figure {figure['date']}: {figure['population']['people']} people, {CLIENTS} clients, "
        f"{WORKERS} gunicorn workers, load average {figure['load_average']['before']} -> "
        f"{figure['load_average']['after']}",
        f"{'target':8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'queries':>7} "
        f"{'alone ms':>8} {'worker cpu ms':>13} {'1-client p99':>12}  vs baseline",
    ]
    for name, row in figure["targets"].items():
        ratio = figure["ratios"].get(name)
        lines.append(
            f"{name:8} {row['requests_per_second']:7.1f} {row['p50_ms']:7.1f} {row['p95_ms']:7.1f} "
            f"{row['p99_ms']:7.1f} {row['errors']:6d} {row['queries']:7.1f} {row['alone_ms']:8.1f} "
            f"{row['cpu_ms_per_request']['gunicorn']:13.1f} "
            f"{row['one_client']['p99_ms']:12.1f}  " + (f"{ratio:.2f} of {BASELINE[name]}" if ratio is not None else "")
        )
    return "\n".join(lines)


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def main() -> None:
    if not redis_answers():
        sys.exit(f"Redis at {REDIS_URL} does not answer; the production settings the server runs with need it")
    population = ensure_population()
    if sys.argv[1:] == ["populate"]:
        print(json.dumps(population, default=str))
        return
    load_before = load_average()
    today = dt.date.today()  # before Django sets the process's time zone
    setup_django()
    people, about = typical_people()
    rounds = int(os.environ.get("BENCH_PASSBOOK_ROUNDS", "2"))
    with Server() as server:
        from django.conf import settings

        cookie = settings.SESSION_COOKIE_NAME
        logins = [
            {"person": str(p.pk), "cookie": cookie, "session": web_session(p), "token": app_token(p)} for p in people
        ]
        check_logins(logins)
        log(f"{len(logins)} people logged in (web session and app token); measuring in-process first")
        alone = in_process(logins)
        runs: dict[str, list[dict]] = {name: [] for name in TARGETS}
        for round_number in range(rounds):  # the baselines and the pages in turn, so drifting load hits each alike
            for name in TARGETS:
                log(f"round {round_number + 1}/{rounds}: {name}, load average {load_average()}")
                runs[name].append(drive(name, logins, server))
        single = {}
        for name in TARGETS:  # the same requests one at a time: the latency without queueing
            log(f"one client: {name}, load average {load_average()}")
            one = drive(name, logins[:1], server, seconds=SINGLE_SECONDS, warmup=2)
            single[name] = {k: one[k] for k in ("requests_per_second", "p50_ms", "p95_ms", "p99_ms", "errors")}
    targets = {}
    for name, measured in runs.items():  # every round's requests together
        latencies = sorted(x for r in measured for x in r.pop("latencies"))
        targets[name] = {
            "what": TARGETS[name][2],
            "path": TARGETS[name][0],
            **summarise(latencies, sum(r["errors"] for r in measured), SECONDS * len(measured)),
            "mean_bytes": round(statistics.mean(r["mean_bytes"] for r in measured)),
            **alone[name],
            "cpu_ms_per_request": {  # over the measured windows of every round
                who: round(1000 * sum(r["cpu_seconds"][key] for r in measured) / max(len(latencies), 1), 1)
                for who, key in (("gunicorn", "gunicorn_workers"), ("postgres", "postgres_backends"))
            },
            "one_client": single[name],
            "rounds": measured,
        }
        if KEEP_LATENCIES:  # for bench/passbook_scale.py, which pools rounds run as separate processes
            targets[name]["latencies_s"] = [round(x, 5) for x in latencies]
    ratios = {
        name: round(targets[name]["requests_per_second"] / targets[base]["requests_per_second"], 2)
        for name, base in BASELINE.items()
    }
    figure = {
        "figure": "passbook",
        "date": today.isoformat(),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": f"postgresql {postgres_version()}",
        "population": {
            **population_counts(),
            "seed": SEED,
            "history_to": str(population["today"]),
            "generation_seconds": round(population["seconds"]),
            "reused": population["reused"],
        },
        "picked": about,
        "server": {"gunicorn_workers": WORKERS, "threads": THREADS, "settings": "healthbank.settings.production"},
        "clients": CLIENTS,
        "seconds": SECONDS,
        "warmup_seconds": WARMUP,
        "rounds": rounds,
        "load_average": {"before": load_before, "after": load_average()},
        "targets": targets,
        "ratios": ratios,
        "issue_targets": {
            name: {
                "p99_under_100_ms": targets[name]["p99_ms"] < 100,
                "half_the_baseline_throughput": ratios[name] >= 0.5,
            }
            for name in BASELINE
        },
    }
    if WRITE_RESULTS:
        write_results(figure)
    print(table(figure), file=sys.stderr)
    print(json.dumps(figure, ensure_ascii=False))


if __name__ == "__main__":
    main()
