"""個人未繳保費查詢/下載/簡易分期申請 on the web and in the app (SPEC §10, issue 11).

王小明 insures himself at his township office (category 6, NT$ 826 a month): April 2026 is paid, May to
October are not (May–September overdue on 2026-11-20, October due by 11-30): NT$ 4,956 in six months.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path
from unittest import mock

import pytest
import zxingcpp
from PIL import Image

from healthbank import policy
from healthbank.identity.models import InsuranceUnit
from healthbank.identity.services import start_household
from healthbank.insurance import selectors, unpaid, unpaid_services
from healthbank.insurance.models import Instalment, InstalmentPlan, PremiumCalculation, PremiumPayment
from tests.insurance.conftest import app_client_for, web_client_for
from tests.insurance.test_pdf_layer import pdf_text

MONTHLY = policy.PREMIUM_CATEGORY6_FLAT
UNPAID_MONTHS = [dt.date(2026, m, 1) for m in range(5, 11)]
TOTAL = MONTHLY * len(UNPAID_MONTHS)


def bill(person, unit, month: dt.date, amount: int = MONTHLY, *, paid: bool = False) -> PremiumCalculation:
    calc = PremiumCalculation.objects.create(
        person=person,
        unit=unit,
        month=month,
        insured_salary=0,
        rate_per_ten_thousand=policy.PREMIUM_RATE_PER_TEN_THOUSAND,
        contribution_share_pct=60,
        insured_count=1,
        amount=amount,
    )
    if paid:
        PremiumPayment.objects.create(person=person, calculation=calc, paid_on=month, amount=amount, method="store")
    return calc


@pytest.fixture
def township(db):
    return InsuranceUnit.objects.create(code="600000001", name="臺北市大安區公所", kind="township", county="臺北市")


@pytest.fixture
def self_payer(person, township, frozen_today):
    start_household(person, township, category=6, salary=0, since=dt.date(2024, 1, 1))
    bill(person, township, dt.date(2026, 4, 1), paid=True)
    for month in UNPAID_MONTHS:
        bill(person, township, month)
    return person


def slip_barcodes_in(pdf: bytes) -> list[str]:
    """Print the PDF's first page at 200 dpi and read its Code 39 barcodes, top to bottom."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "slip.pdf"
        source.write_bytes(pdf)
        subprocess.run(  # noqa: S603 - our own file, a fixed program
            [
                shutil.which("pdftoppm") or "pdftoppm",
                "-r",
                "300",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                "-png",
                str(source),
                f"{folder}/page",
            ],
            check=True,
        )
        image = Image.open(Path(folder) / "page.png")
        image.load()
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code39)
    return [b.text for b in sorted(found, key=lambda b: b.position.top_left.y)]


# ---------------------------------------------------------------- the list


def test_the_list_shows_each_unpaid_month_its_due_date_the_overdue_ones_and_the_total(self_payer):
    page = web_client_for(self_payer).get(f"/services/{self_payer.pk}/premiums/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "個人未繳保費" in text or "未繳保費" in text
    assert "115/05" in text and "115/10" in text and "115/04" not in text  # April is paid
    assert "115/06/30" in text  # May is due by the end of June
    assert text.count("已逾期") == 5  # May–September; October is not due until 11-30
    assert "NT$ 4,956" in text and "NT$ 4,130" in text  # the total and the overdue part
    assert "Overdue" not in text and "Payment slip" not in text  # no English on the Chinese page
    english = web_client_for(self_payer).get(f"/en/services/{self_payer.pk}/premiums/").content.decode()
    assert "Overdue" in english and "2026-06-30" in english and "NT$ 4,956" in english


def test_an_employees_premium_is_withheld_by_the_employer_and_not_listed(household, frozen_today):
    employer = InsuranceUnit.objects.get(code="987654321")
    bill(household.parent, employer, dt.date(2026, 10, 1), 2131)
    assert selectors.unpaid_premiums(household.parent) == []
    text = web_client_for(household.parent).get(f"/services/{household.parent.pk}/premiums/").content.decode()
    assert "沒有未繳保費" in text


def test_another_persons_or_a_dependents_bills_are_a_404(self_payer, household, other_person, township):
    calc = PremiumCalculation.objects.filter(person=self_payer, payments__isnull=True).first()
    stranger = web_client_for(other_person)
    for url in (
        f"/services/{self_payer.pk}/premiums/",
        f"/services/{self_payer.pk}/premiums/{calc.pk}/slip.pdf",
        f"/services/{self_payer.pk}/premiums/instalments/",
        f"/services/{other_person.pk}/premiums/{calc.pk}/slip.pdf",  # their own id, someone else's bill
    ):
        assert stranger.get(url).status_code == 404, url
    parent = web_client_for(household.parent)
    assert parent.get(f"/services/{household.child.pk}/premiums/").status_code == 404  # not the dependent's bill
    app = app_client_for(other_person)
    assert app.get(f"/api/app/v1/services/{self_payer.pk}/unpaid-premiums/").status_code == 404
    assert list(app.get(f"/api/app/v1/services/{self_payer.pk}/unpaid-premiums/").json()["errors"]) == ["request"]


# ---------------------------------------------------------------- the payment slip


def test_a_months_slip_carries_three_store_barcodes_that_check(self_payer):
    calc = PremiumCalculation.objects.get(person=self_payer, month=dt.date(2026, 10, 1))
    response = web_client_for(self_payer).get(f"/services/{self_payer.pk}/premiums/{calc.pk}/slip.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''%E7%B9%B3%E6%AC%BE%E5%96%AE" in response["Content-Disposition"]  # 繳款單
    pdf = response.content
    text = pdf_text(pdf).replace(" ", "")
    assert "全民健康保險保險費繳款單" in text
    assert "王小明" in text and "NT$826" in text and "115/11/30" in text  # October is due by November's end
    codes = slip_barcodes_in(pdf)
    assert len(codes) == 3
    segment1, segment2, segment3 = codes
    assert segment1 == "151130" + policy.PREMIUM_SLIP_AGENCY_CODE  # deadline 115/11/30 + the agency
    assert segment2.startswith("1") and len(segment2) == 16  # a month's bill number
    assert segment3.startswith("1510") and segment3.endswith("000000826")  # month 115/10, NT$ 826
    assert unpaid.check_is_valid(segment1, segment2, segment3)
    for code in codes:
        assert code in text  # the numbers are printed under the bars for the cashier to type


def test_an_overdue_months_slip_is_payable_until_the_end_of_this_month_in_english(self_payer):
    calc = PremiumCalculation.objects.get(person=self_payer, month=dt.date(2026, 5, 1))
    response = web_client_for(self_payer).get(f"/en/services/{self_payer.pk}/premiums/{calc.pk}/slip.pdf")
    text = pdf_text(response.content)
    assert "NHI premium payment slip" in text and "2026-11-30" in text and "2026-05" in text
    assert slip_barcodes_in(response.content)[0] == "151130NHI"


def test_a_paid_month_has_no_slip(self_payer):
    paid = PremiumCalculation.objects.get(person=self_payer, month=dt.date(2026, 4, 1))
    assert web_client_for(self_payer).get(f"/services/{self_payer.pk}/premiums/{paid.pk}/slip.pdf").status_code == 404


# ---------------------------------------------------------------- instalments


def test_a_person_sees_a_schedule_accepts_it_once_and_each_instalment_has_a_slip(self_payer):
    client = web_client_for(self_payer)
    base = f"/services/{self_payer.pk}/premiums/"
    proposal = client.get(base + "instalments/?count=3")
    assert proposal.status_code == 200
    text = proposal.content.decode()
    assert "NT$ 1,652" in text and "115/12/31" in text and "116/02/28" in text  # 4,956 / 3, monthly
    months = [str(c.pk) for c in PremiumCalculation.objects.filter(person=self_payer, payments__isnull=True)]
    accepted = client.post(base + "instalments/", {"count": "3", "months": months}, follow=True)
    assert accepted.status_code == 200
    page = accepted.content.decode()
    assert "分期繳納申請已受理" in page
    assert page.count("分期中") == 6  # every unpaid month is in the plan now
    plan = InstalmentPlan.objects.get(person=self_payer)
    assert plan.total == TOTAL and sorted(i.amount for i in plan.instalments.all()) == [1652, 1652, 1652]
    again = client.post(base + "instalments/", {"count": "3", "months": months}, follow=True)
    assert "沒有新增" in again.content.decode()
    assert InstalmentPlan.objects.count() == 1 and Instalment.objects.count() == 3
    other = client.post(base + "instalments/", {"count": "2", "months": months})
    assert other.status_code == 409 and "一次只能有一個" in other.content.decode()
    assert Instalment.objects.count() == 3
    slip = client.get(base + "instalments/2/slip.pdf")
    assert slip.status_code == 200
    text = pdf_text(slip.content).replace(" ", "")
    assert "NT$1,652" in text and "第2期" in text and "116/01/31" in text
    segment1, segment2, segment3 = slip_barcodes_in(slip.content)
    assert segment1 == "160131NHI" and segment2.startswith("2") and segment3.endswith("000001652")
    assert client.get(base + "instalments/4/slip.pdf").status_code == 404


def test_below_the_threshold_instalments_are_refused_naming_the_total(person, township, frozen_today):
    start_household(person, township, category=6, salary=0, since=dt.date(2024, 1, 1))
    bill(person, township, dt.date(2026, 9, 1))
    bill(person, township, dt.date(2026, 10, 1))
    client = web_client_for(person)
    response = client.get(f"/services/{person.pk}/premiums/instalments/")
    assert response.status_code == 400
    assert 'data-field="total"' in response.content.decode() and "NT$ 2,000" in response.content.decode()
    answer = app_client_for(person).post(
        f"/api/app/v1/services/{person.pk}/unpaid-premiums/instalments/", {"count": 2, "months": []}, format="json"
    )
    assert answer.status_code == 400 and list(answer.json()["errors"]) == ["total"]
    assert not InstalmentPlan.objects.exists()


def test_the_months_shown_must_be_the_months_unpaid(self_payer):
    client = web_client_for(self_payer)
    months = [str(c.pk) for c in PremiumCalculation.objects.filter(person=self_payer, payments__isnull=True)][:-1]
    response = client.post(f"/services/{self_payer.pk}/premiums/instalments/", {"count": "3", "months": months})
    assert response.status_code == 400 and 'data-field="months"' in response.content.decode()
    response = client.post(f"/services/{self_payer.pk}/premiums/instalments/", {"count": "9", "months": months})
    assert response.status_code == 400 and 'data-field="count"' in response.content.decode()
    assert not InstalmentPlan.objects.exists()


def test_two_requests_at_once_leave_one_plan(self_payer):
    months = [c.pk for c in PremiumCalculation.objects.filter(person=self_payer, payments__isnull=True)]
    first, created = unpaid_services.accept_plan(self_payer, count=2, months=months)
    assert created
    # the second request read before the first one's plan was stored: the unique constraint stops it
    real = selectors.open_instalment_plan
    calls = iter([None])
    with mock.patch.object(selectors, "open_instalment_plan", lambda p: next(calls, None) or real(p)):
        second, created_again = unpaid_services.accept_plan(self_payer, count=2, months=months)
    assert not created_again and second.pk == first.pk
    assert InstalmentPlan.objects.count() == 1


# ---------------------------------------------------------------- the app


def test_the_app_lists_proposes_accepts_once_and_downloads_slips(self_payer):
    app = app_client_for(self_payer)
    base = f"/api/app/v1/services/{self_payer.pk}/unpaid-premiums/"
    listing = app.get(base + "?lang=en").json()
    assert listing["total"] == TOTAL and listing["overdue_total"] == MONTHLY * 5
    assert [m["month"] for m in listing["months"]] == [m.strftime("%Y-%m") for m in UNPAID_MONTHS]
    assert [m["overdue"] for m in listing["months"]] == [True] * 5 + [False]
    assert listing["most_instalments"] == 6 and listing["plan"] is None
    slip = app.get(listing["months"][-1]["slip"])
    assert slip.status_code == 200 and "NT$826" in pdf_text(slip.content).replace(" ", "")
    proposal = app.get(base + "instalments/proposal/?count=4").json()
    assert [i["amount"] for i in proposal["instalments"]] == [1239, 1239, 1239, 1239]
    bad = app.get(base + "instalments/proposal/?count=40&lang=en")
    assert bad.status_code == 400 and "from 2 to 6" in bad.json()["errors"]["count"][0]
    body = {"count": 4, "months": proposal["months"]}
    accepted = app.post(base + "instalments/", body, format="json")
    assert accepted.status_code == 201 and len(accepted.json()["instalments"]) == 4
    assert app.post(base + "instalments/", body, format="json").status_code == 200
    assert InstalmentPlan.objects.count() == 1
    after = app.get(base).json()
    assert all(m["in_instalments"] and m["slip"] is None for m in after["months"])
    assert after["plan"]["total"] == TOTAL and after["most_instalments"] == 0
    assert app.get(after["plan"]["instalments"][0]["slip"]).status_code == 200
    refused = app.post(base + "instalments/", {"count": 2, "months": proposal["months"]}, format="json")
    assert refused.status_code == 409 and list(refused.json()["errors"]) == ["instalments"]
    wrong = app.post(base + "instalments/", {"count": 2, "months": "all"}, format="json")
    assert wrong.status_code == 400 and list(wrong.json()["errors"]) == ["months"]
