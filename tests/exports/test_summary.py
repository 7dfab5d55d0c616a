"""The doctor summary: one A4 page, what the person has, in their language, only for who may read it."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.db.models import Q
from django.urls import include, path

from healthbank import urls as root_urls
from healthbank.access.rules import Reader
from healthbank.core.rocdate import format_roc_compact
from healthbank.exports import summary, summary_views
from healthbank.identity.models import Person
from healthbank.passbook.viewing import open_viewing
from healthbank.records.models import Allergy, ChronicPrescription, DrugOrder, LabResult, Vaccination, Visit
from tests.accounts.conftest import TODAY
from tests.passbook.conftest import web_as

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# The lead wires these in healthbank/exports/urls.py; the tests serve them the same way beside the real site.
urlpatterns = [
    path(
        "",
        include(
            (
                [
                    path("passbook/<uuid:person_id>/summary/", summary_views.doctor_summary, name="summary"),
                    path("passbook/<uuid:person_id>/summary.pdf", summary_views.doctor_summary_pdf, name="summary-pdf"),
                ],
                "exports",
            )
        ),
    ),
    *root_urls.urlpatterns,
]


def viewing_of(person, language="zh-hant"):
    return open_viewing(Reader.person(person), person.pk, language, known=person)


def running(person) -> list[ChronicPrescription]:
    return [
        p
        for p in ChronicPrescription.objects.filter(person=person)
        if p.prescribed_on <= TODAY < p.prescribed_on + dt.timedelta(days=p.days_per_fill * p.fills)
    ]


def chronic_drugs(person) -> set[str]:
    """The drugs written on, or dispensed under, the person's running chronic prescriptions."""
    prescriptions = running(person)
    on_it = Q(visit__chronic_prescription__in=prescriptions) | Q(visit__in=[p.visit_id for p in prescriptions])
    return set(DrugOrder.objects.filter(on_it, person=person).values_list("drug_code", flat=True))


@pytest.fixture
def chronic_patient(world) -> Person:
    """Someone with a chronic prescription running today and an allergy on record."""
    for prescription in ChronicPrescription.objects.select_related("person").order_by("person_id", "pk"):
        person = prescription.person
        if running(person) and Allergy.objects.filter(person=person).exists():
            return person
    for prescription in ChronicPrescription.objects.select_related("person").order_by("person_id", "pk"):
        if running(prescription.person):
            return prescription.person
    raise AssertionError("the population has nobody on a running chronic prescription")


def test_the_pdf_is_one_a4_page(chronic_patient):
    viewing = viewing_of(chronic_patient)
    document = summary.summary_document(viewing)
    assert len(document.pages) == 1
    width, height = document.pages[0].width, document.pages[0].height
    assert (round(width * 25.4 / 96), round(height * 25.4 / 96)) == (210, 297)  # CSS px → mm
    assert summary.summary_pdf(viewing).startswith(b"%PDF-")


def test_the_fullest_lists_still_fit_one_page(chronic_patient):
    viewing = viewing_of(chronic_patient, "en")
    data = summary.summary_data(viewing)
    long = "GLUCOPHAGE XR EXTENDED RELEASE TABLETS 1000MG"
    day = dt.date(2026, 1, 2)
    n = summary.SUMMARY_MAX_LINES
    data["conditions"] = {"rows": [{"code": "E11.9", "name": long, "why": "visits", "visits": 9}] * n["conditions"],
                          "more": 3}  # fmt: skip
    data["medications"] = {"rows": [{"code": "A1", "name": long, "atc_class": "Biguanides", "frequency": "TID",
                                     "until": day, "chronic": True}] * n["medications"], "more": 3}  # fmt: skip
    data["allergies"] = {"rows": [{"allergen": long, "drug": None, "reaction": long, "date": day}] * n["allergies"],
                         "more": 1}  # fmt: skip
    data["labs"] = {"rows": [{"name": long, "value": "123.4", "unit": "mg/dL", "range": "70-99", "flag_word": "High",
                              "date": day}] * n["labs"], "more": 2}  # fmt: skip
    data["vaccinations"] = {"rows": [{"name": long, "dates": [day] * 6}] * n["vaccinations"], "more": 2}
    shown = {k: len(data[k]["rows"]) for k in n}
    assert len(summary.summary_document(viewing, data).pages) == 1
    assert {k: len(data[k]["rows"]) for k in n} == shown, "the lists at their caps fit without cutting further"


def test_a_page_that_runs_over_is_cut_to_one_with_the_rest_counted(chronic_patient):
    viewing = viewing_of(chronic_patient, "en")
    data = summary.summary_data(viewing)
    data["labs"] = {"rows": [{"name": f"Lab {i}", "value": "1", "unit": "", "range": "", "flag_word": "",
                              "date": dt.date(2026, 1, 2)} for i in range(120)], "more": 0}  # fmt: skip
    assert len(summary.summary_document(viewing, data).pages) == 1
    assert len(data["labs"]["rows"]) + data["labs"]["more"] == 120 and data["labs"]["more"] > 0
    assert f"and {data['labs']['more']} more" in summary.summary_html(viewing, data)


def test_it_lists_the_running_prescription_its_drugs_and_the_allergies(chronic_patient):
    viewing = viewing_of(chronic_patient)
    data = summary.summary_data(viewing)
    page = summary.summary_html(viewing, data)
    for prescription in running(chronic_patient):
        assert prescription.icd10 in [c["code"] for c in data["conditions"]["rows"]]
        assert prescription.icd10 in page
    listed = {m["code"] for m in data["medications"]["rows"]}
    assert chronic_drugs(chronic_patient) and chronic_drugs(chronic_patient) <= listed
    for allergy in Allergy.objects.filter(person=chronic_patient):
        assert allergy.allergen in page


def test_a_drug_whose_supply_ran_out_is_not_current(adult_with_visits):
    viewing = viewing_of(adult_with_visits)
    listed = {m["code"] for m in summary.summary_data(viewing)["medications"]["rows"]}
    chronic = chronic_drugs(adult_with_visits)
    recent = set(
        DrugOrder.objects.filter(
            person=adult_with_visits, visit__visit_date__gt=TODAY - dt.timedelta(days=100)
        ).values_list("drug_code", flat=True)
    )
    old_only = (
        set(DrugOrder.objects.filter(person=adult_with_visits, visit__kind__in=["western", "pharmacy"])
            .values_list("drug_code", flat=True))
        - recent
        - chronic
    )  # fmt: skip
    assert old_only, "the busiest adult had drugs long ago that they were not given again"
    assert not (old_only & listed)


def test_latest_lab_value_with_its_flag(adult_with_visits):
    viewing = viewing_of(adult_with_visits, "en")
    labs = summary.summary_data(viewing)["labs"]["rows"]
    newest = LabResult.objects.filter(person=adult_with_visits).order_by("-collected_on", "-pk").first()
    row = next(r for r in labs if r["date"] == newest.collected_on and r["value"] == newest.value)
    assert row["range"] == newest.reference_range
    page = summary.summary_html(viewing)
    assert newest.value in page
    if row["flag"] in ("high", "low"):
        assert row["flag_word"] in ("High", "Low")


def test_english_headings_in_english_and_chinese_in_chinese(chronic_patient):
    english = summary.summary_html(viewing_of(chronic_patient, "en"))
    for heading in ("Health summary", "Chronic conditions", "Current medications", "Allergies", "Latest lab values",
                    "Vaccinations", "Date of birth"):  # fmt: skip
        assert heading in english
    chinese = summary.summary_html(viewing_of(chronic_patient, "zh-hant"))
    assert "過敏資料" in chinese and "預防接種" in chinese
    assert chronic_patient.name not in chinese and chronic_patient.masked_name in chinese


def test_someone_with_nothing_recorded_gets_none_lines(world):
    empty = (
        Person.objects.exclude(pk__in=Visit.objects.values("person"))
        .exclude(pk__in=Allergy.objects.values("person"))
        .exclude(pk__in=LabResult.objects.values("person"))
        .exclude(pk__in=Vaccination.objects.values("person"))
        .order_by("pk")
        .first()
    )
    if empty is None:  # everybody has some care: then everything of the first person is taken away
        empty = Person.objects.order_by("pk").first()
        for model in (Allergy, LabResult, Vaccination, ChronicPrescription):
            model.objects.filter(person=empty).delete()
        Visit.objects.filter(person=empty).delete()
    page = summary.summary_html(viewing_of(empty, "en"))
    for line in ("No chronic conditions recorded.", "No current medications recorded.", "No allergies recorded.",
                 "No lab results recorded.", "No vaccinations recorded."):  # fmt: skip
        assert line in page
    assert len(summary.summary_document(viewing_of(empty, "en")).pages) == 1


def test_the_page_and_the_pdf_for_the_person(chronic_patient, client):
    web_as(chronic_patient, client)
    page = client.get(f"/passbook/{chronic_patient.pk}/summary/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'href="/passbook/{chronic_patient.pk}/summary.pdf"' in body
    assert running(chronic_patient)[0].icd10 in body
    pdf = client.get(f"/passbook/{chronic_patient.pk}/summary.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    name = f"健康摘要_{format_roc_compact(TODAY)}.pdf"
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert f"filename*=utf-8''{quote(name)}" in pdf["Content-Disposition"]
    assert "no-store" in pdf["Cache-Control"]


def test_a_stranger_gets_404_and_a_parent_reads_the_child(family, client):
    parent, child = family
    adults = Person.objects.filter(birth_date__lte=TODAY.replace(year=TODAY.year - 20))
    stranger = adults.exclude(pk__in=[parent.pk, child.pk]).order_by("pk").first()
    web_as(parent, client)
    for url in (f"/passbook/{stranger.pk}/summary/", f"/passbook/{stranger.pk}/summary.pdf"):
        response = client.get(url)
        assert response.status_code == 404 and b"%PDF" not in response.content
    assert client.get(f"/passbook/{child.pk}/summary.pdf").status_code == 200
