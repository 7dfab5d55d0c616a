"""Body measurements: BMI, abdominal obesity and metabolic syndrome as Taiwan's HPA defines them (SPEC §7.1).

BMI bands and waist limits are the HPA adult definitions; metabolic syndrome is the HPA's 2007 Taiwanese
criteria (3 or more of 5). Every number comes from ``policy``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from healthbank import policy
from healthbank.assessments._numbers import to_decimal

Number = int | float | Decimal

METABOLIC_CRITERIA = ("waist", "blood_pressure", "glucose", "triglycerides", "hdl")
# The HPA counts a criterion as met when a doctor's prescription treats it, whatever today's value.
TREATABLE_METABOLIC_CRITERIA = frozenset({"blood_pressure", "glucose", "triglycerides"})


def bmi(height_cm: Number, weight_kg: Number) -> Decimal:
    """Body-mass index in kg/m², unrounded (round only for display; classify this value)."""
    height = to_decimal(height_cm, "height_cm")
    weight = to_decimal(weight_kg, "weight_kg")
    if height == 0:
        raise ValueError("height_cm must be positive")
    if weight == 0:
        raise ValueError("weight_kg must be positive")
    metres = height / 100
    return weight / (metres * metres)


def bmi_category(value: Number) -> str:
    """HPA band of an unrounded BMI: underweight, normal, overweight, obese_mild, obese_moderate, obese_severe.

    Each band starts at its lower bound (18.5 is normal, 24 overweight, 27 mildly obese, 30 moderately, 35 severely).
    """
    number = to_decimal(value, "bmi")
    return [band for lower, band in policy.BMI_BANDS if number >= lower][-1]


def _waist_limit(sex: str) -> Decimal:
    if sex not in policy.WAIST_ABDOMINAL_OBESITY_CM:
        raise ValueError(f"sex must be 'M' or 'F', not {sex!r}")
    return policy.WAIST_ABDOMINAL_OBESITY_CM[sex]


def abdominal_obesity(sex: str, waist_cm: Number) -> bool:
    """Waist at or over the HPA limit: 90 cm for men, 80 cm for women."""
    limit = _waist_limit(sex)
    return to_decimal(waist_cm, "waist_cm") >= limit


@dataclass(frozen=True)
class MetabolicSyndrome:
    """Which of the five criteria are met, how many could be judged, and the verdict.

    ``present`` is True with 3 or more met, False when even every unknown criterion could not reach 3, and None
    when it is undecidable from what was measured.
    """

    criteria_met: tuple[str, ...]  # in METABOLIC_CRITERIA order
    criteria_unknown: tuple[str, ...]
    known: int
    present: bool | None


def _any_sex(sex: str | None, judge) -> bool | None:
    """Judge a sex-specific limit; with the sex unknown, decide only where both sexes' limits agree."""
    if sex is not None:
        return judge(sex)
    verdicts = {judge("M"), judge("F")}
    return verdicts.pop() if len(verdicts) == 1 else None


def metabolic_syndrome(
    sex: str | None,
    waist_cm: Number | None,
    systolic: Number | None,
    diastolic: Number | None,
    fasting_glucose: Number | None,
    triglycerides: Number | None,
    hdl: Number | None,
    *,
    treated: Iterable[str] = (),
) -> MetabolicSyndrome:
    """The HPA 2007 criteria: waist ≥ 90 / 80 cm; SBP ≥ 130 or DBP ≥ 85 mmHg; fasting glucose ≥ 100 mg/dL;
    triglycerides ≥ 150 mg/dL; HDL < 40 (men) / < 50 (women) mg/dL. Three or more make the syndrome.

    Any value may be None (not measured). Blood pressure is met by either pressure alone, and judged not met only
    when both are known. ``treated`` names criteria ("blood_pressure", "glucose", "triglycerides") a doctor's
    prescription treats: the HPA counts those as met whatever the value.
    """
    if sex is not None and sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M', 'F' or None, not {sex!r}")
    treated = frozenset(treated)
    if unknown_codes := treated - TREATABLE_METABOLIC_CRITERIA:
        raise ValueError(f"treated may name only {sorted(TREATABLE_METABOLIC_CRITERIA)}, not {sorted(unknown_codes)}")

    def at_least(value: Number | None, field: str, limit: Number) -> bool | None:
        return None if value is None else to_decimal(value, field) >= limit

    verdicts: dict[str, bool | None] = {}
    if waist_cm is None:
        verdicts["waist"] = None
    else:
        waist = to_decimal(waist_cm, "waist_cm")
        verdicts["waist"] = _any_sex(sex, lambda s: waist >= _waist_limit(s))
    pressures = (
        at_least(systolic, "systolic", policy.METABOLIC_SBP),
        at_least(diastolic, "diastolic", policy.METABOLIC_DBP),
    )
    verdicts["blood_pressure"] = True if True in pressures else (None if None in pressures else False)
    verdicts["glucose"] = at_least(fasting_glucose, "fasting_glucose", policy.METABOLIC_FASTING_GLUCOSE)
    verdicts["triglycerides"] = at_least(triglycerides, "triglycerides", policy.METABOLIC_TRIGLYCERIDES)
    if hdl is None:
        verdicts["hdl"] = None
    else:
        hdl_value = to_decimal(hdl, "hdl")
        verdicts["hdl"] = _any_sex(sex, lambda s: hdl_value < policy.METABOLIC_HDL_BELOW[s])
    for code in treated:
        verdicts[code] = True

    met = tuple(code for code in METABOLIC_CRITERIA if verdicts[code] is True)
    unknown = tuple(code for code in METABOLIC_CRITERIA if verdicts[code] is None)
    needed = policy.METABOLIC_SYNDROME_MIN_CRITERIA
    if len(met) >= needed:
        present = True
    elif len(met) + len(unknown) < needed:
        present = False
    else:
        present = None
    return MetabolicSyndrome(
        criteria_met=met, criteria_unknown=unknown, known=len(METABOLIC_CRITERIA) - len(unknown), present=present
    )
