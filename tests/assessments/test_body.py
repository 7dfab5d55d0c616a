"""BMI, abdominal obesity and metabolic syndrome by the HPA's definitions (SPEC §7.1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthbank.assessments.body import abdominal_obesity, bmi, bmi_category, metabolic_syndrome

CATEGORIES = ("underweight", "normal", "overweight", "obese_mild", "obese_moderate", "obese_severe")


def test_bmi_is_weight_over_height_squared_unrounded():
    assert bmi(170, 65) == Decimal(65) / (Decimal("1.7") * Decimal("1.7"))
    assert round(bmi(160, 61.44), 2) == Decimal("24.00")
    assert bmi(Decimal("175.5"), "70") > 0


@pytest.mark.parametrize(
    ("value", "category"),
    [
        ("18.49", "underweight"),
        ("18.5", "normal"),
        ("23.99", "normal"),
        ("24", "overweight"),
        ("26.999", "overweight"),
        ("27", "obese_mild"),
        ("29.99", "obese_mild"),
        ("30", "obese_moderate"),
        ("34.99", "obese_moderate"),
        ("35", "obese_severe"),
        ("60", "obese_severe"),
    ],
)
def test_bmi_bands_at_each_boundary(value, category):
    assert bmi_category(Decimal(value)) == category


def test_the_band_comes_from_the_unrounded_value():
    value = bmi(170, Decimal("69.35"))  # 23.996…, shown as 24.0
    assert round(value, 1) == Decimal("24.0")
    assert bmi_category(value) == "normal"
    assert bmi_category(bmi(160, Decimal("61.44"))) == "overweight"  # exactly 24


@pytest.mark.parametrize(
    ("height", "weight", "field"), [(0, 60, "height_cm"), (170, 0, "weight_kg"), (-1, 60, "height_cm")]
)
def test_impossible_measurements_are_refused(height, weight, field):
    with pytest.raises(ValueError, match=field):
        bmi(height, weight)


@pytest.mark.parametrize(
    ("sex", "waist", "obese"), [("M", 89.9, False), ("M", 90, True), ("F", 79.9, False), ("F", 80, True)]
)
def test_abdominal_obesity_at_90_cm_for_men_and_80_for_women(sex, waist, obese):
    assert abdominal_obesity(sex, waist) is obese


def test_abdominal_obesity_needs_a_sex():
    with pytest.raises(ValueError, match="sex"):
        abdominal_obesity("X", 85)


HEALTHY = {"waist_cm": 70, "systolic": 110, "diastolic": 70, "fasting_glucose": 90, "triglycerides": 100, "hdl": 60}


def met(sex="F", **changes):
    return metabolic_syndrome(sex, **{**HEALTHY, **changes}).criteria_met


@pytest.mark.parametrize(
    ("sex", "changes", "criteria"),
    [
        ("M", {"waist_cm": 89.9}, ()),
        ("M", {"waist_cm": 90}, ("waist",)),
        ("F", {"waist_cm": 79.9}, ()),
        ("F", {"waist_cm": 80}, ("waist",)),
        ("F", {"systolic": 129}, ()),
        ("F", {"systolic": 130}, ("blood_pressure",)),
        ("F", {"diastolic": 84}, ()),
        ("F", {"diastolic": 85}, ("blood_pressure",)),
        ("F", {"fasting_glucose": 99}, ()),
        ("F", {"fasting_glucose": 100}, ("glucose",)),
        ("F", {"triglycerides": 149}, ()),
        ("F", {"triglycerides": 150}, ("triglycerides",)),
        ("M", {"hdl": 40}, ()),
        ("M", {"hdl": 39.9}, ("hdl",)),
        ("F", {"hdl": 50}, ()),
        ("F", {"hdl": 49.9}, ("hdl",)),
    ],
)
def test_each_criterion_at_its_threshold(sex, changes, criteria):
    assert met(sex, **changes) == criteria


def test_three_criteria_make_the_syndrome_two_do_not():
    two = metabolic_syndrome("M", **{**HEALTHY, "waist_cm": 95, "systolic": 135})
    three = metabolic_syndrome("M", **{**HEALTHY, "waist_cm": 95, "systolic": 135, "hdl": 35})
    assert (two.present, two.known) == (False, 5)
    assert (three.present, three.criteria_met) == (True, ("waist", "blood_pressure", "hdl"))


def test_with_values_missing_the_verdict_is_given_only_when_it_is_certain():
    three_met = metabolic_syndrome("F", 85, 140, None, 110, None, None)
    assert (three_met.present, three_met.known) == (True, 3)
    two_healthy_three_unknown = metabolic_syndrome("F", 70, None, None, 90, None, None)
    assert (two_healthy_three_unknown.present, two_healthy_three_unknown.known) == (None, 2)
    one_met_three_healthy = metabolic_syndrome("F", 70, 120, 80, 90, None, 60)
    assert (one_met_three_healthy.present, one_met_three_healthy.criteria_unknown) == (False, ("triglycerides",))
    nothing = metabolic_syndrome(None, None, None, None, None, None, None)
    assert (nothing.present, nothing.known, nothing.criteria_met) == (None, 0, ())


def test_blood_pressure_is_met_by_either_pressure_alone_and_cleared_only_by_both():
    assert metabolic_syndrome("F", None, 130, None, None, None, None).criteria_met == ("blood_pressure",)
    assert metabolic_syndrome("F", None, None, 85, None, None, None).criteria_met == ("blood_pressure",)
    assert "blood_pressure" in metabolic_syndrome("F", None, 120, None, None, None, None).criteria_unknown
    cleared = metabolic_syndrome("F", None, 120, 80, None, None, None)
    assert (cleared.criteria_met, cleared.known) == ((), 1)


def test_an_unknown_sex_is_judged_where_both_sexes_agree():
    assert metabolic_syndrome(None, 95, None, None, None, None, 35).criteria_met == ("waist", "hdl")
    both_clear = metabolic_syndrome(None, 75, None, None, None, None, 55)
    assert (both_clear.criteria_met, both_clear.known) == ((), 2)
    in_between = metabolic_syndrome(None, 85, None, None, None, None, 45)
    assert in_between.criteria_unknown == ("waist", "blood_pressure", "glucose", "triglycerides", "hdl")


def test_a_prescription_that_treats_a_criterion_counts_it_as_met():
    result = metabolic_syndrome("M", **HEALTHY, treated=("blood_pressure", "glucose", "triglycerides"))
    assert (result.criteria_met, result.present) == (("blood_pressure", "glucose", "triglycerides"), True)
    with pytest.raises(ValueError, match="treated"):
        metabolic_syndrome("M", **HEALTHY, treated=("waist",))


def test_bad_values_are_refused_naming_the_field():
    with pytest.raises(ValueError, match="sex"):
        metabolic_syndrome("X", **HEALTHY)
    with pytest.raises(ValueError, match="triglycerides"):
        metabolic_syndrome("M", **{**HEALTHY, "triglycerides": -5})


@given(st.decimals(0, 80, places=3), st.decimals(0, 80, places=3))
def test_a_higher_bmi_never_gets_a_lower_category(a, b):
    low, high = sorted((a, b))
    assert CATEGORIES.index(bmi_category(low)) <= CATEGORIES.index(bmi_category(high))


@given(st.floats(100, 220), st.floats(30, 200), st.floats(0.1, 30))
def test_a_heavier_person_of_the_same_height_never_gets_a_lower_category(height, weight, more):
    assert CATEGORIES.index(bmi_category(bmi(height, weight))) <= CATEGORIES.index(
        bmi_category(bmi(height, weight + more))
    )
