"""電子繳款單 (SPEC §10): subscribe and unsubscribe, each month's bill as a PDF, one ready-notice a month."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.utils import timezone

from healthbank.accounts.models import OnlineAccount, OutboxEmail
from healthbank.insurance import ebill
from healthbank.insurance.models import EBillNotice, EBillSubscription, PremiumCalculation, PremiumPayment
from healthbank.insurance.tasks import send_ebill_notices_task
from tests.insurance.conftest import app_client_for, web_client_for
from tests.insurance.test_direct_debit import months_ago
from tests.insurance.test_pdf_layer import pdf_text
from tests.vcard.conftest import PASSWORD, unit

pytestmark = pytest.mark.django_db


def account(person, email="dawen@example.tw", status="active"):
    return OnlineAccount.objects.create(
        person=person,
        status=status,
        channel="online",
        email=email,
        password=make_password(PASSWORD),
        created_at=timezone.now(),
        activated_at=timezone.now(),
    )


@pytest.fixture
def billed(household):
    rows = [
        PremiumCalculation.objects.create(
            person=household.parent,
            unit=unit(),
            month=months_ago(n),
            insured_salary=45800,
            rate_per_ten_thousand=517,
            contribution_share_pct=30,
            insured_count=4,
            amount=2841,
        )
        for n in (2, 1)
    ]
    PremiumPayment.objects.create(
        person=household.parent, calculation=rows[0], paid_on=timezone.localdate(), amount=2841, method="payroll"
    )
    account(household.parent)
    return rows


def page(household, language=""):
    return f"{'/en' if language == 'en' else ''}/services/{household.parent.pk}/ebill/"


def test_subscribing_and_unsubscribing_on_the_web(household, billed):
    web = web_client_for(household.parent)
    text = web.get(page(household)).content.decode()
    assert "訂閱電子繳款單" in text and "dawen@example.tw" in text
    done = web.post(page(household), {"action": "subscribe"}, follow=True).content.decode()
    assert "已訂閱" in done and "取消訂閱" in done
    subscription = EBillSubscription.objects.get(person=household.parent)
    assert (subscription.active, subscription.email, subscription.language) == (True, "dawen@example.tw", "zh-hant")
    web.post(page(household), {"action": "subscribe"})  # twice: still one row
    assert EBillSubscription.objects.count() == 1
    off = web.post(page(household, "en"), {"action": "unsubscribe"}, follow=True).content.decode()
    assert "Unsubscribed" in off and "Subscribe to the e-bill" in off
    assert EBillSubscription.objects.get().active is False


def test_subscribing_needs_a_confirmed_email(household, billed):
    OnlineAccount.objects.filter(person=household.parent).update(status="pending")
    web = web_client_for(household.parent)
    refused = web.post(page(household, "en"), {"action": "subscribe"})
    assert refused.status_code == 400
    assert "confirmed e-mail" in refused.content.decode()
    assert not EBillSubscription.objects.exists()
    app = app_client_for(household.spouse)  # the app's own account: confirmed
    OnlineAccount.objects.filter(person=household.spouse).update(status="pending")
    answer = app.put(f"/api/app/v1/services/{household.spouse.pk}/ebill/subscription/?lang=en")
    assert answer.status_code == 400 and "email" in answer.json()["errors"]


def test_each_months_bill_is_a_pdf_in_either_language(household, billed):
    web = web_client_for(household.parent)
    text = web.get(page(household)).content.decode()
    month = billed[1].month
    link = f"/services/{household.parent.pk}/ebill/{month:%Y-%m}.pdf"
    assert link in text
    response = web.get(link)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    words = pdf_text(response.content).replace(" ", "")
    assert "全民健康保險費繳款單" in words and "2,841" in words and "45,800" in words and "未繳" in words
    assert f"{month.year - 1911}/{month.month:02d}" in words
    english = pdf_text(web.get(f"/en{link}").content)
    assert "National Health Insurance premium bill" in english and "Unpaid" in english
    paid = pdf_text(web.get(f"/en/services/{household.parent.pk}/ebill/{billed[0].month:%Y-%m}.pdf").content)
    assert "Paid" in paid
    assert web.get(f"/services/{household.parent.pk}/ebill/1999-01.pdf").status_code == 404
    assert web.get(f"/services/{household.parent.pk}/ebill/garbage.pdf").status_code == 404


def test_the_monthly_notice_goes_once_to_each_subscriber_without_the_pdf(
    household, billed, django_capture_on_commit_callbacks
):
    ebill.subscribe(household.parent, language="zh-hant")
    account(household.spouse, email="shufen@example.tw")
    PremiumCalculation.objects.create(  # the spouse insured elsewhere, subscribed, but billed another month
        person=household.spouse,
        unit=unit("123456789"),
        month=months_ago(3),
        insured_salary=30300,
        rate_per_ten_thousand=517,
        contribution_share_pct=30,
        insured_count=1,
        amount=470,
    )
    ebill.subscribe(household.spouse, language="en")
    month = billed[1].month
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_ebill_notices_task.delay(month.isoformat()).get() == 1
        assert send_ebill_notices_task.delay(month.isoformat()).get() == 0  # the second run sends nothing
    [email] = mail.outbox
    assert email.to == ["dawen@example.tw"] and not email.attachments
    assert "電子繳款單" in email.subject and "ready" in email.subject
    assert f"/services/{household.parent.pk}/ebill/" in email.body
    assert "2,841" not in email.body  # no amount in the e-mail: log in to see the bill
    assert EBillNotice.objects.get().month == month
    assert OutboxEmail.objects.filter(kind="ebill").count() == 1


def test_the_task_defaults_to_last_month_and_skips_who_unsubscribed(household, billed):
    ebill.subscribe(household.parent, language="zh-hant")
    notice_day = (billed[1].month.replace(day=28) + dt.timedelta(days=5)).replace(day=10)
    with time_machine.travel(timezone.make_aware(dt.datetime.combine(notice_day, dt.time(9))), tick=False):
        ebill.unsubscribe(household.parent)
        assert send_ebill_notices_task.delay().get() == 0
        ebill.subscribe(household.parent, language="zh-hant")
        assert send_ebill_notices_task.delay().get() == 1
    assert EBillNotice.objects.get().month == billed[1].month


def test_the_app_subscribes_lists_and_downloads(household, billed):
    app = app_client_for(household.parent)
    base = f"/api/app/v1/services/{household.parent.pk}/ebill"
    shown = app.get(f"{base}/?lang=en").json()
    assert shown["subscribed"] is False and shown["email"] == "dawen@example.tw"
    assert [m["month"] for m in shown["months"]] == [f"{b.month:%Y-%m}" for b in reversed(billed)]
    assert app.put(f"{base}/subscription/?lang=en").json()["subscribed"] is True
    pdf = app.get(shown["months"][0]["pdf"] + "?lang=en")
    assert pdf.status_code == 200 and "National Health Insurance premium bill" in pdf_text(pdf.content)
    assert app.delete(f"{base}/subscription/").json()["subscribed"] is False


def test_a_dependents_or_strangers_id_is_a_404(household, billed):
    web = web_client_for(household.parent)
    assert web.get(f"/services/{household.child.pk}/ebill/").status_code == 404
    assert web.get(f"/services/{uuid.uuid4()}/ebill/").status_code == 404
    spouse = web_client_for(household.spouse)
    assert spouse.post(page(household), {"action": "subscribe"}).status_code == 404
    assert spouse.get(f"/services/{household.parent.pk}/ebill/{billed[1].month:%Y-%m}.pdf").status_code == 404
    app = app_client_for(household.spouse)
    assert app.put(f"/api/app/v1/services/{household.parent.pk}/ebill/subscription/").status_code == 404
    assert not EBillSubscription.objects.exists()


def test_celery_beat_runs_the_notice_task_monthly():
    from django.conf import settings

    from healthbank import policy

    entry = settings.CELERY_BEAT_SCHEDULE["ebill-ready-notices"]
    assert entry["task"] == send_ebill_notices_task.name
    assert entry["schedule"].day_of_month == {policy.EBILL_NOTICE_DAY}
