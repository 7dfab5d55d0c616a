"""The demo's own data files (``healthbank/demo/data``, sources in its SOURCES.md).

Only the generator reads them; the code catalogues every app shares are in ``healthbank/core/data``.
Population statistics (pyramid, counties, use of care) and the case mixes that make a history
believable: which diagnoses bring people of an age to a clinic, which drug classes treat them, what
a Chinese-medicine clinic prescribes, and which stays are medical and which surgical.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
AGE_BANDS = ("child", "adult", "elder")  # 0–14, 15–64, 65+


def _json(name: str):
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


def age_band(age: int) -> str:
    return "child" if age < 15 else "adult" if age < 65 else "elder"


@cache
def names() -> dict:
    return _json("names.json")


@cache
def institution_patterns() -> dict:
    return _json("institutions_patterns.json")


@dataclass(frozen=True)
class PyramidBand:
    age_from: int
    age_to: int
    male: int  # thousands
    female: int


@cache
def population_pyramid() -> tuple[PyramidBand, ...]:
    return tuple(
        PyramidBand(int(r["age_from"]), int(r["age_to"]), int(r["male"]), int(r["female"]))
        for r in _rows("population_pyramid.csv")
    )


@cache
def county_population() -> dict[str, int]:
    """County name → residents (thousands)."""
    return {r["county"]: int(r["population"]) for r in _rows("county_population.csv")}


@dataclass(frozen=True)
class Utilisation:
    western: float  # outpatient visits a person-year
    dental: float
    chinese: float
    inpatient: float  # admissions a person-year


@cache
def _utilisation() -> tuple[tuple[int, int, Utilisation], ...]:
    return tuple(
        (
            int(r["age_from"]),
            int(r["age_to"]),
            Utilisation(float(r["western"]), float(r["dental"]), float(r["chinese"]), float(r["inpatient"])),
        )
        for r in _rows("utilisation.csv")
    )


def utilisation(age: int) -> Utilisation:
    for low, high, rates in _utilisation():
        if low <= age <= high:
            return rates
    return _utilisation()[-1][2]


@dataclass(frozen=True)
class CaseMixRow:
    """A reason for a visit, how often it brings a child / adult / elder, and to whom it applies."""

    icd10: str
    weights: dict[str, float]
    sex: str
    age_min: int
    age_max: int
    department: str = ""
    formulas: tuple[str, ...] = ()  # Chinese medicine: formula names of the herbal catalogue
    treatment: tuple[str, ...] = ()  # Chinese medicine: acupuncture / traumatology payment codes

    def weight_for(self, age: int, sex: str) -> float:
        if (self.sex and self.sex != sex) or not self.age_min <= age <= self.age_max:
            return 0.0
        return self.weights[age_band(age)]


def _case_mix_row(r: dict[str, str], **extra) -> CaseMixRow:
    return CaseMixRow(
        icd10=r["icd10"],
        weights={band: float(r[band]) for band in AGE_BANDS},
        sex=r["sex"],
        age_min=int(r["age_min"] or 0),
        age_max=int(r["age_max"] or 200),
        **extra,
    )


@cache
def outpatient_case_mix() -> tuple[CaseMixRow, ...]:
    return tuple(_case_mix_row(r, department=r["department"]) for r in _rows("outpatient_case_mix.csv"))


@cache
def chinese_medicine_case_mix() -> tuple[CaseMixRow, ...]:
    return tuple(
        _case_mix_row(r, formulas=_list(r["formulas"]), treatment=_list(r["treatment"]))
        for r in _rows("chinese_medicine_case_mix.csv")
    )


@dataclass(frozen=True)
class Indication:
    icd_prefix: str
    atc_prefixes: tuple[str, ...]
    days: int


@cache
def indications() -> tuple[Indication, ...]:
    """ICD-10-CM prefix → the ATC classes that treat it, longest prefix first."""
    rows = [Indication(r["icd_prefix"], _list(r["atc_prefixes"]), int(r["days"])) for r in _rows("indications.csv")]
    return tuple(sorted(rows, key=lambda i: -len(i.icd_prefix)))


@cache  # a few hundred codes, asked for millions of times by a large population's plan
def indication_for(icd10: str) -> Indication | None:
    for indication in indications():
        if icd10.startswith(indication.icd_prefix):
            return indication
    return None


@dataclass(frozen=True)
class StayKind:
    """An inpatient stay: its diagnoses, the operation if any, who has it, how long, what is examined."""

    key: str
    icd10: tuple[str, ...]
    surgery: tuple[str, ...]
    sex: str
    age_min: int
    age_max: int
    weights: dict[str, float]
    los: tuple[int, int]
    imaging: str
    pathology_code: str
    pathology: str

    def weight_for(self, age: int, sex: str) -> float:
        if (self.sex and self.sex != sex) or not self.age_min <= age <= self.age_max:
            return 0.0
        return self.weights[age_band(age)]


@cache
def inpatient_stays() -> tuple[StayKind, ...]:
    return tuple(
        StayKind(
            key=r["key"],
            icd10=_list(r["icd10"]),
            surgery=_list(r["surgery"]),
            sex=r["sex"],
            age_min=int(r["age_min"] or 0),
            age_max=int(r["age_max"] or 200),
            weights={band: float(r[band]) for band in AGE_BANDS},
            los=(int(r["los_min"]), int(r["los_max"])),
            imaging=r["imaging"],
            pathology_code=r["pathology_code"],
            pathology=r["pathology"],
        )
        for r in _rows("inpatient_stays.csv")
    )
