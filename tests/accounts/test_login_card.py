"""Web login with the card in the reader + password + captcha (SPEC §4)."""

from __future__ import annotations

import re

from captcha.models import CaptchaStore

from healthbank.accounts.models import OnlineAccount
from tests.accounts.conftest import PASSWORD, read_card


def attempt(client, person, password=PASSWORD, card=None, challenge=None, ip="10.2.3.4"):
    page = client.get("/en/login/card/").content.decode()
    key = re.search(r'name="captcha_0" value="([^"]+)"', page).group(1)
    proof = read_card(card or person.cards[-1].card_number, "login", challenge)
    data = {
        "challenge": proof.challenge,
        "card_number": proof.card_number,
        "national_id": proof.national_id,
        "signature": proof.signature,
        "password": password,
        "captcha_0": key,
        "captcha_1": CaptchaStore.objects.get(hashkey=key).response,
    }
    return client.post("/en/login/card/", data, REMOTE_ADDR=ip), proof


def test_card_and_password_log_in(client, registered):
    response, _ = attempt(client, registered)
    assert response.status_code == 302 and response.url.endswith("/me/")


def test_a_wrong_password_counts_against_the_account(client, registered):
    response, _ = attempt(client, registered, password="Wrong-2026")
    assert "The registration password is not correct." in response.content.decode()
    assert OnlineAccount.objects.get().failed_logins == 1


def test_a_replayed_card_answer_is_refused(client, registered):
    _, proof = attempt(client, registered)
    client.post("/en/logout/")
    response, _ = attempt(client, registered, challenge=proof.challenge)
    assert "read the card again" in response.content.decode()
    assert client.get("/en/me/").status_code == 302


def test_an_unregistered_card_is_told_to_register(client, registered, world):
    stranger = next(p for p in world.people if p is not registered)
    response, _ = attempt(client, stranger)
    assert "not registered for online services" in response.content.decode()
