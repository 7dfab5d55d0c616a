"""The generator takes its rule numbers from policy.py (issue 7): fills, scaling intervals, preventive ages."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict

from healthbank import policy
from healthbank.demo.history import preventive_interval
from healthbank.demo.population import build_population

TODAY = dt.date(2026, 11, 20)
SCALING = ("91004C", "91089C")
ADULT_PREVENTIVE_FIRST_STAGE = ("21", "22", "27")


def records(plan, record_type):
    return [r for (_, t), rows in plan.batches.items() if t == record_type for r in rows]


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def chronic_prescriptions(plan):
    return [v["chronic_prescription"] for v in records(plan, "visits") if v.get("chronic_prescription")]


def test_chronic_prescriptions_and_refills_follow_policy():
    plan = build_population(150, seed=3, today=TODAY)
    prescriptions = chronic_prescriptions(plan)
    assert prescriptions
    for rx in prescriptions:
        assert rx["days_per_fill"] == policy.CHRONIC_PRESCRIPTION_MAX_DAYS_PER_FILL
        assert rx["fills"] == policy.CHRONIC_PRESCRIPTION_MAX_FILLS
    issued = {
        v["chronic_prescription"]["record_id"]: v for v in records(plan, "visits") if v.get("chronic_prescription")
    }
    dispensed = defaultdict(list)
    for v in records(plan, "visits"):
        if v.get("refill_of"):
            dispensed[v["refill_of"]["record_id"]].append(v)
    for rx_id, refills in dispensed.items():
        previous = day(issued[rx_id]["visit_date"])
        for refill in sorted(refills, key=lambda r: r["refill_of"]["refill_number"]):
            earliest = previous + dt.timedelta(
                days=policy.CHRONIC_PRESCRIPTION_MAX_DAYS_PER_FILL - policy.CHRONIC_REFILL_EARLY_DAYS
            )
            assert earliest <= day(refill["visit_date"]), (rx_id, refill["visit_date"])
            previous = day(refill["visit_date"])


def test_changing_the_policy_changes_the_generated_prescriptions(monkeypatch):
    monkeypatch.setattr(policy, "CHRONIC_PRESCRIPTION_MAX_DAYS_PER_FILL", 28)
    plan = build_population(150, seed=3, today=TODAY)
    assert {rx["days_per_fill"] for rx in chronic_prescriptions(plan)} == {28}


def scaling_days(plan):
    by_person = defaultdict(list)
    for v in records(plan, "visits"):
        if v["kind"] == "dental" and any(o["payment_code"] in SCALING for o in v["non_drug_orders"]):
            by_person[v["national_id"]].append(day(v["visit_date"]))
    return by_person


def test_dental_scaling_keeps_the_policy_interval_and_age():
    plan = build_population(200, seed=4, today=TODAY)
    people = {p.national_id: p for p in plan.people}
    by_person = scaling_days(plan)
    assert by_person
    for national_id, days in by_person.items():
        person = people[national_id]
        interval = (
            policy.DENTAL_SCALING_INTERVAL_HIGH_RISK
            if "diabetes" in person.conditions
            else policy.DENTAL_SCALING_INTERVAL
        )
        assert all(person.age_on(d) >= policy.DENTAL_SCALING_FROM_AGE for d in days)
        assert all(b - a >= interval for a, b in zip(sorted(days), sorted(days)[1:], strict=False)), national_id


def test_a_longer_scaling_interval_in_policy_spaces_scalings_further(monkeypatch):
    monkeypatch.setattr(policy, "DENTAL_SCALING_INTERVAL", dt.timedelta(days=400))
    monkeypatch.setattr(policy, "DENTAL_SCALING_INTERVAL_HIGH_RISK", dt.timedelta(days=400))
    for days in scaling_days(build_population(200, seed=4, today=TODAY)).values():
        assert all((b - a).days >= 400 for a, b in zip(sorted(days), sorted(days)[1:], strict=False))


def test_adult_preventive_care_follows_the_policy_ages_and_intervals():
    plan = build_population(300, seed=5, today=TODAY)
    people = {p.national_id: p for p in plan.people}
    checks = defaultdict(list)
    for v in records(plan, "visits"):
        if v["kind"] == "preventive" and v["non_drug_orders"][0]["payment_code"] in ADULT_PREVENTIVE_FIRST_STAGE:
            checks[v["national_id"]].append(day(v["visit_date"]))
    assert checks
    for national_id, days in checks.items():
        person = people[national_id]
        days.sort()
        assert person.age_on(days[0]) >= policy.PREVENTIVE_CARE_INTERVALS[0][0]
        for a, b in itertools.pairwise(days):
            years = preventive_interval(person.age_on(a), person.is_indigenous)
            assert (b - a).days >= 365 * years, (national_id, a, b)


def test_preventive_interval_reads_policy(monkeypatch):
    assert preventive_interval(29, False) is None
    assert [preventive_interval(a, False) for a in (30, 40, 65)] == [5, 3, 1]
    assert preventive_interval(56, True) == 1
    monkeypatch.setattr(policy, "PREVENTIVE_CARE_INTERVALS", ((30, 5), (40, 3), (60, 1)))
    assert preventive_interval(62, False) == 1
