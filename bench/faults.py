"""make faults: the load test's mix while its dependencies fail (issue 12, "Faults"), then the counts.

Set up as ``make load`` does (bench/load.py: a fresh ``healthbank_load``, ``FAULTS_PEOPLE`` (500) people, Redis
database 7, gunicorn with ``LOAD_WORKERS`` workers and a Celery worker on loopback, ``healthbank.settings.load``),
then Locust runs the mix (``LOAD_USERS`` users) for the whole scenario while this script, in turn:

1. **kills a gunicorn worker** (SIGKILL; the master starts another);
2. **stops Redis** (``SHUTDOWN NOSAVE``; it keeps nothing on disk on this machine) for ``FAULTS_AWAY`` (10) s and
   starts it again with the same options it ran with (bind, port, directory, persistence, read from it first);
3. **restarts PostgreSQL** (``pg_ctlcluster <version> <cluster> restart``, its fast shutdown) — every
   connection is cut and for a moment nothing answers.

Meanwhile a probe (one HTTP client, 5 requests a second) asks for a web login and a kiosk login; while Redis is
away it also answers, once, a card challenge fetched before Redis went away (a one-time token: it must not
open a session while Redis cannot tell whether it was used). Afterwards it counts:

- **records**: every visit a clinic sent (the Locust ledger: each batch is sent again until it is acknowledged,
  as the API asks after a 503) against the database: acknowledged but missing (lost), stored more than once
  (by source record id; also their diagnoses and orders), sent but never acknowledged;
- **answers**: every status gunicorn wrote in its access log, per phase (5xx must be 503, never 500), and the
  probe's answers per phase; connections cut by the killed worker or the restart (Locust's status 0);
- **logins resume**: the seconds from each dependency's return to the probe's first successful web login, and
  Locust's logins in the last phase;
- **one-time tokens**: the challenge's answers while Redis was away and after (never a session).

Redis and PostgreSQL are always left running (a ``finally`` starts whichever it stopped); the script checks
``pg_isready`` and ``PING`` at the end and says so. It exits 1 when a count is wrong.
"""

from __future__ import annotations

import base64
import collections
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LOAD_PEOPLE", os.environ.get("FAULTS_PEOPLE", "500"))

import load

from cardagent.proof import proof_message

AWAY = float(os.environ.get("FAULTS_AWAY", "10"))
SETTLE = float(os.environ.get("FAULTS_SETTLE", "20"))  # seconds of plain load before, between and after faults
_redis_at = urlsplit(load.REDIS_URL)
REDIS_ADMIN = redis.Redis(host=_redis_at.hostname, port=_redis_at.port or 6379, socket_connect_timeout=2)
PG_PORT = str(urlsplit(load.PG_ADMIN_URL).port or 5432)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CAPTCHA = re.compile(r'name="captcha_0" value="([^"]+)"')
OUTAGE_MESSAGE = "健康存摺暫時無法連上所需的系統"  # core.outage.outage_message in Chinese, the pages' default

log = load.log


# --- the dependencies --------------------------------------------------------------------------------------------


def postgres_ready() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", PG_PORT, "-q"], check=False).returncode == 0


def redis_cli(*args: str) -> subprocess.CompletedProcess:
    """redis-cli against the load test's Redis (one attempt: redis-py's client retries a refused connection)."""
    where = ["-h", _redis_at.hostname or "127.0.0.1", "-p", str(_redis_at.port or 6379)]
    return subprocess.run(["redis-cli", *where, *args], capture_output=True, text=True, timeout=10, check=False)


def redis_ready() -> bool:
    return redis_cli("ping").stdout.strip() == "PONG"


def postgres_cluster() -> tuple[str, str]:
    """(version, cluster) of the cluster on the load test's port, from pg_lsclusters."""
    for line in subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout.splitlines():
        version, cluster, port, *_ = line.split()
        if port == PG_PORT:
            return version, cluster
    sys.exit(f"no PostgreSQL cluster on port {PG_PORT} (pg_lsclusters)")


class RedisServer:
    """Stops the local Redis and starts it again with the options it was running with."""

    def __init__(self) -> None:
        config = {}
        for name in ("bind", "port", "dir", "save", "appendonly", "databases", "protected-mode", "daemonize"):
            config.update({k: v for k, v in REDIS_ADMIN.config_get(name).items()})
        self.config = config
        self.stopped = False

    def command(self) -> list[str]:
        c = self.config
        return [
            "redis-server", "--bind", *c["bind"].split(), "--port", c["port"], "--dir", c["dir"],
            "--save", c["save"], "--appendonly", c["appendonly"], "--databases", c["databases"],
            "--protected-mode", c["protected-mode"], "--daemonize", "yes",
        ]  # fmt: skip

    def stop(self) -> None:
        self.stopped = True
        redis_cli("shutdown", "nosave")
        deadline = time.monotonic() + 10
        while redis_ready() and time.monotonic() < deadline:
            time.sleep(0.1)

    def start(self) -> None:
        if redis_ready():
            self.stopped = False
            return
        subprocess.run(self.command(), check=True)
        deadline = time.monotonic() + 15
        while not redis_ready() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.stopped = not redis_ready()


def ensure_running(server: RedisServer | None) -> dict:
    """Whatever happened, leave PostgreSQL and Redis running; say whether they answer."""
    if not postgres_ready():
        version, cluster = postgres_cluster()
        subprocess.run(["pg_ctlcluster", version, cluster, "start"], check=False)
    if server is not None and not redis_ready():
        server.start()
    deadline = time.monotonic() + 30
    while not (postgres_ready() and redis_ready()) and time.monotonic() < deadline:
        time.sleep(0.5)
    return {"postgres_ready": postgres_ready(), "redis_ping": redis_ready()}


# --- the probe ---------------------------------------------------------------------------------------------------


class Probe(threading.Thread):
    """One client, 5 requests a second: a web login (fresh session), or a kiosk login; answers per phase."""

    def __init__(self, port: int, cast: dict) -> None:
        super().__init__(daemon=True)
        self.base = f"http://127.0.0.1:{port}"
        self.cast = cast
        self.phase = "before"
        self.answers: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.login_ok: list[tuple[float, str]] = []
        self.halt = threading.Event()
        self.n = 0
        self.outage_answers: collections.Counter = collections.Counter()

    def session(self) -> requests.Session:
        s = requests.Session()
        s.headers["X-Forwarded-For"] = f"10.250.{self.n // 250 % 250}.{self.n % 250 + 1}"
        self.n += 1
        return s

    def web_login(self) -> int:
        s = self.session()
        citizen = self.cast["citizens"][self.n % len(self.cast["citizens"])]
        page = s.get(f"{self.base}/login/", timeout=10)
        if page.status_code != 200:
            return self.told(page)
        data = {
            "csrfmiddlewaretoken": (CSRF.search(page.text) or [None, ""])[1],
            "national_id": citizen["national_id"],
            "card_number": citizen["card_number"],
            "password": self.cast["password"],
            "captcha_0": (CAPTCHA.search(page.text) or [None, ""])[1],
            "captcha_1": "PASSED",
        }
        answer = s.post(f"{self.base}/login/", data=data, allow_redirects=False, timeout=10)
        return self.told(answer)

    def told(self, answer: requests.Response) -> int:
        """The status; a 503 is also counted by whether it says when to come back and why (the outage message)."""
        if answer.status_code == 503:
            clear = bool(answer.headers.get("Retry-After")) and OUTAGE_MESSAGE in answer.text
            self.outage_answers["with Retry-After and the message" if clear else "without"] += 1
        return answer.status_code

    def run(self) -> None:
        while not self.halt.is_set():
            phase = self.phase
            try:
                status = self.web_login()
            except requests.RequestException:
                status = 0
            self.answers[phase][str(status)] += 1
            if status == 302:
                self.login_ok.append((time.monotonic(), phase))
            self.halt.wait(0.2)

    def challenge(self, session: requests.Session) -> tuple[int, str]:
        page = session.get(f"{self.base}/kiosk/", timeout=10)
        answer = session.post(
            f"{self.base}/card/challenge",
            data={"purpose": "kiosk"},
            headers={"X-CSRFToken": session.cookies.get("csrftoken", "")},
            timeout=10,
        )
        del page
        return answer.status_code, answer.json().get("challenge", "") if answer.status_code == 200 else ""

    def kiosk_login(self, session: requests.Session, challenge: str) -> tuple[int, bool]:
        """Answer ``challenge`` with a kiosk person's card; (status, whether a session opened)."""
        person = self.cast["kiosk"][0]
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(person["private_key"]))
        signature = key.sign(proof_message(challenge, person["card_number"], person["national_id"]))
        page = session.get(f"{self.base}/kiosk/", timeout=10)
        data = {
            "csrfmiddlewaretoken": (CSRF.search(page.text) or [None, session.cookies.get("csrftoken", "")])[1],
            "challenge": challenge,
            "card_number": person["card_number"],
            "national_id": person["national_id"],
            "signature": base64.b64encode(signature).decode(),
            "household_number": person["household_number"],
        }
        answer = session.post(f"{self.base}/kiosk/", data=data, allow_redirects=False, timeout=10)
        opened = answer.status_code == 302 and session.get(f"{self.base}/me/", allow_redirects=False).status_code == 200
        return answer.status_code, opened


# --- the scenario ------------------------------------------------------------------------------------------------


def access_statuses(path: Path, marks: list[tuple[float, str]]) -> dict[str, dict[str, int]]:
    """Statuses from gunicorn's access log (its default format), per phase by the line's time."""
    import datetime as dt

    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    stamp = re.compile(r"\[(\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] \"[^\"]*\" (\d{3}) ")
    for line in path.read_text(errors="replace").splitlines():
        found = stamp.search(line)
        if not found:
            continue
        when = dt.datetime.strptime(found.group(1), "%d/%b/%Y:%H:%M:%S %z").timestamp()
        phase = "before"
        for started, name in marks:
            if when >= started:
                phase = name
        counts[phase][found.group(2)] += 1
    return {phase: dict(sorted(c.items())) for phase, c in counts.items()}


def record_counts(ledger: Path, run: str) -> dict:
    sent, acked = set(), set()
    for line in ledger.read_text().splitlines() if ledger.exists() else []:
        what, record = line.split(" ", 1)
        (sent if what == "sent" else acked).add(record)
    with psycopg.connect(load.DATABASE_URL, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT source_record_id, count(*) FROM records_visit WHERE source_record_id LIKE %s GROUP BY 1",
            (f"LOAD-{run}-%",),
        ).fetchall()
        children = {
            table: conn.execute(
                f"SELECT count(*) FROM {table} c JOIN records_visit v ON v.id = c.visit_id "
                "WHERE v.source_record_id LIKE %s",
                (f"LOAD-{run}-%",),
            ).fetchone()[0]
            for table in ("records_visitdiagnosis", "records_drugorder", "records_nondrugorder")
        }
    stored = {record: n for record, n in rows}
    return {
        "sent": len(sent),
        "acknowledged": len(acked),
        "stored": len(stored),
        "lost": len(acked - set(stored)),
        "stored_twice": sum(1 for n in stored.values() if n > 1),
        "sent_not_acknowledged": len(sent - acked),
        "sent_not_acknowledged_but_stored": len((sent - acked) & set(stored)),
        "stored_not_sent": len(set(stored) - sent),
        "rows_per_visit": {table: round(n / max(len(stored), 1), 3) for table, n in children.items()},
    }


def main() -> int:
    processes = load.Processes()
    server: RedisServer | None = None
    run = str(int(time.time()))
    ledger = load.VAR_DIR / "ledger.txt"
    marks: list[tuple[float, str]] = []
    results: dict = {"run": run}

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even when started with SIGINT ignored
    if not (postgres_ready() and redis_ready()):
        sys.exit("PostgreSQL and Redis must both answer before the faults start")
    try:
        load.fresh_database()
        results["population"] = load.populate()
        cast = json.loads((load.VAR_DIR / "cast.json").read_text())
        server = RedisServer()
        port = load.free_port()
        load.serve(processes, port)
        duration = int(4 * SETTLE + 2 * AWAY + 60)
        os.environ.update(LOAD_LEDGER=str(ledger), LOAD_RUN=run)
        locust = threading.Thread(
            target=load.locust,
            args=(
                processes,
                port,
                "faults",
                ["Citizen", "AppUser", "Institution", "KioskVisitor"],
                load.USERS,
                duration,
            ),
            daemon=True,
        )
        locust.start()
        probe = Probe(port, cast)
        probe.start()

        def phase(name: str) -> None:
            marks.append((time.time(), name))
            probe.phase = name
            log(f"phase: {name}")

        time.sleep(SETTLE)
        gunicorn = next(p for n, p in processes.started if n == "gunicorn")
        victim = load_children(gunicorn.pid)[0]
        phase("worker killed")
        os.kill(victim, signal.SIGKILL)
        results["killed_worker"] = victim
        time.sleep(SETTLE)

        kiosk = requests.Session()
        kiosk.headers["X-Forwarded-For"] = "10.251.0.1"
        status, challenge = probe.challenge(kiosk)
        tokens = {"challenge_before_outage": status}
        phase("redis away")
        server.stop()
        redis_stopped = time.monotonic()
        time.sleep(1)
        tokens["challenge_used_while_away"] = probe.kiosk_login(kiosk, challenge)
        tokens["new_challenge_while_away"] = probe.challenge(kiosk)[0]
        log(f"the one-time token tried while Redis is away: {tokens}")
        time.sleep(max(0.0, AWAY - (time.monotonic() - redis_stopped)))
        server.start()
        redis_back = time.monotonic()
        results["redis_away_seconds"] = round(redis_back - redis_stopped, 1)
        phase("redis back")
        tokens["challenge_used_after"] = probe.kiosk_login(kiosk, challenge)
        results["one_time_tokens"] = tokens
        time.sleep(SETTLE)

        version, cluster = postgres_cluster()
        phase("postgres restart")
        started = time.monotonic()
        subprocess.run(["pg_ctlcluster", version, cluster, "restart", "-m", "fast"], check=True)
        postgres_back = time.monotonic()
        results["postgres_restart_seconds"] = round(postgres_back - started, 1)
        phase("postgres back")
        time.sleep(SETTLE)
        phase("after")
        locust.join()
        probe.halt.set()
        probe.join()
        results["resumed_seconds"] = {
            what: next((round(t - back, 1) for t, _p in probe.login_ok if t >= back), None)
            for what, back in (("redis", redis_back), ("postgres", postgres_back))
        }
    except KeyboardInterrupt:
        log("interrupted: stopping what was started")
        return 130
    finally:
        processes.stop()
        results["left_running"] = ensure_running(server)
        log(f"left running: {results['left_running']}")
    results["probe"] = {phase: dict(c) for phase, c in probe.answers.items()}
    results["probe_503s"] = dict(probe.outage_answers)
    results["access_log"] = access_statuses(load.VAR_DIR / "access.log", marks)
    results["records"] = record_counts(ledger, run)
    stats = load.read_stats(load.VAR_DIR / "faults_stats.csv")
    results["locust"] = {name: {k: row[k] for k in ("requests", "errors")} for name, row in stats.items()}
    results["locust_failures"] = load.failures("faults")
    (load.HERE / "results").mkdir(exist_ok=True)
    (load.HERE / "results" / "faults.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(report(results))
    return 0 if verdict(results) else 1


def load_children(pid: int) -> list[int]:
    return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def verdict(results: dict) -> dict[str, bool]:
    records, tokens = results["records"], results["one_time_tokens"]
    five_hundreds = sum(n for counts in results["access_log"].values() for s, n in counts.items() if s == "500")
    return {
        "no record lost": records["lost"] == 0,
        "no record stored twice": records["stored_twice"] == 0
        and all(v == 1 for v in records["rows_per_visit"].values()),
        "nothing stored that was not sent": records["stored_not_sent"] == 0,
        "logins resume": all(v is not None for v in results["resumed_seconds"].values()),
        "one-time token refused while Redis is away": tokens["challenge_used_while_away"] == [503, False]
        or not tokens["challenge_used_while_away"][1],
        "one-time token refused after Redis is back": not tokens["challenge_used_after"][1],
        "503, never 500": five_hundreds == 0,
        "every 503 says when to come back and why": not results["probe_503s"].get("without"),
        "Redis and PostgreSQL left running": all(results["left_running"].values()),
    }


def report(results: dict) -> str:
    lines = [f"faults run {results['run']}: {results['population']['people']} people"]
    lines.append("records: " + ", ".join(f"{k} {v}" for k, v in results["records"].items()))
    lines.append(f"one-time tokens: {results['one_time_tokens']}")
    lines.append(f"logins resumed (s after the dependency returned): {results['resumed_seconds']}")
    lines.append(
        f"Redis away {results['redis_away_seconds']} s; PostgreSQL restart took {results['postgres_restart_seconds']} s"
    )
    lines.append("gunicorn's answers per phase (status: count; by the second of the access-log line):")
    for phase, counts in results["access_log"].items():
        lines.append(f"  {phase:18} {counts}")
    lines.append("the probe's web logins per phase (status: count; 0 = connection failed):")
    for phase, counts in results["probe"].items():
        lines.append(f"  {phase:18} {counts}")
    lines.append(f"the probe's 503s: {results['probe_503s']}")
    lines.append(f"locust: {results['locust'].get('all')}")
    for failure in results["locust_failures"]:
        lines.append(f"  {failure['count']}×: {failure['method']} {failure['name']}: {failure['error'][:100]}")
    for check, ok in verdict(results).items():
        lines.append(f"{'ok  ' if ok else 'FAIL'} {check}")
    lines.append(f"left running: {results['left_running']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
