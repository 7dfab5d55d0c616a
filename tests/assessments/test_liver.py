"""The REACH-B liver-cancer score (Yang et al., Lancet Oncol 2011; SPEC §7 and §7.1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthbank.assessments.liver import GENERAL_CAVEATS, liver_cancer_risk, risk_band

BANDS = ("<1%", "1-10%", "10-25%", "30-50%", "65%")


def points(sex="F", age=30, alt=10, hbeag=False):
    return liver_cancer_risk(sex, age, alt, hbeag).points


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "<1%"),
        (4, "<1%"),
        (5, "1-10%"),
        (9, "1-10%"),
        (10, "10-25%"),
        (12, "10-25%"),
        (13, "30-50%"),
        (14, "30-50%"),
        (15, "65%"),
    ],
)
def test_each_band_boundary(total, band):
    assert risk_band(total) == band


def test_every_total_from_0_to_15_falls_in_exactly_one_band_in_order():
    bands = [risk_band(total) for total in range(16)]
    assert set(bands) == set(BANDS)
    assert bands == sorted(bands, key=BANDS.index)  # never back to a lower band as points rise


def test_every_total_from_0_to_15_can_be_scored():
    totals = {
        liver_cancer_risk(sex, age, alt, hbeag).points
        for sex in ("F", "M")
        for age in (30, 35, 40, 45, 50, 55, 60)
        for alt in (10, 15, 45)
        for hbeag in (False, True)
    }
    assert totals == set(range(16))


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (0, 0),
        (34, 0),
        (35, 1),
        (39, 1),
        (40, 2),
        (44, 2),
        (45, 3),
        (49, 3),
        (50, 4),
        (54, 4),
        (55, 5),
        (59, 5),
        (60, 6),
        (90, 6),
    ],
)
def test_age_points_at_each_boundary(age, expected):
    assert points(age=age) == expected


@pytest.mark.parametrize(
    ("alt", "expected"),
    [(0, 0), (14, 0), (Decimal("14.9"), 0), (15, 1), (44, 1), (44.9, 1), (45, 3), (450, 3)],
)
def test_alt_points_are_half_open(alt, expected):
    assert points(alt=alt) == expected


def test_sex_and_hbeag_points():
    assert points(sex="M") == 2
    assert points(hbeag=True) == 4


def test_the_highest_risk_person_scores_15_and_65_percent():
    result = liver_cancer_risk("M", 60, 45, True)
    assert (result.points, result.band, result.caveats) == (15, "65%", ())


def test_a_low_risk_woman():
    result = liver_cancer_risk("F", 38, 20, False)
    assert (result.points, result.band) == (2, "<1%")


@pytest.mark.parametrize(("age", "outside"), [(29, True), (30, False), (65, False), (66, True)])
def test_ages_outside_the_cohort_get_a_caveat(age, outside):
    assert ("outside_cohort_ages" in liver_cancer_risk("M", age, 30, False).caveats) is outside


def test_the_caveats_every_result_is_shown_with_are_separate_from_the_persons_own():
    assert "follow_up_whatever_the_score" in GENERAL_CAVEATS
    assert liver_cancer_risk("F", 40, 20, False).caveats == ()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("X", 40, 20, False), "sex"),
        (("m", 40, 20, False), "sex"),
        (("M", -1, 20, False), "age"),
        (("M", 40.5, 20, False), "age"),
        (("M", 40, -1, False), "alt"),
        (("M", 40, "lots", False), "alt"),
        (("M", 40, float("nan"), False), "alt"),
        (("M", 40, 20, "yes"), "hbeag_positive"),
    ],
)
def test_bad_input_is_refused_naming_the_field(args, field):
    with pytest.raises(ValueError, match=field):
        liver_cancer_risk(*args)


def test_the_result_is_frozen():
    result = liver_cancer_risk("F", 40, 20, False)
    with pytest.raises(AttributeError):
        result.points = 0


@given(
    st.sampled_from(["M", "F"]),
    st.integers(0, 110),
    st.integers(0, 110),
    st.decimals(0, 500, places=1),
    st.decimals(0, 500, places=1),
    st.booleans(),
)
def test_points_never_fall_as_age_or_alt_rise(sex, age1, age2, alt1, alt2, hbeag):
    low_age, high_age = sorted((age1, age2))
    low_alt, high_alt = sorted((alt1, alt2))
    low = liver_cancer_risk(sex, low_age, low_alt, hbeag)
    high = liver_cancer_risk(sex, high_age, high_alt, hbeag)
    assert 0 <= low.points <= high.points <= 15
    assert BANDS.index(low.band) <= BANDS.index(high.band)
