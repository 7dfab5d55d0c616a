"""The synthetic population measured against Taiwan's published figures (issue 7; sources in demo/data/SOURCES.md).

A Taiwanese doctor reading a demo passbook should find ages, places, visit counts,
drugs, operations and programmes that could be real. Each test names the figure it
checks and the tolerance the issue sets.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from healthbank import policy
from healthbank.core import codes
from healthbank.demo import reference
from healthbank.demo.population import build_population

TODAY = dt.date(2026, 11, 20)
NHI_OUTPATIENT_VISITS_PER_PERSON_YEAR = 15.0  # NHI annual statistics (SOURCES.md)
NHI_ADMISSIONS_PER_PERSON_YEAR = 0.13


@pytest.fixture(scope="module")
def plan():
    return build_population(600, seed=17, today=TODAY)


def records(plan, record_type):
    return [r for (_, t), rows in plan.batches.items() if t == record_type for r in rows]


def pyramid_share(test) -> float:
    people = total = 0.0
    for band in reference.population_pyramid():
        for age in range(band.age_from, band.age_to + 1):
            for sex, count in (("M", band.male), ("F", band.female)):
                share = count / (band.age_to - band.age_from + 1)
                total += share
                people += share if test(age, sex) else 0
    return people / total


def person_years(plan) -> float:
    start = dt.date(TODAY.year - 3, TODAY.month, 1) - dt.timedelta(days=60)
    yesterday = TODAY - dt.timedelta(days=1)
    return sum((yesterday - max(start, p.cards[0].issued_on)).days / 365.25 for p in plan.people)


# ---------------------------------------------------------------- who lives here


@pytest.mark.parametrize(
    ("label", "test"),
    [
        ("under 15", lambda age, sex: age < 15),
        ("65 and over", lambda age, sex: age >= 65),
        ("women", lambda age, sex: sex == "F"),
        ("40 to 64", lambda age, sex: 40 <= age < 65),
    ],
)
def test_ages_and_sexes_follow_the_population_pyramid_within_3_points(plan, label, test):
    expected = pyramid_share(test)
    measured = sum(test(p.age_on(TODAY), p.sex) for p in plan.people) / len(plan.people)
    assert abs(measured - expected) <= 0.03, (label, measured, expected)


def test_the_pyramid_is_taiwan_of_the_mid_2020s():
    assert 0.10 <= pyramid_share(lambda age, sex: age < 15) <= 0.13
    assert 0.18 <= pyramid_share(lambda age, sex: age >= 65) <= 0.21


def test_people_per_county_follow_the_county_populations(plan):
    published = reference.county_population()
    total = sum(published.values())
    counted = Counter(p.county for p in plan.people)
    for county, population in published.items():
        expected = population / total
        assert abs(counted[county] / len(plan.people) - expected) <= 0.02, county
    assert counted.most_common(1)[0][0] == "新北市"


def test_families_have_parents_of_a_fitting_age(plan):
    for household in plan.households:
        head = plan.people[household.insured]
        for index, relationship in household.dependents:
            dependent = plan.people[index]
            gap = head.age_on(TODAY) - dependent.age_on(TODAY)
            if relationship == "child":
                assert 18 <= gap <= 45, (gap, relationship)
            if relationship == "parent":
                assert 20 <= -gap <= 40, (gap, relationship)


def test_nobody_is_enrolled_before_birth_and_every_person_once(plan):
    enrolled = Counter()
    for household in plan.households:
        assert household.since >= plan.people[household.insured].birth_date
        enrolled.update([household.insured] + [i for i, _ in household.dependents])
    assert set(enrolled.values()) == {1} and len(enrolled) == len(plan.people)


def test_township_offices_and_farmers_associations_enrol_the_people_of_their_township(plan):
    units = {u.code: u for u in plan.units}
    local = [h for h in plan.households if units[h.unit].kind in ("township", "farmers")]
    assert local
    for household in local:
        unit = units[household.unit]
        for index in [household.insured] + [i for i, _ in household.dependents]:
            address = plan.people[index].address
            assert (unit.county, unit.township) == (address.county, address.township)
            if unit.kind == "township":
                assert unit.name == f"{address.county}{address.township}公所"


# ---------------------------------------------------------------- how much care


def test_outpatient_visits_are_about_15_a_person_year(plan):
    visits = Counter(v["kind"] for v in records(plan, "visits"))
    outpatient = visits["western"] + visits["dental"] + visits["chinese"] + visits["preventive"]
    rate = outpatient / person_years(plan)
    assert abs(rate - NHI_OUTPATIENT_VISITS_PER_PERSON_YEAR) <= 0.2 * NHI_OUTPATIENT_VISITS_PER_PERSON_YEAR, rate


def test_inpatient_stays_are_about_0_13_a_person_year_and_only_some_are_surgical(plan):
    stays = [v for v in records(plan, "visits") if v["kind"] == "inpatient"]
    rate = len(stays) / person_years(plan)
    assert abs(rate - NHI_ADMISSIONS_PER_PERSON_YEAR) <= 0.3 * NHI_ADMISSIONS_PER_PERSON_YEAR, rate
    surgical = [s for s in stays if any(o.get("body_site") for o in s["non_drug_orders"])]
    assert 0.2 <= len(surgical) / len(stays) <= 0.6
    medical = Counter(s["diagnoses"][0][:3] for s in stays if s not in surgical)
    assert {"J18", "I50", "I63"} & set(medical), medical  # pneumonia, heart failure, stroke


# ---------------------------------------------------------------- what a doctor reads


def test_every_western_drug_fits_a_diagnosis_of_its_visit(plan):
    drugs = codes.drugs()
    checked = 0
    for visit in records(plan, "visits"):
        if visit["kind"] in ("western", "inpatient", "pharmacy"):
            classes = [reference.indication_for(d) for d in visit["diagnoses"]]
            prefixes = tuple(p for c in classes if c for p in c.atc_prefixes)
            for order in visit["drug_orders"]:
                drug = drugs[order["drug_code"]]
                assert not drug.herbal and drug.atc_code.startswith(prefixes), (visit["diagnoses"], drug.name)
                checked += 1
    assert checked > 1000


def test_chinese_medicine_visits_prescribe_herbal_formulae_for_chinese_medicine_diagnoses(plan):
    drugs = codes.drugs()
    formulas = {row.icd10: set(row.formulas) for row in reference.chinese_medicine_case_mix()}
    visits = [v for v in records(plan, "visits") if v["kind"] == "chinese"]
    assert visits
    for visit in visits:
        (diagnosis,) = visit["diagnoses"]
        assert diagnosis in formulas and visit["drug_orders"]
        for order in visit["drug_orders"]:
            drug = drugs[order["drug_code"]]
            assert drug.herbal and drug.ingredient in formulas[diagnosis], (diagnosis, drug.name)
        assert visit["department"] == "60"


def test_surgeries_fit_the_stay_the_person_and_the_body_site(plan):
    payments = codes.payment_codes()
    kinds = reference.inpatient_stays()
    people = {p.national_id: p for p in plan.people}
    operated = 0
    for stay in (v for v in records(plan, "visits") if v["kind"] == "inpatient"):
        person = people[stay["national_id"]]
        age = person.age_on(dt.date.fromisoformat(stay["visit_date"]))
        for order in stay["non_drug_orders"]:
            if payments[order["payment_code"]].kind != "surgery":
                continue
            operated += 1
            fitting = [k for k in kinds if order["payment_code"] in k.surgery and stay["diagnoses"][0] in k.icd10]
            assert fitting, (order["payment_code"], stay["diagnoses"])
            assert any(k.weight_for(age, person.sex) > 0 for k in fitting), (order["payment_code"], age, person.sex)
            assert order["body_site"] == payments[order["payment_code"]].body_site
    assert operated


def test_surgical_stays_with_a_specimen_have_a_pathology_report(plan):
    payments = codes.payment_codes()
    reports = defaultdict(set)
    for report in records(plan, "reports"):
        reports[report["visit_record_id"]].add(report["kind"])
    with_specimen = 0
    for stay in (v for v in records(plan, "visits") if v["kind"] == "inpatient"):
        specimen = any(payments[o["payment_code"]].kind == "pathology" for o in stay["non_drug_orders"])
        with_specimen += specimen
        assert ("pathology" in reports[stay["record_id"]]) == specimen, stay["diagnoses"]
        assert "discharge" in reports[stay["record_id"]]
    assert with_specimen


def test_conditions_fit_age_and_sex(plan):
    people = {p.national_id: p for p in plan.people}
    female_only = ("N94", "N95", "N76", "N92", "O", "C50", "D25")
    for visit in records(plan, "visits"):
        person = people[visit["national_id"]]
        age = person.age_on(dt.date.fromisoformat(visit["visit_date"]))
        for code in visit["diagnoses"]:
            if code.startswith(female_only):
                assert person.sex == "F", code
            if code.startswith(("N40", "C61")):
                assert person.sex == "M", code
            if code.startswith(("M17", "H25", "I10", "E11", "N40")):
                assert age >= 18, (code, age)


def test_dental_visits_name_fdi_teeth_that_fit_the_age(plan):
    people = {p.national_id: p for p in plan.people}
    teeth = 0
    for visit in (v for v in records(plan, "visits") if v["kind"] == "dental"):
        age = people[visit["national_id"]].age_on(dt.date.fromisoformat(visit["visit_date"]))
        for order in visit["non_drug_orders"]:
            if order.get("tooth"):
                teeth += 1
                primary = order["tooth"] >= 51
                assert not (primary and age >= policy.DENTAL_SCALING_FROM_AGE), (order, age)
    assert teeth


def test_preventive_visits_exist_for_children_and_adults(plan):
    people = {p.national_id: p for p in plan.people}
    preventive = [v for v in records(plan, "visits") if v["kind"] == "preventive"]
    ages = [people[v["national_id"]].age_on(dt.date.fromisoformat(v["visit_date"])) for v in preventive]
    assert any(a < 7 for a in ages) and any(a >= 40 for a in ages)
    assert all(v["diagnoses"][0].startswith("Z00") for v in preventive)
    assert all(a < 7 or a >= policy.PREVENTIVE_CARE_INTERVALS[0][0] for a in ages)


def test_hepatitis_b_and_c_are_separate_programmes_with_their_own_labs(plan):
    people = {p.national_id: p for p in plan.people}
    followups = records(plan, "follow-ups")
    programmes = Counter(f["program"] for f in followups)
    assert programmes["hepatitis_b"] and programmes["hepatitis_c"] and "hepatitis" not in programmes
    for f in followups:
        conditions = people[f["national_id"]].conditions
        if f["program"] == "hepatitis_b":
            assert "hbv" in conditions and "hcv_rna" not in f["values"]
        if f["program"] == "hepatitis_c":
            assert "hcv" in conditions and "hbv_dna" not in f["values"]
    labs = defaultdict(set)
    for lab in records(plan, "lab-results"):
        labs[lab["national_id"]].add(lab["lab_key"])
    for person in plan.people:
        if "hcv" in person.conditions:
            assert {"anti_hcv", "hcv_rna"} <= labs[person.national_id]
        if "hbv" in person.conditions:
            assert {"hbsag", "hbv_dna", "afp"} <= labs[person.national_id]
        if "hbv" not in person.conditions:
            assert "hbv_dna" not in labs[person.national_id]


# ---------------------------------------------------------------- what a doctor reading the records would notice


def visit_age(people, visit) -> int:
    return people[visit["national_id"]].age_on(dt.date.fromisoformat(visit["visit_date"]))


def test_a_specialist_clinic_sees_its_own_specialty_and_a_paediatric_clinic_children(plan):
    """No knee pain at a nephrology clinic, no dyspepsia of a 78-year-old at a paediatrician's, no infant's
    vaccinations at a psychiatric clinic; diabetes and blood pressure are followed by a family doctor,
    an internist or a hospital."""
    people = {p.national_id: p for p in plan.people}
    places = {i.code: i for i in plan.institutions}
    general = ("00", "01", "02")
    for visit in records(plan, "visits"):
        place = places[visit["institution"]]
        if place.kind != "clinic" or visit["kind"] not in ("western", "preventive"):
            continue
        assert place.department, place
        if place.department == "04":
            assert visit_age(people, visit) < 18, (place.name, visit)
        elif place.department not in general:
            assert visit["department"] == place.department, (place.name, visit["department"], visit["diagnoses"])
        if visit.get("chronic_prescription"):
            assert place.department in general, (place.name, visit["diagnoses"])
    for shot in records(plan, "vaccinations"):
        place = places[shot["institution"]]
        assert place.kind == "health_center" or place.department in (*general, "04"), (place.name, shot)


def test_chronic_continuous_prescriptions_are_taken_by_mouth(plan):
    """A refill at a community pharmacy is tablets and capsules, never a PCSK9 pen three times a day or IV
    hydrocortisone for a month."""
    drugs = codes.drugs()
    chronic = [v for v in records(plan, "visits") if v.get("chronic_prescription") or v.get("refill_of")]
    assert chronic
    for visit in chronic:
        for order in visit["drug_orders"]:
            assert drugs[order["drug_code"]].form != "injection", (drugs[order["drug_code"]].name, visit)


def test_an_injection_is_ordered_dose_by_dose(plan):
    """TAZOCIN three times a day for 7 days is 21 vials, not 1."""
    drugs, per_day = codes.drugs(), {"QD": 1, "BID": 2, "TID": 3, "QID": 4}
    injections = [
        order
        for visit in records(plan, "visits")
        for order in visit.get("drug_orders", [])
        if drugs[order["drug_code"]].form == "injection"
    ]
    assert injections
    for order in injections:
        doses = per_day[order["frequency"]] * order["days_supplied"]
        assert float(order["quantity"]) == doses, (drugs[order["drug_code"]].name, order)


def test_a_prescription_holds_one_drug_of_each_therapeutic_group(plan):
    """Not three NSAIDs for one knee, nor an H2 blocker with a proton-pump inhibitor, nor two antibiotics."""
    drugs = codes.drugs()
    for visit in records(plan, "visits"):
        if visit["kind"] not in ("western", "inpatient"):
            continue
        groups = [drugs[o["drug_code"]].atc_code for o in visit["drug_orders"]]
        groups = ["J01" if atc.startswith("J01") else atc[:4] for atc in groups]
        assert len(groups) == len(set(groups)), ([drugs[o["drug_code"]].name for o in visit["drug_orders"]], visit)


def test_an_outpatient_copayment_is_the_one_of_the_institutions_level(plan):
    """NT$50 at a clinic, 80 at a district hospital, 240 at a regional hospital, 420 at a medical centre."""
    places = {i.code: i for i in plan.institutions}
    level = {"clinic": 50, "health_center": 50, "district_hospital": 80, "regional_hospital": 240,
             "medical_center": 420}  # fmt: skip
    for visit in records(plan, "visits"):
        if visit["kind"] == "western":
            assert visit["copayment"] == level[places[visit["institution"]].kind], visit


def test_a_filling_code_fits_the_tooth(plan):
    """後牙 (posterior) composite codes on premolars and molars, 前牙 (anterior) on incisors and canines."""
    fillings = payment_teeth = 0
    for visit in (v for v in records(plan, "visits") if v["kind"] == "dental"):
        for order in visit["non_drug_orders"]:
            tooth, code = order.get("tooth"), order["payment_code"]
            if not tooth:
                continue
            posterior = tooth % 10 >= 4
            if code in ("89004C", "89005C"):
                fillings += 1
                assert not posterior, order
            if code in ("89008C", "89009C", "89010C"):
                fillings += 1
                assert posterior, order
            if code == "90002C":
                payment_teeth += 1
                assert tooth in (14, 24), order
    assert fillings
