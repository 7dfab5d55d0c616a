"""Case progress and employer records (SPEC §10): fed through the ingestion API, read by the person only."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from healthbank.audit.models import AccessLog
from healthbank.insurance.models import (
    CatastrophicIllnessCase,
    PriorReviewCase,
    ReimbursementCase,
    SalaryReport,
    SubsidyCase,
    WelfareSubsidy,
)
from tests.conftest import api_for, make_institution, post
from tests.insurance.conftest import app_client_for, web_client_for
from tests.staff import conftest as staff

pytestmark = pytest.mark.django_db

operator_client = staff.operator_client  # the staff tests' fixture, used here as it is
TODAY = dt.date(2026, 11, 20)
UNIT = "987654321"  # the household's employer (tests/vcard/conftest.py)


@pytest.fixture
def today(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False)
    return TODAY


@pytest.fixture
def nhia():
    return api_for(agency="NHIA")


@pytest.fixture
def hospital(db):
    return make_institution("0101090517", kind="medical_center")


def steps(*pairs) -> list[dict]:
    return [{"step": step, "on": on} for step, on in pairs]


def reimbursement(person, **changes) -> dict:
    return {
        "record_id": "R-1",
        "national_id": person.national_id,
        "where": "abroad",
        "country": "JP",
        "treated_from": "2026-08-03",
        "treated_until": "2026-08-05",
        "applied_on": "2026-10-15",
        "amount_claimed": 48200,
        "steps": steps(("received", "2026-10-15"), ("under_review", "2026-10-20")),
    } | changes


def catastrophic(person, **changes) -> dict:
    return {
        "record_id": "C-1",
        "national_id": person.national_id,
        "icd10": "E11.9",
        "applied_on": "2025-03-01",
        "steps": steps(("received", "2025-03-01"), ("approved", "2025-03-15")),
        "valid_from": "2025-03-01",
        "valid_until": "2030-02-28",
    } | changes


def prior_review(person, hospital, **changes) -> dict:
    return {
        "record_id": "PR-1",
        "national_id": person.national_id,
        "institution": hospital.code,
        "drug_code": "BC59114100",
        "applied_on": "2026-11-05",
        "steps": steps(("received", "2026-11-06")),
    } | changes


def subsidy(person, **changes) -> dict:
    return {
        "record_id": "S-1",
        "national_id": person.national_id,
        "kind": "near_poor",
        "applied_on": "2024-02-01",
        "steps": [
            {"step": "received", "on": "2024-02-01"},
            {"step": "documents_requested", "on": "2024-02-10", "note": "中低收入戶證明"},
            {"step": "refused", "on": "2024-03-20"},
        ],
    } | changes


# ------------------------------------------------------------------ ingestion


def test_each_case_type_is_stored_from_its_sender_and_refused_from_others(household, nhia, hospital, today):
    parent = household.parent
    assert post(nhia, "reimbursements", [reimbursement(parent)])[0] == 200
    assert post(nhia, "catastrophic-illness", [catastrophic(parent)])[0] == 200
    assert post(nhia, "subsidy-cases", [subsidy(parent)])[0] == 200
    assert post(api_for(hospital), "prior-reviews", [prior_review(parent, hospital)])[0] == 200
    case = ReimbursementCase.objects.get(person=parent)
    assert (case.status, case.status_on, case.amount_claimed) == ("under_review", dt.date(2026, 10, 20), 48200)
    assert CatastrophicIllnessCase.objects.get(person=parent).valid_until == dt.date(2030, 2, 28)
    assert PriorReviewCase.objects.get(person=parent).institution == hospital
    assert SubsidyCase.objects.get(person=parent).status == "refused"
    # An institution may not send the NHIA's cases, the NHIA or the CDC not an institution's prior review.
    assert post(api_for(hospital), "reimbursements", [reimbursement(parent, record_id="R-9")])[0] == 403
    assert post(nhia, "prior-reviews", [prior_review(parent, hospital, record_id="PR-9")])[0] == 403
    assert post(api_for(agency="CDC"), "subsidy-cases", [subsidy(parent, record_id="S-9")])[0] == 403
    # A prior review names the sender itself.
    other = make_institution("0140000011")
    status, body = post(api_for(other), "prior-reviews", [prior_review(parent, hospital, record_id="PR-2")])
    assert status == 422 and "institution" in body["results"][0]["errors"]


def test_a_new_step_corrects_the_case_and_a_resend_stores_nothing_new(household, nhia, today):
    parent = household.parent
    first = reimbursement(parent)
    assert post(nhia, "reimbursements", [first, first])[1]["summary"] == {
        "created": 1,
        "replaced": 0,
        "unchanged": 1,
        "rejected": 0,
    }
    decided = reimbursement(
        parent,
        steps=steps(("received", "2026-10-15"), ("partly_approved", "2026-11-02"), ("paid", "2026-11-10")),
        amount_approved=21600,
    )
    status, body = post(nhia, "reimbursements", [decided])
    assert status == 200 and body["results"][0]["status"] == "replaced"
    case = ReimbursementCase.objects.get(person=parent)
    assert (case.status, case.amount_approved, case.version) == ("paid", 21600, 2)
    # The same record id for another person: a record never changes owner.
    status, body = post(nhia, "reimbursements", [reimbursement(household.spouse)])
    assert status == 422 and "record_id" in body["results"][0]["errors"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"steps": steps(("under_review", "2026-10-15"))}, "steps[0].step"),
        ({"steps": steps(("received", "2026-10-15"), ("under_review", "2026-10-01"))}, "steps[1].on"),
        ({"steps": steps(("received", "2026-10-15"), ("paid", "2026-10-20"))}, "steps[1].step"),
        ({"steps": steps(("received", "2026-10-15"), ("refused", "2026-10-20"), ("approved", "2026-10-21"))},
         "steps[2].step"),
        ({"steps": steps(("received", "2026-10-15"), ("approved", "2026-10-20"))}, "amount_approved"),
        ({"amount_approved": 100}, "amount_approved"),
        ({"steps": steps(("received", "2026-10-15"), ("approved", "2026-10-20")), "amount_approved": 99999},
         "amount_approved"),
        ({"country": ""}, "country"),
        ({"where": "taiwan"}, "country"),
        ({"steps": steps(("received", "2026-12-01"))}, "steps[0].on"),  # after today
        ({"applied_on": "2026-08-01"}, "applied_on"),  # before the treatment
        ({"national_id": "A123456780"}, "national_id"),
    ],
)  # fmt: skip
def test_a_faulty_case_is_refused_naming_the_field_and_nothing_is_stored(household, nhia, today, changes, field):
    status, body = post(nhia, "reimbursements", [reimbursement(household.parent, **changes)])
    assert status == 422
    assert field in body["results"][0]["errors"], body
    assert not ReimbursementCase.objects.exists()


def test_catastrophic_illness_and_prior_review_rules(household, nhia, hospital, today):
    parent = household.parent
    refused_with_validity = catastrophic(parent, steps=steps(("received", "2025-03-01"), ("refused", "2025-03-15")))
    approved_without = catastrophic(parent, record_id="C-2", valid_from=None, valid_until=None)
    unknown_code = catastrophic(parent, record_id="C-3", icd10="X99.999")
    status, body = post(nhia, "catastrophic-illness", [refused_with_validity, approved_without, unknown_code])
    assert status == 422
    assert [set(r["errors"]) for r in body["results"]] == [{"valid_from"}, {"valid_from"}, {"icd10"}]
    both = prior_review(parent, hospital, payment_code="00158C")
    status, body = post(api_for(hospital), "prior-reviews", [both])
    assert status == 422 and "drug_code" in body["results"][0]["errors"]


def test_salary_reports_name_a_unit_the_person_is_insured_at(household, nhia, today):
    parent = household.parent
    report = {
        "record_id": "P-1",
        "national_id": parent.national_id,
        "unit": UNIT,
        "reason": "adjustment",
        "reported_on": "2026-01-28",
        "effective_on": "2026-02-01",
        "insured_salary": 48200,
    }
    assert post(nhia, "salary-reports", [report])[0] == 200
    assert SalaryReport.objects.get(person=parent).unit.code == UNIT
    unknown = report | {"record_id": "P-2", "unit": "123123123"}
    dependent = report | {"record_id": "P-3", "national_id": household.spouse.national_id}  # a dependent there
    before = report | {"record_id": "P-4", "effective_on": "2009-12-01"}
    status, body = post(nhia, "salary-reports", [unknown, dependent, before])
    assert status == 422
    assert [set(r["errors"]) for r in body["results"]] == [{"unit"}, {"effective_on"}, {"effective_on"}]
    subsidies = [
        {
            "record_id": "W-1",
            "national_id": parent.national_id,
            "month": "2026-10-01",
            "amount": 413,
            "fund": "lottery",
        },
        {
            "record_id": "W-2",
            "national_id": parent.national_id,
            "month": "2026-10-15",
            "amount": 413,
            "fund": "lottery",
        },
    ]
    status, body = post(nhia, "welfare-subsidies", subsidies)
    assert status == 207 and "month" in body["results"][1]["errors"]
    assert WelfareSubsidy.objects.count() == 1


# ------------------------------------------------------------------ the person's pages and the app


@pytest.fixture
def with_cases(household, nhia, hospital, today):
    parent = household.parent
    post(nhia, "reimbursements", [reimbursement(parent)])
    post(nhia, "catastrophic-illness", [catastrophic(parent)])
    post(nhia, "subsidy-cases", [subsidy(parent)])
    post(api_for(hospital), "prior-reviews", [prior_review(parent, hospital)])
    post(nhia, "catastrophic-illness", [catastrophic(household.spouse, record_id="C-spouse")])
    return household


def test_the_person_sees_their_cases_newest_first_with_the_steps_ahead(with_cases):
    page = web_client_for(with_cases.parent).get(f"/services/{with_cases.parent.pk}/cases/")
    assert page.status_code == 200
    text = page.content.decode()
    order = [text.index(s) for s in ("BC59114100", "日本", "E11.9", "中低收入戶")]
    assert order == sorted(order)  # prior review (Nov) → reimbursement (Oct) → certificate (2025) → subsidy (2024)
    assert "審查中" in text and "115/10/20" in text  # the step and its ROC date
    assert "尚未" in text  # the decision still ahead
    assert "NT$ 48,200" in text
    assert "114/03/01 – 119/02/28" in text  # the certificate's validity
    assert "Under review" not in text and "Application received" not in text  # no English on the Chinese page
    english = web_client_for(with_cases.parent).get(f"/en/services/{with_cases.parent.pk}/cases/").content.decode()
    assert "Under review" in english and "Treatment in Japan" in english and "2026-10-20" in english


def test_cases_and_employer_records_are_the_persons_own_not_a_dependents(with_cases):
    parent, spouse = with_cases.parent, with_cases.spouse
    web = web_client_for(parent)
    for path in ("cases/", "employer-records/"):
        assert web.get(f"/services/{spouse.pk}/{path}").status_code == 404  # a dependent now: still not theirs
        assert web.get(f"/services/{with_cases.child.pk}/{path}").status_code == 404
    app = app_client_for(parent)
    assert app.get(f"/api/app/v1/services/{spouse.pk}/cases").status_code == 404
    answer = app_client_for(spouse).get(f"/api/app/v1/services/{parent.pk}/cases")
    assert answer.status_code == 404 and answer.json()["errors"]
    assert not AccessLog.objects.filter(person_id=spouse.pk, what="nhi_services").exists()
    assert AccessLog.objects.filter(person_id=spouse.pk, what="refused").count() == 3  # web twice, the app once
    # Her own certificate is hers to see.
    mine = app_client_for(spouse).get(f"/api/app/v1/services/{spouse.pk}/cases?lang=en").json()["cases"]
    assert [c["fields"]["icd10"] for c in mine] == ["E11.9"]


def test_the_app_offers_the_cases_in_both_languages(with_cases):
    app = app_client_for(with_cases.parent)
    cases = app.get(f"/api/app/v1/services/{with_cases.parent.pk}/cases?lang=en").json()["cases"]
    assert [c["kind"] for c in cases] == ["prior_review", "reimbursement", "catastrophic_illness", "subsidy"]
    refund = cases[1]
    assert refund["title"] == "Treatment in Japan" and refund["fields"]["amount_claimed"] == 48200
    assert [(s["step"], s["state"]) for s in refund["steps"]] == [
        ("received", "done"),
        ("under_review", "current"),
        ("decision", "ahead"),
        ("paid", "ahead"),
    ]
    assert cases[3]["outcome"] == "refused" and cases[3]["steps"][1]["note"] == "中低收入戶證明"
    chinese = app.get(f"/api/app/v1/services/{with_cases.parent.pk}/cases").json()["cases"]
    assert chinese[1]["status_label"] == "審查中"


def test_employer_records_per_year_on_the_web_and_in_the_app(household, nhia, today):
    parent = household.parent
    base = {"national_id": parent.national_id, "unit": UNIT, "reason": "adjustment", "reported_on": "2025-01-20"}
    post(
        nhia,
        "salary-reports",
        [
            base | {"record_id": "P-25", "effective_on": "2025-02-01", "insured_salary": 45800},
            base | {"record_id": "P-26", "reported_on": "2026-01-20", "effective_on": "2026-02-01",
                    "insured_salary": 50600},
        ],
    )  # fmt: skip
    months = [dt.date(2026, m, 1).isoformat() for m in (8, 9, 10)]
    post(
        nhia,
        "welfare-subsidies",
        [
            {"record_id": f"W-{m}", "national_id": parent.national_id, "month": m, "amount": 826, "fund": "tobacco"}
            for m in months
        ],
    )
    web = web_client_for(parent)
    page = web.get(f"/services/{parent.pk}/employer-records/").content.decode()
    assert "NT$ 50,600" in page and "NT$ 45,800" not in page and "NT$ 2,478" in page  # 2026 and its total
    assert "115/02/01" in page and "菸品健康福利捐" in page and "115年" in page
    earlier = web.get(f"/services/{parent.pk}/employer-records/?year=2025").content.decode()
    assert "NT$ 45,800" in earlier and "NT$ 50,600" not in earlier
    wrong = web.get(f"/en/services/{parent.pk}/employer-records/?year=1999")
    assert wrong.status_code == 400 and "Year" in wrong.content.decode()
    app = app_client_for(parent)
    answer = app.get(f"/api/app/v1/services/{parent.pk}/employer-records?year=2026&lang=en").json()
    assert [r["insured_salary"] for r in answer["salary_reports"]] == [50600]
    assert answer["subsidy_total"] == 2478 and answer["subsidies"][0]["fund_label"].startswith("Tobacco")
    bad = app.get(f"/api/app/v1/services/{parent.pk}/employer-records?year=abc")
    assert bad.status_code == 400 and "year" in bad.json()["errors"]


def test_the_services_index_lists_both_for_the_person_only(household):
    page = web_client_for(household.parent).get("/en/services/").content.decode()
    assert page.count(f"/en/services/{household.parent.pk}/cases/") == 1
    assert f"/en/services/{household.spouse.pk}/cases/" not in page
    keys = [s["key"] for s in app_client_for(household.parent).get("/api/app/v1/services/").json()["services"]]
    assert {"cases", "employer_records"} <= set(keys)


# ------------------------------------------------------------------ the system check


@pytest.mark.parametrize(("path", "words"), [("/system-check/", "環境檢測"), ("/en/system-check/", "System check")])
def test_the_system_check_page_is_public_and_links_to_the_agent(client, path, words):
    page = client.get(path)
    assert page.status_code == 200
    text = page.content.decode()
    assert words in text and "system-check.js" in text and "<script>" not in text
    assert 'data-agent-url="http://127.0.0.1:7777"' in text
    download = client.get("/system-check/healthbank-cardagent.zip")
    assert download["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert {"cardagent/server.py", "cardagent/__main__.py", "cardagent/README.md"} <= set(names)
    readme = client.get("/system-check/cardagent-README.md")
    assert readme["Content-Type"].startswith("text/plain") and "python -m cardagent" in readme.content.decode()


# ------------------------------------------------------------------ the demo


def test_the_demo_sends_cases_matching_diagnoses_and_enrolments(household, today, monkeypatch):
    from healthbank.demo import cases as demo

    monkeypatch.setattr(demo, "CATASTROPHIC_SHARE", 1.0)
    clinic = make_institution("0140000011")
    visit = {
        "record_id": "V-1",
        "national_id": household.parent.national_id,
        "card_number": "000077770001",
        "institution": clinic.code,
        "kind": "western",
        "visit_date": "2025-06-02",
        "diagnoses": ["C18.9"],
    }
    assert post(api_for(clinic), "visits", [visit])[0] == 200
    sent = demo.add_cases(7, TODAY)
    assert sent["salary-reports"] == 1 and sent["catastrophic-illness"] == 1
    report = SalaryReport.objects.get(person=household.parent)
    assert (report.effective_on, report.insured_salary, report.unit.code) == (dt.date(2010, 1, 1), 45800, UNIT)
    certificate = CatastrophicIllnessCase.objects.get(person=household.parent)
    assert (
        certificate.icd10 == "C18.9"
        and certificate.institution == clinic
        and certificate.applied_on > dt.date(2025, 6, 2)
    )
    if certificate.status == "approved":
        assert certificate.valid_until.year == certificate.valid_from.year + 5
    demo.add_cases(7, TODAY)  # again: nothing new
    assert SalaryReport.objects.count() == 1 and CatastrophicIllnessCase.objects.count() == 1


# ------------------------------------------------------------------ operators


CASE_ADMINS = [
    "insurance.subsidycase",
    "insurance.catastrophicillnesscase",
    "insurance.reimbursementcase",
    "insurance.priorreviewcase",
]


@pytest.mark.parametrize("label", CASE_ADMINS)
def test_records_reviewers_read_one_persons_cases_and_each_read_is_logged(with_cases, operator_client, label):
    from django.apps import apps

    from healthbank.staff import roles

    record = apps.get_model(label).objects.filter(person=with_cases.parent).get()
    url = "/admin/{}/{}/".format(*label.split("."))
    assert operator_client().get(url, {"person__id__exact": record.person_id}).status_code == 403
    reviewer = operator_client(roles.RECORDS_REVIEWERS)
    assert reviewer.get(url, {"person__id__exact": record.person_id}).status_code == 200
    assert reviewer.get(f"{url}{record.pk}/change/").status_code == 200
    logged = AccessLog.objects.filter(person_id=record.person_id, detail=label, actor_kind="operator")
    assert sorted(logged.values_list("what", flat=True)) == ["record", "record_list"]


def test_the_pages_need_a_login_and_the_app_a_token(household, client):
    parent = household.parent
    for path in ("cases/", "employer-records/"):
        page = client.get(f"/services/{parent.pk}/{path}")
        assert page.status_code == 302 and "/login/" in page.url
    from rest_framework.test import APIClient

    answer = APIClient().get(f"/api/app/v1/services/{parent.pk}/cases")
    assert answer.status_code == 401 and answer.json()["errors"]


@pytest.mark.django_db(transaction=True)
def test_the_same_case_step_sent_ten_times_at_once_is_stored_once(household, today):
    import json
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections
    from django.test import Client

    key = api_for(agency="NHIA")._credentials["HTTP_AUTHORIZATION"]
    body = json.dumps({"records": [reimbursement(household.parent)]})
    start = threading.Barrier(10)

    def send(_):
        try:
            client = Client(HTTP_AUTHORIZATION=key)
            start.wait(timeout=30)
            answer = client.post("/api/ingest/v1/reimbursements", body, content_type="application/json")
            return answer.status_code, answer.json()["results"][0]["status"]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(send, range(10)))
    assert sorted(answers) == [(200, "created")] + [(200, "unchanged")] * 9
    assert ReimbursementCase.objects.count() == 1
