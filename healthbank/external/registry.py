"""戶政 — the household registry: does household number H and this registered address match ID X?"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "household_registry.csv"
COLUMNS = ["national_id", "household_number", "county", "township", "village", "neighbourhood"]


@dataclass(frozen=True)
class RegisteredAddress:
    household_number: str
    county: str
    township: str
    village: str
    neighbourhood: int


class SimulatedHouseholdRegistry:
    """Answers from ``household_registry.csv`` (one row a person), as the registry would online."""

    def __init__(self, data_dir: str | Path):
        self.path = Path(data_dir) / FILE_NAME
        self._rows: dict[str, RegisteredAddress] | None = None

    def _load(self) -> dict[str, RegisteredAddress]:
        if self._rows is None:
            rows: dict[str, RegisteredAddress] = {}
            if self.path.exists():
                with open(self.path, encoding="utf-8", newline="") as handle:
                    for r in csv.DictReader(handle):
                        rows[r["national_id"]] = RegisteredAddress(
                            r["household_number"], r["county"], r["township"], r["village"], int(r["neighbourhood"])
                        )
            self._rows = rows
        return self._rows

    def matches(
        self, national_id: str, household_number: str, county: str, township: str, village: str, neighbourhood: int
    ) -> bool:
        """True only when every part matches; never says which part did not (no probing)."""
        found = self._load().get(national_id)
        return found == RegisteredAddress(household_number.strip().upper(), county, township, village, neighbourhood)

    def registered_address(self, national_id: str) -> RegisteredAddress | None:
        """Where the person's household is registered (the township office that insures them in category 6)."""
        return self._load().get(national_id)

    def household_of(self, national_id: str) -> str | None:
        found = self._load().get(national_id)
        return found.household_number if found else None


def write(path: Path, rows: list[dict]) -> None:
    with open(path / FILE_NAME, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
