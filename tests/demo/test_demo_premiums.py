"""Unpaid premiums in `make demo` (issue 11): a share of the self-paying people owe months, some overdue, and a
printed login (marked *) has unpaid premiums to list, print and pay in instalments."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from healthbank import policy
from healthbank.accounts.models import OnlineAccount
from healthbank.identity.models import Person
from healthbank.insurance import selectors
from healthbank.insurance.models import PremiumPayment
from tests.insurance.conftest import web_client_for

pytestmark = pytest.mark.django_db
TAIPEI = dt.timezone(dt.timedelta(hours=8))


def test_a_printed_login_has_unpaid_premiums_and_a_share_of_self_payers_owe_months(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 20, 10, tzinfo=TAIPEI), tick=False)
    out = io.StringIO()
    call_command("generate_population", people=40, seed=4, demo_logins=True, stdout=out)
    owing = {p: selectors.unpaid_premiums(p) for p in Person.objects.all()}
    owing = {p: rows for p, rows in owing.items() if rows}
    assert any(any(row.overdue for row in rows) for rows in owing.values())  # some months overdue
    logins = [a.person for a in OnlineAccount.objects.select_related("person") if a.person in owing]
    assert logins, out.getvalue()
    # The login the demo left six months unpaid (five overdue) to show; another registered person may be among
    # the self-payers who owe a month or two (which of them depends on their random ids), fewer of them overdue.
    person = max(logins, key=lambda p: sum(r.overdue for r in owing[p]))
    assert f"* {person.name}" in out.getvalue()  # printed, marked as a ready login
    assert sum(r.amount for r in owing[person]) >= policy.PREMIUM_INSTALMENT_MIN_TOTAL  # instalments to show
    page = web_client_for(person).get(f"/services/{person.pk}/premiums/")
    assert page.status_code == 200 and "已逾期" in page.content.decode()
    payments = PremiumPayment.objects.count()
    call_command("generate_population", people=40, seed=4, demo_logins=True, stdout=io.StringIO())
    assert PremiumPayment.objects.count() == payments  # again: nothing more taken back
