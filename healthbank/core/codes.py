"""Reference code lists shipped as data files (``healthbank/core/data``, sources in its SOURCES.md).

Loaded once per process and kept in memory: validation of every ingested record
asks them, so they must be dictionary look-ups, not queries.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

# The kernel's own folder: every app validates against these lists, so none of them may live in an app above.
DATA_DIR = Path(os.environ.get("HEALTHBANK_REFERENCE_DIR") or Path(__file__).resolve().parent / "data")


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _pick(language: str | None, zh: str, en: str) -> str:
    """The Chinese name for a language code starting with "zh", the English otherwise; the other one if empty."""
    if (language or "").lower().startswith("zh"):
        return zh or en
    return en or zh


@dataclass(frozen=True)
class Diagnosis:
    code: str
    name_zh: str
    name_en: str
    group: str

    def name_in(self, language: str | None) -> str:
        return _pick(language, self.name_zh, self.name_en)


@dataclass(frozen=True)
class Drug:
    code: str
    name: str
    ingredient: str
    strength: str
    form: str
    atc_code: str
    atc_name_en: str
    atc_class_zh: str
    chronic: bool
    herbal: bool = False  # a Chinese herbal preparation (中藥): 7-character NHI code, no ATC code

    def name_in(self, language: str | None) -> str:
        """The product name, in every language: drug names are brand names (Latin script) either way."""
        return self.name


@dataclass(frozen=True)
class PaymentCode:
    code: str
    name_zh: str
    name_en: str
    kind: str
    body_site: str
    dental: bool

    def name_in(self, language: str | None) -> str:
        return _pick(language, self.name_zh, self.name_en)


@dataclass(frozen=True)
class LabTest:
    key: str
    loinc: str
    name_zh: str
    name_en: str
    unit: str
    ref_low: Decimal | None
    ref_high: Decimal | None
    ref_text: str
    ref_sex: str

    def name_in(self, language: str | None) -> str:
        return _pick(language, self.name_zh, self.name_en)


@dataclass(frozen=True)
class Vaccine:
    code: str
    name_zh: str
    name_en: str
    age_months: int | None

    def name_in(self, language: str | None) -> str:
        return _pick(language, self.name_zh, self.name_en)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text not in ("", None) else None
    except InvalidOperation:
        return None


@cache
def diagnoses() -> dict[str, Diagnosis]:
    return {r["code"]: Diagnosis(r["code"], r["name_zh"], r["name_en"], r["group"]) for r in _rows("icd10cm.csv")}


@cache
def drugs() -> dict[str, Drug]:
    """Western drugs (10-character NHI codes with ATC) and Chinese herbal preparations (7-character codes)."""
    return {
        r["code"]: Drug(
            r["code"],
            r["name"],
            r["ingredient"],
            r["strength"],
            r["form"],
            r["atc_code"],
            r["atc_name_en"],
            r["atc_class_zh"],
            r["chronic"] == "1",
        )
        for r in _rows("nhi_drugs.csv")
    } | {
        r["code"]: Drug(
            r["code"],
            r["name"],
            r["formula"],
            "",
            "granules",
            "",
            f"Chinese herbal preparation ({r['formula_en']})",
            "中藥複方",
            False,
            herbal=True,
        )
        for r in _rows("nhi_herbal_medicines.csv")
    }


@cache
def payment_codes() -> dict[str, PaymentCode]:
    return {
        r["code"]: PaymentCode(r["code"], r["name_zh"], r["name_en"], r["kind"], r["body_site"], r["dental"] == "1")
        for r in _rows("nhi_payment_codes.csv")
    }


@cache
def lab_tests() -> dict[str, list[LabTest]]:
    """Lab key → its definitions (one, or one per sex where the range differs)."""
    out: dict[str, list[LabTest]] = {}
    for r in _rows("loinc_labs.csv"):
        out.setdefault(r["key"], []).append(
            LabTest(
                r["key"],
                r["loinc"],
                r["name_zh"],
                r["name_en"],
                r["unit"],
                _decimal(r["ref_low"]),
                _decimal(r["ref_high"]),
                r["ref_text"],
                r["ref_sex"],
            )
        )
    return out


def lab_test(key: str, sex: str = "") -> LabTest | None:
    options = lab_tests().get(key)
    if not options:
        return None
    for option in options:
        if option.ref_sex == sex:
            return option
    return options[0]


@cache
def vaccines() -> dict[str, Vaccine]:
    return {
        r["code"]: Vaccine(r["code"], r["name_zh"], r["name_en"], int(r["age_months"]) if r["age_months"] else None)
        for r in _rows("vaccines.csv")
    }


@cache
def counties() -> list[dict]:
    return json.loads((DATA_DIR / "counties.json").read_text(encoding="utf-8"))


def icd10_normalise(code: str) -> str:
    """Accept ``E119`` as well as ``E11.9``: claims often drop the dot."""
    code = code.strip().upper()
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    return code
