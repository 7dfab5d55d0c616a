"""The My Health Bank JSON and XML writers (issue 9): the NHI's download format field for field, and our XSD."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.db.models import Count
from lxml import etree

from healthbank import policy
from healthbank.core import codes
from healthbank.exports.choices import MYHEALTHBANK_SECTIONS, ExportCategory
from healthbank.exports.writers import myhealthbank as mhb
from healthbank.identity.models import Person
from healthbank.passbook.listing import years_back
from healthbank.records.models import (
    Allergy,
    CancerScreening,
    CareWish,
    FollowUp,
    LabResult,
    PreventiveCheck,
    Report,
    Vaccination,
    Visit,
)
from tests.accounts.conftest import TODAY
from tests.exports.conftest import snapshot_of

XSD = Path(mhb.__file__).resolve().parent.parent / "schemas" / "myhealthbank.xsd"
C = ExportCategory


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def _bdata(doc: dict) -> dict:
    return doc["myhealthbank"]["bdata"]


def _section_key(section: str) -> str:
    return section.upper() if section in ("r12", "r13", "r14") else section


# Where each section's rows come from (see _people_covering_every_section).
SECTION_SOURCES = {
    "r1": Visit.objects.filter(kind__in=("western", "pharmacy", "preventive")),
    "r2": Visit.objects.filter(kind="inpatient"),
    "r3": Visit.objects.filter(kind="dental"),
    "r4": Allergy.objects.all(),
    "r5": CareWish.objects.filter(withdrawn_on__isnull=True),
    "r6": Vaccination.objects.all(),
    "r7": LabResult.objects.all(),
    "r8": Report.objects.filter(kind__in=("imaging", "pathology")),
    "r9": Visit.objects.filter(kind="chinese"),
    "r10": PreventiveCheck.objects.all(),
    "r11": CancerScreening.objects.all(),
    "r12": FollowUp.objects.filter(program="diabetes"),
    "r13": FollowUp.objects.filter(program="ckd_early"),
    "r14": FollowUp.objects.filter(program__in=("hepatitis_b", "hepatitis_c")),
}


def _people_covering_every_section() -> list[Person]:
    """For each section, the first person (by id) with such a record inside the export's window: a record of the
    generated history may be older than the window (an inpatient stay four years ago is not exported)."""
    ids = []
    for section, queryset in SECTION_SOURCES.items():
        candidates = queryset.order_by("person_id").values_list("person_id", flat=True).distinct()[:25]
        for person_id in candidates:
            xml = etree.fromstring(mhb.to_xml(mhb.document(snapshot_of(Person.objects.get(pk=person_id)))))
            if any(child.tag == _section_key(section) for child in xml.find("bdata")):
                if person_id not in ids:
                    ids.append(person_id)
                break
    return list(Person.objects.filter(pk__in=ids).order_by("pk"))


# ---------------------------------------------------------------------------------------------------------
# The XSD
# ---------------------------------------------------------------------------------------------------------


def test_every_exported_xml_validates_against_the_xsd(world, family, schema):
    """People covering every section r1–R14 between them, and a child under 15: each XML is schema-valid."""
    people = [*_people_covering_every_section(), family[1]]
    seen: set[str] = set()
    for person in people:
        doc = mhb.document(snapshot_of(person))
        xml = mhb.to_xml(doc)
        tree = etree.fromstring(xml)
        assert schema.validate(tree), (person.pk, schema.error_log.last_error)
        seen |= {child.tag for child in tree.find("bdata")}
    assert {_section_key(s) for s in MYHEALTHBANK_SECTIONS} <= seen


def test_the_xsd_refuses_a_bad_date_a_word_for_a_number_and_an_unknown_key(full_snapshot, schema):
    xml = mhb.to_xml(mhb.document(full_snapshot)).decode()
    assert schema.validate(etree.fromstring(xml.encode()))
    visit_date = re.search(r"<r1\.5>(\d{8})</r1\.5>", xml).group(1)
    bad_date = xml.replace(f"<r1.5>{visit_date}</r1.5>", f"<r1.5>{visit_date[:4]}-{visit_date[4:6]}</r1.5>", 1)
    bad_number = re.sub(r"<r1\.13>\d+</r1\.13>", "<r1.13>many</r1.13>", xml, count=1)
    unknown_key = xml.replace("<r1.5>", "<r1.99>x</r1.99><r1.5>", 1)
    bad_division = re.sub(r"<r1\.1>\d</r1\.1>", "<r1.1>7</r1.1>", xml, count=1)
    for broken in (bad_date, bad_number, unknown_key, bad_division):
        assert broken != xml
        assert not schema.validate(etree.fromstring(broken.encode()))


# ---------------------------------------------------------------------------------------------------------
# The JSON an app reads
# ---------------------------------------------------------------------------------------------------------


def test_json_root_masked_id_date_and_declaration(full_snapshot):
    raw = mhb.to_json(mhb.document(full_snapshot))
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\\u" not in raw  # Chinese as is, not escaped
    doc = json.loads(raw)
    assert list(doc) == ["myhealthbank"] and list(doc["myhealthbank"]) == ["bdata"]
    bdata = _bdata(doc)
    person = full_snapshot.person
    assert bdata["b1.1"] == person.national_id_masked
    assert re.fullmatch(r"[A-Z][0-9A-Z][0-9]{4}\*{4}", bdata["b1.1"])
    assert person.national_id not in raw.decode()
    assert bdata["b1.2"] == full_snapshot.today.strftime("%Y%m%d")
    assert list(bdata)[:3] == ["b1.1", "b1.2", "r0"]
    assert "HealthBank" in bdata["r0"][0]["r0.1"] and "健康存摺" in bdata["r0"][0]["r0.1"]


def test_a_known_visit_is_written_with_its_database_values(full_snapshot):
    visits = full_snapshot.rows(C.OUTPATIENT)
    visit = max(
        (v for v in visits if v.kind == "western" and v.drug_orders.all()), key=lambda v: len(v.diagnoses.all())
    )
    rows = _bdata(mhb.document(full_snapshot))["r1"]
    assert len(rows) == len(visits)
    row = rows[visits.index(visit)]
    diagnoses = list(visit.diagnoses.all())
    assert row["r1.1"] == str(visit.institution.division)
    assert row["r1.2"].endswith("業務組")
    assert (row["r1.3"], row["r1.4"]) == (visit.institution.code, visit.institution.name)
    assert row["r1.5"] == visit.visit_date.strftime("%Y%m%d") and row["r1.6"] is None
    assert row["r1.7"] == (visit.card_sequence or None)
    assert row["r1.8"] == diagnoses[0].icd10.replace(".", "")
    assert row["r1.9"] == codes.diagnoses()[diagnoses[0].icd10].name_zh
    if len(diagnoses) > 1:
        assert row["r1.14"] == diagnoses[1].icd10.replace(".", "")
        assert row["r1.15"] == codes.diagnoses()[diagnoses[1].icd10].name_zh
    else:
        assert row["r1.14"] is None and row["r1.15"] is None
    assert (row["r1.12"], row["r1.13"]) == (visit.copayment, visit.points)
    assert row["r1.10"] is None and row["r1.24"] is None  # procedures (ICD-10-PCS) are not kept
    drugs, others = list(visit.drug_orders.all()), list(visit.non_drug_orders.all())
    lines = row["r1_1"]
    assert len(lines) == len(drugs) + len(others)
    first = lines[0]
    assert first["r1_1.1"] == drugs[0].drug_code
    assert first["r1_1.2"] == codes.drugs()[drugs[0].drug_code].name
    assert first["r1_1.3"] == drugs[0].quantity and first["r1_1.4"] == drugs[0].days_supplied
    if others:
        last = lines[-1]
        assert last["r1_1.1"] == others[-1].payment_code and last["r1_1.4"] == 0
        assert re.search(r"[\u4e00-\u9fff]", last["r1_1.2"])  # the payment item's Chinese name


def test_secondary_diagnoses_follow_the_primary(world):
    """A dental visit with scaling has two diagnoses: the first is r3.7/r3.8, the second r3.13/r3.14."""
    visit = (
        Visit.objects.filter(kind="dental", visit_date__gte=years_back(policy.SPAN_MEDICAL_YEARS)(TODAY))
        .annotate(n=Count("diagnoses"))
        .filter(n__gte=2)
        .order_by("person_id", "visit_date", "pk")
        .first()
    )
    snapshot = snapshot_of(visit.person, [C.DENTAL])
    visits = snapshot.rows(C.DENTAL)
    row = _bdata(mhb.document(snapshot))["r3"][[v.pk for v in visits].index(visit.pk)]
    diagnoses = [d.icd10 for d in sorted(visit.diagnoses.all(), key=lambda d: d.position)]
    assert (row["r3.7"], row["r3.13"]) == (diagnoses[0].replace(".", ""), diagnoses[1].replace(".", ""))
    assert row["r3.8"] == codes.diagnoses()[diagnoses[0]].name_zh
    assert row["r3.14"] == codes.diagnoses()[diagnoses[1]].name_zh


def test_pharmacy_rows_look_like_real_downloads(full_snapshot):
    visits = full_snapshot.rows(C.OUTPATIENT)
    rows = _bdata(mhb.document(full_snapshot))["r1"]
    pharmacy = [(v, r) for v, r in zip(visits, rows, strict=True) if v.kind == "pharmacy"]
    assert pharmacy, "the busiest adult fills prescriptions at a pharmacy"
    for visit, row in pharmacy:
        assert row["r1.5"] == ""
        assert row["r1.6"] == visit.visit_date.strftime("%Y%m%d")
        assert row["r1.7"] == "XXXX"


def test_numbers_are_numbers_text_is_text_and_dates_are_eight_digits(full_snapshot):
    bdata = _bdata(mhb.document(full_snapshot))
    for row in bdata["r1"]:
        assert isinstance(row["r1.12"], int) and isinstance(row["r1.13"], int)
        assert isinstance(row["r1.1"], str) and isinstance(row["r1.3"], str)
        assert row["r1.5"] == "" or re.fullmatch(r"\d{8}", row["r1.5"])
        for line in row.get("r1_1", []):
            assert isinstance(line["r1_1.3"], int | float) and isinstance(line["r1_1.4"], int)
    for row in bdata.get("r7", []):
        assert re.fullmatch(r"\d{8}", row["r7.6"]) and re.fullmatch(r"\d{12}", row["r7.7"])
        assert isinstance(row["r7.11"], str)
    for row in bdata.get("r10", []):
        assert isinstance(row["r10.6"], int | float) and isinstance(row["r10.12"], str)


def test_follow_up_sections_are_upper_case_with_lower_case_keys(world):
    person_id = FollowUp.objects.filter(program="diabetes").order_by("person_id").values_list("person_id", flat=True)[0]
    person = Person.objects.get(pk=person_id)
    snapshot = snapshot_of(person)
    bdata = _bdata(mhb.document(snapshot))
    assert "R12" in bdata and "r12" not in bdata
    records = snapshot.rows(C.DIABETES)
    lines = [line for row in bdata["R12"] for line in row["r12_1"]]
    assert len(lines) == len(records)
    assert set(bdata["R12"][0]) == {"r12.1", "r12.2", "r12.3", "r12_1"}
    first, line = records[0], bdata["R12"][0]["r12_1"][0]
    assert bdata["R12"][0]["r12.2"] == first.institution.name
    assert line["r12_1.2"] == first.measured_on.strftime("%Y%m%d")
    if "hba1c" in first.values:
        assert line["r12_1.7"] == f"{float(first.values['hba1c']):.2f}"


def test_hepatitis_rows_name_their_type(world):
    person_id = (
        FollowUp.objects.filter(program__in=("hepatitis_b", "hepatitis_c"))
        .order_by("person_id")
        .values_list("person_id", flat=True)[0]
    )
    snapshot = snapshot_of(Person.objects.get(pk=person_id))
    rows = _bdata(mhb.document(snapshot))["R14"]
    types = {line["r14_1.3"] for row in rows for line in row["r14_1"]}
    assert types <= {"B 型肝炎", "C 型肝炎"} and types
    programs = {f.program for f in snapshot.rows(C.HEPATITIS)}
    assert len(types) == len(programs)
    for record, line in zip(snapshot.rows(C.HEPATITIS), [x for r in rows for x in r["r14_1"]], strict=True):
        assert line["r14_1.7"] == f"{float(record.values['alt']):.2f}"  # GPT is ALT


def test_names_are_chinese(world):
    """Vaccines, teeth, labs and screenings carry the Chinese names an NHI download has."""
    for section, check in (
        ("r6", lambda row: row["r6.3"]),
        ("r7", lambda row: row["r7.10"]),
        ("r11", lambda row: row["r11.1"] + row["r11.2"]),
    ):
        person_id = SECTION_SOURCES[section].order_by("person_id").values_list("person_id", flat=True)[0]
        rows = _bdata(mhb.document(snapshot_of(Person.objects.get(pk=person_id))))[section]
        assert all(re.search(r"[\u4e00-\u9fff]", check(row)) for row in rows), section
    person_id = (
        Visit.objects.filter(kind="dental", non_drug_orders__tooth__isnull=False)
        .order_by("person_id")
        .values_list("person_id", flat=True)[0]
    )
    rows = _bdata(mhb.document(snapshot_of(Person.objects.get(pk=person_id))))["r3"]
    teeth = [line for row in rows for line in row.get("r3_1", []) if line["r3_1.4"]]
    assert teeth
    for line in teeth:
        assert re.fullmatch(r"(右上|左上|左下|右下)第[一二三四五六七八]顆(恆牙|乳牙)", line["r3_1.5"])


def test_tooth_names():
    assert mhb.tooth_name(11) == "右上第一顆恆牙"
    assert mhb.tooth_name(16) == "右上第六顆恆牙"
    assert mhb.tooth_name(21) == "左上第一顆恆牙"
    assert mhb.tooth_name(48) == "右下第八顆恆牙"
    assert mhb.tooth_name(55) == "右上第五顆乳牙"
    assert mhb.tooth_name(75) == "左下第五顆乳牙"
    assert mhb.tooth_name(56) is None and mhb.tooth_name(19) is None


def test_only_the_asked_sections_and_none_empty(family):
    _parent, child = family
    doc = mhb.document(snapshot_of(child, [C.OUTPATIENT, C.DIABETES, C.INSURANCE]))
    bdata = _bdata(doc)
    assert set(bdata) <= {"b1.1", "b1.2", "r0", "r1"}
    assert "R12" not in bdata  # a child without diabetes follow-up: the section is left out, not empty
    for row in bdata.get("r1", []):
        assert "r1_1" not in row or row["r1_1"]


def test_xml_has_the_json_shape(full_snapshot):
    doc = mhb.document(full_snapshot)
    xml = mhb.to_xml(doc)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(xml)
    assert root.tag == "myhealthbank" and not root.attrib
    bdata = root.find("bdata")
    assert bdata.findtext("b1.1") == full_snapshot.person.national_id_masked
    rows = bdata.findall("r1")
    assert len(rows) == len(_bdata(doc)["r1"])
    first = _bdata(doc)["r1"][0]
    assert rows[0].findtext("r1.3") == first["r1.3"]
    assert rows[0].find("r1.10") is None  # null: left out
    assert len(rows[0].findall("r1_1")) == len(first.get("r1_1", []))
    pharmacy = next(r for r in rows if r.findtext("r1.7") == "XXXX")
    assert pharmacy.find("r1.5") is not None and pharmacy.findtext("r1.5") == ""  # "": an empty element


def test_file_name():
    assert mhb.file_name(dt.date(2015, 3, 1), "json") == "健康存摺醫療類_20150301.json"
    assert mhb.file_name(dt.date(2026, 11, 20), "xml") == "健康存摺醫療類_20261120.xml"


def test_the_heaviest_person_is_written_without_queries(world, django_assert_num_queries):
    """The writer reads only the snapshot (its speed is the download figure's, bench/export_bench.py: a timed
    assertion here failed CI on a loaded machine)."""
    heaviest = Visit.objects.values("person").annotate(n=Count("id")).order_by("-n", "person").first()
    snapshot = snapshot_of(Person.objects.get(pk=heaviest["person"]))
    mhb.document(snapshot)  # the code lists load once per process
    with django_assert_num_queries(0):
        doc = mhb.document(snapshot)
        mhb.to_json(doc)
        mhb.to_xml(doc)
    assert _bdata(doc)["r1"], "the heaviest person's visits are in the document"
