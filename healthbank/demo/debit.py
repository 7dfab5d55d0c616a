"""單次約定轉帳 and 電子繳款單 in the demo (issue 11): the simulated bank's accounts and some e-bill subscribers.

The bank's data file (``bank_accounts.csv`` next to the other simulated systems) is written here from the
loaded population: a share of the insured people (each month's bill is theirs) hold an account at a Taiwanese
bank, a few of them with too little money to pay; every registered demo person who is billed holds one with
enough, so the printed demo login can pay by direct debit. A share of the people with an active registration
take the e-bill. The same population gives the same file; running it again rewrites the file the same way (the
simulator's balances start again) and adds no second subscription.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.utils import timezone

from healthbank.accounts.models import OnlineAccount
from healthbank.external import bank, reset_adapters
from healthbank.identity.models import Person
from healthbank.insurance import selectors
from healthbank.insurance.models import EBillSubscription, PremiumCalculation

# 金融機構代碼 (FISC) and each one's account length: 臺灣銀行, 土地銀行, 合作金庫, 第一銀行, 華南銀行, 彰化銀行,
# 國泰世華, 中華郵政, 台新, 中國信託.
BANKS = (
    ("004", 12),
    ("005", 12),
    ("006", 13),
    ("007", 11),
    ("008", 12),
    ("009", 14),
    ("013", 12),
    ("700", 14),
    ("812", 14),
    ("822", 12),
)
ACCOUNT_SHARE = 0.4  # of the insured people
POOR_SHARE = 0.1  # of those: a balance below one month's premium
EBILL_SHARE = 0.3  # of the people with an active registration who are billed


def _draw(person_id, salt: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{salt}:{person_id}".encode()).digest()[:8], "big")


def account_of(person_id) -> dict:
    """The demo account of a person: a bank, an account number of that bank's length, drawn from the id."""
    code, length = BANKS[_draw(person_id, "bank") % len(BANKS)]
    number = str(_draw(person_id, "account") % 10**length).zfill(length)
    return {"bank_code": code, "account_number": number}


POOR_BALANCE_BELOW = 1_000  # NT$: less than one month of most bills


def set_up_debits(registered: list[Person]) -> list[str]:
    """Write the bank's accounts and subscribe some people to the e-bill; the lines the demo logins print."""
    billed = set(PremiumCalculation.objects.values_list("person_id", flat=True).distinct())
    registered_ids = {p.pk for p in registered}
    rows, shown = [], []
    for person in Person.objects.filter(pk__in=billed).order_by("pk").iterator(chunk_size=2000):
        chosen = person.pk in registered_ids or (_draw(person.pk, "has") % 1000) < ACCOUNT_SHARE * 1000
        if not chosen:
            continue
        poor = person.pk not in registered_ids and (_draw(person.pk, "poor") % 1000) < POOR_SHARE * 1000
        balance = 300 + _draw(person.pk, "balance") % 400 if poor else 20_000 + _draw(person.pk, "balance") % 480_000
        account = account_of(person.pk)
        rows.append({**account, "holder_national_id": person.national_id, "balance": balance})
        if person.pk in registered_ids and selectors.unpaid_premiums(person):  # someone with a month to pay
            shown.append((person, account))
    strangers = [row for row in rows if row["holder_national_id"] not in {p.national_id for p, _a in shown}]
    if strangers and not any(row["balance"] < POOR_BALANCE_BELOW for row in rows):
        strangers[0]["balance"] = 300  # a small population drew nobody poor: the refusal stays in the demo
    bank.write(settings.EXTERNAL_DATA_DIR, rows)
    reset_adapters()
    now = timezone.now()
    for person_id, email in OnlineAccount.objects.filter(
        status=OnlineAccount.Status.ACTIVE, person_id__in=billed
    ).values_list("person_id", "email"):
        if person_id in registered_ids or (_draw(person_id, "ebill") % 1000) < EBILL_SHARE * 1000:
            EBillSubscription.objects.get_or_create(
                person_id=person_id, defaults={"email": email, "language": "zh-hant", "changed_at": now}
            )
    lines = []
    if shown:
        path = settings.EXTERNAL_DATA_DIR / bank.FILE_NAME
        lines.append(f"  One-off direct debit (/services/): each marked person's own account, in {path}:")
        for person, account in shown:
            lines.append(f"      {person.name:6} bank {account['bank_code']} account {account['account_number']}")
    return lines
