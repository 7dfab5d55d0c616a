"""Western outpatient, Chinese medicine and one visit (SPEC §6.2), on the web and in the app API."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from healthbank.audit.models import AccessLog
from healthbank.core import codes
from healthbank.records.models import Visit, VisitDiagnosis

from .conftest import app_as, web_as

THREE_YEARS_AGO = dt.date(2023, 11, 20)


def first_record_row(page: str) -> str:
    return page.split('records">')[1].split("<tbody>")[1].split("</tr>")[0]


def outpatient_visits(person, since=THREE_YEARS_AGO):
    return Visit.objects.filter(person=person, kind__in=("western", "pharmacy", "preventive"), visit_date__gte=since)


def test_the_outpatient_page_lists_three_years_of_visits_newest_first(adult_with_visits, client):
    web_as(adult_with_visits, client)
    expected = outpatient_visits(adult_with_visits)
    page = client.get(f"/en/passbook/{adult_with_visits.pk}/outpatient/").content.decode()
    assert f"{expected.count()} records since 2023-11-20" in page
    newest = expected.order_by("-visit_date").first()
    assert newest.visit_date.isoformat() in first_record_row(page)


def test_the_top_five_chart_counts_primary_diagnoses_without_refills_or_preventive_visits(adult_with_visits, client):
    web_as(adult_with_visits, client)
    page = client.get(f"/en/passbook/{adult_with_visits.pk}/outpatient/").content.decode()
    chart = json.loads(
        re.search(r'<script id="top-diagnoses-data" type="application/json">(.*?)</script>', page).group(1)
    )
    counted = Counter(
        VisitDiagnosis.objects.filter(
            person=adult_with_visits, position=1, visit__kind="western", visit__visit_date__gte=THREE_YEARS_AGO
        ).values_list("icd10", flat=True)
    )
    top = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert chart["values"] == [n for _code, n in top]
    assert [link.rsplit("=", 1)[1] for link in chart["links"]] == [code for code, _n in top]
    assert chart["labels"][0] == codes.diagnoses()[top[0][0]].name_en


def test_a_slice_filters_the_list_to_its_diagnosis(adult_with_visits, client):
    web_as(adult_with_visits, client)
    code = (
        VisitDiagnosis.objects.filter(person=adult_with_visits, position=1, visit__kind="western")
        .values_list("icd10", flat=True)
        .first()
    )
    page = client.get(f"/en/passbook/{adult_with_visits.pk}/outpatient/?icd={code}").content.decode()
    n = outpatient_visits(adult_with_visits).filter(diagnoses__position=1, diagnoses__icd10=code).count()
    assert f"{n} record" in page and f"Showing visits with the diagnosis {code}" in page


def test_sorting_paging_and_older_records(adult_with_visits, client):
    web_as(adult_with_visits, client)
    base = f"/en/passbook/{adult_with_visits.pk}/outpatient/"
    by_points = client.get(base + "?sort=-points").content.decode()
    highest = outpatient_visits(adult_with_visits).order_by("-points").first().points
    assert f'<td class="num">{highest}</td>' in first_record_row(by_points)
    everything = Visit.objects.filter(person=adult_with_visits, kind__in=("western", "pharmacy", "preventive"))
    older = client.get(base + "?older=1").content.decode()
    assert f"{everything.count()} records, all years" in older


@pytest.mark.parametrize(
    "query, field, status",
    [
        ("?sort=secret", "sort", 400),
        ("?page=0", "page", 400),
        ("?page=999", "page", 404),
        ("?kind=inpatient", "kind", 400),
        ("?colour=red", "colour", 400),
        ("?older=yes", "older", 400),
        ("?icd=I10%00", "icd", 400),  # PostgreSQL cannot even compare a text with NUL: refused before the query
        ("?institution=" + "9" * 200, "institution", 400),
    ],
)
def test_bad_list_parameters_are_refused_naming_them(adult_with_visits, client, query, field, status):
    web_as(adult_with_visits, client)
    response = client.get(f"/en/passbook/{adult_with_visits.pk}/outpatient/{query}")
    assert response.status_code == status
    assert f"<strong>{field}</strong>" in response.content.decode()
    api = app_as(adult_with_visits).get(f"/api/app/v1/passbook/{adult_with_visits.pk}/outpatient{query}")
    assert api.status_code == status and field in api.json()["errors"]


def test_the_visit_detail_in_chinese_and_english(adult_with_visits, client):
    web_as(adult_with_visits, client)
    visit = (
        Visit.objects.filter(person=adult_with_visits, kind="western", drug_orders__isnull=False)
        .order_by("-visit_date")
        .first()
    )
    url = f"/passbook/{adult_with_visits.pk}/visits/{visit.pk}/"
    icd = visit.diagnoses.order_by("position").first().icd10
    chinese = client.get(url + "?names=zh").content.decode()
    english = client.get(url + "?names=en").content.decode()
    assert codes.diagnoses()[icd].name_zh in chinese and codes.diagnoses()[icd].name_en in english
    roc = f"{visit.visit_date.year - 1911}/{visit.visit_date:%m/%d}"
    assert roc in chinese  # the page's own language is Chinese: ROC dates
    order = visit.drug_orders.order_by("position").first()
    assert order.drug_code in english and f'<td class="num">{order.days_supplied}</td>' in english
    assert visit.card_sequence in english
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and order.drug_code in partial  # the pop-up gets the fragment only


def test_another_persons_visit_id_is_404_and_logged_against_its_owner(adult_with_visits, family, client):
    parent, _child = family
    theirs = Visit.objects.filter(person=parent).first()
    web_as(adult_with_visits, client)
    response = client.get(f"/en/passbook/{adult_with_visits.pk}/visits/{theirs.pk}/")
    assert response.status_code == 404
    assert AccessLog.objects.filter(person_id=parent.pk, what="refused").count() == 1
    api = app_as(adult_with_visits).get(f"/api/app/v1/passbook/{adult_with_visits.pk}/visits/{theirs.pk}")
    assert api.status_code == 404 and AccessLog.objects.filter(person_id=parent.pk, what="refused").count() == 2


def test_the_app_gets_the_same_visits_as_the_page(adult_with_visits, client):
    api = app_as(adult_with_visits)
    body = api.get(f"/api/app/v1/passbook/{adult_with_visits.pk}/outpatient?lang=en&sort=-date").json()
    expected = outpatient_visits(adult_with_visits).order_by("-visit_date", "-pk")[:20]
    assert [v["id"] for v in body["visits"]] == [str(v.pk) for v in expected]
    assert body["page"]["count"] == outpatient_visits(adult_with_visits).count()
    one = api.get(f"/api/app/v1/passbook/{adult_with_visits.pk}/visits/{expected[0].pk}?lang=en").json()
    assert one["date"] == expected[0].visit_date.isoformat()
    assert [o["code"] for o in one["drug_orders"]] == list(
        expected[0].drug_orders.order_by("position").values_list("drug_code", flat=True)
    )
    passbooks = api.get("/api/app/v1/passbook").json()
    assert passbooks[0] == {
        "person_id": str(adult_with_visits.pk),
        "name": adult_with_visits.masked_name,
        "why": "self",
    }


def test_home_shows_the_last_visit_of_each_kind(adult_with_visits, client):
    web_as(adult_with_visits, client)
    page = client.get(f"/en/passbook/{adult_with_visits.pk}/").content.decode()
    last = Visit.objects.filter(person=adult_with_visits, kind="western").order_by("-visit_date").first()
    assert last.visit_date.isoformat() in page and (last.institution.name_en or last.institution.name) in page
    summary = app_as(adult_with_visits).get(f"/api/app/v1/passbook/{adult_with_visits.pk}/summary").json()
    assert summary["last_visits"]["western"]["id"] == str(last.pk)


def test_a_list_page_costs_the_same_queries_whatever_the_history(adult_with_visits, family, client):
    """Indexed per-person queries only: a person with many visits costs no more queries than one with few."""
    _parent, child = family
    counts = {}
    for person in (adult_with_visits, child):
        web_as(person, client)
        for name in ("", "outpatient/", "chinese/"):
            cache.clear()  # the health news is cached for everyone: both people start from the same cache
            with CaptureQueriesContext(connection) as queries:
                assert client.get(f"/en/passbook/{person.pk}/{name}").status_code == 200
            counts[(person.pk, name)] = len(queries)
    for name in ("", "outpatient/", "chinese/"):
        assert counts[(adult_with_visits.pk, name)] == counts[(child.pk, name)], name
    assert outpatient_visits(adult_with_visits).count() > 3 * outpatient_visits(child).count()


def test_kiosk_and_counter_read_the_same_pages_read_only(adult_with_visits, counter_staff_client, client):
    from healthbank.accounts.login import SESSION_METHOD, SESSION_PERSON, Method

    session = client.session
    session[SESSION_PERSON], session[SESSION_METHOD] = str(adult_with_visits.pk), Method.KIOSK
    session.save()
    kiosk = client.get(f"/en/passbook/{adult_with_visits.pk}/outpatient/")
    assert kiosk.status_code == 200 and "Log out" not in kiosk.content.decode()

    staff = counter_staff_client
    url = f"/en/passbook/{adult_with_visits.pk}/outpatient/"
    assert staff.get(url).status_code == 404  # no ID document checked yet
    checked = staff.post(
        f"/en/admin/identity/person/{adult_with_visits.pk}/counter-view/",
        {"id_document": "national_id_card", "confirmed": "on", "show": "passbook"},
    )
    assert checked.status_code == 302 and checked.url.endswith(f"/passbook/{adult_with_visits.pk}/")
    page = staff.get(url).content.decode()
    assert "Counter view, read only" in page
    entry = AccessLog.objects.filter(person_id=adult_with_visits.pk, what="passbook").get()
    assert (entry.actor_kind, entry.category) == ("operator", "outpatient")


def test_staff_without_the_counter_permission_never_reads_a_passbook(adult_with_visits, django_user_model, client):
    """Only the counter group's permission opens a passbook, and only after the ID check; losing it ends it."""
    from django.contrib.auth.models import Group

    from healthbank.access.services import grant_counter_view
    from healthbank.staff import roles

    user = django_user_model.objects.create_user("nobody1", password="x-long-staff-pass", is_staff=True)
    client.force_login(user)
    url = f"/en/passbook/{adult_with_visits.pk}/outpatient/"
    assert client.get(url).status_code == 404  # staff, no group
    assert client.post(
        f"/en/admin/identity/person/{adult_with_visits.pk}/counter-view/",
        {"id_document": "national_id_card", "confirmed": "on", "show": "passbook"},
    ).status_code in (302, 403)
    assert client.get(url).status_code == 404  # the counter page refused them: no grant was made
    user.groups.set([Group.objects.get(name=roles.COUNTER_STAFF)])
    grant_counter_view(user, adult_with_visits, document="national_id_card")
    user = django_user_model.objects.get(pk=user.pk)  # permissions are cached on the instance
    client.force_login(user)
    assert client.get(url).status_code == 200
    user.groups.clear()  # moved to another office: the live grant lends nothing any more
    client.force_login(django_user_model.objects.get(pk=user.pk))
    assert client.get(url).status_code == 404
    assert AccessLog.objects.filter(person_id=adult_with_visits.pk, what="refused", actor_kind="operator").count() == 3
