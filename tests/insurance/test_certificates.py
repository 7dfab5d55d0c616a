"""中英文投保證明 and 保險費繳納證明 (SPEC §10): issuing on the web, the PDF, and the public check page."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image

from healthbank import policy
from healthbank.audit.models import AccessLog
from healthbank.identity.models import Enrolment, Person
from healthbank.insurance import certificate_rules, certificates
from healthbank.insurance.models import IssuedDocument, PremiumCalculation, PremiumPayment
from tests.insurance.conftest import web_client_for
from tests.insurance.test_pdf_layer import pdf_text

pytestmark = pytest.mark.django_db


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def insurance_url(person: Person) -> str:
    return f"/services/{person.pk}/certificates/insurance/"


def premiums_url(person: Person) -> str:
    return f"/services/{person.pk}/certificates/premiums/"


def pay_year(parent: Person, year: int, months=range(1, 13), amount: int = 2844, billed: int = 4) -> None:
    """The parent's premium for each month of ``year``, each paid on the 15th of the next month (payroll)."""
    unit = Enrolment.objects.filter(person=parent).first().unit
    for month in months:
        calc = PremiumCalculation.objects.create(
            person=parent,
            unit=unit,
            month=dt.date(year, month, 1),
            insured_salary=45800,
            rate_per_ten_thousand=517,
            contribution_share_pct=30,
            insured_count=billed,
            amount=amount,
        )
        paid = dt.date(year, month, 15) + dt.timedelta(days=28)
        PremiumPayment.objects.create(person=parent, calculation=calc, paid_on=paid, amount=amount, method="payroll")


def issue(client, person, **form):
    body = {"date_from": "2020-01-01", "date_to": "2024-12-31", "language": "zh-hant", "name_en": "", **form}
    return client.post(insurance_url(person), body)


# ---------------------------------------------------------------- the pure rules


def test_a_code_is_sixteen_unambiguous_characters_read_back_as_typed():
    code = certificate_rules.new_code()
    assert len(code) == 16 and set(code) <= set(policy.CERTIFICATE_CODE_ALPHABET)
    assert not set(code) & set("ILOU")
    assert certificate_rules.normalise_code(certificate_rules.grouped(code).lower()) == code
    assert certificate_rules.normalise_code("ABCD-EFGH-JKMN-PQRO") == "ABCDEFGHJKMNPQR0"  # O read as 0
    assert certificate_rules.normalise_code("ABCD-EFGH-JKMN-PQR") == ""  # too short
    assert certificate_rules.normalise_code("ABCD<EFGH>JKMNPQRS") == ""


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("chen,ta-wen", "CHEN, TA-WEN"), ("  O'Neil  Mary ", "O'NEIL MARY"), ("Lin , Shu-Fen", "LIN, SHU-FEN")],
)
def test_a_passport_name_is_tidied(typed, expected):
    assert certificate_rules.passport_name(typed) == expected


@pytest.mark.parametrize(
    ("typed", "reason"), [("", "empty"), ("陳大文", "letters"), ("CHEN2", "letters"), ("A" * 51, "long")]
)
def test_a_passport_name_that_is_not_one_is_refused(typed, reason):
    with pytest.raises(ValueError, match=reason):
        certificate_rules.passport_name(typed)


# ---------------------------------------------------------------- certificate of insurance on the web


def test_a_chinese_certificate_lists_the_insured_periods_and_can_be_checked(household):
    parent = household.parent
    client = web_client_for(parent)
    page = client.get(insurance_url(parent))
    assert page.status_code == 200 and "投保證明" in page.content.decode()
    response = issue(client, parent)
    assert response.status_code == 302
    document = IssuedDocument.objects.get(person=parent)
    assert document.language == "zh-hant" and document.kind == "insurance"
    assert len(document.code) == 16
    assert document.snapshot["periods"][0]["from"] == "2020-01-01"
    assert document.verifiable_until - document.issued_at == policy.CERTIFICATE_VERIFIABLE_FOR

    shown = client.get(response["Location"]).content.decode()
    assert certificate_rules.grouped(document.code) in shown
    assert f"/verify/{document.code}/" in shown

    pdf = client.get(f"/services/{parent.pk}/certificates/{document.pk}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = flat(pdf_text(pdf.content))
    assert "全民健康保險投保證明" in text
    assert "陳大文" in text and parent.national_id_masked in text
    assert "109/01/01" in text and "113/12/31" in text  # the period, in the ROC calendar
    assert "第一類" in text and "被保險人" in text and "測試公司" in text
    assert certificate_rules.grouped(document.code) in text
    assert parent.national_id not in text


def test_an_english_certificate_prints_the_passport_name(household):
    parent = household.parent
    client = web_client_for(parent)
    response = issue(client, parent, language="en", name_en="chen , ta-wen")
    assert response.status_code == 302
    document = IssuedDocument.objects.get(person=parent)
    assert document.snapshot["name_en"] == "CHEN, TA-WEN"
    text = pdf_text(client.get(f"/services/{parent.pk}/certificates/{document.pk}/pdf").content)
    assert "Certificate of National Health Insurance" in text
    assert "CHEN, TA-WEN" in text
    assert "2020-01-01" in text and "Category 1" in text
    assert f"/en/verify/{document.code}/" in flat(text)
    page = client.get(f"/en/services/{parent.pk}/certificates/{document.pk}/")
    assert "CHEN, TA-WEN" in page.content.decode()


def test_the_qr_code_in_the_pdf_opens_the_check_page(household):
    parent = household.parent
    document = certificates.issue_insurance_certificate(
        parent, parent, date_from=dt.date(2020, 1, 1), date_to=dt.date(2021, 1, 1), language="zh-hant"
    )
    url = certificates.verify_url(document)
    image = Image.open(io.BytesIO(certificates.qr_png(url)))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert found[0].text == url and url.endswith(f"/verify/{document.code}/")
    # the picture the PDF embeds is that PNG
    context_qr = certificates.qr_data_url(url)
    html = certificates.pdf.document_html(
        "insurance/pdf/insurance_certificate.html",
        {"doc": certificates.content(document), "verify_url": url, "qr": context_qr},
        language="zh-hant",
    )
    assert context_qr in html


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"date_from": "2000-01-01", "date_to": "2005-12-31"}, "date_from", "沒有投保"),
        ({"date_from": "2024-01-01", "date_to": "2023-01-01"}, "date_to", "早於"),
        ({"date_from": "yesterday"}, "date_from", "不是有效的日期"),
        ({"date_to": "2999-01-01"}, "date_to", "今天"),
        ({"language": "fr"}, "language", "中文或英文"),
        ({"language": "en", "name_en": "陳大文"}, "name_en", "拉丁字母"),
        ({"language": "en", "name_en": ""}, "name_en", "護照"),
    ],
)
def test_a_bad_request_is_refused_naming_the_field_and_nothing_is_stored(household, form, field, words):
    client = web_client_for(household.parent)
    response = issue(client, household.parent, **form)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'data-field="{field}"' in page and words in page
    assert not IssuedDocument.objects.exists()


def test_partial_cover_shows_exactly_the_insured_days(household):
    enrolment = Enrolment.objects.get(person=household.spouse)
    enrolment.ended_on = dt.date(2015, 6, 30)
    enrolment.save()
    family = enrolment.household
    Enrolment.objects.create(
        person=household.spouse, household=family, unit=enrolment.unit, category=1, role="dependent",
        relationship="spouse", insured_salary=45800, started_on=dt.date(2016, 3, 1),
    )  # fmt: skip
    document = certificates.issue_insurance_certificate(
        household.parent,
        household.spouse,
        date_from=dt.date(2015, 1, 1),
        date_to=dt.date(2016, 12, 31),
        language="en",
        passport_name="LIN, SHU-FEN",
    )
    periods = [(p["from"], p["until"], p["still_insured"]) for p in document.snapshot["periods"]]
    assert periods == [("2015-01-01", "2015-06-30", False), ("2016-03-01", "2016-12-31", True)]


def test_the_insured_person_issues_one_for_a_dependent_and_it_is_in_the_dependent_access_log(household):
    client = web_client_for(household.parent)
    response = issue(client, household.teen, date_from=(timezone.localdate() - dt.timedelta(days=30)).isoformat(),
                     date_to=timezone.localdate().isoformat())  # fmt: skip
    assert response.status_code == 302
    document = IssuedDocument.objects.get()
    assert document.person == household.teen and document.requested_by == household.parent
    assert AccessLog.objects.filter(person_id=household.teen.pk, detail="insurance_certificate").exists()


def test_another_persons_certificates_answer_404(household, other_person):
    document = certificates.issue_insurance_certificate(
        household.parent, household.parent, date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 2, 1), language="en",
        passport_name="CHEN, TA-WEN",
    )  # fmt: skip
    stranger = web_client_for(other_person)
    assert stranger.get(insurance_url(household.parent)).status_code == 404
    assert issue(stranger, household.parent).status_code == 404
    assert stranger.get(f"/services/{household.parent.pk}/certificates/{document.pk}/pdf").status_code == 404
    assert stranger.get(f"/services/{other_person.pk}/certificates/{document.pk}/pdf").status_code == 404
    # a dependent does not act for the insured person, and the premium certificate is the payer's own
    teen = web_client_for(household.teen)
    assert teen.get(insurance_url(household.parent)).status_code == 404
    assert web_client_for(household.parent).get(premiums_url(household.spouse)).status_code == 404


def test_the_same_certificate_the_same_day_is_the_same_code(household):
    client = web_client_for(household.parent)
    first, second = issue(client, household.parent), issue(client, household.parent)
    assert first["Location"] == second["Location"]
    assert IssuedDocument.objects.count() == 1
    issue(client, household.parent, language="en", name_en="CHEN, TA-WEN")
    assert IssuedDocument.objects.count() == 2


def test_the_pages_are_in_english_too(household):
    client = web_client_for(household.parent)
    page = client.get(f"/en{insurance_url(household.parent)}").content.decode()
    assert "Certificate of insurance" in page and "投保證明" not in page
    assert "For: " not in page
    page = client.get(f"/en{premiums_url(household.parent)}").content.decode()
    assert "Premium payment certificate" in page


# ---------------------------------------------------------------- the public check page


def test_anyone_checks_a_genuine_certificate_without_logging_in(household, client):
    document = certificates.issue_insurance_certificate(
        household.parent, household.parent, date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 12, 31),
        language="zh-hant",
    )  # fmt: skip
    response = client.get(f"/verify/{document.code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "真實" in page and "陳大文" in page and household.parent.national_id_masked in page
    assert "109/01/01" in page and "測試公司" in page
    assert household.parent.national_id not in page
    assert response["Cache-Control"] == "no-store"
    # typed in the form, lower case with dashes: the same page
    typed = client.get("/en/verify/", {"code": certificate_rules.grouped(document.code).lower()})
    assert typed.status_code == 302 and typed["Location"] == f"/en/verify/{document.code}/"
    english = client.get(typed["Location"]).content.decode()
    assert "Genuine" in english and "2020-01-01" in english
    document.refresh_from_db()
    assert document.times_checked == 2
    # the person sees it was checked
    mine = web_client_for(household.parent).get(insurance_url(household.parent)).content.decode()
    assert "已在網路上查驗 2 次" in mine


def test_an_altered_or_unknown_code_is_refused_without_a_hint(household, client):
    document = certificates.issue_insurance_certificate(
        household.parent, household.parent, date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 12, 31),
        language="zh-hant",
    )  # fmt: skip
    last = document.code[-1]
    altered = document.code[:-1] + ("2" if last != "2" else "3")
    answers = [client.get(f"/en/verify/{code}/") for code in (altered, "0" * 16, "NOT-A-CODE")]
    assert [a.status_code for a in answers] == [404, 404, 404]
    bodies = [
        re.sub(r'value="[^"]*"', "", a.content.decode().replace(code, ""))  # the code typed, the CSRF token
        for a, code in zip(answers, (altered, "0" * 16, "NOT-A-CODE"), strict=True)
    ]
    assert "No certificate has this code" in bodies[0]
    assert "陳大文" not in bodies[0]
    assert bodies[0] == bodies[1]  # a near miss says exactly what a wild guess says
    for typed in ("/", "ABC?D#", "x" * 500):
        answer = client.get("/verify/", {"code": typed})
        assert answer.status_code == 404 and "查無此驗證碼的證明" in answer.content.decode()


def test_guessing_is_throttled_per_address_and_a_genuine_code_never_is(household, client):
    document = certificates.issue_insurance_certificate(
        household.parent, household.parent, date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 12, 31),
        language="zh-hant",
    )  # fmt: skip
    allowed, _window = policy.CERTIFICATE_VERIFY_ATTEMPTS
    for _ in range(allowed * 2):
        assert client.get(f"/verify/{document.code}/").status_code == 200
    for _ in range(allowed):
        assert client.get("/verify/ABCDABCDABCDABCD/").status_code == 404
    refused = client.get(f"/verify/{document.code}/")
    assert refused.status_code == 429 and "陳大文" not in refused.content.decode()
    from django.test import Client

    elsewhere = Client(REMOTE_ADDR="192.0.2.77")
    assert elsewhere.get(f"/verify/{document.code}/").status_code == 200


def test_an_expired_certificate_is_no_longer_confirmed(household, client, time_machine):
    document = certificates.issue_insurance_certificate(
        household.parent, household.parent, date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 12, 31),
        language="zh-hant",
    )  # fmt: skip
    time_machine.move_to(document.verifiable_until + dt.timedelta(minutes=1))
    response = client.get(f"/verify/{document.code}/")
    assert response.status_code == 410
    assert "陳大文" not in response.content.decode()


# ---------------------------------------------------------------- premium payment certificate


def test_a_premium_certificate_gives_the_year_per_person_and_the_total(household):
    parent = household.parent
    pay_year(parent, 2024)  # paid 2024-02 … 2025-01: eleven payments in 2024
    client = web_client_for(parent)
    assert client.get(premiums_url(parent)).status_code == 200
    response = client.post(premiums_url(parent), {"year": "2024", "language": "zh-hant"})
    assert response.status_code == 302
    document = IssuedDocument.objects.get(kind="premiums_paid")
    assert document.snapshot["total"] == 11 * 2844
    people = {p["name"]: p["amount"] for p in document.snapshot["people"]}
    assert people == {"陳大文": 11 * 711, "林淑芬": 11 * 711, "陳小華": 11 * 711, "陳小安": 11 * 711}
    text = flat(pdf_text(client.get(f"/services/{parent.pk}/certificates/{document.pk}/pdf").content))
    assert "保險費繳納證明" in text and "綜合所得稅" in text and "列舉扣除額" in text
    assert "31,284" in text and "林淑芬" in text
    assert certificate_rules.grouped(document.code) in text
    check = web_client_for(household.spouse).get(f"/verify/{document.code}/").content.decode()
    assert "31,284" in check


def test_a_year_without_payments_is_refused_naming_the_year(household):
    client = web_client_for(household.parent)
    response = client.post(premiums_url(household.parent), {"year": "2019", "language": "zh-hant"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-field="year"' in page and "沒有" in page
    assert not IssuedDocument.objects.exists()


def test_the_demo_issues_certificates_once(household):
    from healthbank.demo.certificates import set_up_certificates

    household.parent.name_en = "CHEN, TA-WEN"
    household.parent.save()
    pay_year(household.parent, timezone.localdate().year - 1, months=range(1, 4))
    issued = set_up_certificates([("insured", household.parent)])
    assert issued >= 3
    kinds = sorted(IssuedDocument.objects.filter(person=household.parent).values_list("kind", "language"))
    assert kinds == [("insurance", "en"), ("insurance", "zh-hant"), ("premiums_paid", "zh-hant")]
    assert set_up_certificates([("insured", household.parent)]) == 0


def test_two_identical_requests_at_once_store_one_certificate(household, monkeypatch):
    """The second request misses the first one's row (it was not committed yet when it looked) and meets the
    unique constraint instead: it answers with that row, and one certificate is stored."""
    parent = household.parent
    period = {"date_from": dt.date(2020, 1, 1), "date_to": dt.date(2020, 12, 31), "language": "zh-hant"}
    first = certificates.issue_insurance_certificate(parent, parent, **period)
    assert first.newly_issued
    looked = []
    real_filter = IssuedDocument.objects.filter

    def not_there_yet(*args, **kwargs):
        looked.append(kwargs)
        rows = real_filter(*args, **kwargs)
        return rows.none() if len(looked) == 1 else rows

    monkeypatch.setattr(IssuedDocument.objects, "filter", not_there_yet)
    second = certificates.issue_insurance_certificate(parent, parent, **period)
    assert len(looked) == 2  # the look before, then the look after the constraint refused the insert
    assert second.pk == first.pk and second.code == first.code and not second.newly_issued
    assert real_filter(person=parent).count() == 1
