"""Citizen certificate + PIN login, and the self-service kiosk (SPEC §4), with a moving clock."""

from __future__ import annotations

import base64
import csv
import datetime as dt

import pytest
from django.conf import settings

from cardagent.certificate import SimulatedCertificate
from healthbank import policy
from healthbank.accounts.models import OnlineAccount
from healthbank.demo.world import DEMO_CERTIFICATE_PIN
from healthbank.external import adapter, certificates, reset_adapters
from healthbank.identity.card_proof import CERTIFICATE_PURPOSE, issue_challenge
from healthbank.identity.models import Person
from tests.accounts.conftest import read_card


@pytest.fixture
def holder(world):
    """An adult with a citizen certificate."""
    return next(p for p in world.people if p.certificate_serial)


def certificate_fields(person, challenge=None) -> dict:
    challenge = challenge or issue_challenge(CERTIFICATE_PURPOSE)
    card = SimulatedCertificate(settings.EXTERNAL_DATA_DIR / "certificates" / f"{person.certificate_serial}.json")
    serial, signature = card.sign(challenge, DEMO_CERTIFICATE_PIN)
    return {"challenge": challenge, "serial": serial, "signature": base64.b64encode(signature).decode()}


def test_a_certificate_holder_logs_in_without_any_registration(client, holder):
    response = client.post("/en/login/certificate/", certificate_fields(holder))
    assert response.status_code == 302 and response.url.endswith("/me/")
    page = client.get("/en/me/")
    assert holder.name[0] + "○" in page.content.decode()
    assert "no NHI card online-service registration" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert client.get("/en/me/password/").status_code == 403  # a password belongs to a registration
    assert client.get("/en/me/devices/").status_code == 200


def test_a_registered_certificate_holder_reaches_their_account(client, holder):
    person = Person.objects.by_national_id(holder.national_id).get()
    OnlineAccount.objects.create(person=person, status="active", channel="online", email="c@example.tw",
                                 password="x", created_at=person.created_at)  # fmt: skip
    client.post("/en/login/certificate/", certificate_fields(holder))
    assert "c@example.tw" in client.get("/en/me/contacts/").content.decode()


def test_a_replayed_certificate_answer_is_refused(client, holder):
    fields = certificate_fields(holder)
    assert client.post("/en/login/certificate/", fields).status_code == 302
    client.post("/en/logout/")
    page = client.post("/en/login/certificate/", fields).content.decode()
    assert "expired" in page and client.get("/en/me/").status_code == 302


def test_a_revoked_certificate_is_refused(client, holder):
    path = settings.EXTERNAL_DATA_DIR / certificates.FILE_NAME
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    for row in rows:
        if row["serial"] == holder.certificate_serial:
            row["revoked"] = "1"
    certificates.write(settings.EXTERNAL_DATA_DIR, rows)
    reset_adapters()
    page = client.post("/en/login/certificate/", certificate_fields(holder)).content.decode()
    assert "revoked" in page
    assert client.get("/en/me/").status_code == 302


def test_a_signature_for_another_challenge_is_refused_and_guessing_is_throttled(client, holder):
    fields, address = certificate_fields(holder), "10.77.0.1"
    for _ in range(policy.LOGIN_MAX_FAILURES_PER_SOURCE):
        forged = {**fields, "challenge": issue_challenge(CERTIFICATE_PURPOSE)}
        page = client.post("/en/login/certificate/", forged, REMOTE_ADDR=address).content.decode()
        assert "could not be verified" in page
    page = client.post("/en/login/certificate/", certificate_fields(holder), REMOTE_ADDR=address).content.decode()
    assert "Too many failed attempts" in page


def test_a_suspended_registration_cannot_log_in_by_certificate(client, holder):
    person = Person.objects.by_national_id(holder.national_id).get()
    OnlineAccount.objects.create(person=person, status="suspended", channel="online", email="c@example.tw",
                                 created_at=person.created_at)  # fmt: skip
    assert "suspended" in client.post("/en/login/certificate/", certificate_fields(holder)).content.decode()


# ------------------------------------------------------------------------------------------------- kiosk


def kiosk_fields(person, household_number=None) -> dict:
    proof = read_card(person.cards[-1].card_number, "kiosk")
    household = household_number or adapter("household_registry").household_of(person.national_id)
    return {"challenge": proof.challenge, "card_number": proof.card_number, "national_id": proof.national_id,
            "signature": proof.signature, "household_number": household}  # fmt: skip


def test_at_the_kiosk_card_and_household_number_open_a_read_only_session(client, adult):
    response = client.post("/en/kiosk/", kiosk_fields(adult))
    assert response.status_code == 302
    page = client.get("/en/me/")
    assert "Kiosk session" in page.content.decode() and "no-store" in page["Cache-Control"]
    assert "Kiosk session" in client.get("/en/me/access-log/").content.decode()  # every kiosk page signs out alone
    assert client.session.get_expiry_age() == int(policy.KIOSK_IDLE_TIMEOUT.total_seconds())
    for path in ("/en/me/devices/", "/en/me/contacts/", "/en/me/password/"):
        assert "Not available at a kiosk" in client.get(path).content.decode()
    ended = client.post("/en/logout/")
    assert ended.url.endswith("/kiosk/")  # ready for the next person
    assert client.get("/en/me/").status_code == 302 and not client.session.items()


@pytest.mark.parametrize("household_number", ["Z9999999", "戶號一二三四"])
def test_a_wrong_household_number_opens_nothing(client, adult, household_number):
    page = client.post("/en/kiosk/", kiosk_fields(adult, household_number=household_number)).content.decode()
    assert "does not match" in page
    assert client.get("/en/me/").status_code == 302


def test_a_kiosk_session_ends_after_idle_minutes_and_at_its_limit_however_busy(client, adult, time_machine):
    client.post("/en/kiosk/", kiosk_fields(adult))
    time_machine.shift(policy.KIOSK_IDLE_TIMEOUT + dt.timedelta(seconds=1))
    assert client.get("/en/me/").status_code == 302  # idle: gone

    client.post("/en/kiosk/", kiosk_fields(adult))
    step = policy.KIOSK_IDLE_TIMEOUT / 2
    for _ in range(int(policy.KIOSK_SESSION_LIMIT / step) - 1):
        time_machine.shift(step)
        assert client.get("/en/me/").status_code == 200  # each touch keeps it going
    time_machine.shift(step)
    assert client.get("/en/me/").status_code == 302  # the limit ends it anyway
