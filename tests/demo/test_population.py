"""The synthetic population: deterministic, realistic in shape, and loaded through ingestion."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from healthbank.core import national_id as nid
from healthbank.demo.loader import load_population
from healthbank.demo.population import build_population

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def plan():
    return build_population(120, seed=7, today=TODAY)


def test_same_seed_same_population(plan):
    again = build_population(120, seed=7, today=TODAY)
    assert again == plan
    other = build_population(120, seed=8, today=TODAY)
    assert [p.national_id for p in other.people] != [p.national_id for p in plan.people]


def test_same_seed_and_day_give_the_same_population_whatever_the_clock_says(time_machine):
    time_machine.move_to(dt.datetime(2031, 5, 2, 8, tzinfo=dt.UTC), tick=False)
    assert build_population(120, seed=7, today=TODAY) == build_population(120, seed=7, today=TODAY)
    assert build_population(120, seed=7, today=TODAY + dt.timedelta(days=1)) != build_population(
        120, seed=7, today=TODAY
    )  # the day is part of the input, the clock is not


@pytest.mark.parametrize("today", [dt.date(2028, 2, 29), dt.date(2027, 3, 1), dt.date(2026, 12, 31)])
def test_the_generator_works_on_any_day_including_29_february(today):
    plan = build_population(60, seed=29, today=today)
    assert len(plan.people) == 60
    born = [p.birth_date for p in plan.people]
    assert all(b < today for b in born)
    assert max(v["visit_date"] for v in plan_records(plan, "visits")) < today.isoformat()


@pytest.mark.django_db
def test_a_population_planned_on_29_february_passes_ingestion(time_machine):
    leap_day = dt.date(2028, 2, 29)
    time_machine.move_to(dt.datetime(2028, 2, 29, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False)
    summary = load_population(build_population(25, seed=229, today=leap_day))  # raises if any record is refused
    assert summary.people == 25 and summary.records["visits"] > 0


def test_people_have_valid_unique_ids_and_realistic_names(plan):
    ids = [p.national_id for p in plan.people]
    assert len(ids) == len(set(ids)) == 120
    assert all(nid.is_valid(i) and nid.sex_of(i) == p.sex for i, p in zip(ids, plan.people, strict=True))
    assert all(2 <= len(p.name) <= 4 for p in plan.people)
    surnames = Counter(p.name[0] for p in plan.people)
    assert surnames.most_common(1)[0][0] in "陳林黃張李王吳劉蔡楊"


def test_households_hold_dependents_and_children_under_15(plan):
    assert any(h.dependents for h in plan.households)
    children = [plan.people[i] for h in plan.households for i, rel in h.dependents if rel == "child"]
    assert any(c.age_on(TODAY) < 15 for c in children)


def test_history_covers_three_years_and_every_kind(plan):
    visits = plan_records(plan, "visits")
    kinds = Counter(v["kind"] for v in visits)
    assert {"western", "dental", "pharmacy"} <= set(kinds)
    first = min(dt.date.fromisoformat(v["visit_date"]) for v in visits)
    assert first <= TODAY.replace(year=TODAY.year - 3)
    assert max(dt.date.fromisoformat(v["visit_date"]) for v in visits) < TODAY
    assert plan_records(plan, "lab-results") and plan_records(plan, "vaccinations")
    assert any(v.get("refill_of") for v in visits)
    assert any(o.get("tooth") for v in visits for o in v.get("non_drug_orders", []))


def plan_records(plan, record_type):
    return [r for (_, t), rows in plan.batches.items() if t == record_type for r in rows]


@pytest.mark.django_db
def test_the_whole_population_passes_ingestion(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 20, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False)
    small = build_population(40, seed=3, today=TODAY)
    summary = load_population(small)  # raises if ingestion rejects any record
    from healthbank.identity.models import Enrolment, Person
    from healthbank.records.models import Visit

    assert Person.objects.count() == 40
    assert Enrolment.objects.filter(role="dependent").exists()
    assert Visit.objects.count() == summary.records["visits"] == len(plan_records(small, "visits"))


def test_institutions_cover_every_county_and_kind(plan):
    from healthbank.core import codes

    assert {i.county for i in plan.institutions} == {c["name_zh"] for c in codes.counties()}
    assert {i.kind for i in plan.institutions} == {
        "medical_center", "regional_hospital", "district_hospital", "clinic", "pharmacy", "home_care", "health_center"
    }  # fmt: skip
    assert len({i.code for i in plan.institutions}) == len(plan.institutions)
    assert all(len(i.code) == 10 for i in plan.institutions)
    assert all(i.name and i.name_en for i in plan.institutions)


DATE_FIELDS = (
    "visit_date", "end_date", "collected_on", "performed_on", "uploaded_on", "vaccinated_on", "checked_on",
    "screened_on", "measured_on", "signed_on", "registered_on",
)  # fmt: skip


@pytest.mark.parametrize(("seed", "today"), [(1, TODAY), (2026, dt.date(2026, 11, 23)), (9, dt.date(2027, 2, 28))])
def test_no_planned_record_lies_in_the_future_or_before_birth(seed, today):
    plan = build_population(150, seed=seed, today=today)
    born = {p.national_id: p.birth_date for p in plan.people}
    for rows in plan.batches.values():
        for row in rows:
            for name in DATE_FIELDS:
                if row.get(name):
                    day = dt.date.fromisoformat(row[name])
                    assert born[row["national_id"]] <= day < today, (name, row)
