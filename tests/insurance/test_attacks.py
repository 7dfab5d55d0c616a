"""The personal NHI data services (SPEC §10) tried as an attacker would: someone else's id on every page and
app endpoint, ids of another person's rows in a body, two identical requests at once, malformed input.

What each must answer: 404 exactly like a missing id and nothing stored; one row for two identical requests;
a 4xx naming the field for bad input, never a 5xx.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.apps import apps
from django.utils import timezone
from rest_framework.test import APIClient

from healthbank import external
from healthbank.accounts.models import OutboxEmail
from healthbank.accounts.outbox import queue_email
from healthbank.audit.models import AccessLog
from healthbank.core.national_id import with_check_digit
from healthbank.identity.models import Enrolment, Person
from healthbank.identity.services import create_person, enrol_dependent, issue_card, start_household
from healthbank.insurance import card_replacement, certificate_rules, certificates, debits, notices, unpaid_services
from healthbank.insurance.models import (
    CardReplacementRequest,
    DirectDebit,
    EBillSubscription,
    Instalment,
    InstalmentPlan,
    Letter,
    PremiumCalculation,
    PremiumPayment,
    TownshipRequest,
)
from tests.accounts.test_parallel_limits import together
from tests.insurance import test_direct_debit, test_township
from tests.insurance.conftest import app_client_for, web_client_for
from tests.insurance.test_card_replacement import ADDRESS as CARD_ADDRESS
from tests.insurance.test_certificates import pay_year
from tests.insurance.test_direct_debit import ACCOUNT, form
from tests.insurance.test_township import at
from tests.insurance.test_township import pdf as township_pdf
from tests.vcard.conftest import jpeg, jpeg_upload, unit

pytestmark = pytest.mark.django_db
bills = test_direct_debit.bills  # the fixture: three unpaid months of 陳大文, who pays his own bill
villager = test_township.villager  # 林阿土, insured at a township office, his wife his dependent
_document_dirs = test_township._document_dirs

ANY_ID = "5b0d3f0e-4c1a-4e7b-9a43-2f1c0d9e8b7a"

# Every page of the services under /services/<person_id>/ (GET), and those that take a form (POST).
WEB_PAGES = [
    "enrolments/",
    "enrolments/print/",
    "address/",
    "notices/",
    f"notices/post/{ANY_ID}/",
    "preventive-check/",
    "certificates/insurance/",
    "certificates/premiums/",
    f"certificates/{ANY_ID}/",
    f"certificates/{ANY_ID}/pdf",
    "township/",
    "township/enrol/",
    "premiums/",
    "premiums/instalments/",
    f"premiums/{ANY_ID}/slip.pdf",
    "premiums/instalments/1/slip.pdf",
    "direct-debit/",
    "ebill/",
    "ebill/2026-10.pdf",
    "card/",
    f"card/{ANY_ID}/photo",
    "cases/",
    "employer-records/",
]
WEB_FORMS = [
    "address/",
    "certificates/insurance/",
    "certificates/premiums/",
    "township/enrol/",
    "township/suspend/",
    "premiums/instalments/",
    "direct-debit/",
    "ebill/",
    "card/",
]
# Every app endpoint under /api/app/v1/services/<person_id>/, with the methods it answers.
APP_ENDPOINTS = [
    ("get", "enrolments/"),
    ("get", "address/"),
    ("post", "address/"),
    ("get", "notices/"),
    ("get", f"notices/post/{ANY_ID}/"),
    ("get", "preventive-check/"),
    ("get", "certificates"),
    ("post", "certificates/insurance"),
    ("post", "certificates/premiums"),
    ("get", f"certificates/{ANY_ID}/pdf"),
    ("get", "township"),
    ("post", "township"),
    ("get", "unpaid-premiums/"),
    ("get", "unpaid-premiums/instalments/proposal/"),
    ("post", "unpaid-premiums/instalments/"),
    ("get", f"unpaid-premiums/{ANY_ID}/slip.pdf"),
    ("get", "unpaid-premiums/instalments/1/slip.pdf"),
    ("get", "direct-debit/"),
    ("post", "direct-debit/"),
    ("get", "ebill/"),
    ("put", "ebill/subscription/"),
    ("delete", "ebill/subscription/"),
    ("get", "ebill/2026-10.pdf"),
    ("get", "card-replacement"),
    ("post", "card-replacement"),
    ("get", "cases"),
    ("get", "employer-records"),
]


def stored_rows() -> dict[str, int]:
    """How many rows each model of the services (and the people's enrolments and cards) holds."""
    models = [*apps.get_app_config("insurance").get_models(), Enrolment, apps.get_model("identity", "NhiCard")]
    return {m.__name__: m.objects.count() for m in models}


@pytest.fixture
def outsiders(household) -> dict[str, Person]:
    """The people 陳大文 (the household's insured person) must not reach: each a 404 like a missing id."""
    today = timezone.localdate()
    stranger = create_person(
        national_id=with_check_digit("A22345678"), name="王美華", sex="F", birth_date=dt.date(1975, 1, 2)
    )
    issue_card(stranger, card_number="000099990001", issued_on=dt.date(2015, 1, 1))
    # An adult of the same family and employer, insured in their own right: not his dependent.
    brother = create_person(
        national_id=with_check_digit("C10000011"), name="陳大明", sex="M", birth_date=dt.date(1981, 4, 4)
    )
    issue_card(brother, card_number="000099990002", issued_on=dt.date(2015, 1, 1))
    family = start_household(brother, unit(), category=1, salary=45800, since=dt.date(2012, 1, 1))
    # His daughter of 10: a dependent, but of another household.
    niece = create_person(
        national_id=with_check_digit("C20000012"),
        name="陳小芳",
        sex="F",
        birth_date=today.replace(year=today.year - 10),
    )
    enrol_dependent(family, niece, relationship=Enrolment.Relationship.CHILD, since=niece.birth_date)
    # The child of 16 who left his household (enrolled elsewhere now): no longer his dependent.
    Enrolment.objects.filter(person=household.teen, role=Enrolment.Role.DEPENDENT).update(
        ended_on=today - dt.timedelta(days=1)
    )
    return {
        "stranger": stranger,
        "adult not a dependent": brother,
        "another household's dependent": niece,
        "former dependent": household.teen,
    }


@pytest.mark.parametrize(
    "who", ["stranger", "adult not a dependent", "another household's dependent", "former dependent", "no such person"]
)
def test_someone_elses_id_is_404_on_every_page_and_nothing_is_stored(household, outsiders, who):
    target = outsiders[who].pk if who in outsiders else uuid.uuid4()
    web = web_client_for(household.parent)
    before = stored_rows()
    for page in WEB_PAGES:
        response = web.get(f"/en/services/{target}/{page}")
        assert response.status_code == 404, (page, response.status_code)
        assert outsiders["stranger"].name not in response.content.decode(errors="replace")
    for page in WEB_FORMS:
        response = web.post(f"/en/services/{target}/{page}", {"reason": "lost", "months": [ANY_ID], "count": "3"})
        assert response.status_code == 404, (page, response.status_code)
    app = app_client_for(household.parent)
    before["OnlineAccount"] = None  # the app login made one for him; nothing of the services
    for method, endpoint in APP_ENDPOINTS:
        response = getattr(app, method)(f"/api/app/v1/services/{target}/{endpoint}?lang=en")
        assert response.status_code == 404, (method, endpoint, response.status_code)
        assert response.json() == {"errors": {"request": ["Not found."]}}
    after = stored_rows()
    assert {k: v for k, v in after.items() if k in before} == {k: v for k, v in before.items() if v is not None}


# ---------------------------------------------------------------- a month is paid one way only


def _accept_plan(household, bills):
    return unpaid_services.accept_plan(household.parent, count=2, months=[row.pk for row in bills])


def test_a_month_in_the_instalment_plan_is_not_debited_again(household, bills):
    """Found: the direct debit offered and paid a month of the open instalment plan, which still asked for it."""
    plan, _created = _accept_plan(household, bills)
    web = web_client_for(household.parent)
    page = web.get(f"/en/services/{household.parent.pk}/direct-debit/")
    assert str(bills[0].pk) not in page.content.decode()  # not offered
    refused = web.post(f"/en/services/{household.parent.pk}/direct-debit/", form([bills[0]]))
    assert refused.status_code == 409 and 'data-field="months"' in refused.content.decode()
    app = app_client_for(household.parent)
    path = f"/api/app/v1/services/{household.parent.pk}/direct-debit/?lang=en"
    assert app.get(path).json()["unpaid"] == []
    answer = app.post(path, form([bills[1]]), format="json")
    assert answer.status_code == 409 and "instalment plan" in answer.json()["errors"]["months"][0]
    assert not PremiumPayment.objects.exists() and not DirectDebit.objects.exists()
    assert plan.instalments.count() == 2


def test_a_month_being_debited_is_not_put_in_an_instalment_plan(household, bills, monkeypatch):
    """The debit claimed the month and waits for the bank: accepting a plan of it meanwhile is refused."""
    accepted = []

    def plan_while_the_bank_thinks(self, **kwargs):
        with pytest.raises(unpaid_services.PremiumRefused) as refused:
            _accept_plan(household, bills)
        accepted.append((refused.value.field, refused.value.status))
        return real_debit(self, **kwargs)

    adapter = external.adapter("bank")
    real_debit = type(adapter).debit
    monkeypatch.setattr(type(adapter), "debit", plan_while_the_bank_thinks)
    debits.debit_months(
        household.parent, calculation_ids=[bills[0].pk], bank_code="812", account_number=ACCOUNT, request_key="k" * 10
    )
    assert accepted == [("months", 409)]
    assert not InstalmentPlan.objects.exists()
    assert PremiumPayment.objects.get().calculation == bills[0]


@pytest.mark.django_db(transaction=True)
def test_a_debit_and_a_plan_of_the_same_months_at_once_leave_each_month_paid_one_way(household, bills):
    def attempt(n):
        try:
            if n == 0:
                return _accept_plan(household, bills)
            return debits.debit_months(
                household.parent,
                calculation_ids=[bills[0].pk],
                bank_code="812",
                account_number=ACCOUNT,
                request_key=f"parallel-{n}",
            )
        except (debits.DebitRefused, unpaid_services.PremiumRefused) as refused:
            return refused

    outcomes = together(2, attempt)
    refused = [o for o in outcomes if isinstance(o, (debits.DebitRefused, unpaid_services.PremiumRefused))]
    # Whichever writes second is refused: 409 when the two meet at the lock; 400 "the unpaid months have changed,
    # work it out again" when the debit was written before the plan looked (a loaded machine runs them one by one).
    assert len(refused) == 1 and refused[0].status in (400, 409), outcomes
    in_plan = InstalmentPlan.objects.filter(calculations=bills[0]).exists()
    assert in_plan != PremiumPayment.objects.filter(calculation=bills[0]).exists()


# ---------------------------------------------------------------- malformed input


LONG_EMAIL = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".tw"  # 307 characters: Django's validator takes it


def test_an_email_longer_than_the_column_is_refused_naming_it(villager, time_machine):
    """Found: an address of 255 to 320 characters passed the check and PostgreSQL refused the row (a 500)."""
    at(time_machine, dt.date(2026, 11, 20))
    web = web_client_for(villager)
    response = web.post(
        f"/en/services/{villager.pk}/township/transfer_out/",
        {"reason": "moved", "event_on": "2026-12-01", "email": LONG_EMAIL, "document": township_pdf()},
    )
    assert response.status_code == 400 and 'data-field="email"' in response.content.decode()
    app = app_client_for(villager)
    answer = app.post(
        f"/api/app/v1/services/{villager.pk}/township?lang=en",
        {"kind": "transfer_out", "reason": "moved", "event_on": "2026-12-01", "email": LONG_EMAIL,
         "document": township_pdf()},
        format="multipart",
    )  # fmt: skip
    assert answer.status_code == 400 and list(answer.json()["errors"]) == ["email"]
    assert not TownshipRequest.objects.exists()


@pytest.mark.parametrize(
    "count", [b"1e400", b"-1e400", b"3.5", b"true", b"[3]", b'{"n": 3}', b'"3.5"', b'"\xef\xbc\x93"']
)
def test_a_number_of_instalments_that_is_no_whole_number_is_refused_naming_it(household, bills, count):
    """Found: ``1e400`` (JSON's infinity) answered 500, and 3.5 was taken as 3."""
    app = app_client_for(household.parent)
    url = f"/api/app/v1/services/{household.parent.pk}/unpaid-premiums/instalments/?lang=en"
    months = json.dumps([str(row.pk) for row in bills]).encode()
    body = b'{"count": %b, "months": %b}' % (count, months)
    answer = app.generic("POST", url, body, content_type="application/json")
    assert answer.status_code == 400 and list(answer.json()["errors"]) == ["count"]
    assert not InstalmentPlan.objects.exists()
    _accept_plan(household, bills)  # with a plan open, the same body is a different plan: refused, not a 500
    answer = app.generic("POST", url, body, content_type="application/json")
    assert answer.status_code == 409 and list(answer.json()["errors"]) == ["instalments"]
    web = web_client_for(household.parent)
    page = web.get(f"/en/services/{household.parent.pk}/premiums/instalments/", {"count": "1e400"})
    assert page.status_code in (400, 409)


def test_an_unknown_e_bill_action_is_refused_and_subscribes_nobody(household):
    """Found: any action but ``unsubscribe`` (a typo, a forged form) subscribed the person."""
    app_client_for(household.parent)  # registered for the online services: a confirmed e-mail
    web = web_client_for(household.parent)
    response = web.post(f"/en/services/{household.parent.pk}/ebill/", {"action": "x" * 5000})
    assert response.status_code == 400
    assert "Choose to subscribe or to unsubscribe." in response.content.decode()
    assert not EBillSubscription.objects.exists()
    assert web.post(f"/en/services/{household.parent.pk}/ebill/", {"action": "subscribe"}).status_code == 302
    assert EBillSubscription.objects.get().active


# ---------------------------------------------------------------- identical requests at once (real threads)


def two_phones(person) -> list[APIClient]:
    """Two app clients with the person's one token (a second binding would end the first phone's token)."""
    first = app_client_for(person)
    second = APIClient(REMOTE_ADDR="10.99.0.2")
    second.credentials(**first._credentials)
    return [first, second]


def _at_once(attempts: list) -> list:
    """Each of ``attempts`` (no arguments) from its own thread and connection, released together."""
    return together(len(attempts), lambda n: attempts[n]())


@pytest.mark.django_db(transaction=True)
def test_two_identical_township_requests_at_once_store_one(villager, settings, time_machine):
    at(time_machine, dt.date(2026, 11, 20))
    apps_ = two_phones(villager)
    url = f"/api/app/v1/services/{villager.pk}/township?lang=en"
    body = {"kind": "transfer_out", "reason": "moved", "event_on": "2026-12-01", "email": "lin@example.tw"}
    answers = _at_once(
        [lambda a=a: a.post(url, {**body, "document": township_pdf()}, format="multipart") for a in apps_]
    )
    assert sorted(r.status_code for r in answers) == [201, 409]
    refused = next(r for r in answers if r.status_code == 409)
    assert list(refused.json()["errors"]) == ["kind"]
    assert TownshipRequest.objects.count() == 1
    folder = settings.TOWNSHIP_DOCUMENT_DIR
    assert len([p for p in folder.rglob("*") if p.is_file()]) == 1  # the refused one's document is not kept


@pytest.mark.django_db(transaction=True)
def test_two_identical_card_requests_at_once_store_one(household, settings, tmp_path):
    settings.VCARD_PHOTO_DIR = tmp_path / "photos"
    apps_ = two_phones(household.parent)
    url = f"/api/app/v1/services/{household.parent.pk}/card-replacement?lang=en"
    body = {"reason": "damaged", "county": "臺北市", "township": "大安區", "street": "羅斯福路四段1號",
            "fee_accepted": "true"}  # fmt: skip
    answers = _at_once([lambda a=a: a.post(url, {**body, "photo": jpeg_upload()}, format="multipart") for a in apps_])
    assert sorted(r.status_code for r in answers) == [201, 409]
    assert CardReplacementRequest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_accepting_the_same_schedule_twice_at_once_stores_one_plan(household, bills):
    apps_ = two_phones(household.parent)
    url = f"/api/app/v1/services/{household.parent.pk}/unpaid-premiums/instalments/?lang=en"
    body = {"count": 2, "months": [str(row.pk) for row in bills]}
    answers = _at_once([lambda a=a: a.post(url, body, format="json") for a in apps_])
    assert sorted(r.status_code for r in answers) == [200, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert InstalmentPlan.objects.count() == 1 and Instalment.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_subscribing_to_the_e_bill_twice_at_once_keeps_one_subscription(household):
    apps_ = two_phones(household.parent)
    url = f"/api/app/v1/services/{household.parent.pk}/ebill/subscription/?lang=en"
    answers = _at_once([lambda a=a: a.put(url) for a in apps_])
    assert [r.status_code for r in answers] == [200, 200]
    assert all(r.json()["subscribed"] for r in answers)
    assert EBillSubscription.objects.filter(person=household.parent, active=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_paying_the_same_month_twice_at_once_by_the_app_debits_once(household, bills, monkeypatch):
    asked = []
    adapter = external.adapter("bank")
    real = type(adapter).debit
    monkeypatch.setattr(type(adapter), "debit", lambda self, **kw: asked.append(kw) or real(self, **kw))
    apps_ = two_phones(household.parent)
    url = f"/api/app/v1/services/{household.parent.pk}/direct-debit/?lang=en"
    answers = _at_once([lambda a=a: a.post(url, form([bills[0]]), format="json") for a in apps_])
    paid, refused = sorted(answers, key=lambda r: r.status_code)
    assert paid.status_code == 201
    # 409 when the other debit still held the month, 400 when it had paid it already: either way, named
    assert refused.status_code in (400, 409) and list(refused.json()["errors"]) == ["months"]
    assert len(asked) == 1 and PremiumPayment.objects.filter(calculation=bills[0]).count() == 1


# ---------------------------------------------------------------- another person's rows under one's own id


@pytest.fixture
def strangers_rows(outsiders, settings, tmp_path) -> dict:
    """A stranger's certificate, card request (with its photo), letter, e-mail and unpaid month."""
    settings.VCARD_PHOTO_DIR = tmp_path / "photos"
    stranger = outsiders["stranger"]
    office = unit("600000009")
    start_household(stranger, office, category=6, salary=0, since=dt.date(2020, 1, 1))
    today = timezone.localdate()
    month = PremiumCalculation.objects.create(
        person=stranger, unit=office, month=today.replace(day=1) - dt.timedelta(days=40), insured_salary=0,
        rate_per_ten_thousand=517, contribution_share_pct=60, insured_count=1, amount=826,
    )  # fmt: skip
    document = certificates.issue_insurance_certificate(
        stranger, stranger, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 12, 31), language="zh-hant"
    )
    card = card_replacement.submit_request(
        stranger, stranger, reason="damaged", photo=jpeg(), address=CARD_ADDRESS, fee_accepted=True
    )
    letter = notices.post_letter(stranger, Letter.Kind.choices[0][0], "王美華 的通知", "secret")
    email = queue_email(
        kind=OutboxEmail.Kind.SECURITY_NOTICE, to="w@example.tw", subject="王美華 的通知", body="secret",
        person_id=stranger.pk, deliver=False,
    )  # fmt: skip
    return {"month": month, "document": document, "card": card, "letter": letter, "email": email}


def test_another_persons_row_under_ones_own_id_is_404_or_refused_without_a_hint(household, strangers_rows):
    me = household.parent
    Enrolment.objects.filter(person=me, role=Enrolment.Role.INSURED).update(category=6)  # pays his own bill
    rows = strangers_rows
    web, app = web_client_for(me), app_client_for(me)
    before = stored_rows()
    for page in [
        f"certificates/{rows['document'].pk}/",
        f"certificates/{rows['document'].pk}/pdf",
        f"card/{rows['card'].pk}/photo",
        f"notices/post/{rows['letter'].pk}/",
        f"notices/email/{rows['email'].pk}/",
        f"premiums/{rows['month'].pk}/slip.pdf",
    ]:
        response = web.get(f"/en/services/{me.pk}/{page}")
        assert response.status_code == 404, page
        assert "王美華" not in response.content.decode(errors="replace")
    for endpoint in [
        f"certificates/{rows['document'].pk}/pdf",
        f"notices/post/{rows['letter'].pk}/",
        f"notices/email/{rows['email'].pk}/",
        f"unpaid-premiums/{rows['month'].pk}/slip.pdf",
    ]:
        response = app.get(f"/api/app/v1/services/{me.pk}/{endpoint}?lang=en")
        assert response.status_code == 404 and response.json() == {"errors": {"request": ["Not found."]}}, endpoint
    # the stranger's month in a debit or an instalment plan: refused as not one of his months
    pay = app.post(f"/api/app/v1/services/{me.pk}/direct-debit/?lang=en", form([rows["month"]]), format="json")
    assert pay.status_code == 400 and list(pay.json()["errors"]) == ["months"]
    assert "王美華" not in pay.content.decode()
    web_pay = web.post(f"/en/services/{me.pk}/direct-debit/", form([rows["month"]]))
    assert web_pay.status_code == 400 and 'data-field="months"' in web_pay.content.decode()
    accept = web.post(f"/en/services/{me.pk}/premiums/instalments/", {"count": "2", "months": [str(rows["month"].pk)]})
    assert 400 <= accept.status_code < 500
    assert stored_rows() == before
    owner = web_client_for(rows["document"].person)  # the same addresses answer their owner: the ids are real
    for page in [f"certificates/{rows['document'].pk}/", f"notices/post/{rows['letter'].pk}/",
                 f"notices/email/{rows['email'].pk}/", f"premiums/{rows['month'].pk}/slip.pdf",
                 f"card/{rows['card'].pk}/photo"]:  # fmt: skip
        assert owner.get(f"/en/services/{rows['document'].person.pk}/{page}").status_code == 200, page


# ---------------------------------------------------------------- the public check of a certificate


def test_a_genuine_code_with_anything_after_it_is_refused_like_an_unknown_one(household, client):
    """Found: the check read only the first 64 characters, so a code padded with dashes and any tail passed."""
    document = certificates.issue_insurance_certificate(
        household.parent, household.parent, date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 12, 31),
        language="zh-hant",
    )  # fmt: skip
    padded = document.code + "-" * 48 + "FORGED-BY-SOMEONE"
    for answer in (client.get(f"/en/verify/{padded}/"), client.get("/en/verify/", {"code": padded})):
        assert answer.status_code == 404
        page = answer.content.decode()
        assert "No certificate has this code" in page and "陳大文" not in page
    assert client.get(f"/en/verify/{certificate_rules.grouped(document.code)}/").status_code == 200


def test_a_certificate_id_of_someone_else_answers_exactly_like_a_missing_one(household):
    """Found: the page looked the id up among everybody's certificates to choose the service, so under a
    dependent's address the insured person's own premium certificate was a refusal in the dependent's access
    log where a missing id was a read: the log told the two apart."""
    pay_year(household.parent, 2024)
    mine = certificates.issue_premium_certificate(household.parent, household.parent, year=2024, language="en")
    web = web_client_for(household.parent)
    logged = []
    for document_id in (mine.pk, uuid.uuid4()):
        AccessLog.objects.filter(person_id=household.spouse.pk).delete()
        assert web.get(f"/en/services/{household.spouse.pk}/certificates/{document_id}/").status_code == 404
        logged.append(list(AccessLog.objects.filter(person_id=household.spouse.pk).values_list("what", "detail")))
    assert logged[0] == logged[1]
