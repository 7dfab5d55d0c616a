"""Banks: a one-off debit of an account for NHI premiums (單次約定轉帳, SPEC §10).

The adapter is named in ``EXTERNAL_ADAPTERS["bank"]``. The simulator answers as a bank's debit gateway would:
it knows each account's holder (national ID) and balance (``bank_accounts.csv``), refuses an unknown account,
an account in another person's name and a balance that does not cover the amount, and takes the money once per
reference (a retried reference gets the first answer again, never a second debit). A bank whose code is listed
in ``bank_outages.txt`` is away: the call raises ``BankUnavailable`` (a ``ConnectionError``: 503).
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

FILE_NAME = "bank_accounts.csv"
OUTAGES_FILE_NAME = "bank_outages.txt"
COLUMNS = ["bank_code", "account_number", "holder_national_id", "balance"]


class BankUnavailable(ConnectionError):
    """The bank did not answer: nothing was debited."""


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    UNKNOWN_ACCOUNT = "unknown_account"
    NOT_HOLDER = "not_holder"  # the account is in another person's name


@dataclass(frozen=True)
class DebitAnswer:
    outcome: Outcome
    reference: str

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED


class SimulatedBank:
    """Answers from ``bank_accounts.csv`` (one row an account) and ``bank_outages.txt`` (codes that are away)."""

    def __init__(self, data_dir: str | Path):
        self.path = Path(data_dir) / FILE_NAME
        self.outages_path = Path(data_dir) / OUTAGES_FILE_NAME
        self._balances: dict[tuple[str, str], int] | None = None
        self._holders: dict[tuple[str, str], str] = {}
        self._answers: dict[str, DebitAnswer] = {}
        self._lock = threading.Lock()

    def _load(self) -> dict[tuple[str, str], int]:
        if self._balances is None:
            balances: dict[tuple[str, str], int] = {}
            if self.path.exists():
                with open(self.path, encoding="utf-8", newline="") as handle:
                    for r in csv.DictReader(handle):
                        key = (r["bank_code"], r["account_number"])
                        balances[key] = int(r["balance"])
                        self._holders[key] = r["holder_national_id"]
            self._balances = balances
        return self._balances

    def _away(self, bank_code: str) -> bool:
        if not self.outages_path.exists():
            return False
        return bank_code in self.outages_path.read_text(encoding="utf-8").split()

    def debit(
        self, *, bank_code: str, account_number: str, national_id: str, amount: int, reference: str
    ) -> DebitAnswer:
        """Take ``amount`` from the account of ``national_id``; the same ``reference`` is debited at most once."""
        if self._away(bank_code):
            raise BankUnavailable(f"bank {bank_code} does not answer")
        with self._lock:
            if reference in self._answers:
                return self._answers[reference]
            balances = self._load()
            key = (bank_code, account_number)
            if key not in balances:
                outcome = Outcome.UNKNOWN_ACCOUNT
            elif self._holders[key] != national_id:
                outcome = Outcome.NOT_HOLDER
            elif balances[key] < amount:
                outcome = Outcome.INSUFFICIENT_FUNDS
            else:
                balances[key] -= amount
                outcome = Outcome.ACCEPTED
            answer = DebitAnswer(outcome, f"SIM{bank_code}-{reference[:12].upper()}")
            self._answers[reference] = answer
            return answer


def write(path: Path, rows: list[dict]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    with open(path / FILE_NAME, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
