"""Kidney function: eGFR by CKD-EPI 2021 and the KDIGO CKD stage and heat map (SPEC §7, §7.1).

eGFR: the race-free creatinine equation of Inker et al., NEJM 2021. Stage: GFR category × albuminuria category
of the KDIGO 2012 guideline, with half-open boundaries; ``policy.KDIGO_EDITION = 2024`` moves ACR 300 mg/g into A3.
The heat map (colour and follow-ups a year) is ``policy.KDIGO_HEAT_MAP``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from healthbank import policy
from healthbank.assessments._numbers import to_decimal

Number = int | float | Decimal


def egfr_ckd_epi_2021(creatinine_mg_dl: Number, age: int, sex: str) -> float:
    """mL/min/1.73 m² from serum creatinine (mg/dL), age in years and sex 'M'/'F'."""
    creatinine = float(creatinine_mg_dl)
    if not creatinine > 0:
        raise ValueError("creatinine must be positive")
    p = policy.CKD_EPI_2021
    if sex not in p["kappa"]:
        # The equation has coefficients for two sexes only; guessing one would give a wrong stage silently.
        raise ValueError(f"sex must be 'M' or 'F' for the CKD-EPI 2021 equation, not {sex!r}")
    ratio = creatinine / p["kappa"][sex]
    value = (
        p["constant"]
        * min(ratio, 1.0) ** p["alpha"][sex]
        * max(ratio, 1.0) ** p["upper_exponent"]
        * p["age_base"] ** age
    )
    if sex == "F":
        value *= p["female_factor"]
    return value


def creatinine_for_egfr(target_egfr: float, age: int, sex: str) -> float:
    """Inverse (by bisection) — used by the synthetic population to make consistent labs."""
    low, high = 0.1, 20.0
    for _ in range(60):
        mid = (low + high) / 2
        if egfr_ckd_epi_2021(mid, age, sex) > target_egfr:
            low = mid
        else:
            high = mid
    return (low + high) / 2


@dataclass(frozen=True)
class CkdStage:
    """Where a person sits on the KDIGO heat map.

    ``albuminuria`` is None when neither ACR nor PCR was measured; ``colour`` and ``follow_up`` are then those of
    the row's A1 cell, the least the GFR alone already says (albuminuria can only move the cell to the right).
    """

    gfr_category: str  # "G1", "G2", "G3a", "G3b", "G4", "G5"
    albuminuria: str | None  # "A1", "A2", "A3" or None
    follow_up: str  # times a year: "1 if CKD", "1", "2", "3", "4+"
    colour: str  # "green", "yellow", "orange", "red", "deep red"


@dataclass(frozen=True)
class HeatMapCell:
    gfr_category: str
    albuminuria: str
    colour: str
    follow_up: str


@dataclass(frozen=True)
class HeatMapRow:
    """One GFR category of the heat map: its range (``gfr_below`` None for G1) and its three cells, A1 to A3."""

    gfr_category: str
    gfr_from: int
    gfr_below: int | None
    cells: tuple[HeatMapCell, ...]


def gfr_category(egfr: Number) -> str:
    """KDIGO GFR category of an eGFR in mL/min/1.73 m²; each lower bound belongs to its own category (60 is G2)."""
    value = to_decimal(egfr, "egfr")
    return next(category for category, lower in policy.GFR_CATEGORIES if value >= lower)


def albuminuria_category(acr: Number | None = None, pcr: Number | None = None) -> str | None:
    """A1–A3 from the urine albumin- (ACR) or protein-to-creatinine ratio (PCR) in mg/g; ACR wins when both.

    KDIGO 2012: ACR 30 and 300 are both A2, PCR 150 and 500 both A2. KDIGO 2024 (``policy.KDIGO_EDITION``) puts
    ACR 300 in A3; PCR is unchanged. None when neither is given.
    """
    if acr is not None:
        value = to_decimal(acr, "acr")
        if value < policy.ACR_A2_FROM:
            return "A1"
        if value > policy.ACR_A3_ABOVE or (policy.KDIGO_EDITION >= 2024 and value == policy.ACR_A3_ABOVE):
            return "A3"
        return "A2"
    if pcr is not None:
        value = to_decimal(pcr, "pcr")
        if value < policy.PCR_A2_FROM:
            return "A1"
        return "A3" if value > policy.PCR_A3_ABOVE else "A2"
    return None


def ckd_stage(egfr: Number, acr: Number | None = None, pcr: Number | None = None) -> CkdStage:
    """The heat-map cell of an eGFR (mL/min/1.73 m²) and ACR or PCR (mg/g); ValueError names a bad field."""
    gfr = gfr_category(egfr)
    albuminuria = albuminuria_category(acr, pcr)
    colour, follow_up = policy.KDIGO_HEAT_MAP[(gfr, albuminuria or policy.ALBUMINURIA_CATEGORIES[0])]
    return CkdStage(gfr_category=gfr, albuminuria=albuminuria, follow_up=follow_up, colour=colour)


def heat_map() -> list[HeatMapRow]:
    """The whole KDIGO grid for drawing: GFR categories from G1 down, each with its A1, A2 and A3 cells."""
    rows = []
    upper = None
    for category, lower in policy.GFR_CATEGORIES:
        cells = tuple(
            HeatMapCell(category, albuminuria, *policy.KDIGO_HEAT_MAP[(category, albuminuria)])
            for albuminuria in policy.ALBUMINURIA_CATEGORIES
        )
        rows.append(HeatMapRow(gfr_category=category, gfr_from=lower, gfr_below=upper, cells=cells))
        upper = lower
    return rows
