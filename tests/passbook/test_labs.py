"""Lab results, reports, adult preventive care, cancer screening, follow-up care and risk (SPEC §6.2, §7, §7.1),
on the web and in the app API."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db.models import Count
from django.utils.html import escape

from healthbank.assessments import body, kidney, liver, screening
from healthbank.assessments.labs import reference_flag
from healthbank.audit.models import AccessLog
from healthbank.identity.models import Person
from healthbank.records.models import CancerScreening, FollowUp, LabResult, PreventiveCheck, Report

from .conftest import TODAY, app_as, web_as

THREE_YEARS_AGO = dt.date(2023, 11, 20)
GLUCOSE_AND_LIPIDS = ("glucose_fasting", "hba1c", "cholesterol_total", "triglycerides", "hdl", "ldl")


def roc(day: dt.date) -> str:
    return f"{day.year - 1911}/{day:%m/%d}"


def chart_json(page: str, chart_id: str) -> dict:
    match = re.search(rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>', page, re.S)
    assert match, chart_id
    return json.loads(match.group(1))


def busiest(model, **filters) -> Person:
    row = model.objects.filter(**filters).values("person").annotate(n=Count("id")).order_by("-n", "person").first()
    assert row, f"the population has no {model.__name__} {filters}"
    return Person.objects.get(pk=row["person"])


@pytest.fixture
def diabetic(world) -> Person:
    return busiest(LabResult, lab_key="hba1c")


@pytest.fixture
def checked(world) -> Person:
    """Someone with at least two adult preventive checks."""
    row = (
        PreventiveCheck.objects.values("person")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .order_by("-n", "person")
        .first()
    )
    assert row, "the population has nobody with two preventive checks"
    return Person.objects.get(pk=row["person"])


# ---------------------------------------------------------------- lab results


def test_glucose_and_lipids_show_the_latest_values_and_flags_of_the_database(diabetic, client):
    web_as(diabetic, client)
    page = client.get(f"/en/passbook/{diabetic.pk}/labs/").content.decode()
    latest_table = page.split('class="table table-sm align-middle records lab-latest"')[1].split("</table>")[0]
    for key in GLUCOSE_AND_LIPIDS:
        latest = (
            LabResult.objects.filter(person=diabetic, lab_key=key, collected_on__gte=THREE_YEARS_AGO)
            .order_by("-collected_on", "-pk")
            .first()
        )
        row = latest_table.split(f'data-lab="{key}"')[1].split("</tr>")[0]
        if latest is None:
            assert "No results." in row
            continue
        assert latest.collected_on.isoformat() in row and f"{latest.value} {latest.unit}" in row
        assert escape(latest.reference_range) in row
        flag = reference_flag(latest.value, latest.reference_range)
        word = {"high": "▲</span> High", "low": "▼</span> Low", "normal": "✓</span> Normal"}[flag]
        assert word in row  # a symbol and a word, not colour alone


def test_the_trend_chart_carries_every_earlier_result_in_date_order(diabetic, client):
    web_as(diabetic, client)
    page = client.get(f"/passbook/{diabetic.pk}/labs/").content.decode()  # Chinese: ROC x labels
    chart = chart_json(page, "chart-hba1c")
    results = LabResult.objects.filter(person=diabetic, lab_key="hba1c", collected_on__gte=THREE_YEARS_AGO).order_by(
        "collected_on", "pk"
    )
    points = chart["series"][0]["points"]
    assert [p["x"] for p in points] == [r.collected_on.isoformat() for r in results]
    assert [Decimal(str(p["y"])) for p in points] == [Decimal(r.value) for r in results]
    assert [p["flag"] for p in points] == [reference_flag(r.value, r.reference_range) for r in results]
    assert chart["x_labels"][results[0].collected_on.isoformat()] == roc(results[0].collected_on)
    assert chart["reference"]["high"] == 5.7  # "<5.7" as the lab sent it
    older = chart_json(client.get(f"/passbook/{diabetic.pk}/labs/?older=1").content.decode(), "chart-hba1c")
    assert len(older["series"][0]["points"]) == LabResult.objects.filter(person=diabetic, lab_key="hba1c").count()


def test_other_labs_are_a_sortable_filterable_paged_list(world, client):
    person = busiest(LabResult, lab_key="creatinine")
    web_as(person, client)
    base = f"/en/passbook/{person.pk}/labs/"
    others = LabResult.objects.filter(person=person, collected_on__gte=THREE_YEARS_AGO).exclude(
        lab_key__in=GLUCOSE_AND_LIPIDS
    )
    page = client.get(base).content.decode()
    assert f"{others.count()} records since 2023-11-20" in page
    filtered = client.get(base + "?lab=creatinine").content.decode()
    n = others.filter(lab_key="creatinine").count()
    assert f"{n} record" in filtered
    rows = filtered.split('records other-labs">')[1].split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == min(n, 20)
    newest = others.filter(lab_key="creatinine").order_by("-collected_on", "-pk").first()
    assert newest.collected_on.isoformat() in rows.split("</tr>")[0]
    oldest_first = client.get(base + "?lab=creatinine&sort=date").content.decode()
    first = others.filter(lab_key="creatinine").order_by("collected_on", "pk").first()
    assert first.collected_on.isoformat() in oldest_first.split('records other-labs">')[1].split("</tr>")[1]


@pytest.mark.parametrize(
    "query, field, status",
    [("?sort=value", "sort", 400), ("?lab=hba1c", "lab", 400), ("?page=999", "page", 404), ("?x=1", "x", 400)],
)
def test_bad_lab_parameters_are_refused_naming_them(diabetic, client, query, field, status):
    web_as(diabetic, client)
    response = client.get(f"/en/passbook/{diabetic.pk}/labs/{query}")
    assert response.status_code == status and f"<strong>{field}</strong>" in response.content.decode()
    api = app_as(diabetic).get(f"/api/app/v1/passbook/{diabetic.pk}/labs{query}")
    assert api.status_code == status and field in api.json()["errors"]


def test_the_app_gets_the_same_labs_as_the_page(diabetic, client):
    body_ = app_as(diabetic).get(f"/api/app/v1/passbook/{diabetic.pk}/labs?lang=en").json()
    web_as(diabetic, client)
    page = client.get(f"/en/passbook/{diabetic.pk}/labs/").content.decode()
    hba1c = next(t for t in body_["glucose_and_lipids"] if t["key"] == "hba1c")
    assert hba1c["chart"] == chart_json(page, "chart-hba1c")
    assert [r["id"] for r in hba1c["history"]] == [
        str(pk)
        for pk in LabResult.objects.filter(person=diabetic, lab_key="hba1c", collected_on__gte=THREE_YEARS_AGO)
        .order_by("collected_on", "pk")
        .values_list("pk", flat=True)
    ]
    assert body_["page"]["count"] == (
        LabResult.objects.filter(person=diabetic, collected_on__gte=THREE_YEARS_AGO)
        .exclude(lab_key__in=GLUCOSE_AND_LIPIDS)
        .count()
    )
    for row in body_["other_labs"]:
        assert row["flag"] == reference_flag(row["value"], row["reference_range"])


# ---------------------------------------------------------------- reports


def test_reports_list_imaging_and_pathology_with_their_text(world, client):
    person = busiest(Report, kind__in=("imaging", "pathology"))
    web_as(person, client)
    page = client.get(f"/en/passbook/{person.pk}/reports/").content.decode()
    reports = Report.objects.filter(
        person=person, kind__in=("imaging", "pathology"), performed_on__gte=THREE_YEARS_AGO
    ).order_by("-performed_on", "-pk")
    assert f"{reports.count()} record" in page
    assert reports[0].title in page and reports[0].text.splitlines()[0][:20] in page
    api = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/reports").json()
    assert [r["id"] for r in api["reports"]] == [str(r.pk) for r in reports[:20]]
    one = client.get(f"/en/passbook/{person.pk}/reports/{reports[0].pk}/")
    assert one.status_code == 200 and reports[0].title in one.content.decode()
    detail = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/reports/{reports[0].pk}").json()
    assert detail["text"] == reports[0].text


def test_the_report_endpoint_serves_discharge_summaries_too(world):
    summary = Report.objects.filter(kind="discharge").first()
    api = app_as(summary.person).get(f"/api/app/v1/passbook/{summary.person.pk}/reports/{summary.pk}")
    assert api.status_code == 200 and api.json()["kind"] == "discharge"


def test_another_persons_report_is_404_and_logged_against_its_owner(world, diabetic, client):
    theirs = Report.objects.exclude(person=diabetic).first()
    web_as(diabetic, client)
    assert client.get(f"/en/passbook/{diabetic.pk}/reports/{theirs.pk}/").status_code == 404
    assert AccessLog.objects.filter(person_id=theirs.person_id, what="refused").count() == 1
    api = app_as(diabetic).get(f"/api/app/v1/passbook/{diabetic.pk}/reports/{theirs.pk}")
    assert api.status_code == 404
    assert AccessLog.objects.filter(person_id=theirs.person_id, what="refused").count() == 2


# ---------------------------------------------------------------- adult preventive care


def test_preventive_care_shows_the_last_two_checks_side_by_side(checked, client):
    web_as(checked, client)
    page = client.get(f"/passbook/{checked.pk}/preventive/").content.decode()
    last_two = list(PreventiveCheck.objects.filter(person=checked).order_by("-checked_on")[:2])
    dates = re.findall(r'<td class="check-date">(.*?)</td>', page)
    assert dates == [roc(c.checked_on) for c in last_two]  # newest first, ROC dates in Chinese
    assert last_two[0].institution.phone in page and last_two[1].institution.name in page
    older = PreventiveCheck.objects.filter(person=checked).order_by("-checked_on")[2:]
    for check in older:
        assert roc(check.checked_on) not in dates
    english = client.get(f"/en/passbook/{checked.pk}/preventive/").content.decode()
    section = english.split('data-section="metabolic_syndrome"')[1].split("</tbody>")[0]
    result_row = section.split('class="section-result"')[1].split("</tr>")[0]
    words = re.findall(r"(Abnormal|Normal|Not done or cannot tell)", result_row)
    expected = []
    for check in last_two:
        ms = body.metabolic_syndrome(
            checked.sex, check.waist_cm, check.systolic, check.diastolic, check.fasting_glucose,
            check.triglycerides, check.hdl,
        )  # fmt: skip
        expected.append({True: "Abnormal", False: "Normal", None: "Not done or cannot tell"}[ms.present])
    assert words == expected
    bmi = body.bmi(last_two[0].height_cm, last_two[0].weight_kg)
    assert f'<td class="num">{bmi:.1f}</td>' in english


def test_an_abnormal_section_says_which_rule_made_it_so(checked, client):
    check = PreventiveCheck.objects.filter(person=checked).order_by("-checked_on").first()
    api = app_as(checked).get(f"/api/app/v1/passbook/{checked.pk}/preventive?lang=en").json()
    sections = {s["key"]: s for s in api["checks"][0]["sections"]}
    glucose = sections["glucose"]
    flag = reference_flag(check.fasting_glucose, "70-99")
    assert glucose["items"][0]["flag"] == flag
    assert (glucose["result"] == "abnormal") == (flag in ("high", "low"))
    if glucose["result"] == "abnormal":
        assert "70-99" in glucose["reasons"][0]
    pressure = sections["blood_pressure"]
    if check.systolic >= 130:
        assert any(f"Systolic pressure {check.systolic} mmHg is 130 or more" in r for r in pressure["reasons"])
    assert len(api["checks"]) == 2 and api["checks"][0]["date"] == check.checked_on.isoformat()


# ---------------------------------------------------------------- cancer screening


def test_screening_results_and_when_the_next_is_due(world, client):
    person = busiest(CancerScreening)
    web_as(person, client)
    page = client.get(f"/en/passbook/{person.pk}/screening/").content.decode()
    api = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/screening?lang=en").json()
    for kind in api:
        expected = CancerScreening.objects.filter(person=person, kind=kind["kind"]).order_by("-screened_on", "-pk")
        assert [r["id"] for r in kind["results"]] == [str(s.pk) for s in expected]
        due = screening.next_screening(
            kind["kind"], person.sex, person.birth_date, expected[0].screened_on if expected else None, TODAY
        )
        assert kind["next"]["status"] == due.status
        assert kind["next"]["due_on"] == (due.due_on.isoformat() if due.due_on else None)
        section = page.split(f'data-kind="{kind["kind"]}"')[1].split("</section>")[0]
        if due.status == "due_on":
            assert f"covered from {due.due_on.isoformat()}" in section
        for s in expected:
            assert s.screened_on.isoformat() in section
    abnormal = CancerScreening.objects.filter(abnormal=True).first()
    if abnormal is not None:
        web_as(abnormal.person, client)
        section = client.get(f"/en/passbook/{abnormal.person.pk}/screening/").content.decode()
        assert "Abnormal" in section.split(f'data-kind="{abnormal.kind}"')[1].split("</section>")[0]


# ---------------------------------------------------------------- follow-up care


def test_follow_up_values_over_time_by_programme(world, client):
    person = busiest(FollowUp)
    web_as(person, client)
    api = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/follow-up?lang=en").json()
    page = client.get(f"/en/passbook/{person.pk}/follow-up/").content.decode()
    assert api, "no programme shown"
    for program in api:
        records = FollowUp.objects.filter(person=person, program=program["program"]).order_by("measured_on", "pk")
        assert [r["id"] for r in program["rows"]] == [str(r.pk) for r in records]
        assert [r["values"] for r in program["rows"]] == [
            {v["key"]: r.values.get(v["key"]) for v in program["values"]} for r in records
        ]
        for value in program["values"]:
            if value["chart"]:
                chart = chart_json(page, f"chart-{program['program']}-{value['key']}")
                assert chart == value["chart"]
                assert [p["x"] for p in chart["series"][0]["points"]] == [
                    r.measured_on.isoformat() for r in records if r.values.get(value["key"]) not in (None, "")
                ]


# ---------------------------------------------------------------- risk assessments


@pytest.fixture
def kidney_patient(world) -> Person:
    return busiest(LabResult, lab_key="uacr")


def latest(person, key):
    return LabResult.objects.filter(person=person, lab_key=key).order_by("-collected_on", "-pk").first()


def test_risk_is_pre_filled_from_the_latest_labs_naming_lab_and_date(kidney_patient, client):
    web_as(kidney_patient, client)
    page = client.get(f"/en/passbook/{kidney_patient.pk}/risk/").content.decode()
    egfr, uacr = latest(kidney_patient, "egfr"), latest(kidney_patient, "uacr")
    check = PreventiveCheck.objects.filter(person=kidney_patient).order_by("-checked_on").first()
    if check is None or check.checked_on <= egfr.collected_on:
        assert f'id="r-egfr" name="egfr" value="{Decimal(egfr.value).normalize():f}"' in page
        assert f"of {egfr.collected_on.isoformat()}" in page.split('id="r-egfr-source"')[1].split("</div>")[0]
    assert f'name="uacr" value="{Decimal(uacr.value).normalize():f}"' in page
    source = page.split('id="r-uacr-source"')[1].split("</div>")[0]
    assert uacr.collected_on.isoformat() in source and "Albumin" in source
    api = app_as(kidney_patient).get(f"/api/app/v1/passbook/{kidney_patient.pk}/risk?lang=en").json()
    assert api["loaded"]["uacr"]["date"] == uacr.collected_on.isoformat()
    stage = kidney.ckd_stage(Decimal(api["form"]["egfr"]), acr=Decimal(api["form"]["uacr"]))
    here = re.findall(r'<td class="kdigo-cell kdigo-([a-z-]+) kdigo-here"', page)
    assert here == [stage.colour.replace(" ", "-")]
    rows = page.split('class="table table-bordered kdigo-heat-map"')[1].split("<tbody>")[1].split("</tr>")
    marked = [r for r in rows if "kdigo-here" in r]
    assert len(marked) == 1 and f'<th scope="row">{stage.gfr_category} ' in marked[0]
    cells = marked[0].split('<td class="kdigo-cell')[1:]
    assert "You are here" in cells[["A1", "A2", "A3"].index(stage.albuminuria)]


def test_the_heat_map_shows_every_cell_with_its_colour_and_follow_up(kidney_patient, client):
    web_as(kidney_patient, client)
    page = client.get(f"/en/passbook/{kidney_patient.pk}/risk/").content.decode()
    cells = re.findall(r'<td class="kdigo-cell kdigo-([a-z-]+)[^"]*"[^>]*>\s*<span class="kdigo-count">([^<]+)<', page)
    expected = [(c.colour.replace(" ", "-"), c.follow_up) for row in kidney.heat_map() for c in row.cells]
    assert cells == expected


def test_recalculating_with_posted_values(kidney_patient, client):
    web_as(kidney_patient, client)
    url = f"/en/passbook/{kidney_patient.pk}/risk/"
    values = {"sex": "M", "age": "52", "alt": "50", "hbeag": "positive", "hbsag": "positive", "egfr": "40",
              "creatinine": "", "uacr": "120", "upcr": ""}  # fmt: skip
    page = client.post(url, values).content.decode()
    risk = liver.liver_cancer_risk("M", 52, 50, True)
    assert f"Score {risk.points}: 10-year chance of liver cancer {risk.band}" in page
    assert "Nothing was saved" in page
    assert re.findall(r'kdigo-([a-z-]+) kdigo-here"', page) == ["red"]  # G3b A2
    api = app_as(kidney_patient).post(f"/api/app/v1/passbook/{kidney_patient.pk}/risk?lang=en", values, format="json")
    assert api.status_code == 200
    result = api.json()["result"]
    assert result["liver"]["points"] == risk.points and result["kidney"]["gfr_category"] == "G3b"
    # eGFR from creatinine when blank
    computed = client.post(url, {**values, "egfr": "", "creatinine": "1.2"}).content.decode()
    egfr = round(kidney.egfr_ckd_epi_2021(Decimal("1.2"), 52, "M"), 1)
    assert f"eGFR {egfr} was calculated from creatinine" in computed


def test_the_liver_score_says_it_is_for_hbsag_carriers_only(kidney_patient, client):
    web_as(kidney_patient, client)
    values = {"sex": "F", "age": "40", "alt": "20", "hbeag": "negative", "hbsag": "negative", "egfr": "95"}
    page = client.post(f"/en/passbook/{kidney_patient.pk}/risk/", values).content.decode()
    assert "meant only for hepatitis B carriers" in page
    assert f"Score {liver.liver_cancer_risk('F', 40, 20, False).points}:" in page


@pytest.mark.parametrize(
    "field, value", [("alt", "-3"), ("egfr", "900"), ("age", "abc"), ("creatinine", "0"), ("hbeag", "maybe")]
)
def test_values_outside_human_ranges_are_refused_naming_the_field(kidney_patient, client, field, value):
    values = {"sex": "M", "age": "52", "alt": "30", "hbeag": "negative", "egfr": "70", field: value}
    web_as(kidney_patient, client)
    response = client.post(f"/en/passbook/{kidney_patient.pk}/risk/", values)
    assert response.status_code == 400
    assert f"<strong>{field}</strong>" in response.content.decode()
    api = app_as(kidney_patient).post(f"/api/app/v1/passbook/{kidney_patient.pk}/risk", values, format="json")
    assert api.status_code == 400 and list(api.json()["errors"]) == [field]


def test_the_hbeag_of_the_data_is_loaded_when_there_is_one(world, client):
    carrier = busiest(LabResult, lab_key="hbeag")
    hbeag = latest(carrier, "hbeag")
    api = app_as(carrier).get(f"/api/app/v1/passbook/{carrier.pk}/risk?lang=en").json()
    assert api["loaded"]["hbeag"]["value"] == hbeag.value.lower()
    assert api["loaded"]["hbeag"]["date"] == hbeag.collected_on.isoformat()
    assert api["result"]["hbsag_carrier"] is True and api["result"]["liver"] is not None


# ---------------------------------------------------------------- both languages, every page


@pytest.mark.parametrize("page", ["labs", "reports", "preventive", "screening", "follow-up", "risk"])
def test_every_page_renders_in_both_languages(diabetic, client, page):
    web_as(diabetic, client)
    chinese = client.get(f"/passbook/{diabetic.pk}/{page}/")
    english = client.get(f"/en/passbook/{diabetic.pk}/{page}/")
    assert chinese.status_code == english.status_code == 200
    assert 'lang="zh-Hant' in chinese.content.decode()[:300] and 'lang="en' in english.content.decode()[:300]


def test_a_stranger_cannot_open_these_pages(diabetic, checked, client):
    stranger = (
        Person.objects.exclude(pk__in=[diabetic.pk, checked.pk])
        .exclude(grants_received__person=diabetic)  # never a parent the rule lets in
        .order_by("pk")
        .first()
    )
    web_as(stranger, client)
    for page in ("labs", "preventive", "risk"):
        assert client.get(f"/en/passbook/{diabetic.pk}/{page}/").status_code == 404


def test_a_whole_number_out_of_range_names_its_rule(checked, client):
    check = PreventiveCheck.objects.filter(person=checked).order_by("-checked_on").first()
    check.gpt, check.got = 80, 20
    check.save()
    web_as(checked, client)
    page = client.get(f"/en/passbook/{checked.pk}/preventive/").content.decode()
    liver_section = page.split('data-section="liver"')[1].split("</tbody>")[0]
    assert "GPT (ALT) 80 U/L is above the adult range 0-40." in liver_section
    assert "Abnormal" in liver_section.split('class="section-result"')[1].split("</td>")[0]


def test_the_labs_page_query_count_does_not_grow_with_history(diabetic, world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    few = min(
        (p for p in Person.objects.all() if LabResult.objects.filter(person=p).exists()),
        key=lambda p: LabResult.objects.filter(person=p).count(),
    )
    counts = []
    for person in (few, diabetic):
        web_as(person, client)
        for page in ("labs", "preventive", "follow-up", "risk", "screening"):
            with CaptureQueriesContext(connection) as queries:
                client.get(f"/en/passbook/{person.pk}/{page}/")
            counts.append((page, len(queries)))
    half = len(counts) // 2
    for (page, small), (_page, big) in zip(counts[:half], counts[half:], strict=True):
        assert big <= small + 2, (page, small, big)  # a readable category more or less, never a query per row


def test_the_form_recalculates_in_place_with_htmx(kidney_patient, client):
    web_as(kidney_patient, client)
    url = f"/en/passbook/{kidney_patient.pk}/risk/"
    fragment = client.post(url, {"sex": "F", "age": "60", "egfr": "20", "uacr": "400"}, headers={"HX-Request": "true"})
    body_ = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in body_ and body_.lstrip().startswith('<div id="risk-body">')
    assert re.findall(r'kdigo-([a-z-]+) kdigo-here"', body_) == ["deep-red"]  # G4 A3
    refused = client.post(url, {"sex": "F", "age": "60", "egfr": "-1"}, headers={"HX-Request": "true"})
    assert refused.status_code == 200 and "<strong>egfr</strong>" in refused.content.decode()
