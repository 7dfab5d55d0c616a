"""eGFR by CKD-EPI 2021 (Inker et al., NEJM 2021) and the KDIGO stage and heat map (SPEC §7, §7.1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthbank import policy
from healthbank.assessments.kidney import ckd_stage, creatinine_for_egfr, egfr_ckd_epi_2021, heat_map

GFR_ORDER = ("G1", "G2", "G3a", "G3b", "G4", "G5")
COLOURS = ("green", "yellow", "orange", "red", "deep red")
FOLLOW_UPS = ("1 if CKD", "1", "2", "3", "4+")


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


@pytest.mark.parametrize(
    ("egfr", "category"),
    [
        (200, "G1"),
        (90, "G1"),
        (89.99, "G2"),
        (60, "G2"),
        (59.9, "G3a"),
        (45, "G3a"),
        (44.9, "G3b"),
        (30, "G3b"),
        (29.9, "G4"),
        (15, "G4"),
        (14.99, "G5"),
        (0, "G5"),
        (Decimal("60.0"), "G2"),
    ],
)
def test_gfr_categories_are_half_open_at_90_60_45_30_15(egfr, category):
    assert ckd_stage(egfr).gfr_category == category


@pytest.mark.parametrize(
    ("acr", "edition", "albuminuria"),
    [
        (0, 2012, "A1"),
        (29.9, 2012, "A1"),
        (30, 2012, "A2"),
        (300, 2012, "A2"),
        (300.1, 2012, "A3"),
        (29.9, 2024, "A1"),
        (30, 2024, "A2"),
        (299.9, 2024, "A2"),
        (300, 2024, "A3"),
        (301, 2024, "A3"),
    ],
)
def test_acr_boundaries_under_each_kdigo_edition(monkeypatch, acr, edition, albuminuria):
    monkeypatch.setattr(policy, "KDIGO_EDITION", edition)
    assert ckd_stage(95, acr=acr).albuminuria == albuminuria


@pytest.mark.parametrize("edition", [2012, 2024])
@pytest.mark.parametrize(
    ("pcr", "albuminuria"), [(149.9, "A1"), (150, "A2"), (500, "A2"), (500.1, "A3"), (Decimal("1200"), "A3")]
)
def test_pcr_150_and_500_are_a2_in_both_editions(monkeypatch, edition, pcr, albuminuria):
    monkeypatch.setattr(policy, "KDIGO_EDITION", edition)
    assert ckd_stage(95, pcr=pcr).albuminuria == albuminuria


def test_acr_wins_over_pcr_when_both_are_given():
    assert ckd_stage(95, acr=10, pcr=800).albuminuria == "A1"


def test_the_heat_map_cells_a_person_would_see():
    stage = ckd_stage(95, acr=10)
    assert (stage.gfr_category, stage.albuminuria, stage.colour, stage.follow_up) == ("G1", "A1", "green", "1 if CKD")
    stage = ckd_stage(52, acr=120)
    assert (stage.gfr_category, stage.albuminuria, stage.colour, stage.follow_up) == ("G3a", "A2", "orange", "2")
    stage = ckd_stage(20, acr=450)
    assert (stage.gfr_category, stage.albuminuria, stage.colour, stage.follow_up) == ("G4", "A3", "deep red", "4+")
    stage = ckd_stage(35, pcr=200)
    assert (stage.colour, stage.follow_up) == ("red", "3")


def test_without_albuminuria_the_row_s_least_cell_is_given():
    stage = ckd_stage(50)
    assert (stage.gfr_category, stage.albuminuria, stage.colour, stage.follow_up) == ("G3a", None, "yellow", "1")


@pytest.mark.parametrize(("kwargs", "field"), [({"egfr": -1}, "egfr"), ({"egfr": 50, "acr": -3}, "acr")])
def test_negative_values_are_refused_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        ckd_stage(**kwargs)


def test_a_ratio_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError, match="pcr"):
        ckd_stage(50, pcr="a lot")


def test_the_whole_grid_for_drawing():
    rows = heat_map()
    assert [row.gfr_category for row in rows] == list(GFR_ORDER)
    assert [(row.gfr_from, row.gfr_below) for row in rows] == [
        (90, None),
        (60, 90),
        (45, 60),
        (30, 45),
        (15, 30),
        (0, 15),
    ]
    assert all([cell.albuminuria for cell in row.cells] == ["A1", "A2", "A3"] for row in rows)
    assert [(cell.colour, cell.follow_up) for cell in rows[0].cells] == [
        ("green", "1 if CKD"),
        ("yellow", "1"),
        ("orange", "2"),
    ]
    assert [cell.colour for cell in rows[-1].cells] == ["deep red"] * 3


def test_risk_never_falls_towards_the_bottom_right_of_the_grid():
    rows = heat_map()
    for row in rows:
        colours = [COLOURS.index(cell.colour) for cell in row.cells]
        assert colours == sorted(colours)
    for column in range(3):
        colours = [COLOURS.index(row.cells[column].colour) for row in rows]
        follow_ups = [FOLLOW_UPS.index(row.cells[column].follow_up) for row in rows]
        assert colours == sorted(colours) and follow_ups == sorted(follow_ups)


def test_each_colour_goes_with_one_follow_up_frequency():
    assert {(cell.colour, cell.follow_up) for row in heat_map() for cell in row.cells} == set(
        zip(COLOURS, FOLLOW_UPS, strict=True)
    )


@given(st.floats(0, 200, exclude_max=True), st.floats(0, 200, exclude_max=True))
def test_every_egfr_has_one_category_and_lower_egfr_never_a_better_one(a, b):
    low, high = sorted((a, b))
    assert ckd_stage(low).gfr_category in GFR_ORDER
    assert GFR_ORDER.index(ckd_stage(low).gfr_category) >= GFR_ORDER.index(ckd_stage(high).gfr_category)


@given(st.decimals(0, 5000, places=1), st.decimals(0, 5000, places=1), st.sampled_from([2012, 2024]))
def test_more_albumin_never_gives_a_lower_albuminuria_category(a, b, edition):
    low, high = sorted((a, b))
    policy_edition = policy.KDIGO_EDITION
    try:
        policy.KDIGO_EDITION = edition
        assert ckd_stage(95, acr=low).albuminuria <= ckd_stage(95, acr=high).albuminuria
    finally:
        policy.KDIGO_EDITION = policy_edition
