"""The registration pages, driven as a browser without JavaScript would (the card proof posted directly)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from healthbank.accounts.models import OnlineAccount
from tests.accounts.conftest import read_card


def proof_fields(card_number: str, purpose: str) -> dict:
    proof = read_card(card_number, purpose)
    return {
        "challenge": proof.challenge,
        "card_number": proof.card_number,
        "national_id": proof.national_id,
        "signature": proof.signature,
    }


def details(person, **changes) -> dict:
    a = person.address
    data = {
        "household_number": a.household_number,
        "county": a.county,
        "township": a.township,
        "village": a.village,
        "neighbourhood": a.neighbourhood,
        "password": "Hb-2026ok",
        "password_confirm": "Hb-2026ok",
        "mobile": person.mobile,
        "email": "me@example.tw",
    }
    data.update(changes)
    return data


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the e-mail tasks a request queues for after its commit, as soon as the request is done."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_the_whole_flow_in_english(client, adult, on_commit):
    assert "Terms of service" in client.get("/en/register/").content.decode()
    assert client.post("/en/register/", {"accept": "on"}).status_code == 302
    card = adult.cards[-1].card_number
    response = client.post("/en/register/card/", proof_fields(card, "register"))
    assert response.status_code == 302 and response.url.endswith("/register/details/")
    page = client.get("/en/register/details/").content.decode()
    assert adult.name in page  # the card holder's name appears after the card is read
    with on_commit():
        response = client.post("/en/register/details/", details(adult))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "me@example.tw" in client.get(response.url).content.decode()
    link = re.search(r"http://[^\s]+/register/confirm/[\w-]+/", mail.outbox[0].body).group(0)
    path = link.split("127.0.0.1:8000", 1)[1]
    assert "Read your NHI card once more" in client.get(path).content.decode()
    page = client.post(path, proof_fields(card, "confirm")).content.decode()
    assert "Registration complete" in page
    assert OnlineAccount.objects.get().status == "active"
    assert client.get(path).status_code == 410  # the link worked once


def test_chinese_is_the_default(client, adult):
    page = client.get("/register/").content.decode()
    assert "服務條款" in page and "健保卡網路服務註冊" in page


def test_details_need_a_card_read_first(client, world):
    client.post("/register/", {"accept": "on"})
    assert client.get("/register/details/").url.endswith("/register/card/")


def test_a_bad_card_answer_is_shown_and_nothing_is_kept(client, adult):
    client.post("/en/register/", {"accept": "on"})
    fields = proof_fields(adult.cards[-1].card_number, "register")
    fields["signature"] = fields["signature"][::-1]
    page = client.post("/en/register/card/", fields).content.decode()
    assert "could not be verified" in page
    assert client.get("/en/register/details/").status_code == 302


def test_wrong_address_and_weak_details_are_shown_by_field(client, adult):
    client.post("/en/register/", {"accept": "on"})
    client.post("/en/register/card/", proof_fields(adult.cards[-1].card_number, "register"))
    page = client.post(
        "/en/register/details/", details(adult, neighbourhood=adult.address.neighbourhood + 1, password_confirm="x")
    ).content.decode()
    assert "do not match the household registry" in page
    assert "The two passwords are not the same." in page
    assert not OnlineAccount.objects.exists() and not mail.outbox


def test_resend_and_cancel_after_reading_the_card(client, adult, on_commit):
    client.post("/en/register/", {"accept": "on"})
    card = adult.cards[-1].card_number
    client.post("/en/register/card/", proof_fields(card, "register"))
    with on_commit():
        client.post("/en/register/details/", details(adult))
        page = client.post("/en/register/pending/", {"action": "resend", **proof_fields(card, "resend")})
    page = page.content.decode()
    assert "A new confirmation e-mail" in page and len(mail.outbox) == 2
    page = client.post("/en/register/pending/", {"action": "cancel", **proof_fields(card, "cancel")}).content.decode()
    assert "has been cancelled" in page
    assert not OnlineAccount.objects.exists()


def test_address_options_cascade(client, world):
    townships = client.get("/register/places.json", {"county": "臺北市"}).json()["options"]
    assert "中正區" in townships and len(townships) == 12
    villages = client.get("/register/places.json", {"county": "臺北市", "township": "中正區"}).json()["options"]
    assert villages
    assert client.get("/register/places.json", {"county": "火星"}).json() == {"options": []}


def test_challenges_are_only_for_known_purposes(client, world):
    assert client.post("/card/challenge", {"purpose": "register"}).status_code == 200
    assert client.post("/card/challenge", {"purpose": "launch"}).status_code == 400
