"""`generate_population --demo-logins`, as `make demo` runs it."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management import call_command

from healthbank.identity.models import InsuranceUnit, Person
from healthbank.records.auth import client_for_key

pytestmark = pytest.mark.django_db


def test_the_demo_prints_working_logins_and_keeps_an_existing_population():
    out = io.StringIO()
    call_command("generate_population", people=40, seed=4, demo_logins=True, stdout=out)
    text = out.getvalue()
    assert "Generated 40 people" in text
    assert "user 'operator' password 'healthbank-demo'" in text
    assert "user 'counter' password 'healthbank-counter'" in text
    key = re.search(r"Bearer (hb_\S+)", text).group(1)
    assert client_for_key(key) is not None  # the printed API key works
    card_files = re.findall(r"--card var/cards/(\d{12})\.json", text)
    assert card_files and all((settings.SIMULATED_CARDS_DIR / f"{n}.json").exists() for n in card_files)
    serial = re.search(r"--certificate var/external/certificates/([0-9A-F]+)\.json", text).group(1)
    assert (settings.EXTERNAL_DATA_DIR / "certificates" / f"{serial}.json").exists()  # the printed certificate
    unit_code, unit_password = re.search(r"code '(\d{9})' password '(\S+)'", text).groups()
    assert check_password(unit_password, InsuranceUnit.objects.get(code=unit_code).portal_password)
    assert not re.search(r"[A-Z][12]\d{8}", text)  # no full national ID on the console
    again = io.StringIO()
    call_command("generate_population", people=40, seed=4, stdout=again)
    assert "already loaded" in again.getvalue() and Person.objects.count() == 40


def test_the_demo_operators_are_in_office_groups_not_superusers(client):
    from django.contrib.auth import get_user_model

    from healthbank.records.models import Visit

    call_command("generate_population", people=20, seed=4, demo_logins=True, stdout=io.StringIO())
    users = get_user_model().objects
    operator, counter = users.get(username="operator"), users.get(username="counter")
    assert not operator.is_superuser and not counter.is_superuser
    assert operator.groups.count() == 4 and counter.groups.count() == 1
    visit = Visit.objects.first()
    assert counter.has_perm("identity.show_passbook_at_counter") and not counter.has_perm("records.view_visit")
    client.post("/admin/login/", {"username": "counter", "password": "healthbank-counter"})
    assert client.get(f"/admin/records/visit/{visit.pk}/change/").status_code == 403
    assert client.get(f"/admin/identity/person/{visit.person_id}/counter-view/").status_code == 200
    client.post("/admin/login/", {"username": "operator", "password": "healthbank-demo"})
    assert client.get(f"/admin/records/visit/{visit.pk}/change/").status_code == 200
