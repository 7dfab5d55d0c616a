"""Measurements and reminders, the calendar and its .ics, health news, the app's data request (SPEC §6.2, §6.3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import icalendar
import pytest
from django.db.models import Max
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthbank import policy
from healthbank.accounts.login import SESSION_METHOD, SESSION_PERSON, Method
from healthbank.assessments import reminders as rules
from healthbank.core.categories import DataCategory
from healthbank.passbook.forms import LABELS, MeasurementForm
from healthbank.passbook.models import HealthNews, Measurement
from healthbank.records.models import ChronicPrescription, FollowUp, NonDrugOrder, PreventiveCheck, VisitDiagnosis

from .conftest import TODAY, app_as, web_as

BIRTH = dt.date(1980, 5, 1)
RANGED = list(policy.MEASUREMENT_RANGES)


def form(data: dict) -> MeasurementForm:
    return MeasurementForm({"measured_on": "2026-11-01", **data}, birth_date=BIRTH, today=TODAY)


# ---------------------------------------------------------------- the form's rules (no database)


@pytest.mark.parametrize("name", RANGED)
def test_each_boundary_is_allowed_and_one_step_beyond_is_refused_naming_the_field(name):
    low, high = policy.MEASUREMENT_RANGES[name]
    step = Decimal("0.1") if isinstance(low, Decimal) else 1
    extra = {"systolic": "300"} if name == "diastolic" else {}
    for inside in (low, high):
        assert form({name: str(inside), **extra}).is_valid(), (name, inside)
    for outside in (low - step, high + step):
        f = form({name: str(outside), **extra})
        assert not f.is_valid()
        assert list(f.errors) == [name]
        assert str(LABELS[name]) in f.errors[name][0]


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(RANGED), value=st.integers(min_value=-(10**6), max_value=10**6))
def test_any_whole_value_outside_its_range_is_refused_by_its_field(name, value):
    low, high = policy.MEASUREMENT_RANGES[name]
    f = form({name: str(value)})
    if low <= value <= high:
        assert f.is_valid()
    else:
        assert not f.is_valid() and name in f.errors and str(LABELS[name]) in f.errors[name][0]


def test_the_diastolic_pressure_must_be_below_the_systolic_and_the_date_real():
    f = form({"systolic": "120", "diastolic": "120"})
    assert not f.is_valid() and list(f.errors) == ["diastolic"]
    assert not form({}).is_valid() and "__all__" in form({}).errors
    future = MeasurementForm({"measured_on": "2026-11-21", "weight_kg": "70"}, birth_date=BIRTH, today=TODAY)
    assert not future.is_valid() and list(future.errors) == ["measured_on"]
    unborn = MeasurementForm({"measured_on": "1980-04-30", "weight_kg": "70"}, birth_date=BIRTH, today=TODAY)
    assert not unborn.is_valid() and list(unborn.errors) == ["measured_on"]


# ---------------------------------------------------------------- adding measurements


def test_the_app_adds_a_measurement_and_refuses_bad_values_storing_nothing(adult_with_visits):
    app = app_as(adult_with_visits)
    url = f"/api/app/v1/passbook/{adult_with_visits.pk}/measurements"
    refused = app.post(
        url, {"measured_on": "2026-11-19", "weight_kg": 70, "systolic": 400, "heart_rate": 10}, format="json"
    )
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"systolic", "heart_rate"}
    assert "Systolic" in refused.json()["errors"]["systolic"][0] or "收縮壓" in refused.json()["errors"]["systolic"][0]
    assert not Measurement.objects.filter(person=adult_with_visits).exists()

    added = app.post(url, {"measured_on": "2026-11-19", "height_cm": 170, "weight_kg": 72.5}, format="json")
    assert added.status_code == 201, added.content
    body = added.json()
    stored = Measurement.objects.get(person=adult_with_visits)
    assert body["id"] == str(stored.pk) and stored.weight_kg == Decimal("72.5") and stored.entered_by == "self"
    assert body["bmi"] == 25.1 and body["bmi_category"] == "overweight"
    listed = app.get(url + "?lang=en").json()
    assert listed["may_add"] is True and [m["id"] for m in listed["measurements"]] == [str(stored.pk)]
    assert listed["latest"]["bmi"]["category_label"] == "Overweight"


def test_the_page_shows_bmi_and_its_category_in_words(adult_with_visits, client):
    web_as(adult_with_visits, client)
    url = f"/en/passbook/{adult_with_visits.pk}/measurements/"
    page = client.get(url).content.decode()
    assert 'name="weight_kg"' in page and 'for="id_weight_kg"' in page
    saved = client.post(url, {"measured_on": "2026-11-18", "height_cm": "160", "weight_kg": "80", "waist_cm": "95"})
    assert saved.status_code == 302
    page = client.get(url).content.decode()
    assert "31.3" in page and "Moderate obesity" in page
    chinese = client.get(f"/passbook/{adult_with_visits.pk}/measurements/").content.decode()
    assert "115/11/18" in chinese


def test_a_refused_web_form_answers_400_naming_the_field_and_stores_nothing(adult_with_visits, client):
    web_as(adult_with_visits, client)
    url = f"/en/passbook/{adult_with_visits.pk}/measurements/"
    response = client.post(url, {"measured_on": "2026-11-18", "weight_kg": "70", "height_cm": "300"})
    assert response.status_code == 400
    assert "Height (cm) must be between 30 and 250" in response.content.decode()
    assert not Measurement.objects.filter(person=adult_with_visits).exists()


def test_a_kiosk_and_an_operator_see_no_form_and_cannot_add(adult_with_visits, client, counter_staff_client):
    session = client.session
    session[SESSION_PERSON], session[SESSION_METHOD] = str(adult_with_visits.pk), Method.KIOSK
    session.save()
    url = f"/en/passbook/{adult_with_visits.pk}/measurements/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="weight_kg"' not in page.content.decode()
    assert client.post(url, {"measured_on": "2026-11-18", "weight_kg": "70"}).status_code == 403

    staff = counter_staff_client
    checked = staff.post(
        f"/en/admin/identity/person/{adult_with_visits.pk}/counter-view/",
        {"id_document": "national_id_card", "confirmed": "on", "show": "passbook"},
    )
    assert checked.status_code == 302
    assert 'name="weight_kg"' not in staff.get(url).content.decode()
    assert staff.post(url, {"measured_on": "2026-11-18", "weight_kg": "70"}).status_code == 403
    assert not Measurement.objects.filter(person=adult_with_visits).exists()


def test_a_parent_adds_for_their_child_and_a_stranger_cannot(family, adult_with_visits):
    parent, child = family
    web = web_as(parent, Client())
    url = f"/en/passbook/{child.pk}/measurements/"
    assert web.post(url, {"measured_on": "2026-11-18", "height_cm": "120", "weight_kg": "25"}).status_code == 302
    stored = Measurement.objects.get(person=child)
    assert stored.entered_by == "parent"
    stranger = web_as(adult_with_visits, Client())
    assert stranger.post(url, {"measured_on": "2026-11-18", "weight_kg": "26"}).status_code == 404
    assert Measurement.objects.filter(person=child).count() == 1


# ---------------------------------------------------------------- reminders


def _person_with_a_running_prescription(world):
    rx = (
        ChronicPrescription.objects.filter(prescribed_on__gt=TODAY - dt.timedelta(days=60))
        .order_by("-prescribed_on", "pk")
        .first()
    )
    assert rx is not None, "the population has no running chronic prescription"
    return rx.person


def test_reminders_are_the_rules_applied_to_the_persons_records(world):
    person = _person_with_a_running_prescription(world)
    got = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/reminders?lang=en").json()["reminders"]
    by_kind = {}
    for r in got:
        by_kind.setdefault(r["kind"], []).append(r)

    last_scaling = NonDrugOrder.objects.filter(
        person=person, payment_code__in=policy.DENTAL_SCALING_PAYMENT_CODES
    ).aggregate(d=Max("visit__visit_date"))["d"]
    diabetic = (
        VisitDiagnosis.objects.filter(person=person, icd10__startswith="E11").exists()
        or FollowUp.objects.filter(person=person, program="diabetes").exists()
    )
    expected = rules.next_dental_scaling(person.birth_date, last_scaling, TODAY, high_risk=diabetic)
    assert [r["date"] for r in by_kind["dental_scaling"]] == [expected.isoformat()]

    newest = {}
    for rx in ChronicPrescription.objects.filter(person=person).order_by("-prescribed_on", "-pk"):
        newest.setdefault(rx.icd10, rx)
    windows = []
    refills = []
    for rx in newest.values():
        start, until = rules.return_visit_window(rx.prescribed_on, rx.days_per_fill, rx.fills)
        if until >= TODAY:
            windows.append((start.isoformat(), until.isoformat()))
        dispensings = rx.refills.order_by("visit_date")
        if 1 + dispensings.count() < rx.fills and until >= TODAY:
            last = dispensings.last().visit_date if dispensings.exists() else rx.prescribed_on
            a, b = rules.refill_window(last, rx.days_per_fill)
            if b >= TODAY:
                refills.append((a.isoformat(), b.isoformat()))
    assert windows, "the person's prescription should still be running"
    assert sorted((r["date"], r["until"]) for r in by_kind["return_visit"]) == sorted(windows)
    assert sorted((r["date"], r["until"]) for r in by_kind.get("refill", [])) == sorted(refills)

    if person.age_on(TODAY) >= 29:
        last_check = PreventiveCheck.objects.filter(person=person).aggregate(d=Max("checked_on"))["d"]
        check = rules.next_preventive_check(
            person.birth_date, last_check, TODAY, person.is_indigenous, person.is_polio_survivor
        )
        assert [r["date"] for r in by_kind["preventive_check"]] == [check.isoformat()]
    assert all(r["why"] for r in got)


def test_the_calendar_marks_reminder_days_and_the_ics_has_the_same_events(world, client):
    person = _person_with_a_running_prescription(world)
    web_as(person, client)
    reminders = app_as(person).get(f"/api/app/v1/passbook/{person.pk}/reminders?lang=en").json()["reminders"]
    december = [r for r in reminders if r["date"].startswith("2026-12") or (r["until"] or "").startswith("2026-12")]
    page = client.get(f"/en/passbook/{person.pk}/calendar/?month=2026-12").content.decode()
    assert "December 2026" in page and '<th scope="col">' in page and "<caption>" in page
    assert page.count('class="reminder-mark"') >= len(december) > 0
    for r in december:
        assert r["what"] in page

    home = client.get(f"/passbook/{person.pk}/").content.decode()
    assert "115年11月" in home and '<span class="visually-hidden">星期日</span>' in home
    assert home.index("星期日") < home.index("星期一")  # Sunday first, as the NHI's page

    ics = client.get(f"/en/passbook/{person.pk}/calendar.ics")
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    assert 'attachment; filename="' in ics["Content-Disposition"]
    parsed = icalendar.Calendar.from_ical(ics.content)
    events = {str(e["uid"]): e for e in parsed.walk("VEVENT")}
    assert {f"{r['id']}@healthbank" for r in reminders} == set(events)
    for r in reminders:
        event = events[f"{r['id']}@healthbank"]
        assert event.decoded("dtstart") == dt.date.fromisoformat(r["date"])
        last = dt.date.fromisoformat(r["until"] or r["date"])
        assert event.decoded("dtend") == last + dt.timedelta(days=1)
        assert str(event["summary"]) == r["what"] and "dtstamp" in event
    again = icalendar.Calendar.from_ical(client.get(f"/en/passbook/{person.pk}/calendar.ics").content)
    assert {str(e["uid"]) for e in again.walk("VEVENT")} == set(events)  # stable UIDs


@pytest.mark.parametrize("month", ["2026-13", "12-2026", "2026-1", "abc", "2099-01"])
def test_a_bad_month_answers_400_naming_it(adult_with_visits, client, month):
    web_as(adult_with_visits, client)
    response = client.get(f"/en/passbook/{adult_with_visits.pk}/calendar/", {"month": month})
    assert response.status_code == 400 and "month" in response.content.decode()


# ---------------------------------------------------------------- health news


def test_news_shows_the_newest_published_items_in_the_pages_language(adult_with_visits, client):
    for days in range(7):
        HealthNews.objects.create(
            title_zh=f"新知{days}",
            title_en=f"News {days}" if days != 1 else "",
            body_zh="中文內容",
            body_en="English text",
            published_on=TODAY - dt.timedelta(days=days),
            is_published=True,
        )
    HealthNews.objects.create(title_zh="草稿", title_en="Draft", published_on=TODAY, is_published=False)
    HealthNews.objects.create(title_zh="明天", title_en="Tomorrow", published_on=TODAY + dt.timedelta(days=1))
    web_as(adult_with_visits, client)
    english = client.get(f"/en/passbook/{adult_with_visits.pk}/").content.decode()
    assert "News 0" in english and "新知1" in english and "News 4" in english and "News 5" not in english
    assert "Draft" not in english and "Tomorrow" not in english
    chinese = client.get(f"/passbook/{adult_with_visits.pk}/").content.decode()
    assert "新知0" in chinese and "中文內容" in chinese and "News 0" not in chinese
    summary = app_as(adult_with_visits).get(f"/api/app/v1/passbook/{adult_with_visits.pk}/summary?lang=en").json()
    assert [n["title"] for n in summary["news"]] == ["News 0", "新知1", "News 2", "News 3", "News 4"]


def test_the_content_editors_group_may_edit_news(db):
    from django.contrib.auth.models import Group

    from healthbank.passbook.editors import CONTENT_EDITOR_PERMISSIONS, CONTENT_EDITORS

    group = Group.objects.get(name=CONTENT_EDITORS)
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert held == set(CONTENT_EDITOR_PERMISSIONS)


# ---------------------------------------------------------------- the app's data request


def test_the_data_request_lists_every_readable_category_with_browse_or_no_data(family):
    from healthbank.access import rules as access
    from healthbank.access.rules import Reader
    from healthbank.passbook.selectors.personal import DATA_OF_CATEGORY

    parent, child = family
    app = app_as(parent)
    for person in (parent, child):
        url = f"/api/app/v1/passbook/{person.pk}/data-request"
        posted = app.post(url)
        assert posted.status_code == 200 and posted.json()["status"] == "ready"
        readable = access.readable_categories(Reader.person(parent), person)
        expected = {
            c.value: ("browse" if DATA_OF_CATEGORY[c](person).exists() else "no data")
            for c in DataCategory
            if c.value in readable
        }
        got = {c["category"]: c["status"] for c in posted.json()["categories"]}
        assert got == expected
        assert "browse" in got.values() and app.get(url).json() == posted.json()


def test_a_passbook_takes_a_days_worth_of_measurements_and_then_says_so(adult_with_visits, settings):
    """One atomic count per passbook and day: a script cannot fill a passbook with rows."""
    from healthbank import policy

    app = app_as(adult_with_visits)
    url = f"/api/app/v1/passbook/{adult_with_visits.pk}/measurements"
    for _ in range(policy.MEASUREMENTS_MAX_PER_DAY):
        assert app.post(url, {"measured_on": "2026-11-19", "weight_kg": 70}, format="json").status_code == 201
    refused = app.post(url + "?lang=en", {"measured_on": "2026-11-19", "weight_kg": 70}, format="json")
    assert refused.status_code == 400 and "try again tomorrow" in refused.json()["errors"]["request"][0]
    assert Measurement.objects.filter(person=adult_with_visits).count() == policy.MEASUREMENTS_MAX_PER_DAY


def test_with_the_cache_away_the_news_is_read_from_the_database(adult_with_visits, caplog):
    """Redis away (a real client to a port nothing listens on): the news still reads, from the database."""
    from django.test import override_settings

    from healthbank.access.rules import Reader
    from healthbank.passbook.selectors.personal import news
    from healthbank.passbook.viewing import open_viewing

    HealthNews.objects.create(title_zh="新知", title_en="News", published_on=TODAY, is_published=True)
    away = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}}
    viewing = open_viewing(Reader.person(adult_with_visits), adult_with_visits.pk, "en", known=adult_with_visits)
    with override_settings(CACHES=away):
        assert [item["title"] for item in news(viewing)] == ["News"]
    assert "health news read without the cache: ConnectionError" in caplog.text
