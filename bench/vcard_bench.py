"""The virtual card figure (issue 10): QR issue + scan round trips, and the replay check under 100 concurrent scans.

    .venv/bin/python bench/vcard_bench.py     # all three configurations, one subprocess each

Three configurations, each in its own process with its own settings (``healthbank.settings.test``: fresh keys,
a scratch signing-key and photo folder, the QR environment ``test``):

1. ``sqlite``: a scratch SQLite file, the database cache (the embedded default);
2. ``postgresql``: the scratch PostgreSQL database ``healthbank_vcard_bench`` (dropped and created here, dropped
   at the end; ``BENCH_PG_ADMIN_URL`` reaches another server), the database cache;
3. ``postgresql+redis``: the same database and photos as 2 (migrated and populated once; one set of secret and
   national-ID keys from this parent serves all three, so its national IDs stay readable), Redis
   as cache and throttle store (``BENCH_VCARD_REDIS_URL``, database 14; keys under the test settings' own prefix,
   so nothing of another run is touched). Skipped with 2 when PostgreSQL does not answer.

In each, on a migrated database with a small demo population (``BENCH_VCARD_POPULATION``, 50, without care
history), ``BENCH_VCARD_HOLDERS`` (30) adults apply with two Pillow JPEGs (an 800×600 document, a 1200×1600
portrait, kept as 900×1200: what each scan shrinks for the counter) through ``services.submit_application``
and are approved (``approve_application(None, …)``); each gets an online account, a verified device
(``devices.services.issue_device_code`` + ``bind_device``) and an app token (``devices.services.app_login``).
The holders take turns, so the issue throttle (30 codes in 10 minutes a person) is never reached. Measured:

- **token**: sign + verify of a QR token with the key ring, no database (``BENCH_VCARD_TOKENS``, 3,000);
- **services round trip**: ``issue_card_qr(holder, holder, device=…)`` then ``scan_card_qr(clinic, text)``,
  ``BENCH_VCARD_ROUNDS`` (300) times; round trips a second and the median / p95 of each step;
- **queue**: ``BENCH_VCARD_QUEUE`` (10) other holders show a code before those round trips and are scanned
  after them (a waiting room while other counters work): each code is still its holder's newest and
  unexpired, so each should pass (reported, not required: see bench/README.md on the database cache's culling);
- **HTTP round trip**: ``POST /api/app/v1/vcard/qr`` (app token; the answer carries the QR as a PNG too) then
  ``POST /api/vcard/v1/scans`` (the clinic's API key), Django's test client in-process (no server, no network),
  ``BENCH_VCARD_HTTP_ROUNDS`` (100) times;
- **replay**: ``BENCH_VCARD_CLIENTS`` (100) threads, each with its own database connection (opened once, closed
  at the end); for each run the first client makes a fresh code and a barrier releases all of them to scan it
  at once; ``BENCH_VCARD_REPLAYS`` (20) runs through the services and ``BENCH_VCARD_HTTP_REPLAYS`` (5) through
  the HTTP API (each request there also writes the API key's last use, so a run takes longer). Exactly one
  success each run is required; refusals are counted by reason, anything else (5xx, database errors, a client
  that could not connect) by its exact words.

Prints a table (stderr) and one JSON object (stdout, ``"figure": "vcard"``). Exits 1 when any replay had other
than exactly one success (a correctness check); timings never fail it. Timings are wall clock
(``time.perf_counter``).
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = os.environ.get("BENCH_VCARD_DB", "healthbank_vcard_bench")
REDIS_URL = os.environ.get("BENCH_VCARD_REDIS_URL", "redis://127.0.0.1:6379/14")

POPULATION = int(os.environ.get("BENCH_VCARD_POPULATION", "50"))
HOLDERS = int(os.environ.get("BENCH_VCARD_HOLDERS", "30"))
TOKENS = int(os.environ.get("BENCH_VCARD_TOKENS", "3000"))
ROUNDS = int(os.environ.get("BENCH_VCARD_ROUNDS", "300"))
HTTP_ROUNDS = int(os.environ.get("BENCH_VCARD_HTTP_ROUNDS", "100"))
QUEUE = int(os.environ.get("BENCH_VCARD_QUEUE", "10"))
CLIENTS = int(os.environ.get("BENCH_VCARD_CLIENTS", "100"))
REPLAYS = int(os.environ.get("BENCH_VCARD_REPLAYS", "20"))
HTTP_REPLAYS = int(os.environ.get("BENCH_VCARD_HTTP_REPLAYS", "5"))
PASSWORD = "Bench-2026-vcard"
SCAN_ADDRESS = "127.0.0.1"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ms(seconds: list[float]) -> dict:
    """Median and p95 in milliseconds (p95: the 19th of 20 quantiles, inclusive)."""
    ordered = sorted(seconds)
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[18] if len(ordered) > 1 else ordered[0]
    return {"median_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


# ---------------------------------------------------------------- one configuration (a child process)


def child(configuration: str, reuse: bool) -> None:
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthbank.settings.test")
    import logging

    import django

    django.setup()
    for name in ("celery", "kombu"):  # the eager e-mail task's lines would fill stdout
        logging.getLogger(name).setLevel(logging.ERROR)

    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection

    if os.environ.get("BENCH_VCARD_KEYS"):  # the parent's keys: a reused database's national IDs stay readable
        shared = json.loads(os.environ["BENCH_VCARD_KEYS"])
        settings.SECRET_KEY = shared["secret_key"]
        settings.NATIONAL_ID_HASH_KEY = shared["national_id_hash_key"]
        settings.NATIONAL_ID_ENCRYPTION_KEY = shared["national_id_encryption_key"]
    scratch = Path(tempfile.mkdtemp(prefix="vcard-bench-"))
    settings.VCARD_KEY_DIR = scratch / "keys"
    settings.VCARD_PHOTO_DIR = Path(os.environ.get("BENCH_VCARD_PHOTO_DIR") or scratch / "photos")
    try:
        started = time.perf_counter()
        if not reuse:
            call_command("migrate", verbosity=0)
            call_command("createcachetable", verbosity=0)
        migrated = time.perf_counter() - started
        world = _prepare(reuse)
        prepared = time.perf_counter() - started - migrated
        log(f"[{configuration}] migrate {migrated:.1f} s, {len(world.holders)} card holders ready in {prepared:.1f} s")
        figure = {
            "figure": "vcard",
            "configuration": configuration,
            "database": connection.vendor,
            "cache": type(caches["default"]).__name__,
            "holders": len(world.holders),
            "setup_s": round(migrated + prepared, 1),
            "token": _token_figure(),
            **_services_rounds_with_queue(world),
            "http": _http_rounds(world),
            "replay_services": _replays(world, "services"),
            "replay_http": _replays(world, "http"),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
        print(json.dumps(figure, ensure_ascii=False))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        external = Path(settings.EXTERNAL_DATA_DIR).parent  # the test settings' own scratch folder
        if external.name.startswith("healthbank-test-"):
            shutil.rmtree(external, ignore_errors=True)


class World:
    """The card holders with their device and app token, and the clinic that scans."""

    def __init__(self, holders, clinic, api_key):
        self.holders = holders  # [(person, device binding, app token)]
        self.rotation = holders
        self.clinic = clinic
        self.api_key = api_key
        self._turn = 0

    def next_holder(self):
        """Holders take turns: no one person reaches the issue throttle, and each code is the person's newest."""
        holder = self.rotation[self._turn % len(self.rotation)]
        self._turn += 1
        return holder


def _jpeg(seed: int, size: tuple[int, int]) -> io.BytesIO:
    """A gradient JPEG; the portrait at a phone photo's size, since every scan shrinks it for the counter."""
    from PIL import Image

    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image.putpixel((seed % size[0], 0), (255, 0, 0))  # each photo its own bytes
    data = io.BytesIO()
    image.save(data, format="JPEG", quality=80)
    data.seek(0)
    return data


def _prepare(reuse: bool) -> World:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from healthbank.accounts.models import OnlineAccount
    from healthbank.demo.loader import load_population
    from healthbank.demo.population import build_population
    from healthbank.devices import services as devices
    from healthbank.identity.models import Person
    from healthbank.records.auth import issue_api_key
    from healthbank.records.models import Institution
    from healthbank.vcard import services
    from healthbank.vcard.models import CardApplication
    from healthbank.vcard.selectors import current_card

    today = timezone.localdate()
    if not reuse:
        load_population(build_population(POPULATION, seed=2026, today=today, history=False))
    adults = [p for p in Person.objects.order_by("birth_date", "pk") if 20 <= p.age_on(today) <= 79]
    holders = []
    for index, person in enumerate(adults[:HOLDERS]):
        if current_card(person) is None:
            application = services.submit_application(
                person,
                person,
                terms_accepted=True,
                document=CardApplication.Document.NATIONAL_ID_CARD,
                document_photo=_jpeg(2 * index, (800, 600)),
                portrait=_jpeg(2 * index + 1, (1200, 1600)),
                phone="0912345678",
                email=f"holder{index}@example.tw",
            )
            services.approve_application(None, application)
        now = timezone.now()
        OnlineAccount.objects.get_or_create(
            person=person,
            defaults={
                "status": "active",
                "channel": "online",
                "password": make_password(PASSWORD),
                "email": f"holder{index}@example.tw",
                "mobile": "0912345678",
                "created_at": now,
                "activated_at": now,
            },
        )
        issued = devices.issue_device_code(person)
        binding, credential = devices.bind_device(
            issued.code, platform="Android", model="Pixel 9", device_identifier=f"bench-{person.pk}"
        )
        _row, token = devices.app_login(
            national_id=person.national_id,
            password=PASSWORD,
            device_credential=credential,
            source=f"127.0.{index // 250}.{index % 250 + 1}",  # only a throttle key: one "address" a person
        )
        holders.append((person, binding, token))
    if len(holders) < HOLDERS:
        raise SystemExit(f"the population has only {len(holders)} adults; raise BENCH_VCARD_POPULATION")
    clinic = Institution.objects.filter(kind="clinic").order_by("-accepts_virtual_card", "code").first()
    if not clinic.accepts_virtual_card:  # only listed institutions may scan (the operator's list, as in the admin)
        clinic.accepts_virtual_card = True
        clinic.save(update_fields=["accepts_virtual_card"])
    _client, api_key = issue_api_key(name="vcard bench", institution=clinic)
    return World(holders, clinic, api_key)


def _token_figure() -> dict:
    """Sign and check a QR token alone: the cryptography's share of a round trip, no database."""
    import secrets
    import uuid

    from django.conf import settings

    from healthbank.vcard import keys, tokens

    ring = keys.ring()
    environment = settings.VCARD_ENVIRONMENT
    token = tokens.CardToken(secrets.token_hex(16), uuid.uuid4(), "holder_app", uuid.uuid4(), int(time.time()) + 300)
    started = time.perf_counter()
    texts = [tokens.sign(token, ring.signing, environment) for _ in range(TOKENS)]
    signed = time.perf_counter() - started
    now = time.time()
    started = time.perf_counter()
    for text in texts:
        tokens.read(text, ring.published, environment, now)
    verified = time.perf_counter() - started
    return {
        "count": TOKENS,
        "sign_per_s": round(TOKENS / signed),
        "verify_per_s": round(TOKENS / verified),
        "sign_and_verify_per_s": round(TOKENS / (signed + verified)),
    }


def _services_rounds_with_queue(world: World) -> dict:
    """The services round trips, and around them the waiting room: ``QUEUE`` holders show a code first, the
    counter scans those codes only after the round trips (other patients' codes made and scanned meanwhile).

    Every queued code is still the holder's newest and unexpired, so each should pass. The round trips use the
    other holders; afterwards everyone takes turns again.
    """
    from healthbank.vcard import services

    queued, world.rotation = world.holders[:QUEUE], world.holders[QUEUE:]
    waiting = [services.issue_card_qr(person, person, device=binding).text for person, binding, _token in queued]
    issue_seconds, scan_seconds = [], []
    started = time.perf_counter()
    for _round in range(ROUNDS):
        person, binding, _token = world.next_holder()
        t0 = time.perf_counter()
        issued = services.issue_card_qr(person, person, device=binding)
        t1 = time.perf_counter()
        services.scan_card_qr(world.clinic, issued.text, address=SCAN_ADDRESS)
        t2 = time.perf_counter()
        issue_seconds.append(t1 - t0)
        scan_seconds.append(t2 - t1)
    total = time.perf_counter() - started
    outcomes: Counter = Counter()
    for text in waiting:
        try:
            services.scan_card_qr(world.clinic, text, address=SCAN_ADDRESS)
            outcomes["success"] += 1
        except services.CardRefused as exc:
            outcomes[f"refused: {exc.reason}"] += 1
    world.rotation = world.holders
    return {
        "services": {
            "rounds": ROUNDS,
            "round_trips_per_s": round(ROUNDS / total, 1),
            "issue": _ms(issue_seconds),
            "scan": _ms(scan_seconds),
        },
        "queue": {"codes": len(waiting), "outcomes": dict(outcomes)},
    }


def _http_clients(world: World):
    from django.test import Client

    institution = Client(HTTP_AUTHORIZATION=f"Bearer {world.api_key}", HTTP_HOST="127.0.0.1")
    apps = {
        str(person.pk): Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
        for person, _binding, token in world.holders
    }
    return institution, apps


def _http_issue(app) -> str:
    response = app.post("/api/app/v1/vcard/qr", "{}", content_type="application/json")
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return response.json()["qr"]


def _http_rounds(world: World) -> dict:
    institution, apps = _http_clients(world)
    issue_seconds, scan_seconds = [], []
    started = time.perf_counter()
    for _round in range(HTTP_ROUNDS):
        person, _binding, _token = world.next_holder()
        t0 = time.perf_counter()
        text = _http_issue(apps[str(person.pk)])
        t1 = time.perf_counter()
        response = institution.post("/api/vcard/v1/scans", json.dumps({"qr": text}), content_type="application/json")
        t2 = time.perf_counter()
        assert response.status_code == 200, (response.status_code, response.content[:300])
        issue_seconds.append(t1 - t0)
        scan_seconds.append(t2 - t1)
    total = time.perf_counter() - started
    return {
        "rounds": HTTP_ROUNDS,
        "via": "Django test client, in-process",
        "round_trips_per_s": round(HTTP_ROUNDS / total, 1),
        "issue": _ms(issue_seconds),
        "scan": _ms(scan_seconds),
    }


def _scan_by_services(world: World) -> Callable[[str], tuple[str, str]]:
    from healthbank.vcard import services

    def scan(text: str) -> tuple[str, str]:
        try:
            services.scan_card_qr(world.clinic, text, address=SCAN_ADDRESS)
            return "success", ""
        except services.CardRefused as exc:
            return "refused", exc.reason
        except services.CardUnavailable:
            return "error", "CardUnavailable (503: the one-time-use store is away)"

    return scan


def _scan_by_http(world: World) -> Callable[[str], tuple[str, str]]:
    from django.test import Client

    def scan(text: str) -> tuple[str, str]:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {world.api_key}", HTTP_HOST="127.0.0.1")
        response = client.post("/api/vcard/v1/scans", json.dumps({"qr": text}), content_type="application/json")
        if response.status_code == 200:
            return "success", ""
        if response.status_code < 500 and "reason" in response.json():
            return "refused", response.json()["reason"]
        return "error", f"HTTP {response.status_code}: {response.content[:300]!r}"

    return scan


def _replays(world: World, via: str) -> dict:
    """``runs`` replays by one pool of ``CLIENTS`` threads, each connected to the database once (and closed at
    the end). For each run the first client makes a fresh code (the main thread holds no connection: PostgreSQL
    allows 100), a barrier releases every client at once to scan it, a second barrier waits for all to finish.
    """
    from django.db import connection, connections

    from healthbank.vcard import services

    runs = REPLAYS if via == "services" else HTTP_REPLAYS
    scan = _scan_by_services(world) if via == "services" else _scan_by_http(world)
    _institution, apps = _http_clients(world)
    holders = [world.next_holder() for _ in range(runs)]

    def issue(run: int) -> str:
        person, binding, _token = holders[run]
        if via == "http":
            return _http_issue(apps[str(person.pk)])
        return services.issue_card_qr(person, person, device=binding).text

    texts = [""] * runs
    outcomes = [[("error", "no outcome")] * CLIENTS for _ in range(runs)]
    issue_errors: list[str] = []
    ready = threading.Barrier(CLIENTS + 1, timeout=300)
    done = threading.Barrier(CLIENTS + 1, timeout=300)

    def client(index: int) -> None:
        try:
            unconnected = ""
            for attempt in range(3):  # other test runs on this server may hold connections for a moment
                try:
                    connection.ensure_connection()
                    unconnected = ""
                    break
                except Exception as exc:
                    unconnected = f"no connection: {type(exc).__name__}: {exc}".strip()
                    time.sleep(1 + attempt)
            for run in range(runs):
                if index == 0:
                    try:
                        texts[run] = issue(run)
                    except Exception as exc:
                        issue_errors.append(f"{type(exc).__name__}: {exc}".strip())
                ready.wait()
                if unconnected:
                    outcomes[run][index] = ("error", unconnected)
                else:
                    try:
                        outcomes[run][index] = scan(texts[run])
                    except Exception as exc:  # anything else is a finding: keep its exact words
                        outcomes[run][index] = ("error", f"{type(exc).__name__}: {exc}".strip())
                done.wait()
        finally:
            connections.close_all()

    connections.close_all()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    seconds = []
    for _run in range(runs):
        ready.wait()
        started = time.perf_counter()
        done.wait()
        seconds.append(time.perf_counter() - started)
    for thread in threads:
        thread.join()
    successes, refusals, errors = [], Counter(), Counter(issue_errors)
    for run_outcomes in outcomes:
        successes.append(sum(1 for kind, _ in run_outcomes if kind == "success"))
        refusals.update(reason for kind, reason in run_outcomes if kind == "refused")
        errors.update(detail for kind, detail in run_outcomes if kind == "error")
    return {
        "via": via,
        "runs": runs,
        "clients": CLIENTS,
        "exactly_one_success": sum(1 for n in successes if n == 1),
        "successes_per_run": successes,
        "refusals": dict(refusals),
        "errors": dict(errors),
        "run": _ms(seconds),
    }


# ---------------------------------------------------------------- the three configurations


def _postgres_database(action: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
            if action == "create":
                conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
        return True
    except Exception as exc:
        log(f"PostgreSQL skipped: {exc}")
        return False


def _run_child(configuration: str, database_url: str, shared: dict, redis_url: str = "", reuse: bool = False) -> dict:
    """One configuration in its own process; ``shared`` keys and photo folder let a later one reuse the database."""
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="healthbank.settings.test", **shared)
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    command = [sys.executable, str(Path(__file__).resolve()), "--child", configuration] + (["--reuse"] if reuse else [])
    log(f"[{configuration}] starting")
    started = time.perf_counter()
    out = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise SystemExit(f"vcard benchmark failed on {configuration} (its output is above)")
    figure = json.loads(out.stdout.strip().splitlines()[-1])
    figure["wall_s"] = round(time.perf_counter() - started, 1)
    return figure


def _table(figures: list[dict]) -> str:
    lines = [
        "| configuration | token sign+verify/s | services round trips/s | issue p50 / p95 ms | scan p50 / p95 ms "
        "| HTTP round trips/s | HTTP issue p50 / p95 ms | HTTP scan p50 / p95 ms | queue | replays exactly one "
        "(services, HTTP) | refusals |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in figures:
        s, h, rs, rh = f["services"], f["http"], f["replay_services"], f["replay_http"]
        refusals = Counter(rs["refusals"]) + Counter(rh["refusals"])
        queue = f["queue"]
        lines.append(
            f"| {f['configuration']} | {f['token']['sign_and_verify_per_s']:,} | {s['round_trips_per_s']} "
            f"| {s['issue']['median_ms']} / {s['issue']['p95_ms']} | {s['scan']['median_ms']} / {s['scan']['p95_ms']} "
            f"| {h['round_trips_per_s']} | {h['issue']['median_ms']} / {h['issue']['p95_ms']} "
            f"| {h['scan']['median_ms']} / {h['scan']['p95_ms']} "
            f"| {queue['outcomes'].get('success', 0)}/{queue['codes']} "
            f"| {rs['exactly_one_success']}/{rs['runs']}, {rh['exactly_one_success']}/{rh['runs']} "
            f"| {', '.join(f'{k} {v}' for k, v in sorted(refusals.items()))} |"
        )
    return "\n".join(lines)


def main() -> None:
    sys.path.insert(0, str(HERE.parent))
    from healthbank.settings.keys import new_keys

    keys = json.dumps(new_keys())  # one set for all three processes (the test settings make new ones each)
    figures = []
    with tempfile.TemporaryDirectory(prefix="vcard-bench-") as tmp:
        shared = {"BENCH_VCARD_KEYS": keys, "BENCH_VCARD_PHOTO_DIR": f"{tmp}/sqlite-photos"}
        figures.append(_run_child("sqlite", f"sqlite:///{tmp}/vcard.sqlite3", shared))
        if _postgres_database("create"):
            database_url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{PG_BENCH_DB}"
            shared["BENCH_VCARD_PHOTO_DIR"] = f"{tmp}/postgresql-photos"
            try:
                figures.append(_run_child("postgresql", database_url, shared))
                figures.append(_run_child("postgresql+redis", database_url, shared, REDIS_URL, reuse=True))
            finally:
                _postgres_database("drop")
    log(_table(figures))
    failed = []
    for f in figures:
        for replay in (f["replay_services"], f["replay_http"]):
            if replay["exactly_one_success"] != replay["runs"]:
                runs = replay["successes_per_run"]
                failed.append(f"{f['configuration']} via {replay['via']}: successes per run {runs}")
            if replay["errors"]:
                log(f"{f['configuration']} via {replay['via']}: errors {replay['errors']}")
        if f["queue"]["outcomes"].get("success", 0) != f["queue"]["codes"]:
            log(f"{f['configuration']}: queued codes refused: {f['queue']['outcomes']}")
    print(json.dumps({"figure": "vcard", "configurations": figures, "replays_failed": failed}, ensure_ascii=False))
    if failed:
        log("REPLAY CHECK FAILED (more or fewer than one success):\n" + "\n".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], reuse="--reuse" in sys.argv[3:])
    else:
        main()
