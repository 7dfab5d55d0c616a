"""The demo printout names the township offices' open requests and where the operator decides them (issue 11)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from healthbank.demo.township import describe_township_requests
from healthbank.staff import roles
from tests.insurance.test_township import _document_dirs, ask, at, staff_client, villager  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_printout_lists_the_waiting_requests_masked_with_a_queue_that_opens(
    villager,  # noqa: F811
    django_user_model,
    time_machine,
):
    assert describe_township_requests("http://127.0.0.1:8000", "operator") == []  # nothing waits: no line
    at(time_machine, dt.date(2026, 11, 20))
    ask(villager.wife, "suspend", by=villager, reason="missing", event_on="2026-11-10")
    lines = describe_township_requests("http://127.0.0.1:8000", "operator")
    assert "1 requests wait at http://127.0.0.1:8000/admin/insurance/townshiprequest/" in lines[0]
    assert roles.TOWNSHIP_OFFICERS in lines[0]
    assert "林○華" in lines[1] and "suspend" in lines[1] and villager.wife.national_id not in "".join(lines)
    officer, _user = staff_client(django_user_model, roles.TOWNSHIP_OFFICERS)
    queue = lines[0].split(" wait at http://127.0.0.1:8000")[1].split()[0]
    assert "林○華" in officer.get(queue).content.decode()
    assert Client().get(queue).status_code == 302  # the queue itself asks for the operator's login
