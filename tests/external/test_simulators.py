"""The simulated registry, carriers and certificate authority answer from the generator's world files."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cardagent.certificate import SimulatedCertificate, WrongPin
from healthbank.demo.population import build_population
from healthbank.demo.world import DEMO_CERTIFICATE_PIN, write_world
from healthbank.external import carriers, certificates
from healthbank.external.registry import SimulatedHouseholdRegistry

TODAY = dt.date(2026, 11, 20)
CHALLENGE = "certificate-challenge-1"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("world")
    plan = build_population(60, seed=11, today=TODAY)
    write_world(plan, root / "external", root / "cards")
    return plan, root


def test_household_registry_checks_every_part_of_the_address(world):
    plan, root = world
    registry = SimulatedHouseholdRegistry(root / "external")
    person = plan.people[0]
    a = person.address
    assert registry.matches(person.national_id, a.household_number, a.county, a.township, a.village, a.neighbourhood)
    assert registry.matches(
        person.national_id, a.household_number.lower(), a.county, a.township, a.village, a.neighbourhood
    )
    assert not registry.matches(
        person.national_id, a.household_number, a.county, a.township, a.village, a.neighbourhood + 1
    )
    assert not registry.matches("A123456789", a.household_number, a.county, a.township, a.village, a.neighbourhood)


def test_a_household_shares_one_registered_address(world):
    plan, _ = world
    for household in plan.households:
        members = [plan.people[household.insured]] + [plan.people[i] for i, _ in household.dependents]
        assert len({m.address for m in members}) == 1


def test_mobile_carriers_confirm_only_post_paid_numbers_of_their_owner(world):
    plan, root = world
    carrier = carriers.SimulatedMobileCarriers(root / "external")
    by_plan = {}
    for person in plan.people:
        if person.mobile:
            by_plan.setdefault(person.mobile_plan, person)
    owner = by_plan["postpaid"]
    assert carrier.verify(owner.national_id, owner.mobile) is carriers.Verdict.CONFIRMED
    other = next(p for p in plan.people if p.mobile and p is not owner)
    assert carrier.verify(other.national_id, owner.mobile) is carriers.Verdict.NOT_OWNER
    assert carrier.verify(owner.national_id, "0900000000") is carriers.Verdict.NOT_OWNER
    if "prepaid" in by_plan:
        prepaid = by_plan["prepaid"]
        assert carrier.verify(prepaid.national_id, prepaid.mobile) is carriers.Verdict.PREPAID


def test_children_have_no_mobile_of_their_own(world):
    plan, _ = world
    assert all(not p.mobile for p in plan.people if p.age_on(TODAY) < 15)


def test_a_citizen_certificate_proves_its_holder_with_the_right_pin(world):
    plan, root = world
    holder = next(p for p in plan.people if p.certificate_serial)
    card = SimulatedCertificate(root / "external" / "certificates" / f"{holder.certificate_serial}.json")
    ca = certificates.SimulatedCertificateAuthority(root / "external")
    serial, signature = card.sign(CHALLENGE, DEMO_CERTIFICATE_PIN)
    assert serial == holder.certificate_serial
    signature_b64 = base64.b64encode(signature).decode()
    assert ca.verify(CHALLENGE, serial, signature_b64) == holder.national_id
    assert ca.verify(CHALLENGE + "x", serial, signature_b64) is None  # a proof answers one challenge only
    with pytest.raises(WrongPin):
        card.sign(CHALLENGE, "00000000")


def test_a_revoked_certificate_proves_nothing(world, tmp_path):
    plan, root = world
    holder = next(p for p in plan.people if p.certificate_serial)
    card = SimulatedCertificate(root / "external" / "certificates" / f"{holder.certificate_serial}.json")
    rows = list(csv.DictReader(open(root / "external" / certificates.FILE_NAME, encoding="utf-8")))
    for row in rows:
        row["revoked"] = "1"
    certificates.write(tmp_path, rows)
    ca = certificates.SimulatedCertificateAuthority(tmp_path)
    serial, signature = card.sign(CHALLENGE, DEMO_CERTIFICATE_PIN)
    assert ca.verify(CHALLENGE, serial, base64.b64encode(signature).decode()) is None


def test_every_card_has_a_card_file_with_its_key(world):
    plan, root = world
    person = plan.people[0]
    card = person.cards[-1]
    data = json.loads((root / "cards" / f"{card.card_number}.json").read_text(encoding="utf-8"))
    assert (data["national_id"], data["name"], data["issue_date"]) == (
        person.national_id,
        person.name,
        card.issued_on.isoformat(),
    )
    assert Ed25519PrivateKey.from_private_bytes(bytes.fromhex(data["private_key"]))


@pytest.mark.django_db
def test_issued_cards_register_the_public_key_of_their_card_file(world, time_machine):
    from healthbank.demo.loader import card_public_key, load_population
    from healthbank.identity.models import NhiCard

    time_machine.move_to(dt.datetime(2026, 11, 20, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False)
    plan = build_population(20, seed=5, today=TODAY)
    load_population(plan)
    card = plan.people[0].cards[0]
    stored = NhiCard.objects.get(card_number=card.card_number)
    assert bytes(stored.public_key) == card_public_key(card.private_key)
