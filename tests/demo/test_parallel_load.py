"""The demo's records through the parallel bulk loader (issue 12): two worker processes store exactly the planned
records — a pharmacy's refills after their prescriptions, reports after their visits — and nothing is rejected;
a slice of several loads in a process of its own while the next is planned."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection

from healthbank.demo import population as population_module
from healthbank.demo.loader import GenerationError, LoadingAside, load_population
from healthbank.demo.population import build_population, plan_slices
from healthbank.identity.models import Person
from healthbank.records.models import ChronicPrescription, Report, Visit

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_store_every_planned_record_once():
    plan = build_population(60, seed=5, today=dt.date(2026, 11, 20))
    planned = Counter()
    for (_source, record_type), payloads in plan.batches.items():
        planned[record_type] += len(payloads)
    summary = load_population(plan, workers=2)
    assert summary.records == planned
    assert Visit.objects.count() == planned["visits"]
    assert Report.objects.count() == planned["reports"]
    refills = Visit.objects.filter(chronic_prescription__isnull=False).count()
    assert refills and ChronicPrescription.objects.exists()  # refills found the prescriptions they fill


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a slice loads in a process of its own on PostgreSQL only (SQLite has one writer: it loads in place)",
)


@needs_postgresql
def test_each_slice_loads_in_a_process_of_its_own_while_the_next_is_planned(monkeypatch, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False)
    monkeypatch.setattr(population_module, "SLICE_PEOPLE", 25)
    planned = Counter()
    for part in plan_slices(60, seed=5, today=dt.date(2026, 11, 20), slice_people=25):
        for (_source, record_type), payloads in part.batches.items():
            planned[record_type] += len(payloads)
    out = io.StringIO()
    call_command("generate_population", stdout=out, people=60, seed=5)
    text = out.getvalue()
    assert text.count("side by side") == 3 and "60 people in" in text
    assert Person.objects.count() == 60
    assert Visit.objects.count() == planned["visits"] and Report.objects.count() == planned["reports"]
    assert Visit.objects.values("person").distinct().count() > 30


@needs_postgresql
def test_a_record_refused_in_a_slice_loaded_aside_stops_the_run_and_names_the_record():
    plan = build_population(20, seed=5, today=dt.date(2026, 11, 20))
    visits = next(payloads for (_source, kind), payloads in plan.batches.items() if kind == "visits")
    visits[0]["national_id"] = "A123456789"  # well formed, but nobody in the population
    with pytest.raises(GenerationError, match=visits[0]["record_id"]) as refused:
        LoadingAside(plan).result()
    assert "national_id" in str(refused.value)
