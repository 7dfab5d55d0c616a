"""單次約定轉帳 and 電子繳款單 in a real browser (SPEC §10, issue 11): on a 360-px phone the insured person ticks
one unpaid month, types their account and pays it: the month leaves the list and the debit is listed; a wrong
account is refused on its field. The e-bill page subscribes and offers each month's PDF. Chinese pages, the
e-bill page in English on the desktop too. Screenshots: tests/e2e/screenshots/services-debit-*.png.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from healthbank.accounts.models import OnlineAccount
from healthbank.external import bank, reset_adapters
from healthbank.identity.models import Enrolment
from healthbank.insurance.models import EBillSubscription, PremiumCalculation, PremiumPayment
from tests.e2e.conftest import DESKTOP, assert_accessible, shot
from tests.e2e.test_vcard import tab  # noqa: F401 - the logged-in phone tab fixture
from tests.insurance.test_direct_debit import months_ago
from tests.vcard import conftest as vcard
from tests.vcard.conftest import unit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

household = vcard.household
ACCOUNT = "00123456789012"


@pytest.fixture
def billed(household):
    # A township-office payer: an employee's premium is withheld by the employer, never his own bill.
    Enrolment.objects.filter(person=household.parent, role=Enrolment.Role.INSURED).update(category=6)
    rows = [
        PremiumCalculation.objects.create(
            person=household.parent, unit=unit(), month=months_ago(n), insured_salary=45800,
            rate_per_ten_thousand=517, contribution_share_pct=30, insured_count=4, amount=2841,
        )
        for n in (2, 1)
    ]  # fmt: skip
    bank.write(
        settings.EXTERNAL_DATA_DIR,
        [{"bank_code": "812", "account_number": ACCOUNT, "holder_national_id": household.parent.national_id,
          "balance": 10000}],
    )  # fmt: skip
    reset_adapters()
    now = timezone.now()
    OnlineAccount.objects.create(
        person=household.parent, status="active", channel="online", email="dawen@example.tw", created_at=now,
        activated_at=now,
    )  # fmt: skip
    return rows


def test_paying_one_month_by_direct_debit_on_a_phone(tab, household, billed):  # noqa: F811
    page = tab(household.parent)
    page.goto(f"{page.base}/services/")
    page.get_by_role("link", name="單次約定轉帳").click()
    page.get_by_role("heading", name="單次約定轉帳", level=1).wait_for()
    assert page.locator("input[name=months]").count() == 2
    shot(page, "services-debit-form-phone")
    # A wrong account first: refused on its field, nothing paid.
    page.locator(f"input[value='{billed[0].pk}']").check()
    page.get_by_label("銀行代碼").fill("812")
    page.get_by_label("帳號", exact=True).fill("00999999999999")
    page.get_by_role("button", name="確認扣款").click()
    page.get_by_text("查無此帳戶").first.wait_for()
    assert not PremiumPayment.objects.exists()
    shot(page, "services-debit-refused-phone")
    # The right account pays the month: it leaves the list and is listed as paid.
    page.locator(f"input[value='{billed[0].pk}']").check()
    page.get_by_label("帳號", exact=True).fill(ACCOUNT)
    page.get_by_role("button", name="確認扣款").click()
    page.get_by_text("已扣款 NT$2,841").first.wait_for()
    assert page.locator("input[name=months]").count() == 1
    assert page.locator(f"input[value='{billed[0].pk}']").count() == 0
    assert PremiumPayment.objects.get().calculation_id == billed[0].pk
    assert_accessible(page, "direct debit page")
    shot(page, "services-debit-paid-phone")


def test_the_ebill_page_subscribes_and_offers_the_pdfs(tab, household, billed):  # noqa: F811
    page = tab(household.parent)
    page.goto(f"{page.base}/services/{household.parent.pk}/ebill/")
    page.get_by_role("button", name="訂閱電子繳款單").click()
    page.get_by_role("button", name="取消訂閱（改回紙本繳款單）").wait_for()
    assert EBillSubscription.objects.get().active
    links = page.locator("main a[href$='.pdf']")
    assert links.count() == 2
    with page.expect_download() as download:
        links.first.click()
    assert download.value.suggested_filename.startswith("電子繳款單_")
    assert_accessible(page, "e-bill page")
    shot(page, "services-ebill-phone")
    english = tab(household.parent, "en")
    english.set_viewport_size(DESKTOP)
    english.goto(f"{english.base}/services/{household.parent.pk}/ebill/")
    english.get_by_role("button", name="Unsubscribe (paper bills again)").wait_for()
    shot(english, "services-ebill-desktop-en")
