"""Mobile carriers: is this a post-paid number registered to this person? (SPEC §5 phone verification)"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

FILE_NAME = "mobile_carriers.csv"
COLUMNS = ["mobile", "carrier", "plan", "owner_national_id"]


class Plan(StrEnum):
    POSTPAID = "postpaid"
    PREPAID = "prepaid"
    COMPANY = "company"


class Verdict(StrEnum):
    CONFIRMED = "confirmed"  # post-paid, registered to this person
    PREPAID = "prepaid"
    COMPANY = "company"
    NOT_OWNER = "not_owner"  # someone else's number (or unknown to every carrier)


@dataclass(frozen=True)
class Subscription:
    mobile: str
    carrier: str
    plan: Plan
    owner_national_id: str


class SimulatedMobileCarriers:
    """Answers from ``mobile_carriers.csv``: one row per number, as the carriers' joint check would."""

    def __init__(self, data_dir: str | Path):
        self.path = Path(data_dir) / FILE_NAME
        self._rows: dict[str, Subscription] | None = None

    def _load(self) -> dict[str, Subscription]:
        if self._rows is None:
            rows: dict[str, Subscription] = {}
            if self.path.exists():
                with open(self.path, encoding="utf-8", newline="") as handle:
                    for r in csv.DictReader(handle):
                        rows[r["mobile"]] = Subscription(
                            r["mobile"], r["carrier"], Plan(r["plan"]), r["owner_national_id"]
                        )
            self._rows = rows
        return self._rows

    def verify(self, national_id: str, mobile: str) -> Verdict:
        found = self._load().get(mobile)
        if found is None or found.owner_national_id != national_id:
            return Verdict.NOT_OWNER
        if found.plan is Plan.PREPAID:
            return Verdict.PREPAID
        if found.plan is Plan.COMPANY:
            return Verdict.COMPANY
        return Verdict.CONFIRMED


def write(path: Path, rows: list[dict]) -> None:
    with open(path / FILE_NAME, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
