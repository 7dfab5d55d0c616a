"""單次約定轉帳 (SPEC §10): chosen unpaid months paid once from the person's own account, through the bank adapter."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from healthbank.audit.models import AccessLog
from healthbank.core import display
from healthbank.external import bank, reset_adapters
from healthbank.identity.models import Enrolment
from healthbank.insurance import debits, selectors
from healthbank.insurance.models import DirectDebit, PremiumCalculation, PremiumPayment
from tests.insurance.conftest import app_client_for, web_client_for
from tests.vcard.conftest import unit

pytestmark = pytest.mark.django_db

ACCOUNT = "00123456789012"
POOR_ACCOUNT = "00123456780000"
SPOUSE_ACCOUNT = "00987654321098"


def months_ago(n: int) -> dt.date:
    day = timezone.localdate().replace(day=1)
    for _ in range(n):
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return day


@pytest.fixture
def bills(household):
    """Three unpaid months of the insured person, NT$1,000 / 1,100 / 1,200, and the bank's accounts.

    The household's insured person pays his own bill (category 6, at the township office): an employee's
    premium is withheld by the employer and is never his to pay (insurance.selectors.unpaid_premiums).
    """
    Enrolment.objects.filter(person=household.parent, role=Enrolment.Role.INSURED).update(category=6)
    rows = [
        PremiumCalculation.objects.create(
            person=household.parent,
            unit=unit(),
            month=months_ago(n),
            insured_salary=45800,
            rate_per_ten_thousand=517,
            contribution_share_pct=30,
            insured_count=4,
            amount=1000 + 100 * (3 - n),
        )
        for n in (3, 2, 1)
    ]
    bank.write(
        settings.EXTERNAL_DATA_DIR,
        [
            {
                "bank_code": "812",
                "account_number": ACCOUNT,
                "holder_national_id": household.parent.national_id,
                "balance": 50000,
            },
            {
                "bank_code": "812",
                "account_number": POOR_ACCOUNT,
                "holder_national_id": household.parent.national_id,
                "balance": 500,
            },
            {
                "bank_code": "700",
                "account_number": SPOUSE_ACCOUNT,
                "holder_national_id": household.spouse.national_id,
                "balance": 50000,
            },
        ],
    )
    (settings.EXTERNAL_DATA_DIR / bank.OUTAGES_FILE_NAME).unlink(missing_ok=True)
    reset_adapters()
    yield rows
    (settings.EXTERNAL_DATA_DIR / bank.OUTAGES_FILE_NAME).unlink(missing_ok=True)
    reset_adapters()


def page(household, language=""):
    return f"{'/en' if language == 'en' else ''}/services/{household.parent.pk}/direct-debit/"


def form(months, account=ACCOUNT, code="812", key=None):
    return {
        "months": [str(m.pk) for m in months],
        "bank_code": code,
        "account_number": account,
        "request_key": key or uuid.uuid4().hex,
    }


def test_paying_one_month_takes_it_off_the_unpaid_list_and_into_the_payments(household, bills):
    web = web_client_for(household.parent)
    shown = web.get(page(household)).content.decode()
    assert "單次約定轉帳" in shown and display.format_month(bills[1].month, "zh-hant") in shown
    response = web.post(page(household), form([bills[1]]), follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "已扣款 NT$1,100" in text
    assert [r.pk for r in selectors.unpaid_premiums(household.parent)] == [bills[0].pk, bills[2].pk]
    payment = PremiumPayment.objects.get(calculation=bills[1])
    assert (payment.amount, payment.method, payment.paid_on) == (1100, "direct_debit", timezone.localdate())
    debit = DirectDebit.objects.get()
    assert (debit.status, debit.amount, debit.account_masked) == ("accepted", 1100, "**********9012")
    # The passbook's payments page shows it.
    payments = web.get(f"/passbook/{household.parent.pk}/insurance/payments/").content.decode()
    assert "1,100" in payments


def test_a_double_submit_pays_once_and_asks_the_bank_once(household, bills, monkeypatch):
    calls = []
    real = bank.SimulatedBank.debit

    def counting(self, **kwargs):
        calls.append(kwargs["reference"])
        return real(self, **kwargs)

    monkeypatch.setattr(bank.SimulatedBank, "debit", counting)
    web = web_client_for(household.parent)
    sent = form(bills[:2])
    assert web.post(page(household), sent).status_code == 302
    assert web.post(page(household), sent).status_code == 302
    assert len(calls) == 1
    assert PremiumPayment.objects.filter(person=household.parent).count() == 2
    assert DirectDebit.objects.count() == 1
    # Another submit (a new key) for a month already paid is refused naming the months; the bank is not asked.
    again = web.post(page(household), form([bills[1], bills[2]]))
    assert again.status_code == 400 and "您選擇的月份" in again.content.decode()
    assert len(calls) == 1 and PremiumPayment.objects.count() == 2


def test_a_month_claimed_by_an_open_debit_is_not_sent_to_the_bank_again(household, bills):
    first = debits.debit_months(
        household.parent,
        calculation_ids=[bills[0].pk],
        bank_code="812",
        account_number=POOR_ACCOUNT,
        request_key="first-key",
    )
    assert first.debit.status == "refused"  # refused: the month is free again
    DirectDebit.objects.filter(pk=first.debit.pk).update(status="pending")
    first.debit.months.update(claimed=True)  # as if the bank had not answered yet
    with pytest.raises(debits.DebitRefused) as refused:
        debits.debit_months(
            household.parent,
            calculation_ids=[bills[0].pk, bills[1].pk],
            bank_code="812",
            account_number=ACCOUNT,
            request_key="second-key",
        )
    assert (refused.value.field, refused.value.status) == ("months", 409)
    assert not PremiumPayment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_debits_of_the_same_month_pay_it_once(household, bills):
    results, errors = [], []

    def pay(key):
        try:
            results.append(
                debits.debit_months(
                    household.parent,
                    calculation_ids=[bills[0].pk],
                    bank_code="812",
                    account_number=ACCOUNT,
                    request_key=key,
                )
            )
        except debits.DebitRefused as refused:
            errors.append(refused.field)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(f"concurrent-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert PremiumPayment.objects.filter(calculation=bills[0]).count() == 1
    assert len([r for r in results if r.debit.status == "accepted"]) == 1
    assert len(results) + len(errors) == 2


@pytest.mark.parametrize(
    ("account", "code", "reason", "words"),
    [
        (POOR_ACCOUNT, "812", "insufficient_funds", "餘額不足"),
        ("00111122223333", "812", "unknown_account", "查無此帳戶"),
        (SPOUSE_ACCOUNT, "700", "not_holder", "不是您本人"),
    ],
)
def test_a_refusal_is_stored_with_its_reason_and_pays_nothing(household, bills, account, code, reason, words):
    web = web_client_for(household.parent)
    response = web.post(page(household), form(bills[:2], account=account, code=code))
    assert response.status_code == 422
    assert words in response.content.decode()
    debit = DirectDebit.objects.get()
    assert (debit.status, debit.reason) == ("refused", reason)
    assert not PremiumPayment.objects.exists()
    assert len(selectors.unpaid_premiums(household.parent)) == 3
    # The months are free again: the right account pays them.
    assert web.post(page(household), form(bills[:2])).status_code == 302
    assert PremiumPayment.objects.count() == 2


def test_a_bank_that_is_away_answers_503_and_pays_nothing(household, bills):
    (settings.EXTERNAL_DATA_DIR / bank.OUTAGES_FILE_NAME).write_text("812\n", encoding="utf-8")
    web = web_client_for(household.parent)
    response = web.post(page(household, "en"), form([bills[0]]))
    assert response.status_code == 503
    assert "The bank cannot be reached right now; nothing was paid" in response.content.decode()
    assert DirectDebit.objects.get().status == "bank_away"
    assert not PremiumPayment.objects.exists()
    app = app_client_for(household.parent)
    answer = app.post(
        f"/api/app/v1/services/{household.parent.pk}/direct-debit/?lang=en", form([bills[0]]), format="json"
    )
    assert answer.status_code == 503 and "nothing was paid" in answer.json()["errors"]["service"][0]
    (settings.EXTERNAL_DATA_DIR / bank.OUTAGES_FILE_NAME).unlink()
    assert web.post(page(household), form([bills[0]])).status_code == 302  # back: the month can be paid


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bank_code": "81"}, "bank_code"),
        ({"bank_code": "٨١٢"}, "bank_code"),  # Arabic-Indic digits are not a bank code
        ({"account_number": "12ab"}, "account_number"),
        ({"months": []}, "months"),
        ({"months": [str(uuid.uuid4())]}, "months"),
        ({"request_key": "x"}, "request_key"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(household, bills, change, field):
    app = app_client_for(household.parent)
    body = {**form([bills[0]]), **change}
    answer = app.post(f"/api/app/v1/services/{household.parent.pk}/direct-debit/?lang=en", body, format="json")
    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == [field]
    assert not DirectDebit.objects.exists() and not PremiumPayment.objects.exists()


def test_the_app_pays_a_month_and_repeats_the_answer_for_the_same_key(household, bills):
    app = app_client_for(household.parent)
    url = f"/api/app/v1/services/{household.parent.pk}/direct-debit/?lang=en"
    listed = app.get(url).json()
    assert [m["id"] for m in listed["unpaid"]] == [str(b.pk) for b in bills]
    body = form([bills[2]])
    first = app.post(url, body, format="json")
    assert first.status_code == 201 and first.json()["debit"]["status"] == "accepted"
    again = app.post(url, body, format="json")
    assert again.status_code == 200 and again.json()["repeated"] is True
    assert PremiumPayment.objects.count() == 1
    after = app.get(url).json()
    assert [m["id"] for m in after["unpaid"]] == [str(b.pk) for b in bills[:2]]
    assert after["debits"][0]["months"] == [f"{bills[2].month:%Y-%m}"]
    refused = app.post(url, form([bills[0]], account=SPOUSE_ACCOUNT, code="700"), format="json")
    assert refused.status_code == 422
    assert "not in your name" in refused.json()["errors"]["account_number"][0]


def test_someone_elses_or_a_dependents_id_is_a_404(household, bills):
    web = web_client_for(household.parent)
    assert web.get(f"/services/{household.spouse.pk}/direct-debit/").status_code == 404
    assert web.get(f"/services/{uuid.uuid4()}/direct-debit/").status_code == 404
    spouse = web_client_for(household.spouse)
    assert spouse.post(page(household), form([bills[0]])).status_code == 404
    app = app_client_for(household.spouse)
    assert app.get(f"/api/app/v1/services/{household.parent.pk}/direct-debit/").status_code == 404
    assert not PremiumPayment.objects.exists()
    assert AccessLog.objects.filter(person_id=household.parent.pk, what="refused").exists()


def test_the_page_is_in_english_too(household, bills):
    text = web_client_for(household.parent).get(page(household, "en")).content.decode()
    assert "One-off direct debit" in text and "Debit my account" in text
    assert "單次約定轉帳" not in text


def test_the_services_index_offers_it_for_oneself_only(household, bills):
    text = web_client_for(household.parent).get("/services/").content.decode()
    assert text.count("單次約定轉帳") == 1 and text.count("電子繳款單") == 1
    assert f"/services/{household.parent.pk}/direct-debit/" in text
    assert f"/services/{household.spouse.pk}/direct-debit/" not in text
    keys = [s["key"] for s in app_client_for(household.parent).get("/api/app/v1/services/").json()["services"]]
    assert "direct_debit" in keys and "ebill" in keys


def test_an_operator_reads_a_persons_debits_and_it_is_logged(household, bills, admin_client):
    debits.debit_months(
        household.parent,
        calculation_ids=[bills[0].pk],
        bank_code="812",
        account_number=ACCOUNT,
        request_key="operator-reads",
    )
    listed = admin_client.get(f"/admin/insurance/directdebit/?person__id__exact={household.parent.pk}")
    assert listed.status_code == 200 and "**********9012" in listed.content.decode()
    assert AccessLog.objects.filter(person_id=household.parent.pk, detail="insurance.directdebit").exists()


def test_a_records_reviewer_may_read_debits_and_nobody_else_without_the_permission(household, bills, client):
    from django.contrib.auth.models import Group, User

    from healthbank.staff import roles

    reviewer = User.objects.create_user("reviewer", password="x-long-password-1", is_staff=True)
    reviewer.groups.add(Group.objects.get(name=roles.RECORDS_REVIEWERS))
    clerk = User.objects.create_user("clerk", password="x-long-password-2", is_staff=True)
    clerk.groups.add(Group.objects.get(name=roles.COUNTER_STAFF))
    url = f"/admin/insurance/directdebit/?person__id__exact={household.parent.pk}"
    client.force_login(clerk)
    assert client.get(url).status_code == 403
    client.force_login(reviewer)
    assert client.get(url).status_code == 200


def test_the_chinese_pages_have_no_english_words(household, bills):
    import re

    web = web_client_for(household.parent)
    web.post(page(household), form([bills[0]], account="00111122223333"))  # a refusal listed on the page
    for url in (page(household), f"/services/{household.parent.pk}/ebill/"):
        text = web.get(url).content.decode()
        main = re.sub(r"<[^>]+>", " ", text[text.index("<main") : text.index("</main>")])
        words = set(re.findall(r"[A-Za-z]{3,}", main)) - {"PDF"}
        assert words == set(), (url, words)
