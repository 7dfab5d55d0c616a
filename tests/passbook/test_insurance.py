"""Insurance status, cards, premiums; vaccinations, allergies and care wishes (SPEC §6.1, §6.2)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db.models import Count
from django.utils import timezone

from healthbank import policy
from healthbank.access.models import Grant
from healthbank.audit.models import AccessLog
from healthbank.core import codes
from healthbank.core.masking import mask_card_number
from healthbank.core.rocdate import format_roc
from healthbank.identity.models import Enrolment, NhiCard, Person
from healthbank.insurance.models import PremiumCalculation, PremiumPayment
from healthbank.records.models import Allergy, CareWish, Institution, Vaccination
from tests.accounts.conftest import TODAY

from .conftest import app_as, web_as


def _current(role: str):
    return (
        Enrolment.objects.filter(role=role, ended_on__isnull=True, started_on__lte=TODAY)
        .select_related("person", "unit", "household")
        .order_by("person__national_id_hash")
    )


@pytest.fixture
def insured(world) -> Person:
    """An insured person of category 1 with at least one dependent (the premium explanation has two people)."""
    for enrolment in _current("insured").filter(category=1):
        if Enrolment.objects.filter(household=enrolment.household, role="dependent").exists():
            return enrolment.person
    raise AssertionError("no category-1 insured person with a dependent")


@pytest.fixture
def dependent(world) -> Person:
    """An adult insured as a dependent (reads their own passbook)."""
    for enrolment in _current("dependent"):
        if enrolment.person.age_on(TODAY) >= 20:
            return enrolment.person
    raise AssertionError("no adult dependent")


def _vaccinated(world) -> Person:
    row = Vaccination.objects.values("person").annotate(n=Count("id")).order_by("-n", "person").first()
    return Person.objects.get(pk=row["person"])


def _ingested(**values) -> dict:
    return {
        "source": "TEST",
        "source_record_id": f"t-{values.pop('tag')}",
        "payload_digest": "0" * 64,
        "ingested_at": timezone.now(),
        **values,
    }


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# ---------------------------------------------------------------- insurance status


def test_the_insurance_page_shows_the_current_enrolment_and_explains_the_stored_premium(insured, client):
    enrolment = _current("insured").get(person=insured)
    stored = PremiumCalculation.objects.filter(person=insured).order_by("-month").first()
    page = _text(web_as(insured, client).get(f"/en/passbook/{insured.pk}/insurance/"))
    assert insured.masked_name in page
    assert enrolment.unit.name in page and enrolment.unit.code in page
    assert enrolment.started_on.isoformat() in page
    assert f"NT${enrolment.insured_salary:,}" in page
    per_person = stored.amount // stored.insured_count
    rate = f"{stored.rate_per_ten_thousand // 100}.{stored.rate_per_ten_thousand % 100:02d}"
    formula = (
        f"{stored.insured_salary:,} × {rate} % × {stored.contribution_share_pct} % = {per_person:,} per person × "
        f"{stored.insured_count} people = NT${stored.amount:,}"
    )
    assert formula in page
    assert "Insured (as the insured person)" in page


def test_the_app_explanation_equals_the_stored_calculation_and_the_page(insured, client):
    stored = PremiumCalculation.objects.filter(person=insured).order_by("-month").first()
    body = app_as(insured).get(f"/api/app/v1/passbook/{insured.pk}/insurance?lang=en").json()
    premium = body["insurance"]["premium"]
    assert (premium["insured_salary"], premium["amount"], premium["people_billed"], premium["share_pct"]) == (
        stored.insured_salary,
        stored.amount,
        stored.insured_count,
        stored.contribution_share_pct,
    )
    assert premium["rate_per_ten_thousand"] == stored.rate_per_ten_thousand == policy.PREMIUM_RATE_PER_TEN_THOUSAND
    page = _text(web_as(insured, client).get(f"/en/passbook/{insured.pk}/insurance/"))
    assert premium["formula"] in page
    assert body["insurance"]["status"] == "insured"
    assert [e["unit"]["code"] for e in body["insurance"]["enrolments"]] == list(
        Enrolment.objects.filter(person=insured).order_by("-started_on", "-pk").values_list("unit__code", flat=True)
    )
    newest = list(PremiumCalculation.objects.filter(person=insured).order_by("-month")[:3])
    assert [p["month"] for p in body["premiums"]] == [c.month.isoformat() for c in newest]


def test_a_dependent_is_told_whom_premiums_are_billed_to_and_never_sees_the_insureds_figures(dependent, client):
    enrolment = _current("dependent").get(person=dependent)
    insured = enrolment.household.person
    page = _text(web_as(dependent, client).get(f"/en/passbook/{dependent.pk}/insurance/"))
    assert "Insured (as a dependent)" in page
    assert "billed with the insured person of your household" in page
    assert f"NT${enrolment.insured_salary:,}" not in page
    assert " per person × " not in page
    for calc in PremiumCalculation.objects.filter(person=insured)[:3]:
        assert f"{calc.amount:,}</td>" not in page
    body = app_as(dependent).get(f"/api/app/v1/passbook/{dependent.pk}/insurance").json()
    assert body["insurance"]["premium"] is None and body["insurance"]["insured_salary"] is None
    assert body["premiums"] == [] and body["payments"] == []
    premiums = web_as(dependent, client).get(f"/en/passbook/{dependent.pk}/insurance/premiums/")
    assert "billed to the insured person of your household" in premiums.content.decode()


def test_a_withdrawn_person_is_shown_as_not_insured(insured, client):
    Enrolment.objects.filter(person=insured).update(ended_on=TODAY - dt.timedelta(days=1))
    page = _text(web_as(insured, client).get(f"/en/passbook/{insured.pk}/insurance/"))
    assert "Not insured now (withdrawn)" in page and " per person × " not in page


def test_the_chinese_insurance_page_gives_roc_dates(insured, client):
    enrolment = _current("insured").get(person=insured)
    page = _text(web_as(insured, client).get(f"/passbook/{insured.pk}/insurance/"))
    assert format_roc(enrolment.started_on) in page
    month = PremiumCalculation.objects.filter(person=insured).order_by("-month").first().month
    assert f"{month.year - 1911}/{month.month:02d}" in page


def test_a_reader_without_a_category_does_not_see_its_section(insured, dependent, client):
    Grant.objects.create(
        person=insured,
        grantee_kind=Grant.GranteeKind.PERSON,
        grantee_person=dependent,
        categories=["insurance", "cards"],
        why=Grant.Why.DELEGATE,
        origin="test",
        valid_from=timezone.now() - dt.timedelta(days=1),
    )
    web_as(dependent, client)
    page = _text(client.get(f"/en/passbook/{insured.pk}/insurance/"))
    assert "NHI card" in page
    assert "Premium calculations" not in page and "Premium payments" not in page
    assert client.get(f"/en/passbook/{insured.pk}/insurance/premiums/").status_code == 404
    assert client.get(f"/en/passbook/{insured.pk}/insurance/payments/").status_code == 404
    assert set(AccessLog.objects.filter(person_id=insured.pk).values_list("category", flat=True)) >= {
        "insurance",
        "cards",
    }


# ---------------------------------------------------------------- cards


def test_cards_show_the_past_year_the_valid_one_and_older_ones_on_request(insured, client):
    newest = NhiCard.objects.filter(person=insured).order_by("-issued_on").first()
    old = NhiCard.objects.create(
        person=insured, card_number="000011112222", issued_on=TODAY - dt.timedelta(days=800), reason="first"
    )
    recent = NhiCard.objects.create(
        person=insured, card_number="000033334444", issued_on=TODAY - dt.timedelta(days=10), reason="replacement"
    )
    web_as(insured, client)
    page = _text(client.get(f"/en/passbook/{insured.pk}/insurance/cards/"))
    assert mask_card_number(recent.card_number) in page and "Valid" in page
    assert mask_card_number(old.card_number) not in page and "Show older records too" in page
    everything = _text(client.get(f"/en/passbook/{insured.pk}/insurance/cards/?older=1"))
    assert mask_card_number(old.card_number) in everything and "Replaced" in everything
    if newest is not None:
        assert mask_card_number(newest.card_number) in everything
    status = _text(client.get(f"/en/passbook/{insured.pk}/insurance/"))
    assert f"Newest card: number {mask_card_number(recent.card_number)}, issued on {recent.issued_on}" in status
    recent.reported_lost_on = TODAY
    recent.save()
    lost = _text(client.get(f"/en/passbook/{insured.pk}/insurance/"))
    assert "was reported lost" in lost
    body = app_as(insured).get(f"/api/app/v1/passbook/{insured.pk}/insurance/cards?older=1").json()
    assert [c["issued_on"] for c in body["cards"]] == [
        d.isoformat()
        for d in NhiCard.objects.filter(person=insured)
        .order_by("-issued_on", "-pk")
        .values_list("issued_on", flat=True)
    ]
    assert body["card_status"]["status"] == "lost"


# ---------------------------------------------------------------- premiums and payments


def test_premium_calculations_of_the_past_year_sort_and_page(insured, client):
    since = (TODAY - policy.SPAN_PREMIUM_CALCULATION).replace(day=1)
    mine = PremiumCalculation.objects.filter(person=insured)
    in_span = list(mine.filter(month__gte=since).order_by("-month"))
    assert in_span and mine.filter(month__lt=since).exists()
    web_as(insured, client)
    page = _text(client.get(f"/en/passbook/{insured.pk}/insurance/premiums/"))
    months = re.findall(r"<td>(\d{4}-\d\d)</td>", page)
    assert months == [f"{c.month:%Y-%m}" for c in in_span]
    everything = _text(client.get(f"/en/passbook/{insured.pk}/insurance/premiums/?older=1&sort=month"))
    assert re.findall(r"<td>(\d{4}-\d\d)</td>", everything)[0] == f"{mine.order_by('month').first().month:%Y-%m}"
    api = app_as(insured).get(f"/api/app/v1/passbook/{insured.pk}/insurance/premiums").json()
    assert [p["month"][:7] for p in api["premiums"]] == months
    assert [(p["amount"], p["people_billed"]) for p in api["premiums"]] == [
        (c.amount, c.insured_count) for c in in_span
    ]
    assert api["page"]["count"] == len(in_span) and api["page"]["has_older"] is True


def test_premium_payments_of_the_past_three_years_filter_by_method(insured, client):
    since = TODAY.replace(year=TODAY.year - policy.SPAN_PREMIUM_PAYMENTS_YEARS)
    mine = PremiumPayment.objects.filter(person=insured, paid_on__gte=since)
    method = mine.first().method
    web_as(insured, client)
    page = _text(client.get(f"/en/passbook/{insured.pk}/insurance/payments/?method={method}"))
    assert f"{mine.filter(method=method).count()} records since {since.isoformat()}" in page
    api = app_as(insured).get(f"/api/app/v1/passbook/{insured.pk}/insurance/payments?method={method}").json()
    assert [p["paid_on"] for p in api["payments"]] == [
        d.isoformat() for d in mine.filter(method=method).order_by("-paid_on", "-pk").values_list("paid_on", flat=True)
    ][:20]
    bad = client.get(f"/en/passbook/{insured.pk}/insurance/payments/?method=cheque")
    assert bad.status_code == 400 and "method" in bad.content.decode()


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("insurance/premiums/?sort=salary", 400, "sort"),
        ("insurance/premiums/?page=99", 404, "page"),
        ("insurance/cards/?page=0", 400, "page"),
        ("insurance/payments/?colour=red", 400, "colour"),
        ("vaccinations/?code=NOPE", 400, "code"),
        ("vaccinations/?sort=institution", 400, "sort"),
        ("allergies/?older=2", 400, "older"),
        ("wishes/?page=5", 404, "page"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(insured, client, path, status, field):
    web = web_as(insured, client).get(f"/en/passbook/{insured.pk}/{path}")
    assert web.status_code == status and f"<strong>{field}</strong>" in web.content.decode()
    api_path = path.replace("/?", "?")
    api = app_as(insured).get(f"/api/app/v1/passbook/{insured.pk}/{api_path}")
    assert api.status_code == status and field in api.content.decode()


# ---------------------------------------------------------------- vaccinations


def test_vaccinations_show_the_persons_records_sorted_and_filtered(world, client):
    person = _vaccinated(world)
    mine = Vaccination.objects.filter(person=person, vaccinated_on__gte=policy.VACCINATIONS_SINCE)
    web_as(person, client)
    page = _text(client.get(f"/en/passbook/{person.pk}/vaccinations/"))
    catalogue = codes.vaccines()
    dates = re.findall(r"<td>(\d{4}-\d\d-\d\d)</td><td class=\"code\">([^<]+)</td>", page)
    expected = list(mine.order_by("-vaccinated_on", "-pk").values_list("vaccinated_on", "vaccine_code")[:20])
    assert dates == [(d.isoformat(), c) for d, c in expected]
    for _day, code in expected:
        assert catalogue[code].name_en in page
    by_code = _text(client.get(f"/en/passbook/{person.pk}/vaccinations/?sort=code"))
    codes_shown = re.findall(r"<td class=\"code\">([^<]+)</td>", by_code)
    assert codes_shown == sorted(codes_shown)
    by_name = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/vaccinations?sort=name&lang=en").json()
    names = [v["name"] for v in by_name["vaccinations"]]
    assert names == sorted(names)
    code = expected[0][1]
    filtered = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/vaccinations?code={code}").json()
    assert {v["code"] for v in filtered["vaccinations"]} == {code}
    assert filtered["page"]["count"] == mine.filter(vaccine_code=code).count()


def test_vaccinations_in_chinese_give_roc_dates_and_chinese_names_and_older_ones_on_request(world, client):
    person = _vaccinated(world)
    clinic = Institution.objects.order_by("code").first()
    Vaccination.objects.create(
        person=person,
        vaccine_code="BCG",
        vaccinated_on=dt.date(2002, 6, 1),
        institution=None,
        institution_name="臺北市某衛生所",
        **_ingested(tag="v-old"),
    )
    newest = Vaccination.objects.create(
        person=person, vaccine_code="Flu", vaccinated_on=TODAY - dt.timedelta(days=3), institution=clinic,
        **_ingested(tag="v-new"),
    )  # fmt: skip
    web_as(person, client)
    page = _text(client.get(f"/passbook/{person.pk}/vaccinations/"))
    assert format_roc(newest.vaccinated_on) in page and codes.vaccines()["Flu"].name_zh in page
    assert clinic.name in page and "臺北市某衛生所" not in page
    older = _text(client.get(f"/passbook/{person.pk}/vaccinations/?older=1&sort=date"))
    assert format_roc(dt.date(2002, 6, 1)) in older and "臺北市某衛生所" in older


# ---------------------------------------------------------------- allergies


def test_allergies_show_the_upload_doctor_and_the_institutions_phone_and_address(world, client):
    row = Allergy.objects.values("person").annotate(n=Count("id")).order_by("-n", "person").first()
    person = Person.objects.get(pk=row["person"])
    mine = list(Allergy.objects.filter(person=person).select_related("institution").order_by("-uploaded_on"))
    old = Allergy.objects.create(
        person=person, institution=mine[0].institution, uploaded_on=dt.date(2014, 12, 31), allergen="Penicillin old",
        doctor_name="李醫師", **_ingested(tag="a-old"),
    )  # fmt: skip
    web_as(person, client)
    page = _text(client.get(f"/en/passbook/{person.pk}/allergies/"))
    for allergy in mine:
        assert allergy.uploaded_on.isoformat() in page
        assert allergy.allergen in page and allergy.doctor_name in page
        assert allergy.institution.phone in page and allergy.institution.address in page
    assert old.allergen not in page and "Show older records too" in page
    assert old.allergen in _text(client.get(f"/en/passbook/{person.pk}/allergies/?older=1"))
    api = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/allergies").json()
    assert [a["allergen"] for a in api["allergies"]] == [a.allergen for a in mine]
    chinese = _text(client.get(f"/passbook/{person.pk}/allergies/"))
    assert format_roc(mine[0].uploaded_on) in chinese


# ---------------------------------------------------------------- wishes


def test_wishes_say_whether_one_is_registered_now_and_where_to_change_it(insured, client):
    CareWish.objects.filter(person=insured).delete()
    CareWish.objects.create(
        person=insured, kind="organ_donation", signed_on=dt.date(2019, 3, 1), registered_on=dt.date(2019, 3, 20),
        **_ingested(tag="w1"),
    )  # fmt: skip
    CareWish.objects.create(
        person=insured, kind="hospice", signed_on=dt.date(2010, 1, 5), registered_on=dt.date(2010, 2, 1),
        withdrawn_on=dt.date(2022, 8, 8), **_ingested(tag="w2"),
    )  # fmt: skip
    web_as(insured, client)
    page = _text(client.get(f"/en/passbook/{insured.pk}/wishes/"))
    assert "Organ donation: a wish is registered (since 2019-03-20)" in page
    assert "Hospice and palliative care: no wish is registered now." in page
    assert "2022-08-08" in page and "2010-01-05" in page
    assert "衛生福利部 預立醫療決定、安寧緩和醫療及器官捐贈意願資訊系統" in page
    api = app_as(insured).get(f"/api/app/v1/passbook/{insured.pk}/wishes?sort=signed").json()
    assert api["now"]["organ_donation"]["registered"] is True and api["now"]["hospice"]["registered"] is False
    assert [w["signed_on"] for w in api["wishes"]] == ["2010-01-05", "2019-03-01"]
    chinese = _text(client.get(f"/passbook/{insured.pk}/wishes/"))
    assert "108/03/20" in chinese


def test_a_stranger_cannot_open_these_pages_and_the_attempt_is_logged(insured, client):
    household = Enrolment.objects.filter(household__person=insured).values_list("person_id", flat=True)
    stranger = (
        Person.objects.exclude(pk__in=household)
        .exclude(pk=insured.pk)
        .filter(birth_date__lte=TODAY.replace(year=TODAY.year - 20))
        .order_by("pk")
        .first()
    )
    web_as(stranger, client)
    for path in ("insurance/", "insurance/premiums/", "vaccinations/", "allergies/", "wishes/"):
        assert client.get(f"/en/passbook/{insured.pk}/{path}").status_code == 404
    assert AccessLog.objects.filter(person_id=insured.pk, what="refused").exists()


def test_a_parent_reads_their_childs_vaccinations_and_the_read_is_logged(family, client):
    parent, child = family
    page = web_as(parent, client).get(f"/en/passbook/{child.pk}/vaccinations/")
    assert page.status_code == 200
    for day in (
        Vaccination.objects.filter(person=child).order_by("-vaccinated_on")[:5].values_list("vaccinated_on", flat=True)
    ):
        assert day.isoformat() in page.content.decode()
    assert AccessLog.objects.filter(person_id=child.pk, category="vaccinations").exists()
    child_insurance = _text(client.get(f"/en/passbook/{child.pk}/insurance/"))
    assert "Insured (as a dependent)" in child_insurance and " per person × " not in child_insurance


def test_the_query_count_does_not_grow_with_the_history(insured, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    web_as(insured, client)
    paths = ("insurance/", "insurance/cards/?older=1", "vaccinations/", "allergies/", "wishes/")

    def counts():
        result = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(f"/en/passbook/{insured.pk}/{path}").status_code == 200
            result.append(len(queries))
        return result

    clinic = Institution.objects.order_by("code").first()

    def add(n):
        day = TODAY - dt.timedelta(days=30 + n)
        NhiCard.objects.create(person=insured, card_number=f"00009999000{n}", issued_on=day, reason="replacement")
        Vaccination.objects.create(
            person=insured, vaccine_code="Flu", vaccinated_on=day, institution=clinic, **_ingested(tag=f"qv{n}")
        )
        Allergy.objects.create(
            person=insured, institution=clinic, uploaded_on=day, allergen=f"Drug {n}", **_ingested(tag=f"qa{n}")
        )
        CareWish.objects.create(
            person=insured, kind="hospice", signed_on=day, registered_on=day, **_ingested(tag=f"qw{n}")
        )

    add(0)
    before = counts()
    for n in range(1, 6):
        add(n)
    assert counts() == before
