"""Care pages (SPEC §6.2): dental tooth chart, inpatient stays and discharge summaries, surgery body diagram,
medication by pharmacological class, refill records; each on the web and in the app."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections import Counter, defaultdict

import pytest
from django.db.models import Count

from healthbank.audit.models import AccessLog
from healthbank.core import codes
from healthbank.identity.models import Person
from healthbank.records.models import DrugOrder, NonDrugOrder, Report, Visit
from tests.accounts.conftest import TODAY

from .conftest import app_as, web_as

SINCE = TODAY.replace(year=TODAY.year - 3)
KNEE = "64218B"  # partial meniscectomy, a knee operation of the catalogue
VISIT_LINK = re.compile(r"/visits/([0-9a-f-]{36})/")


def _visit_ids(page: str) -> set[str]:
    return set(VISIT_LINK.findall(page))


def _svg(page: str, css_class: str) -> str:
    start = page.index(f'<figure class="diagram {css_class}">')
    return page[start : page.index("</svg>", start)]


def _busiest(kind: str, **extra) -> Person:
    row = (
        Visit.objects.filter(kind=kind, visit_date__gte=SINCE, **extra)
        .values("person")
        .annotate(n=Count("id"))
        .order_by("-n", "person")
        .first()
    )
    assert row is not None, f"the population has no {kind} visits"
    return Person.objects.get(pk=row["person"])


def _expected_teeth(person) -> dict[int, set[str]]:
    teeth: dict[int, set[str]] = defaultdict(set)
    for tooth, visit in NonDrugOrder.objects.filter(
        person=person, visit__kind="dental", visit__visit_date__gte=SINCE, tooth__isnull=False
    ).values_list("tooth", "visit_id"):
        teeth[tooth].add(str(visit))
    return teeth


# --- dental -------------------------------------------------------------------------------------------------


def test_the_tooth_chart_marks_exactly_the_teeth_the_database_has_with_their_counts(world, client):
    person = _busiest("dental", non_drug_orders__tooth__isnull=False)
    expected = _expected_teeth(person)
    assert expected, "the busiest dental patient has treated teeth"
    page = web_as(person, client).get(f"/en/passbook/{person.pk}/dental/").content.decode()
    chart = _svg(page, "tooth-chart")
    marked = {int(t): int(n) for t, n in re.findall(r'aria-label="Tooth (\d+): (\d+) visits?"', chart)}
    adult = {t: len(v) for t, v in expected.items() if 11 <= t <= 48}
    assert marked == adult
    assert chart.count('class="tooth is-marked"') == len(adult)


def test_a_tooth_link_filters_the_list_to_the_visits_that_treated_it(world, client):
    person = _busiest("dental", non_drug_orders__tooth__isnull=False)
    expected = _expected_teeth(person)
    tooth = max(expected, key=lambda t: (len(expected[t]), -t))
    web_as(person, client)
    page = client.get(f"/en/passbook/{person.pk}/dental/").content.decode()
    link = html.unescape(re.search(rf'href="([^"]*\?tooth={tooth}[^"]*)"', _svg(page, "tooth-chart")).group(1))
    filtered = client.get(link)
    assert filtered.status_code == 200
    text = filtered.content.decode()
    assert _visit_ids(text) == expected[tooth]
    assert f"Showing the visits that treated tooth {tooth}." in text
    everything = client.get(f"/en/passbook/{person.pk}/dental/").content.decode()
    assert _visit_ids(everything) >= expected[tooth]


def test_primary_teeth_are_listed_under_the_adult_chart(world, client):
    person = _busiest("dental")
    visit = Visit.objects.filter(person=person, kind="dental", visit_date__gte=SINCE).first()
    NonDrugOrder.objects.create(person=person, visit=visit, position=90, payment_code="89011C", tooth=54)
    page = web_as(person, client).get(f"/en/passbook/{person.pk}/dental/").content.decode()
    assert 'aria-label="Tooth 54: 1 visit"' not in _svg(page, "tooth-chart")
    table = page[page.index("care-primary-teeth") :]
    assert re.search(r'\?tooth=54[^"]*" aria-label="Tooth 54: 1 visit">54</a>', table)
    filtered = client.get(f"/en/passbook/{person.pk}/dental/?tooth=54").content.decode()
    assert _visit_ids(filtered) == {str(visit.pk)}


def test_the_dental_page_in_chinese_shows_roc_dates_and_the_app_returns_the_same_visits(world, client):
    person = _busiest("dental", non_drug_orders__tooth__isnull=False)
    page = web_as(person, client).get(f"/passbook/{person.pk}/dental/").content.decode()
    last = Visit.objects.filter(person=person, kind="dental").latest("visit_date").visit_date
    assert f"{last.year - 1911}/{last.month:02d}/{last.day:02d}" in page
    body = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/dental").json()
    assert {v["id"] for v in body["visits"]} == _visit_ids(page)
    assert {t["tooth"]: t["visits"] for t in body["teeth"]} == {t: len(v) for t, v in _expected_teeth(person).items()}


# --- inpatient and discharge summaries ----------------------------------------------------------------------


def test_inpatient_stays_are_grouped_by_year_and_link_to_their_discharge_summaries(world, client):
    person = _busiest("inpatient")
    stays = list(Visit.objects.filter(person=person, kind="inpatient", visit_date__gte=SINCE))
    page = web_as(person, client).get(f"/en/passbook/{person.pk}/inpatient/").content.decode()
    years = [int(y) for y in re.findall(r"Admitted in (\d{4})", page)]
    assert years == sorted({s.visit_date.year for s in stays}, reverse=True)
    assert _visit_ids(page) == {str(s.pk) for s in stays}
    reports = Report.objects.filter(person=person, kind="discharge", visit__in=stays)
    assert reports
    for report in reports:
        assert f"/en/passbook/{person.pk}/discharge/{report.pk}/" in page
    report = reports[0]
    summary = client.get(f"/en/passbook/{person.pk}/discharge/{report.pk}/")
    assert summary.status_code == 200
    assert html.escape(report.text.splitlines()[0]) in summary.content.decode()


def test_a_summary_without_a_visit_link_is_found_by_institution_and_date(world, client):
    person = _busiest("inpatient")
    report = Report.objects.filter(person=person, kind="discharge", visit__isnull=False).first()
    Report.objects.filter(pk=report.pk).update(visit=None)
    page = web_as(person, client).get(f"/en/passbook/{person.pk}/inpatient/?older=1").content.decode()
    assert f"/discharge/{report.pk}/" in page


def test_the_year_filter_shows_one_year_and_the_app_returns_the_same_stays(world, client):
    person = _busiest("inpatient")
    year = (
        Visit.objects.filter(person=person, kind="inpatient", visit_date__gte=SINCE)
        .latest("visit_date")
        .visit_date.year
    )
    page = web_as(person, client).get(f"/en/passbook/{person.pk}/inpatient/?year={year}").content.decode()
    expected = {
        str(pk)
        for pk in Visit.objects.filter(
            person=person, kind="inpatient", visit_date__gte=SINCE, visit_date__year=year
        ).values_list("pk", flat=True)
    }
    assert _visit_ids(page) == expected
    body = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/inpatient?year={year}").json()
    assert {s["id"] for s in body["stays"]} == expected
    assert all(s["year"] == year for s in body["stays"])
    linked = {s["discharge_summary"]["id"] for s in body["stays"] if s["discharge_summary"]}
    assert linked == {
        str(r) for r in Report.objects.filter(kind="discharge", visit_id__in=expected).values_list("pk", flat=True)
    }


def test_another_persons_discharge_summary_is_a_404_and_the_attempt_is_logged(world, client):
    owner = _busiest("inpatient")
    report = Report.objects.filter(person=owner, kind="discharge").first()
    stranger = Person.objects.exclude(pk=owner.pk).filter(birth_date__lte=dt.date(2000, 1, 1)).first()
    web_as(stranger, client)
    refused = client.get(f"/en/passbook/{stranger.pk}/discharge/{report.pk}/")
    missing = client.get(f"/en/passbook/{stranger.pk}/discharge/00000000-0000-0000-0000-000000000000/")
    assert refused.status_code == missing.status_code == 404
    entry = AccessLog.objects.get(person_id=owner.pk, what="refused")
    assert entry.category == "discharge_summaries"
    assert client.get(f"/en/passbook/{owner.pk}/discharge/{report.pk}/").status_code == 404


# --- surgery -------------------------------------------------------------------------------------------------


def _operated(sex: str) -> Person:
    """A person of that sex with at least two operations at two sites (added to their stays or visits if need be)."""
    person = Person.objects.filter(sex=sex, birth_date__lte=dt.date(2000, 1, 1)).order_by("birth_date").first()
    # A western visit or a stay (never a Chinese-medicine or dental one, which the surgery page does not read);
    # ordered, so the pick does not depend on the random part of the ids.
    visit = (
        Visit.objects.filter(person=person, visit_date__gte=SINCE, kind__in=("western", "inpatient"))
        .order_by("-visit_date", "source_record_id")
        .first()
    )
    NonDrugOrder.objects.create(
        person=person, visit=visit, position=90, payment_code="75215B", body_site="liver_gallbladder", is_surgery=True
    )
    NonDrugOrder.objects.create(
        person=person, visit=visit, position=91, payment_code=KNEE, body_site="knee", is_surgery=True
    )
    return person


def _expected_sites(person) -> Counter:
    return Counter(
        NonDrugOrder.objects.filter(person=person, is_surgery=True, visit__visit_date__gte=SINCE)
        .exclude(visit__kind__in=("dental", "chinese"))
        .values_list("body_site", flat=True)
    )


@pytest.mark.parametrize("sex, figure", [("M", "male"), ("F", "female")])
def test_the_body_diagram_marks_the_operated_sites_on_the_persons_figure(world, client, sex, figure):
    person = _operated(sex)
    expected = _expected_sites(person)
    page = web_as(person, client).get(f"/en/passbook/{person.pk}/surgery/").content.decode()
    diagram = _svg(page, "body-diagram")
    assert f"Body diagram ({figure}) of operated sites" in diagram
    assert f"body-figure-{sex.lower()}" in diagram
    marked = {
        code: int(n)
        for code, n in re.findall(r'href="[^"]*\?site=(\w+)[^"]*".*?class="body-site-count"[^>]*>(\d+)<', diagram, re.S)
    }
    assert marked == dict(expected)


def test_a_site_link_filters_the_operations_and_the_app_agrees(world, client):
    person = _operated("F")
    web_as(person, client)
    page = client.get(f"/en/passbook/{person.pk}/surgery/?site=knee").content.decode()
    assert "Showing operations on: Knee." in page
    assert page.count(f'<span class="code">{KNEE}</span>') == 1
    assert "75215B" not in page.split('id="list-title"')[1]
    body = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/surgery?site=knee&lang=en").json()
    assert body["sex"] == "F"
    assert [o["code"] for o in body["operations"]] == [KNEE]
    assert {s["site"]: s["operations"] for s in body["sites"]} == dict(_expected_sites(person))


# --- medication and refills ----------------------------------------------------------------------------------


def _expected_drugs(person) -> Counter:
    return Counter(
        DrugOrder.objects.filter(person=person, visit__visit_date__gte=SINCE)
        .exclude(visit__kind="dental")
        .values_list("drug_code", flat=True)
    )


def test_medication_is_grouped_by_atc_class_with_herbal_preparations_apart(world, client):
    person = _busiest("chinese")
    expected = _expected_drugs(person)
    app = app_as(person)
    body = app.get(f"/api/app/v1/passbook/{person.pk}/medication?lang=en").json()
    assert body["page"]["count"] == len(expected)
    for number in range(2, body["page"]["pages"] + 1):
        body["drugs"] += app.get(f"/api/app/v1/passbook/{person.pk}/medication?page={number}").json()["drugs"]
    got = {d["code"]: d for d in body["drugs"]}
    assert {c: d["dispensings"] for c, d in got.items()} == dict(expected)
    for code, d in got.items():
        known = codes.drugs()[code]
        assert d["group"] == ("herbal" if known.herbal else known.atc_code[:5])
    assert any(d["herbal"] for d in body["drugs"])
    groups = [d["group"] for d in body["drugs"]]
    assert groups == sorted(groups, key=lambda g: (g == "herbal", g))  # each class together, herbal last
    page = web_as(person, client).get(f"/en/passbook/{person.pk}/medication/").content.decode()
    assert "Chinese herbal preparations" in page
    western = next(g for g in body["groups"] if not g["herbal"])
    filtered = client.get(f"/en/passbook/{person.pk}/medication/?class={western['key']}").content.decode()
    shown = set(re.findall(r'<td><span class="code">(\w+)</span></td>', filtered))
    assert shown == {c for c, d in got.items() if d["group"] == western["key"]}


def test_medication_sorts_within_each_class(world, client):
    person = _busiest("western")
    body = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/medication?sort=-count").json()
    by_group: dict[str, list[int]] = defaultdict(list)
    for d in body["drugs"]:
        by_group[d["group"]].append(d["dispensings"])
    assert all(counts == sorted(counts, reverse=True) for counts in by_group.values())


def test_refill_records_list_the_pharmacy_dispensings_with_department_names(world, client):
    person = _busiest("pharmacy", chronic_prescription__isnull=False)
    refills = Visit.objects.filter(
        person=person, kind="pharmacy", chronic_prescription__isnull=False, visit_date__gte=SINCE
    ).select_related("chronic_prescription__visit")
    page = web_as(person, client).get(f"/en/passbook/{person.pk}/refills/").content.decode()
    first_page = _visit_ids(page)
    body = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/refills?lang=en").json()
    assert body["page"]["count"] == refills.count()
    assert {r["id"] for r in body["refills"]} == first_page
    names = {"01": "family medicine", "02": "internal medicine"}
    for row in body["refills"]:
        prescribing = next(v for v in refills if str(v.pk) == row["id"]).chronic_prescription.visit
        assert row["department"]["code"] == prescribing.department
        assert row["department"]["name"] == names[prescribing.department]
        assert row["refill_number"] >= 2 and row["drugs"]
    assert names[body["refills"][0]["department"]["code"]] in page
    chinese = client.get(f"/passbook/{person.pk}/refills/").content.decode()
    assert "內科" in chinese or "家醫科" in chinese


# --- list parameters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page_name, query, field, status",
    [
        ("dental", "sort=colour", "sort", 400),
        ("dental", "tooth=99", "tooth", 400),
        ("dental", "page=999", "page", 404),
        ("inpatient", "year=twenty", "year", 400),
        ("inpatient", "ward=3", "ward", 400),
        ("surgery", "site=elbow", "site", 400),
        ("medication", "class=zz", "class", 400),
        ("medication", "sort=price", "sort", 400),
        ("refills", "older=2", "older", 400),
    ],
)
def test_bad_list_parameters_are_named_on_the_page_and_in_the_app(world, client, page_name, query, field, status):
    person = _busiest("inpatient")
    web = web_as(person, client).get(f"/en/passbook/{person.pk}/{page_name}/?{query}")
    assert web.status_code == status
    assert f"<strong>{field}</strong>" in web.content.decode()
    app = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/{page_name}?{query}")
    assert app.status_code == status
    assert field in app.json()["errors"]


def test_older_records_and_paging_work_on_the_refill_list(world, client):
    person = _busiest("pharmacy", chronic_prescription__isnull=False)
    everything = Visit.objects.filter(person=person, kind="pharmacy", chronic_prescription__isnull=False).count()
    client_app = app_as(person)
    body = client_app.get(f"/api/app/v1/passbook/{person.pk}/refills?older=1").json()
    assert body["page"]["count"] == everything and body["page"]["since"] is None
    if body["page"]["pages"] > 1:
        second = client_app.get(f"/api/app/v1/passbook/{person.pk}/refills?older=1&page=2").json()
        assert not {r["id"] for r in second["refills"]} & {r["id"] for r in body["refills"]}
    ascending = client_app.get(f"/api/app/v1/passbook/{person.pk}/refills?sort=date").json()["refills"]
    dates = [r["date"] for r in ascending]
    assert dates == sorted(dates)


def test_a_parent_reads_the_childs_dental_page_and_it_is_logged(family, client):
    parent, child = family
    assert web_as(parent, client).get(f"/en/passbook/{child.pk}/dental/").status_code == 200
    assert AccessLog.objects.filter(person_id=child.pk, category="dental").exists()
