"""The shipped reference lists meet what the product needs of them (issue 2) and hold together."""

from __future__ import annotations

import re

from healthbank.core import codes
from healthbank.core import national_id as nid
from healthbank.policy import NHI_DIVISIONS


def test_code_lists_are_large_enough_and_well_formed():
    diagnoses, drugs, payments = codes.diagnoses(), codes.drugs(), codes.payment_codes()
    assert len(diagnoses) >= 400 and len(drugs) >= 400 and len(payments) >= 150
    assert all(re.fullmatch(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?", c) for c in diagnoses)
    assert all(d.name_zh and d.name_en for d in diagnoses.values())
    assert all(len(c) == 10 and c.isalnum() and c.isupper() for c in drugs)
    assert all(re.fullmatch(r"[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}", d.atc_code) for d in drugs.values())
    surgeries = [p for p in payments.values() if p.kind == "surgery"]
    assert surgeries and all(p.body_site for p in surgeries)


def test_labs_named_by_the_passbook_have_loinc_codes():
    for key in ("glucose_fasting", "hba1c", "cholesterol_total", "triglycerides", "hdl", "ldl", "creatinine", "egfr",
                "uacr", "alt", "hbsag", "hbeag"):  # fmt: skip
        test = codes.lab_test(key)
        assert test is not None and re.fullmatch(r"\d{1,7}-\d", test.loinc), key
    assert codes.lab_test("hdl", "F").ref_text != codes.lab_test("hdl", "M").ref_text


def test_every_county_and_township_of_taiwan():
    counties = codes.counties()
    assert len(counties) == 22
    assert sum(len(c["townships"]) for c in counties) == 368
    assert {c["nhi_division"] for c in counties} == set(NHI_DIVISIONS)
    assert all(c["id_letter"] in nid.LETTER_CODES for c in counties)
    for county in counties:
        names = [t["name_zh"] for t in county["townships"]]
        assert len(names) == len(set(names)), county["name_zh"]
        assert all(t["villages"] for t in county["townships"])


def test_the_cdc_schedule_is_there():
    vaccines = codes.vaccines()
    assert {"HepB1", "BCG", "MMR1", "MMR2"} <= set(vaccines)
    assert all(v.name_zh for v in vaccines.values())
