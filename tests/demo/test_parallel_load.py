"""The demo's records through the parallel bulk loader (issue 12): two worker processes store exactly the planned
records — a pharmacy's refills after their prescriptions, reports after their visits — and nothing is rejected."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from healthbank.demo.loader import load_population
from healthbank.demo.population import build_population
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
