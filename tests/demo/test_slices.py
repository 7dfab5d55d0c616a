"""A large population planned and loaded a slice of people at a time (issue 12: a quarter of a million people)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import call_command

from cardagent.certificate import SimulatedCertificate, WrongPin
from healthbank.demo import population as population_module
from healthbank.demo.population import build_population, plan_slices
from healthbank.demo.world import DEMO_CERTIFICATE_PIN
from healthbank.external import certificates
from healthbank.identity.models import NhiCard, NhiHousehold, Person
from healthbank.insurance.models import PremiumCalculation, PremiumPayment
from healthbank.records.models import Visit

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def slices():
    return list(plan_slices(50, seed=11, today=TODAY, slice_people=20))


def test_slices_add_up_to_the_population_asked_for(slices):
    assert [len(s.people) for s in slices] == [20, 20, 10]
    for piece in slices:  # a slice's households index its own people, every one of them exactly once
        members = [h.insured for h in piece.households] + [i for h in piece.households for i, _ in h.dependents]
        assert sorted(members) == list(range(len(piece.people)))
        assert piece.record_count() > 0


def test_nothing_that_names_a_person_repeats_across_slices(slices):
    people = [p for s in slices for p in s.people]
    for what in ("national_id", "mobile", "email"):
        values = [getattr(p, what) for p in people if getattr(p, what)]
        assert len(values) == len(set(values)), what
    cards = [c.card_number for p in people for c in p.cards]
    assert len(cards) == len(set(cards))
    households = [p.address.household_number for p in people]
    assert Counter(households).most_common(1)[0][1] <= 8  # a family shares one; no number is reused by another
    record_ids = [r["record_id"] for s in slices for batch in s.batches.values() for r in batch if "record_id" in r]
    assert len(record_ids) == len(set(record_ids))


def test_slices_share_the_institutions_and_meet_a_unit_again_as_the_same_unit(slices):
    assert all(s.institutions is slices[0].institutions for s in slices)
    codes = [u.code for u in slices[-1].units]
    assert len(codes) == len(set(codes)) and {u.code for u in slices[0].units} <= set(codes)
    names = Counter((u.kind, u.name) for u in slices[-1].units if u.kind in ("township", "farmers"))
    assert max(names.values()) == 1  # one township office per township, whichever slice met it first


def test_a_population_of_one_slice_is_the_whole_plan():
    (only,) = plan_slices(30, seed=11, today=TODAY, slice_people=100)
    assert only == build_population(30, seed=11, today=TODAY)


@pytest.mark.django_db
def test_the_command_loads_a_sliced_population_and_its_world(monkeypatch, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False)
    monkeypatch.setattr(population_module, "SLICE_PEOPLE", 25)
    out = io.StringIO()
    call_command("generate_population", stdout=out, people=60, seed=5)
    text = out.getvalue()
    assert "25 people in" in text and "50 people in" in text and "Generated 60 people" in text
    assert Person.objects.count() == 60
    assert NhiCard.objects.values("person").distinct().count() == 60
    assert NhiHousehold.objects.count() > 0 and Visit.objects.values("person").distinct().count() > 30
    # The premiums went in by the copy path: every payment belongs to a calculation of the same person.
    payments = PremiumPayment.objects.select_related("calculation")
    assert payments and all(p.calculation.person_id == p.person_id for p in payments)
    assert PremiumCalculation.objects.count() >= payments.count()
    registry = settings.EXTERNAL_DATA_DIR / "household_registry.csv"
    with open(registry, encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 60  # every slice's people in the one registry file
    # The certificates of every slice share one PIN record and each still proves its holder with the demo PIN.
    ca = certificates.SimulatedCertificateAuthority(settings.EXTERNAL_DATA_DIR)
    with open(settings.EXTERNAL_DATA_DIR / certificates.FILE_NAME, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 2
    for row in (rows[0], rows[-1]):
        card = SimulatedCertificate(settings.EXTERNAL_DATA_DIR / "certificates" / f"{row['serial']}.json")
        serial, signature = card.sign("challenge-1", DEMO_CERTIFICATE_PIN)
        assert ca.verify("challenge-1", serial, base64.b64encode(signature).decode()) == row["national_id"]
        with pytest.raises(WrongPin):
            card.sign("challenge-1", "00000000")
