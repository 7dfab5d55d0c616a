"""The demo's records through the parallel bulk loader (issue 12): two worker processes store exactly the planned
records — a pharmacy's refills after their prescriptions, reports after their visits — and nothing is rejected;
a slice of several loads in a process of its own while the next is planned."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection

from healthbank.demo import population as population_module
from healthbank.demo.loader import GenerationError, LoadingAside, load_population, slice_tables
from healthbank.demo.management.commands import generate_population
from healthbank.demo.population import build_population, plan_slices
from healthbank.identity.models import Person
from healthbank.records.models import ChronicPrescription, Report, Vaccination, Visit
from tests.conftest import foreign_keys

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
    keys = slice_keys()
    out = io.StringIO()
    call_command("generate_population", stdout=out, people=60, seed=5)
    text = out.getvalue()
    assert text.count("side by side") == 3 and "60 people in" in text
    assert Person.objects.count() == 60
    assert Visit.objects.count() == planned["visits"] and Report.objects.count() == planned["reports"]
    assert Visit.objects.values("person").distinct().count() > 30
    # The slices' tables loaded without their foreign keys; every key is back, checked over every row.
    assert slice_keys() == keys and all(validated for *_, validated in keys)


def slice_keys() -> set[tuple]:
    return foreign_keys(*(model._meta.db_table for model in slice_tables()))


@needs_postgresql
def test_a_run_stopped_by_a_refused_record_puts_the_keys_back(monkeypatch, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False)
    monkeypatch.setattr(population_module, "SLICE_PEOPLE", 25)
    keys = slice_keys()
    assert len(keys) > 20

    class Refused(LoadingAside):
        def result(self):
            super().result()
            raise GenerationError("V-1 rejected: {'national_id': ['No insured person has this national ID.']}")

    monkeypatch.setattr(generate_population, "LoadingAside", Refused)
    with pytest.raises(GenerationError, match="V-1 rejected"):
        call_command("generate_population", stdout=io.StringIO(), people=60, seed=5)
    assert slice_keys() == keys


@needs_postgresql
def test_a_record_refused_in_a_slice_loaded_aside_stops_the_run_and_names_the_record():
    plan = build_population(20, seed=5, today=dt.date(2026, 11, 20))
    visits = next(payloads for (_source, kind), payloads in plan.batches.items() if kind == "visits")
    visits[0]["national_id"] = "A123456789"  # well formed, but nobody in the population
    with pytest.raises(GenerationError, match=visits[0]["record_id"]) as refused:
        LoadingAside(plan).result()
    assert "national_id" in str(refused.value)


def reltuples(model) -> float:
    """The rows PostgreSQL's statistics say the table holds (-1: never analysed)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        return cursor.fetchone()[0]


def written_reported(model, rows: int) -> None:
    """Wait (a few seconds at most) until the workers that wrote ``rows`` rows have reported them: an ended
    backend reports its writes as it goes, a moment after its client has left."""
    for _ in range(100):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relid = %s::regclass",
                [model._meta.db_table],
            )
            if cursor.fetchone()[0] >= rows:
                return
        time.sleep(0.05)


@needs_postgresql
def test_each_slice_plans_its_look_ups_with_statistics_of_what_the_earlier_slices_wrote():
    """A slice looks each record up by sender and record id among the earlier slices' records; without statistics
    PostgreSQL takes a sender's share of a table to be small and reads all of it for every chunk. So before its
    records a slice gathers the statistics of each record table that has doubled since they were last gathered."""
    slices = plan_slices(60, seed=5, today=dt.date(2026, 11, 20), slice_people=30)
    load_population(next(slices))
    visits, vaccinations = Visit.objects.count(), Vaccination.objects.count()
    assert visits and vaccinations
    written_reported(Visit, visits)
    written_reported(Vaccination, vaccinations)
    load_population(next(slices))
    assert reltuples(Visit) == visits and reltuples(Vaccination) == vaccinations
    assert Visit.objects.count() > visits
