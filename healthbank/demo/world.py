"""The simulated outside world of a population: what the registry, carriers, CA and cards know.

Written next to the database (``EXTERNAL_DATA_DIR``, ``SIMULATED_CARDS_DIR``), never into the
repository: these files hold full (synthetic) national IDs and private keys.
"""

from __future__ import annotations

import json
from pathlib import Path

from healthbank.external import carriers, certificates, registry, reset_adapters

from .population import CardPlan, PersonPlan, Population

DEMO_CERTIFICATE_PIN = "12345678"


def card_file(person: PersonPlan, card: CardPlan) -> dict:
    return {
        "card_number": card.card_number,
        "name": person.name,
        "national_id": person.national_id,
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex,
        "issue_date": card.issued_on.isoformat(),
        "private_key": card.private_key.hex(),
    }


def write_world(population: Population, external_dir: Path, cards_dir: Path) -> None:
    external_dir.mkdir(parents=True, exist_ok=True)
    cards_dir.mkdir(parents=True, exist_ok=True)
    registry_rows, carrier_rows, certificate_rows = [], [], []
    for person in population.people:
        for card in person.cards:
            (cards_dir / f"{card.card_number}.json").write_text(
                json.dumps(card_file(person, card), ensure_ascii=False), encoding="utf-8"
            )
        if person.address is not None:
            a = person.address
            registry_rows.append(
                {
                    "national_id": person.national_id,
                    "household_number": a.household_number,
                    "county": a.county,
                    "township": a.township,
                    "village": a.village,
                    "neighbourhood": a.neighbourhood,
                }
            )
        if person.mobile:
            carrier = ("中華電信", "台灣大哥大", "遠傳電信")[int(person.mobile[-1]) % 3]
            carrier_rows.append(
                {
                    "mobile": person.mobile,
                    "carrier": carrier,
                    "plan": person.mobile_plan,
                    "owner_national_id": person.national_id,
                }
            )
        if person.certificate_serial:
            key = bytes(reversed(person.cards[0].private_key))  # derived, deterministic, distinct from the card's
            certificate_rows.append(
                certificates.issue(
                    external_dir, person.certificate_serial, person.national_id, DEMO_CERTIFICATE_PIN, key
                )
            )
    registry.write(external_dir, registry_rows)
    carriers.write(external_dir, carrier_rows)
    certificates.write(external_dir, certificate_rows)
    reset_adapters()
