"""The demo's bank accounts and e-bill subscribers (issue 11): a printed demo login pays a month by direct debit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command

from healthbank.accounts.models import OnlineAccount
from healthbank.external import bank
from healthbank.identity.models import Person
from healthbank.insurance import debits, selectors
from healthbank.insurance.models import EBillSubscription, PremiumPayment

pytestmark = pytest.mark.django_db
TAIPEI = dt.timezone(dt.timedelta(hours=8))


def test_a_printed_demo_account_pays_the_persons_unpaid_month(time_machine, tmp_path):
    time_machine.move_to(dt.datetime(2026, 11, 20, 10, tzinfo=TAIPEI), tick=False)
    out = io.StringIO()
    call_command("generate_population", stdout=out, people=40, seed=4, demo_logins=True)
    text = out.getvalue()
    assert "One-off direct debit" in text
    name, code, number = re.search(r"^\s+(\S+)\s+bank (\d{3}) account (\d{10,16})$", text, re.M).groups()
    person = Person.objects.get(name=name, online_account__isnull=False)
    unpaid = selectors.unpaid_premiums(person)
    assert unpaid
    result = debits.debit_months(
        person, calculation_ids=[unpaid[0].pk], bank_code=code, account_number=number, request_key="demo-pays-1"
    )
    assert result.debit.status == "accepted"
    assert PremiumPayment.objects.filter(calculation=unpaid[0], method="direct_debit").exists()
    with open(settings.EXTERNAL_DATA_DIR / bank.FILE_NAME, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 5 and len({r["holder_national_id"] for r in rows}) == len(rows)
    assert any(int(r["balance"]) < 1000 for r in rows)  # some cannot pay: the refusal is in the demo too
    assert EBillSubscription.objects.filter(person=person, active=True).exists()
    assert EBillSubscription.objects.count() <= OnlineAccount.objects.filter(status="active").count()
