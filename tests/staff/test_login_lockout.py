"""The staff login (django-axes): wrong passwords pause one user name at one address, for a while (SPEC §11)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from healthbank import policy

pytestmark = pytest.mark.django_db

HERE, ELSEWHERE = "192.0.2.10", "198.51.100.7"
PASSWORD = "a-long-staff-pass"


@pytest.fixture
def operator_user(django_user_model):
    return django_user_model.objects.create_user("op", password=PASSWORD, is_staff=True)


def sign_in(client: Client, password: str, address: str = HERE, language: str = ""):
    return client.post(
        f"{language}/admin/login/?next=/admin/", {"username": "op", "password": password}, REMOTE_ADDR=address
    )


def signed_in(client: Client) -> bool:
    return client.get("/admin/", REMOTE_ADDR=HERE).status_code == 200


def test_wrong_passwords_pause_the_login_even_for_the_right_password(operator_user):
    client = Client()
    for _ in range(policy.OPERATOR_LOGIN_MAX_FAILURES - 1):
        assert sign_in(client, "wrong-password").status_code == 200  # the form again, with its error
    assert sign_in(client, "wrong-password").status_code == 429  # the last failure allowed pauses the pair
    paused = sign_in(client, PASSWORD, language="/en")
    assert paused.status_code == 429
    assert "Try again in 15 minutes" in paused.content.decode()
    assert not signed_in(client)
    assert "請於 15 分鐘後再試" in sign_in(Client(), PASSWORD).content.decode()


def test_a_stranger_elsewhere_cannot_lock_the_operator_out(operator_user):
    stranger = Client()
    for _ in range(policy.OPERATOR_LOGIN_MAX_FAILURES + 3):
        sign_in(stranger, "guess", address=ELSEWHERE)
    assert sign_in(stranger, PASSWORD, address=ELSEWHERE).status_code == 429
    operator = Client()
    assert sign_in(operator, PASSWORD, address=HERE).status_code == 302
    assert signed_in(operator)


def test_the_pause_ends_by_itself(operator_user, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False)
    client = Client()
    for _ in range(policy.OPERATOR_LOGIN_MAX_FAILURES):
        sign_in(client, "wrong-password")
    assert sign_in(client, PASSWORD).status_code == 429
    time_machine.shift(policy.OPERATOR_LOGIN_COOL_OFF + dt.timedelta(minutes=1))
    assert sign_in(client, PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_user_name_longer_than_any_is_a_form_error_not_a_500(operator_user):
    """100,000 characters went to authentication and into django-axes' 255-character column (500 on PostgreSQL)."""
    from axes.models import AccessAttempt

    response = Client().post("/en/admin/login/?next=/admin/", {"username": "o" * 100_000, "password": "x"},
                             REMOTE_ADDR=HERE)  # fmt: skip
    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    assert not AccessAttempt.objects.exists()  # no login was attempted, so nothing was counted or stored
