"""eGFR by CKD-EPI 2021 against values of the published equation (Inker et al., NEJM 2021; SPEC §7.1)."""

from __future__ import annotations

import pytest

from healthbank.assessments.egfr import creatinine_for_egfr, egfr_ckd_epi_2021


@pytest.mark.parametrize(
    ("creatinine", "age", "sex", "expected"),
    [
        # At creatinine = κ both min/max terms are 1: eGFR = 142 × 0.9938^age (× 1.012 for women).
        (0.9, 40, "M", 110.7),
        (0.7, 40, "F", 112.1),
        # Above κ only the −1.200 exponent applies; below κ only α (−0.302 men, −0.241 women).
        (1.0, 50, "M", 91.7),
        (0.8, 50, "F", 89.7),
        (1.0, 60, "F", 64.5),
        (2.0, 70, "M", 35.2),
        (1.5, 65, "F", 38.4),
        (3.0, 55, "M", 23.8),
        (0.6, 25, "F", 127.7),
        (0.7, 30, "M", 127.1),
    ],
)
def test_published_equation_values(creatinine, age, sex, expected):
    assert egfr_ckd_epi_2021(creatinine, age, sex) == pytest.approx(expected, abs=0.05)


def test_women_get_the_1_012_factor_and_a_lower_kappa():
    # Same creatinine, same age: the woman's eGFR is lower because κ is 0.7, not 0.9.
    assert egfr_ckd_epi_2021(1.0, 50, "F") < egfr_ckd_epi_2021(1.0, 50, "M")


@pytest.mark.parametrize("sex", ["X", "", "male", "m", None])
def test_an_unknown_sex_is_refused_with_a_clear_error(sex):
    with pytest.raises(ValueError, match="sex must be 'M' or 'F'"):
        egfr_ckd_epi_2021(1.0, 50, sex)


def test_non_positive_creatinine_is_refused():
    with pytest.raises(ValueError, match="creatinine"):
        egfr_ckd_epi_2021(0, 50, "M")


@pytest.mark.parametrize(("target", "age", "sex"), [(95.0, 35, "F"), (52.0, 68, "M"), (24.0, 75, "F")])
def test_the_inverse_used_by_the_demo_gives_back_the_target(target, age, sex):
    assert egfr_ckd_epi_2021(creatinine_for_egfr(target, age, sex), age, sex) == pytest.approx(target, abs=0.01)
