"""Liver-cancer risk of a chronic hepatitis B carrier: the REACH-B score (Yang et al., Lancet Oncol 2011; SPEC §7).

Points for sex, age, ALT (SGPT) and HBeAg add up to a total of 0–15, and every total falls in exactly one band of
10-year liver-cancer probability. All numbers come from ``policy.LIVER_*``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from healthbank import policy
from healthbank.assessments._numbers import to_decimal

OUTSIDE_COHORT_AGES = "outside_cohort_ages"
# Shown with every result whatever the score (SPEC §7); the conditional caveats are on the result itself.
GENERAL_CAVEATS = (
    "not_for_coinfection_cirrhosis_flares_or_recurrence",  # HIV / HCV / HDV, cirrhosis, ALT flares ≥ 2×, recurrence
    "treatment_lowers_risk_factors_raise",  # antivirals lower it; smoking, diabetes, alcohol, family history raise it
    "follow_up_whatever_the_score",  # every carrier needs regular follow-up
)


@dataclass(frozen=True)
class LiverCancerRisk:
    """A REACH-B result: total points, the 10-year probability band and the caveats that apply to this person."""

    points: int
    band: str  # one of "<1%", "1-10%", "10-25%", "30-50%", "65%"
    caveats: tuple[str, ...]


def _points_from(table: tuple[tuple[int, int], ...], value: Decimal | int) -> int:
    """Points of the last row whose lower bound ``value`` reaches (the rows are half-open, ascending)."""
    return [points for lower, points in table if value >= lower][-1]


def risk_band(points: int) -> str:
    """The 10-year probability band of a REACH-B total; the last band takes every higher total."""
    for most, band in policy.LIVER_RISK_BANDS:
        if points <= most:
            return band
    return policy.LIVER_RISK_BANDS[-1][1]


def liver_cancer_risk(sex: str, age: int, alt: int | float | Decimal, hbeag_positive: bool) -> LiverCancerRisk:
    """REACH-B score of a hepatitis B surface-antigen carrier: sex 'M'/'F', age in years, ALT in U/L, HBeAg.

    Refuses (ValueError naming the field) a sex other than 'M'/'F', a negative or non-integer age, a negative or
    non-numeric ALT and an HBeAg result that is not True/False. Ages outside the REACH-B cohort's
    ``policy.LIVER_COHORT_AGES`` (inclusive) still get a score, with the caveat ``"outside_cohort_ages"``.
    """
    if sex not in policy.LIVER_SEX_POINTS:
        raise ValueError(f"sex must be 'M' or 'F', not {sex!r}")
    if isinstance(age, bool) or not isinstance(age, int):
        raise ValueError(f"age must be whole years, not {age!r}")
    if age < 0:
        raise ValueError(f"age must not be negative, not {age}")
    alt_value = to_decimal(alt, "alt")
    if not isinstance(hbeag_positive, bool):
        raise ValueError(f"hbeag_positive must be True or False, not {hbeag_positive!r}")
    points = (
        policy.LIVER_SEX_POINTS[sex]
        + _points_from(policy.LIVER_AGE_POINTS, age)
        + _points_from(policy.LIVER_ALT_POINTS, alt_value)
        + policy.LIVER_HBEAG_POINTS[hbeag_positive]
    )
    youngest, oldest = policy.LIVER_COHORT_AGES
    caveats = () if youngest <= age <= oldest else (OUTSIDE_COHORT_AGES,)
    return LiverCancerRisk(points=points, band=risk_band(points), caveats=caveats)
