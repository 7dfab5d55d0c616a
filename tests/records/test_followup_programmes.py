"""Hepatitis B and C follow-ups are separate programmes with their own labs (issue 7)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from healthbank.records.models import FollowUp
from healthbank.records.schemas import FollowUpIn

BASE = {"record_id": "F1", "national_id": "A123456789", "institution": "0101010101", "measured_on": "2026-01-05"}


@pytest.mark.parametrize(
    ("program", "values"),
    [("hepatitis_b", {"alt": "30", "hbv_dna": "2400"}), ("hepatitis_c", {"alt": "22", "hcv_rna": "0"})],
)
def test_each_hepatitis_programme_takes_its_own_labs(program, values):
    assert FollowUpIn.model_validate(BASE | {"program": program, "values": values}).program == program


@pytest.mark.parametrize(
    ("program", "values", "named"),
    [("hepatitis_b", {"hcv_rna": "100"}, "hcv_rna"), ("hepatitis_c", {"alt": "30", "hbv_dna": "10"}, "hbv_dna")],
)
def test_a_follow_up_with_the_other_programmes_viral_lab_is_refused(program, values, named):
    with pytest.raises(ValidationError, match=named):
        FollowUpIn.model_validate(BASE | {"program": program, "values": values})


def test_the_joint_hepatitis_programme_is_gone():
    with pytest.raises(ValidationError, match="program"):
        FollowUpIn.model_validate(BASE | {"program": "hepatitis", "values": {"alt": "30"}})
    assert {"hepatitis_b", "hepatitis_c"} <= set(FollowUp.Program.values) and "hepatitis" not in FollowUp.Program.values
