"""個人未繳保費 — the pure rules of unpaid premiums: whose bill it is, the convenience-store slip's three
barcodes and their check codes, and the instalment schedule (no Django; numbers from ``policy``).

The slip's layout is the common one of Taiwan's convenience-store collection (超商代收三段式條碼), written
down in docs/decisions.md ("Issue 11: unpaid premiums"):

- segment 1, 9 characters: the payment deadline as ROC ``yymmdd`` (the ROC year's last two digits) and the
  3-character collection-item code (代收項目代號) of the collecting agency;
- segment 2, 16 characters: the bill number (銷帳編號) that tells the agency whose bill and which one;
- segment 3, 15 characters: the month billed as ROC ``yymm``, two check characters, the amount in NT$ as 9
  digits.

The check characters cover all three segments: each character is worth a number (digits their value; letters
A–I 1–9, J–R 1–9, S–Z 2–9; anything else 0), and within each segment the characters at odd positions (1st,
3rd, …) and at even positions are summed, the check positions of segment 3 counting as ``0``. The first check
character is the odd positions' total modulo 11 (0 is written ``A``, 10 ``B``), the second the even
positions' total modulo 11 (0 is ``X``, 10 ``Y``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from healthbank import policy

ROC_OFFSET = 1911
SEGMENT_LENGTHS = (9, 16, 15)
BILL_NUMBER_KINDS = {"month": "1", "instalment": "2"}


def is_self_billed(category: int) -> bool:
    """Whether an insured person of ``category`` pays their own premium bill (NHI Act art. 30, policy)."""
    return category in policy.PREMIUM_SELF_BILLED_CATEGORIES


# ---------------------------------------------------------------- the slip's barcodes


def character_value(char: str) -> int:
    """What one barcode character counts in the check sums: 0–9 themselves, A–I 1–9, J–R 1–9, S–Z 2–9."""
    if char.isdigit():
        return int(char)
    if "A" <= char <= "I":
        return ord(char) - ord("A") + 1
    if "J" <= char <= "R":
        return ord(char) - ord("J") + 1
    if "S" <= char <= "Z":
        return ord(char) - ord("S") + 2
    return 0


def check_characters(segment1: str, segment2: str, segment3_without_check: str) -> str:
    """The two check characters of segment 3, given the three segments (segment 3 with the check left out:
    its ``yymm`` and its 9-digit amount, 13 characters)."""
    if len(segment3_without_check) != 13:
        raise ValueError("segment 3 without its check characters has 13 characters (yymm + amount)")
    segment3 = segment3_without_check[:4] + "00" + segment3_without_check[4:]
    odd = even = 0
    for segment in (segment1, segment2, segment3):
        for position, char in enumerate(segment, start=1):
            if position % 2:
                odd += character_value(char)
            else:
                even += character_value(char)
    first = {0: "A", 10: "B"}.get(odd % 11, str(odd % 11))
    second = {0: "X", 10: "Y"}.get(even % 11, str(even % 11))
    return first + second


def roc_yymmdd(day: dt.date) -> str:
    return f"{(day.year - ROC_OFFSET) % 100:02d}{day.month:02d}{day.day:02d}"


def roc_yymm(day: dt.date) -> str:
    return f"{(day.year - ROC_OFFSET) % 100:02d}{day.month:02d}"


def bill_number(kind: str, serial: int) -> str:
    """The 16-digit bill number: the kind (1 a month's bill, 2 an instalment) and a 15-digit serial."""
    return BILL_NUMBER_KINDS[kind] + f"{serial % 10**15:015d}"


@dataclass(frozen=True)
class SlipBarcodes:
    segment1: str
    segment2: str
    segment3: str

    @property
    def segments(self) -> tuple[str, str, str]:
        return (self.segment1, self.segment2, self.segment3)


def slip_barcodes(*, deadline: dt.date, bill: str, month: dt.date, amount: int, agency: str | None = None):
    """The three barcodes of a convenience-store slip, or ``None`` above the stores' limit (pay at a bank)."""
    agency = agency or policy.PREMIUM_SLIP_AGENCY_CODE
    if len(agency) != 3 or len(bill) != 16:
        raise ValueError("the agency code has 3 characters and the bill number 16")
    if amount <= 0 or amount > policy.PREMIUM_SLIP_STORE_LIMIT:
        return None
    segment1 = roc_yymmdd(deadline) + agency
    amount_digits = f"{amount:09d}"
    check = check_characters(segment1, bill, roc_yymm(month) + amount_digits)
    return SlipBarcodes(segment1, bill, roc_yymm(month) + check + amount_digits)


def check_is_valid(segment1: str, segment2: str, segment3: str) -> bool:
    """What a store's scanner checks: the lengths and the check characters."""
    if tuple(map(len, (segment1, segment2, segment3))) != SEGMENT_LENGTHS:
        return False
    return segment3[4:6] == check_characters(segment1, segment2, segment3[:4] + segment3[6:])


# ---------------------------------------------------------------- instalments (簡易分期)


def end_of_month(day: dt.date, months_after: int = 0) -> dt.date:
    year, month = divmod(day.month - 1 + months_after, 12)
    year, month = day.year + year, month + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def may_pay_in_instalments(total: int) -> bool:
    return total >= policy.PREMIUM_INSTALMENT_MIN_TOTAL


def most_instalments(total: int) -> int:
    """The largest number of instalments ``total`` may be paid in: the band's maximum (art. 5), and no
    instalment smaller than the minimum; 0 when ``total`` is below the threshold."""
    if not may_pay_in_instalments(total):
        return 0
    band = next(n for limit, n in policy.PREMIUM_INSTALMENT_MAX_COUNT_BY_TOTAL if limit is None or total < limit)
    return max(policy.PREMIUM_INSTALMENT_MIN_COUNT, min(band, total // policy.PREMIUM_INSTALMENT_MIN_EACH))


@dataclass(frozen=True)
class ScheduledInstalment:
    number: int
    amount: int
    due_on: dt.date


def schedule(total: int, count: int, *, today: dt.date) -> list[ScheduledInstalment]:
    """``count`` instalments summing exactly to ``total`` (the first ones a dollar more when it does not divide),
    due at the end of each month from next month on (each at most one month after the one before)."""
    if not policy.PREMIUM_INSTALMENT_MIN_COUNT <= count <= most_instalments(total):
        raise ValueError(f"{count} instalments is not allowed for NT$ {total}")
    base, rest = divmod(total, count)
    return [
        ScheduledInstalment(number, base + (1 if number <= rest else 0), end_of_month(today, number))
        for number in range(1, count + 1)
    ]
