"""The shipped reference lists meet what the product needs of them (issues 2 and 7) and hold together."""

from __future__ import annotations

import itertools
import re

from healthbank.core import codes
from healthbank.core import national_id as nid
from healthbank.demo import reference
from healthbank.policy import NHI_DIVISIONS


def test_code_lists_are_large_enough_and_well_formed():
    diagnoses, drugs, payments = codes.diagnoses(), codes.drugs(), codes.payment_codes()
    assert len(diagnoses) >= 400 and len(drugs) >= 400 and len(payments) >= 150
    assert all(re.fullmatch(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?", c) for c in diagnoses)
    assert all(d.name_zh and d.name_en for d in diagnoses.values())
    western = {c: d for c, d in drugs.items() if not d.herbal}
    assert all(len(c) == 10 and c.isalnum() and c.isupper() for c in western)
    assert all(re.fullmatch(r"[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}", d.atc_code) for d in western.values())
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


def test_chinese_herbal_preparations_carry_real_7_character_nhi_codes():
    herbs = [d for d in codes.drugs().values() if d.herbal]
    assert len({d.ingredient for d in herbs}) >= 30  # formulae, each from more than one maker
    assert all(re.fullmatch(r"A\d{6}", d.code) and d.ingredient in d.name and not d.atc_code for d in herbs)


def test_hepatitis_b_and_c_have_their_own_viral_load_labs():
    assert codes.lab_test("hbv_dna").loinc == "29615-2"
    assert codes.lab_test("hcv_rna").loinc == "11011-4"


def test_the_demo_case_mixes_name_only_known_codes():
    diagnoses, payments, drugs = codes.diagnoses(), codes.payment_codes(), codes.drugs().values()
    formulas = {d.ingredient for d in drugs if d.herbal}
    for row in reference.outpatient_case_mix():
        assert row.icd10 in diagnoses, row
        assert reference.indication_for(row.icd10) is not None, f"no drug classes for {row.icd10}"
    for row in reference.chinese_medicine_case_mix():
        assert row.icd10 in diagnoses and row.formulas, row
        assert set(row.formulas) <= formulas, set(row.formulas) - formulas
        assert all(payments[c].kind == "chinese_medicine" for c in row.treatment), row
    for indication in reference.indications():
        for prefix in indication.atc_prefixes:
            assert any(d.atc_code.startswith(prefix) for d in drugs), (indication.icd_prefix, prefix)


def test_every_stay_names_known_diagnoses_and_a_fitting_operation():
    diagnoses, payments = codes.diagnoses(), codes.payment_codes()
    surgical = 0
    for stay in reference.inpatient_stays():
        assert stay.icd10 and set(stay.icd10) <= set(diagnoses), stay.key
        operations = [payments[c] for c in stay.surgery]
        surgical += any(p.kind == "surgery" for p in operations)
        assert all(p.kind in ("surgery", "procedure") for p in operations), stay.key
        assert all(p.body_site for p in operations if p.kind == "surgery"), stay.key
        if stay.pathology_code:  # only an operation leaves a specimen for the pathologist
            assert payments[stay.pathology_code].kind == "pathology" and operations and stay.pathology, stay.key
        if stay.imaging:
            assert payments[stay.imaging].kind == "imaging", stay.key
    medical = len(reference.inpatient_stays()) - surgical
    assert surgical and medical > 10  # pneumonia, heart failure, stroke ... are medical stays


def test_population_statistics_cover_every_age_and_county():
    bands = reference.population_pyramid()
    assert bands[0].age_from == 0 and all(a.age_to + 1 == b.age_from for a, b in itertools.pairwise(bands))
    assert set(reference.county_population()) == {c["name_zh"] for c in codes.counties()}
    assert all(reference.utilisation(age).western > 0 for age in range(0, 100))
