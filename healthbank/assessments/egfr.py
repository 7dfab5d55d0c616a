"""eGFR by the CKD-EPI 2021 race-free creatinine equation (Inker et al., NEJM 2021; SPEC §7.1)."""

from __future__ import annotations

from healthbank import policy


def egfr_ckd_epi_2021(creatinine_mg_dl: float, age: int, sex: str) -> float:
    """mL/min/1.73 m² from serum creatinine (mg/dL), age in years and sex 'M'/'F'."""
    if creatinine_mg_dl <= 0:
        raise ValueError("creatinine must be positive")
    p = policy.CKD_EPI_2021
    if sex not in p["kappa"]:
        # The equation has coefficients for two sexes only; guessing one would give a wrong stage silently.
        raise ValueError(f"sex must be 'M' or 'F' for the CKD-EPI 2021 equation, not {sex!r}")
    ratio = creatinine_mg_dl / p["kappa"][sex]
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
