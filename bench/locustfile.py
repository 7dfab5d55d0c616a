"""The load test's users (Locust; run by bench/load.py, which passes LOAD_CAST, the file bench/load_setup.py wrote).

The mix (weights are Locust user weights; every user runs its tasks back to back, ``LOAD_THINK`` seconds of
think time at most between two, 0 by default: a closed loop that measures what the service can take):

- ``Citizen`` (4): logs in on the web (national ID, card number, password, captcha: the load environment's
  captcha test mode) and browses the passbook: home, outpatient visits, medication, lab results (charts),
  follow-up (charts), ``/me/``; now and then logs out and in again.
- ``AppUser`` (3): verifies its device once (a web session generates a device verification code on
  ``/me/devices/``, the app binds with it: ``POST /api/app/v1/devices/bind``), then logs in with national ID,
  password and the device credential for a token and asks for the passbook summary, ``/me`` and the
  outpatient list; logs in again for a new token now and then.
- ``Institution`` (1): a clinic posting batches of ``LOAD_BATCH`` (20) visits (diagnosis, drug order,
  consultation) with its API key to ``/api/ingest/v1/visits``; every record id is new, and a batch that was
  not acknowledged is sent again as it was (``LOAD_LEDGER``: a file of the ids sent and acknowledged).
- ``KioskVisitor`` (1): at ``/kiosk/``, the card (its simulated key) signs the server's challenge, the
  household number opens a read-only session, the passbook home is read, the session ends.

``Ceiling``: a logged-in citizen asking for ``/me/`` (the smallest logged-in page) and nothing else; the
second run measures it alone. Each user sends its own client address in ``X-Forwarded-For`` (the load
environment trusts the load generator as its proxy), so the per-address limits count people, not the test.
Every answer other than the expected one is a failure (Locust's count of errors). A citizen whose login failed
logs in again before the next page, an app user without a device credential or token gets them again.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import random
import re
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from locust import HttpUser, between, constant, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from cardagent.proof import proof_message

CAST = json.loads(open(os.environ["LOAD_CAST"], encoding="utf-8").read())
THINK = float(os.environ.get("LOAD_THINK", "0"))
BATCH = int(os.environ.get("LOAD_BATCH", "20"))
RUN = os.environ.get("LOAD_RUN", str(int(time.time())))
LEDGER = os.environ.get("LOAD_LEDGER", "")  # bench/faults.py: every record id sent and acknowledged

_citizens = itertools.count()  # each user its own person (a device binding disables the person's other devices)
_kiosk = itertools.count()
_addresses = itertools.count(1)
_records = itertools.count(1)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CAPTCHA = re.compile(r'name="captcha_0" value="([^"]+)"')
DEVICE_CODE = re.compile(r'<p class="code"><code>([^<]+)</code>')


def wait():
    return between(0, THINK) if THINK > 0 else constant(0)


def field(pattern: re.Pattern, text: str) -> str:
    found = pattern.search(text)
    return found.group(1) if found else ""


class Visitor(HttpUser):
    abstract = True
    wait_time = wait()

    def on_start(self) -> None:
        n = next(_addresses)
        self.client.headers["X-Forwarded-For"] = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"

    def expect(self, response, *statuses: int, contains: str = "") -> bool:
        """Mark the answer a failure unless its status is one of ``statuses`` (and it holds ``contains``)."""
        if response.status_code not in statuses:
            response.failure(f"{response.status_code} (expected {'/'.join(map(str, statuses))})")
            return False
        if contains and contains not in response.text:
            response.failure(f"no {contains!r} in the answer")
            return False
        response.success()
        return True

    def get(self, path: str, name: str, *statuses: int, **kwargs):
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False, **kwargs) as response:
            self.expect(response, *(statuses or (200,)))
            return response

    def post(self, path: str, name: str, data, *statuses: int, **kwargs):
        with self.client.post(
            path, data=data, name=name, catch_response=True, allow_redirects=False, **kwargs
        ) as response:
            self.expect(response, *(statuses or (200,)))
            return response

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")


class WebLogin(Visitor):
    """A registered citizen on the web: the login form (captcha in the load environment's test mode)."""

    abstract = True

    def on_start(self) -> None:
        super().on_start()
        citizens = CAST["citizens"]
        self.citizen = citizens[next(_citizens) % len(citizens)]
        self.person = self.citizen["person"]
        self.log_in()

    def log_in(self) -> bool:
        page = self.get("/login/", "/login/ (form)")
        data = {
            "csrfmiddlewaretoken": field(CSRF, page.text),
            "national_id": self.citizen["national_id"],
            "card_number": self.citizen["card_number"],
            "password": CAST["password"],
            "captcha_0": field(CAPTCHA, page.text),
            "captcha_1": "PASSED",
        }
        response = self.post("/login/", "/login/ (post)", data, 302)
        self.logged_in = response.status_code == 302
        return self.logged_in

    def log_out(self) -> None:
        self.post("/logout/", "/logout/", {"csrfmiddlewaretoken": self.csrf()}, 302)
        self.logged_in = False

    def page(self, path: str, name: str):
        """A page of the logged-in citizen: logs in first when the last login failed (a person tries again)."""
        if self.logged_in or self.log_in():
            self.get(path, name)


class Citizen(WebLogin):
    weight = 4

    @task(4)
    def home(self):
        self.page(f"/passbook/{self.person}/", "/passbook/[id]/ (home)")

    @task(2)
    def outpatient(self):
        self.page(f"/passbook/{self.person}/outpatient/", "/passbook/[id]/outpatient/")

    @task(2)
    def medication(self):
        self.page(f"/passbook/{self.person}/medication/", "/passbook/[id]/medication/")

    @task(2)
    def labs(self):
        self.page(f"/passbook/{self.person}/labs/", "/passbook/[id]/labs/ (charts)")

    @task(1)
    def follow_up(self):
        self.page(f"/passbook/{self.person}/follow-up/", "/passbook/[id]/follow-up/ (charts)")

    @task(1)
    def me(self):
        self.page("/me/", "/me/")

    @task(1)
    def again(self):
        if self.logged_in:
            self.log_out()
        self.log_in()


class AppUser(WebLogin):
    weight = 3

    def on_start(self) -> None:
        super().on_start()  # the web session that makes the device verification code
        self.credential = self.token = ""
        self.verify_device()
        self.app_login()

    def verify_device(self) -> None:
        """A device verification code from the web page, then the app binds with it: the device credential."""
        if not (self.logged_in or self.log_in()):
            return
        data = {"csrfmiddlewaretoken": self.csrf(), "action": "generate"}
        self.post("/me/devices/", "/me/devices/ (generate code)", data, 302)
        code = field(DEVICE_CODE, self.get("/me/devices/", "/me/devices/").text)
        self.log_out()
        body = {"code": code, "platform": "Android", "model": "Load", "device_identifier": f"load-{self.person}"}
        with self.client.post(
            "/api/app/v1/devices/bind", json=body, name="/api/app/v1/devices/bind", catch_response=True
        ) as response:
            if self.expect(response, 201):
                self.credential = response.json()["credential"]

    def app_login(self) -> bool:
        if not self.credential:
            self.verify_device()
        if not self.credential:
            return False
        body = {
            "national_id": self.citizen["national_id"],
            "password": CAST["password"],
            "device_credential": self.credential,
        }
        with self.client.post(
            "/api/app/v1/login", json=body, name="/api/app/v1/login", catch_response=True
        ) as response:
            if self.expect(response, 200):
                self.token = response.json()["token"]
                self.client.headers["Authorization"] = f"Token {self.token}"
        return bool(self.token)

    def api(self, path: str, name: str) -> None:
        if self.token or self.app_login():
            self.get(path, name)

    @task(5)
    def summary(self):
        self.api(f"/api/app/v1/passbook/{self.person}/summary", "/api/app/v1/passbook/[id]/summary")

    @task(2)
    def outpatient(self):
        self.api(f"/api/app/v1/passbook/{self.person}/outpatient", "/api/app/v1/passbook/[id]/outpatient")

    @task(2)
    def me(self):
        self.api("/api/app/v1/me", "/api/app/v1/me")

    @task(1)
    def again(self):
        self.app_login()


def note(what: str, records: list[dict]) -> None:
    if LEDGER:
        with open(LEDGER, "a", encoding="utf-8") as ledger:
            ledger.write("".join(f"{what} {r['record_id']}\n" for r in records))


class Institution(Visitor):
    """A clinic's upload job: a batch is sent again until it is acknowledged, as the API asks after a 503."""

    weight = 1

    def on_start(self) -> None:
        super().on_start()
        self.institution = random.choice(CAST["institutions"])
        self.client.headers["Authorization"] = f"Bearer {self.institution['key']}"
        self.client.headers["Accept-Language"] = "en"
        self.pending: list[dict] = []

    def new_batch(self) -> list[dict]:
        codes = CAST["codes"]
        drug = {"drug_code": codes["drug"], "days_supplied": 3, "quantity": "9", "frequency": "TID"}
        return [
            {
                "record_id": f"LOAD-{RUN}-{next(_records)}",
                "national_id": patient["national_id"],
                "card_number": patient["card_number"],
                "institution": self.institution["code"],
                "kind": "western",
                "visit_date": CAST["visit_date"],
                "card_sequence": "0001",
                "copayment": 50,
                "points": 420,
                "diagnoses": [codes["icd"]],
                "drug_orders": [drug],
                "non_drug_orders": [{"payment_code": codes["payment"]}],
            }
            for patient in random.sample(CAST["patients"], min(BATCH, len(CAST["patients"])))
        ]

    @task
    def batch(self):
        if not self.pending:
            self.pending = self.new_batch()
            note("sent", self.pending)
        with self.client.post(
            "/api/ingest/v1/visits", json={"records": self.pending}, name="/api/ingest/v1/visits", catch_response=True
        ) as response:
            if self.expect(response, 200, 201):
                note("ack", self.pending)
                self.pending = []


class KioskVisitor(Visitor):
    weight = 1

    @task
    def session(self):
        people = CAST["kiosk"]
        person = people[next(_kiosk) % len(people)]
        self.client.cookies.clear()
        self.get("/kiosk/", "/kiosk/")
        challenge = ""
        with self.client.post(
            "/card/challenge",
            data={"purpose": "kiosk"},
            headers={"X-CSRFToken": self.csrf()},
            name="/card/challenge",
            catch_response=True,
        ) as response:
            if self.expect(response, 200):
                challenge = response.json()["challenge"]
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(person["private_key"]))
        signature = key.sign(proof_message(challenge or "x" * 16, person["card_number"], person["national_id"]))
        data = {
            "csrfmiddlewaretoken": self.csrf(),
            "challenge": challenge,
            "card_number": person["card_number"],
            "national_id": person["national_id"],
            "signature": base64.b64encode(signature).decode(),
            "household_number": person["household_number"],
        }
        if self.post("/kiosk/", "/kiosk/ (card and household number)", data, 302).status_code != 302:
            return
        self.get("/me/", "/me/ (kiosk)")
        self.get(f"/passbook/{person['person']}/", "/passbook/[id]/ (kiosk)")
        self.post("/logout/", "/logout/ (kiosk)", {"csrfmiddlewaretoken": self.csrf()}, 302)


class Ceiling(WebLogin):
    """The minimal logged-in page, alone: the ceiling the mixed throughput is set against."""

    wait_time = constant(0)

    @task
    def me(self):
        self.get("/me/", "/me/")
