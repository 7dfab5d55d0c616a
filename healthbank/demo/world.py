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
    with World(external_dir, cards_dir) as world:
        world.add(population)


class World:
    """The simulators' files of a population planned in one piece or slice by slice (``add`` each slice): card
    files as each slice comes, the registry's, carriers' and CA's lists written whole when it closes."""

    def __init__(self, external_dir: Path, cards_dir: Path):
        self.external_dir, self.cards_dir = external_dir, cards_dir
        external_dir.mkdir(parents=True, exist_ok=True)
        cards_dir.mkdir(parents=True, exist_ok=True)
        self.registry_rows: list[dict] = []
        self.carrier_rows: list[dict] = []
        self.certificate_rows: list[dict] = []
        self.pin = certificates.pin_record(DEMO_CERTIFICATE_PIN)  # one PIN for every demo certificate

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()

    def add(self, population: Population) -> None:
        for person in population.people:
            self._add_person(person)

    def _add_person(self, person: PersonPlan) -> None:
        for card in person.cards:
            (self.cards_dir / f"{card.card_number}.json").write_text(
                json.dumps(card_file(person, card), ensure_ascii=False), encoding="utf-8"
            )
        if person.address is not None:
            a = person.address
            self.registry_rows.append(
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
            self.carrier_rows.append(
                {
                    "mobile": person.mobile,
                    "carrier": carrier,
                    "plan": person.mobile_plan,
                    "owner_national_id": person.national_id,
                }
            )
        if person.certificate_serial:
            key = bytes(reversed(person.cards[0].private_key))  # derived, deterministic, distinct from the card's
            self.certificate_rows.append(
                certificates.issue(
                    self.external_dir,
                    person.certificate_serial,
                    person.national_id,
                    DEMO_CERTIFICATE_PIN,
                    key,
                    pin_hashed=self.pin,
                )
            )

    def close(self) -> None:
        registry.write(self.external_dir, self.registry_rows)
        carriers.write(self.external_dir, self.carrier_rows)
        certificates.write(self.external_dir, self.certificate_rows)
        reset_adapters()
