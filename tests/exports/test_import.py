"""Importing My Health Bank downloads: what real downloads do is read, what is not a download is refused."""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import zipfile
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pyzipper
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import translation

from healthbank import policy
from healthbank.audit.models import AccessLog
from healthbank.core import codes
from healthbank.exports.choices import IMPORTED_SOURCE, MYHEALTHBANK_SECTIONS
from healthbank.exports.importer import describe, import_download
from healthbank.exports.mhb_reading import ImportRefused, read_download
from healthbank.exports.models import ImportRun
from healthbank.exports.writers import myhealthbank as writer
from healthbank.identity.models import Person
from healthbank.records.models import (
    Allergy,
    CancerScreening,
    CareWish,
    FollowUp,
    Institution,
    LabResult,
    PreventiveCheck,
    Report,
    Vaccination,
    Visit,
)
from tests.exports.conftest import snapshot_of

DATA = Path(__file__).parent / "data"
REAL_JSON = (DATA / "real_download.json").read_bytes()


@pytest.fixture(autouse=True)
def _english():
    """Reasons are read in English here; the pages show them in the reader's language."""
    with translation.override("en"):
        yield


REAL_XML = (DATA / "real_download.xml").read_bytes()


def zipped(members: dict[str, bytes], password: str | None = None, *, aes: bool = True) -> bytes:
    buffer = io.BytesIO()
    if password and aes:
        with pyzipper.AESZipFile(buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as z:
            z.setpassword(password.encode())
            for name, content in members.items():
                z.writestr(name, content)
    elif password:
        # ZipCrypto: what the NHI's own downloads and most zip tools use.
        _zipcrypto(buffer, members, password)
    else:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, content in members.items():
                z.writestr(name, content)
    return buffer.getvalue()


def _zipcrypto(buffer, members: dict[str, bytes], password: str) -> None:
    """A ZipCrypto zip via 7z if present, else a stored one made by hand (Python's zipfile cannot encrypt)."""
    import shutil
    import subprocess
    import tempfile

    seven = shutil.which("7z")
    assert seven, "7z (p7zip-full) is needed to make a ZipCrypto zip"
    with tempfile.TemporaryDirectory() as folder:
        for name, content in members.items():
            path = Path(folder, "in", name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        out = Path(folder, "out.zip")
        subprocess.run(  # noqa: S603 (fixed arguments)
            [seven, "a", "-tzip", "-mem=ZipCrypto", f"-p{password}", str(out), "."],
            cwd=Path(folder, "in"),
            check=True,
            capture_output=True,
        )
        buffer.write(out.read_bytes())


# --- reading what real downloads do -----------------------------------------------------------------------------


def test_a_real_download_json_is_read_into_one_shape():
    document = read_download(REAL_JSON, "健康存摺醫療類_20250301.json", None)

    assert document["b1.1"] == "A12345****"
    assert document["b1.2"] == "20250301"
    visit, pharmacy = document["r1"]
    assert visit["r1.9"] == "流行性感冒\t併肺炎"  # the raw TAB inside the string survived
    assert visit["r1.13"] == "539" and visit["r1.12"] == "120"  # numbers and strings-for-numbers alike
    assert visit["r1.10"] is None and visit["r1.11"] is None  # "" and null alike
    assert [o["r1_1.1"] for o in visit["r1_1"]] == ["AC20910100", "00102B"]
    assert visit["r1_1"][1]["r1_1.3"] == "1" and visit["r1_1"][1]["r1_1.4"] == "0"
    assert pharmacy["r1.5"] is None and pharmacy["r1.6"] == "20241220" and pharmacy["r1.7"] == "XXXX"
    assert len(pharmacy["r1_1"]) == 1  # a child given as one object
    assert document["r2"] == []  # [{"r2": "無資料"}]
    assert document["r13"] == []
    assert len(document["r3"]) == 1 and document["r3"][0]["r3_1"][0]["r3_1.4"] == "21"  # a section as one object
    assert document["r6"][0]["r6.3"] == "流感疫苗"
    (diabetes,) = document["r12"]  # "R12" with "R12_1" inside
    assert diabetes["r12_1"][0]["r12_1.1"] == "追蹤管理" and diabetes["r12_1"][0]["r12_1.7"] == "7.60"
    assert "newthing" not in document


def test_the_xml_form_without_r9_to_r14_is_read_the_same_way_keeping_line_breaks():
    document = read_download(REAL_XML, "健康存摺醫療類_20250301.xml", None)

    assert document["b1.1"] == "A12345****"
    (visit,) = document["r1"]
    assert visit["r1.9"] == "流行性感冒併肺炎" and visit["r1.6"] is None
    assert [o["r1_1.1"] for o in visit["r1_1"]] == ["AC20910100", "00102B"]
    assert document["r2"] == []
    assert document["r8"][0]["r8.10"] == "胸部X光：\n兩側肺野清晰。\n心臟大小正常。"
    assert not any(f"r{n}" in document for n in range(9, 15))


def test_an_xml_with_one_row_and_one_child_is_a_list_of_one():
    xml = (
        "<myhealthbank><bdata><b1.1>A12345****</b1.1><r6><r6.1>20240301</r6.1><r6.3>流感疫苗</r6.3></r6>"
        "</bdata></myhealthbank>"
    ).encode()
    assert read_download(xml, "x.xml", None)["r6"] == [{"r6.1": "20240301", "r6.3": "流感疫苗"}]


@pytest.mark.parametrize("aes", [True, False], ids=["AES", "ZipCrypto"])
def test_a_password_protected_zip_is_opened_with_its_password(aes):
    data = zipped({"健康存摺醫療類_20250301.json": REAL_JSON}, "A123456789", aes=aes)

    assert read_download(data, "download.zip", "A123456789")["r1"][0]["r1.3"] == "0101090517"


def test_our_own_package_is_read_by_its_json_member_not_its_other_files():
    fhir = json.dumps({"resourceType": "Bundle", "type": "collection"}).encode()
    data = zipped(
        {
            "html/outpatient.html": b"<html><body>not this</body></html>",
            "fhir/bundle.json": fhir,
            "myhealthbank/健康存摺醫療類_20250301.json": REAL_JSON,
            "myhealthbank/健康存摺醫療類_20250301.xml": REAL_XML,
        },
        "A123456789",
    )
    document = read_download(data, "健康存摺_1140301_1.zip", "A123456789")
    assert len(document["r1"]) == 2  # the JSON (with the pharmacy row), not JSON and XML both
    assert len(document["r12"]) == 1


# --- refusals ------------------------------------------------------------------------------------------------------


def refusal(data: bytes, password: str | None = None, name: str = "upload") -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        read_download(data, name, password)
    assert caught.value.reason  # a sentence a person can read
    return caught.value


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7 not a download", "身分證號,姓名\nA123456789,王小明\n".encode(), b"\x00\x01\x02binary"],
    ids=["pdf", "csv", "binary"],
)
def test_a_file_that_is_not_a_zip_json_or_xml_is_refused(data):
    assert refusal(data).field == "file"


def test_json_or_xml_that_is_not_a_my_health_bank_download_is_refused():
    assert refusal(b'{"resourceType": "Bundle"}').field == "file"
    assert refusal(b"<html><body>hello</body></html>").field == "file"


def test_a_broken_json_is_refused_with_its_line():
    error = refusal(b'{"myhealthbank": {"bdata": {\n"b1.1": "A12345****",\n"r1": [}}}')
    assert "3" in error.reason


def test_a_file_not_in_utf8_is_refused():
    big5 = '{"myhealthbank": {"bdata": {"b1.1": "A12345****", "r6": [{"r6.3": "流感疫苗"}]}}}'.encode("big5")
    assert "UTF-8" in refusal(big5).reason
    utf16 = '{"myhealthbank": {}}'.encode("utf-16")
    assert "UTF-8" in refusal(utf16).reason


@pytest.mark.parametrize("aes", [True, False], ids=["AES", "ZipCrypto"])
def test_a_wrong_or_missing_zip_password_is_refused(aes):
    data = zipped({"健康存摺醫療類_20250301.json": REAL_JSON}, "A123456789", aes=aes)

    wrong = refusal(data, "B987654321")
    assert wrong.field == "password" and "password does not open" in wrong.reason
    assert refusal(data, None).field == "password"


def test_an_upload_over_the_size_limit_is_refused_before_reading(settings, monkeypatch):
    monkeypatch.setattr(policy, "IMPORT_MAX_UPLOAD_BYTES", len(REAL_JSON) - 1)
    error = refusal(REAL_JSON)
    assert error.field == "file" and "larger" in error.reason


def test_a_100_mb_upload_is_refused():
    assert "larger" in refusal(b"{" + b" " * (100 * 1024 * 1024)).reason


def test_a_zip_bomb_is_refused_by_its_declared_size():
    # 200 MB of zeros inflate from about 200 KB: over the unpacked limit and the ratio.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("健康存摺醫療類_20250301.json", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(policy.IMPORT_MAX_UNZIPPED_BYTES // len(block) + 1):
                member.write(block)
    error = refusal(buffer.getvalue())
    assert error.field == "file" and ("too large" in error.reason or "zip bomb" in error.reason)


def test_a_zip_compressing_far_better_than_a_download_is_refused_by_its_ratio():
    data = zipped({"健康存摺醫療類_20250301.json": b'{"myhealthbank": {"bdata": {"b1.1": "' + b" " * 2_000_000})
    assert "zip bomb" in refusal(data).reason


def test_too_many_members_are_refused():
    data = zipped({f"f{n}.json": REAL_JSON for n in range(policy.IMPORT_MAX_ZIP_MEMBERS + 1)})
    assert refusal(data).field == "file"


def _lie_about_size(data: bytes, declared: int) -> bytes:
    """The zip with its central directory claiming ``declared`` bytes for the (only) member."""
    at = data.rindex(b"PK\x01\x02")
    patched = bytearray(data)
    struct.pack_into("<I", patched, at + 24, declared)  # uncompressed size in the central directory
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", patched, local + 22, declared)
    return bytes(patched)


def test_a_zip_whose_header_lies_about_its_size_is_refused_while_reading():
    # 5 MB of a real-looking download declared as 10 KB: passes the declared checks, fails on what it really is.
    body = REAL_JSON[:-10] + b" " * (5 * 1024 * 1024) + REAL_JSON[-10:]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("健康存摺醫療類_20250301.json", body)
    data = buffer.getvalue()
    declared = len(data) * 2  # a ratio under the limit
    error = refusal(_lie_about_size(data, declared))
    assert error.field == "file" and "zip bomb" in error.reason


def test_a_zip_without_a_download_inside_is_refused():
    assert refusal(zipped({"photo.jpg": b"\xff\xd8\xff"})).field == "file"
    assert refusal(b"PK\x03\x04 truncated").field == "file"


def test_files_for_two_people_in_one_zip_are_refused():
    other = REAL_JSON.replace(b"A12345****", b"B22345****")
    assert refusal(zipped({"a.json": REAL_JSON, "b.json": other})).field == "b1.1"


# --- importing into a passbook -----------------------------------------------------------------------------------

MEDICAL = sorted(set(MYHEALTHBANK_SECTIONS.values()))
RECORD_MODELS = (Visit, LabResult, Report, Allergy, Vaccination, PreventiveCheck, CancerScreening, FollowUp, CareWish)


def stored(person) -> int:
    return sum(model.objects.filter(person=person).count() for model in RECORD_MODELS) + Institution.objects.count()


def for_person(raw: bytes, person) -> bytes:
    return raw.replace(b"A12345****", person.national_id_masked.encode())


@pytest.fixture
def adult(adult_with_visits):
    return adult_with_visits


@pytest.fixture
def counter_operator(db, django_user_model):
    from django.contrib.auth.models import Group

    from healthbank.staff import roles

    user = django_user_model.objects.create_user("counter-import", password="x-long-staff-pass", is_staff=True)
    user.groups.set([Group.objects.get(name=roles.COUNTER_STAFF)])
    return user


def test_a_real_download_is_imported_marked_with_its_source(adult):
    before_visits = Visit.objects.filter(person=adult).count()
    run = import_download(adult, for_person(REAL_JSON, adult), "健康存摺醫療類_20250301.json", requested_by=adult)

    assert run.report["r1"]["imported"] == 2 and run.report["r3"]["imported"] == 1
    assert run.report["r6"]["imported"] == 1 and run.report["r12"]["imported"] == 1
    assert "r2" not in run.report and "r13" not in run.report  # 無資料
    assert run.imported == 5 and run.skipped == 0 and run.person == adult
    imported = Visit.objects.filter(person=adult, source=IMPORTED_SOURCE)
    assert Visit.objects.filter(person=adult).count() == before_visits + 3
    visit = imported.get(kind=Visit.Kind.WESTERN)
    assert visit.visit_date == dt.date(2024, 12, 18) and visit.card_sequence == "0032"
    assert visit.copayment == 120 and visit.points == 539
    assert [d.icd10 for d in visit.diagnoses.all()] == ["J11.00", "E11.9"]
    assert [(o.drug_code, o.quantity, o.days_supplied) for o in visit.drug_orders.all()] == [
        ("AC20910100", Decimal("28.00"), 7)
    ]
    assert [o.payment_code for o in visit.non_drug_orders.all()] == ["00102B"]
    pharmacy = imported.get(kind=Visit.Kind.PHARMACY)
    assert pharmacy.visit_date == dt.date(2024, 12, 20) and pharmacy.card_sequence == ""
    tooth = imported.get(kind=Visit.Kind.DENTAL).non_drug_orders.get()
    assert tooth.payment_code == "92014C" and tooth.tooth == 21
    follow_up = FollowUp.objects.get(person=adult, source=IMPORTED_SOURCE)
    assert follow_up.program == FollowUp.Program.DIABETES and follow_up.values["hba1c"] == "7.6"
    assert follow_up.measured_on == dt.date(2024, 7, 7)
    assert AccessLog.objects.filter(person_id=adult.pk, what=AccessLog.What.DOWNLOAD_IMPORTED).count() == 1


def test_unknown_institutions_are_kept_unlisted_by_code_or_by_name(adult):
    import_download(adult, for_person(REAL_JSON, adult), "download.json")

    pharmacy = Institution.objects.get(code="5901234567")
    assert not pharmacy.listed and pharmacy.name == "大安藥局" and pharmacy.kind == Institution.Kind.PHARMACY
    assert pharmacy.division == 1
    by_name = FollowUp.objects.get(person=adult, source=IMPORTED_SOURCE).institution
    assert by_name.name == "中區虛擬診" and not by_name.listed and by_name.code.startswith("MHB")


def test_a_known_vaccine_and_lab_are_mapped_back_to_our_codes(adult):
    flu = next(v for v in codes.vaccines().values() if "流感" in v.name_zh)
    hba1c = codes.lab_test("hba1c")
    listed = Institution.objects.filter(listed=True).order_by("code").first()
    doc = {"myhealthbank": {"bdata": {
        "b1.1": adult.national_id_masked,
        "r6": [{"r6.1": "20240301", "r6.3": flu.name_zh, "r6.5": listed.name},
               {"r6.1": "20240302", "r6.3": "新型疫苗", "r6.5": "某衛生所"}],
        "r7": [{"r7.1": "1", "r7.3": listed.code, "r7.4": listed.name, "r7.6": "20240109", "r7.7": "202401091230",
                "r7.10": hba1c.name_zh, "r7.11": "7.3", "r7.12": "<5.7"},
               {"r7.3": listed.code, "r7.6": "20240109", "r7.10": "Blood Routine", "r7.11": "7.3"}],
    }}}  # fmt: skip
    run = import_download(adult, json.dumps(doc, ensure_ascii=False).encode(), "d.json")

    assert run.report["r6"]["imported"] == 2 and run.report["r7"]["imported"] == 2
    known, unknown = Vaccination.objects.filter(person=adult, source=IMPORTED_SOURCE).order_by("vaccinated_on")
    assert known.vaccine_code == flu.code and known.institution == listed
    assert unknown.vaccine_code == "新型疫苗" and unknown.institution is None and unknown.institution_name == "某衛生所"
    lab = LabResult.objects.get(person=adult, source=IMPORTED_SOURCE, lab_key="hba1c")
    assert (lab.loinc, lab.unit, lab.value_numeric) == (hba1c.loinc, hba1c.unit, Decimal("7.3"))
    assert lab.ingested_at == dt.datetime(2024, 1, 9, 12, 30, tzinfo=ZoneInfo("Asia/Taipei"))
    other = LabResult.objects.get(person=adult, source=IMPORTED_SOURCE, name="Blood Routine")
    assert other.lab_key == "Blood Routine" and other.unit == ""


def test_the_xml_form_is_imported_too(adult):
    run = import_download(adult, for_person(REAL_XML, adult), "健康存摺醫療類_20250301.xml")

    assert run.report["r1"]["imported"] == 1 and run.report["r8"]["imported"] == 1
    report = Report.objects.get(person=adult, source=IMPORTED_SOURCE)
    assert report.text == "胸部X光：\n兩側肺野清晰。\n心臟大小正常。" and report.kind == Report.Kind.IMAGING


def test_importing_the_same_file_twice_adds_nothing(adult):
    data = zipped({"健康存摺醫療類_20250301.json": for_person(REAL_JSON, adult)}, "pw-123456")
    import_download(adult, data, "d.zip", "pw-123456")
    count = stored(adult)

    again = import_download(adult, data, "d.zip", "pw-123456")

    assert stored(adult) == count
    assert again.imported == 0 and again.skipped == 5
    assert {s["code"] for entry in again.report.values() for s in entry["skips"]} == {"already_imported"}
    assert ImportRun.objects.filter(person=adult).count() == 2


def test_rows_that_cannot_be_read_are_skipped_with_their_reason_and_row(adult):
    doc = json.loads(for_person(REAL_JSON, adult).decode("utf-8-sig"), strict=False)
    rows = doc["myhealthbank"]["bdata"]["r1"]
    rows.append(dict(rows[0], **{"r1.5": "20241399", "r1.7": "0040"}))  # no 13th month
    rows.append({k: v for k, v in rows[0].items() if k not in ("r1.5", "r1.6")} | {"r1.7": "0041"})
    run = import_download(adult, json.dumps(doc, ensure_ascii=False).encode(), "d.json")

    entry = run.report["r1"]
    assert entry["imported"] == 2 and entry["skipped"] == 2
    assert {(s["code"], s["field"], tuple(s["rows"])) for s in entry["skips"]} == {
        ("bad_date", "r1.5", ("3",)),
        ("missing", "r1.5", ("4",)),
    }
    lines = describe(run.report)
    assert any("r1.5 is not a date (rows 3)" in line for line in lines)


def test_an_unknown_institution_of_a_skipped_row_is_not_used_by_the_next_row(adult):
    lab = {"r7.1": "2", "r7.3": "9999999991", "r7.4": "新診所", "r7.6": "20240109", "r7.10": "Blood Routine"}
    doc = {"myhealthbank": {"bdata": {"b1.1": adult.national_id_masked,
                                      "r7": [lab, lab | {"r7.11": "7.3"}]}}}  # fmt: skip
    run = import_download(adult, json.dumps(doc, ensure_ascii=False).encode(), "d.json")

    assert run.report["r7"]["imported"] == 1
    assert run.report["r7"]["skips"] == [{"code": "missing", "field": "r7.11", "count": 1, "rows": ["1"]}]
    clinic = LabResult.objects.get(person=adult, source=IMPORTED_SOURCE).institution
    assert clinic.code == "9999999991" and clinic.division == 2 and not clinic.listed


def _other_letter(masked: str) -> str:
    return ("B" if masked[0] != "B" else "C") + masked[1:]


def _other_digit(masked: str) -> str:
    return masked[:5] + str((int(masked[5]) + 1) % 10) + masked[6:]


@pytest.mark.parametrize(
    "change",
    [_other_letter, _other_digit, lambda masked: None, lambda masked: "*" * len(masked)],
    ids=["other-letter", "other-digit", "missing", "all-masked"],
)
def test_a_file_for_another_person_or_for_nobody_is_refused_and_nothing_stored(adult, change):
    doc = json.loads(for_person(REAL_JSON, adult).decode("utf-8-sig"), strict=False)
    bdata = doc["myhealthbank"]["bdata"]
    bdata["b1.1"] = change(adult.national_id_masked)
    count = stored(adult)

    with pytest.raises(ImportRefused) as caught:
        import_download(adult, json.dumps(doc, ensure_ascii=False).encode(), "d.json")

    assert caught.value.field == "b1.1"
    assert stored(adult) == count and not ImportRun.objects.filter(person=adult).exists()


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("d.json", b'{"myhealthbank": {"bdata": {"b1.1": "' + b" " * 2_000_000)
    return buffer.getvalue()


def _lying() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("d.json", REAL_JSON[:-10] + b" " * 1_000_000 + REAL_JSON[-10:])
    return _lie_about_size(buffer.getvalue(), len(buffer.getvalue()) * 2)


@pytest.mark.parametrize(
    ("make", "password"),
    [
        (lambda person: b"not a download", None),
        (lambda person: zipped({"a.json": for_person(REAL_JSON, person)}, "right-pw"), "wrong-pw"),
        (lambda person: zipped({"a.json": for_person(REAL_JSON, person)}, "right-pw", aes=False), "wrong-pw"),
        (lambda person: _bomb(), None),
        (lambda person: _lying(), None),
        (lambda person: b"{" + b" " * policy.IMPORT_MAX_UPLOAD_BYTES + b"}", None),
    ],
    ids=["not-a-download", "wrong-aes-password", "wrong-zipcrypto-password", "bomb", "lying-header", "too-big"],
)
def test_a_refused_upload_stores_nothing(adult, make, password):
    count = stored(adult)
    with pytest.raises(ImportRefused) as caught:
        import_download(adult, make(adult), "upload", password)
    assert caught.value.reason
    assert stored(adult) == count and not ImportRun.objects.filter(person=adult).exists()
    assert not AccessLog.objects.filter(person_id=adult.pk, what=AccessLog.What.DOWNLOAD_IMPORTED).exists()


def _medical_records(person):
    """Delete what the My Health Bank sections hold (discharge summaries are not one of them)."""
    Report.objects.filter(person=person).exclude(kind=Report.Kind.DISCHARGE).delete()
    for model in (LabResult, Allergy, Vaccination, PreventiveCheck, CancerScreening, FollowUp, CareWish):
        model.objects.filter(person=person).delete()
    Visit.objects.filter(person=person, kind__in=Visit.Kind.values).delete()


def _sections(doc: dict) -> dict:
    bdata = dict(doc["myhealthbank"]["bdata"])
    bdata.pop("b1.2"), bdata.pop("r0")
    return {key: sorted(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows) if isinstance(rows, list)
            else rows for key, rows in bdata.items()}  # fmt: skip


def test_export_import_export_round_trips_without_loss(adult):
    first = writer.document(snapshot_of(adult, MEDICAL))
    assert {"r1", "r7"} <= set(first["myhealthbank"]["bdata"])
    data = zipped({"myhealthbank/" + writer.file_name(dt.date(2025, 3, 1), "json"): writer.to_json(first)}, "pw")

    # Our own export imported over the passbook it came from: everything is there already.
    again = import_download(adult, data, "健康存摺_1140301_1.zip", "pw")
    assert again.imported == 0 and again.skipped > 0
    assert {s["code"] for entry in again.report.values() for s in entry["skips"]} == {"in_passbook"}

    _medical_records(adult)
    run = import_download(adult, data, "健康存摺_1140301_1.zip", "pw")
    second = writer.document(snapshot_of(adult, MEDICAL))

    assert run.skipped == 0
    assert _sections(second) == _sections(first)
    sources = {
        model.__name__: set(model.objects.filter(person=adult).values_list("source", flat=True))
        for model in (Visit, LabResult, FollowUp)
    }
    assert sources == {"Visit": {IMPORTED_SOURCE}, "LabResult": {IMPORTED_SOURCE}, "FollowUp": {IMPORTED_SOURCE}}


def test_the_xml_export_round_trips_too(adult):
    first = writer.document(snapshot_of(adult, MEDICAL))
    _medical_records(adult)
    import_download(adult, writer.to_xml(first), "健康存摺醫療類_20250301.xml")

    assert _sections(writer.document(snapshot_of(adult, MEDICAL))) == _sections(first)


def _people_covering_every_section(adult) -> list:
    """The adult and, for each section the adult's document lacks, someone whose document has it."""
    people, covered = [adult], set(_sections(writer.document(snapshot_of(adult, MEDICAL))))
    holders = {
        "r4": Allergy.objects.all(),
        "r5": CareWish.objects.filter(withdrawn_on__isnull=True),
        "r9": Visit.objects.filter(kind=Visit.Kind.CHINESE),
        "r12": FollowUp.objects.filter(program=FollowUp.Program.DIABETES),
        "R13": FollowUp.objects.filter(program=FollowUp.Program.CKD_EARLY),
        "R14": FollowUp.objects.filter(program__in=[FollowUp.Program.HEPATITIS_B, FollowUp.Program.HEPATITIS_C]),
    }
    for key, records in holders.items():
        key = {"r12": "R12"}.get(key, key)
        if key in covered:
            continue
        # The first holder whose record is inside the export's window (the history may be older than it).
        for person_id in records.order_by("person_id").values_list("person_id", flat=True).distinct()[:25]:
            person = Person.objects.get(pk=person_id)
            sections = set(_sections(writer.document(snapshot_of(person, MEDICAL))))
            if key in sections:
                break
        assert key in sections, key
        people.append(person)
        covered |= sections
    return people


def test_every_section_round_trips_for_the_people_who_have_it(adult):
    people = _people_covering_every_section(adult)
    seen = set()
    for person in people:
        first = writer.document(snapshot_of(person, MEDICAL))
        seen |= set(first["myhealthbank"]["bdata"])
        _medical_records(person)
        run = import_download(person, writer.to_json(first), "健康存摺醫療類_20250301.json")
        assert run.skipped == 0
        assert _sections(writer.document(snapshot_of(person, MEDICAL))) == _sections(first), person.pk
    assert seen >= {"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "R12", "R13", "R14"}


# --- the counter's command --------------------------------------------------------------------------------------


def test_the_command_imports_for_an_operator_and_prints_the_report(adult, counter_operator, tmp_path):
    path = tmp_path / "健康存摺醫療類_20250301.json"
    path.write_bytes(for_person(REAL_JSON, adult))
    out = io.StringIO()

    call_command("import_myhealthbank", str(path), "--national-id", adult.national_id, "--operator",
                 counter_operator.username, stdout=out)  # fmt: skip

    printed = out.getvalue()
    assert "imported 5, skipped 0" in printed and "(r1): imported 2" in printed
    entry = AccessLog.objects.get(person_id=adult.pk, what=AccessLog.What.DOWNLOAD_IMPORTED)
    assert entry.operator == counter_operator and entry.actor_kind == AccessLog.ActorKind.OPERATOR


def test_the_command_exits_non_zero_with_the_reason_on_refusal(adult, counter_operator, tmp_path):
    path = tmp_path / "d.zip"
    path.write_bytes(zipped({"d.json": for_person(REAL_JSON, adult)}, "right-pw"))
    base = [str(path), "--national-id", adult.national_id, "--operator", counter_operator.username]

    with pytest.raises(CommandError, match="password: The password does not open this file") as caught:
        call_command("import_myhealthbank", *base, "--password", "wrong-pw")
    assert caught.value.returncode != 0  # what manage.py exits with
    assert not Visit.objects.filter(person=adult, source=IMPORTED_SOURCE).exists()


def test_the_command_refuses_staff_without_the_counter_permission(adult, tmp_path):
    staff = get_user_model().objects.create_user("plainstaff", password="x-Pass-123", is_staff=True)
    path = tmp_path / "d.json"
    path.write_bytes(for_person(REAL_JSON, adult))
    with pytest.raises(CommandError, match="--operator"):
        call_command("import_myhealthbank", str(path), "--national-id", adult.national_id, "--operator", staff.username)
    assert not Visit.objects.filter(person=adult, source=IMPORTED_SOURCE).exists()


# Values a hand-edited or broken download may hold in any field: each row is imported, or skipped with its reason,
# or the file is refused — never an unexpected error.
ODD_VALUES = (None, "", "無資料", [], {}, [1, 2], {"a": 1}, 1e308, -1, "9" * 50, "2024-13-45", "XXXX", True, "\x00\x01")


def test_odd_values_anywhere_in_a_download_are_skipped_or_refused_never_an_error(adult):
    import random

    base = json.loads(for_person(REAL_JSON, adult).decode("utf-8-sig"), strict=False)
    sections = [k for k in base["myhealthbank"]["bdata"] if k.lower().startswith("r")]
    chance = random.Random(20261203)
    for _attempt in range(60):
        document = json.loads(json.dumps(base))
        bdata = document["myhealthbank"]["bdata"]
        for _change in range(5):
            rows = bdata[chance.choice(sections)]
            row = chance.choice(rows if isinstance(rows, list) else [rows])
            if not isinstance(row, dict) or not row:
                continue
            key = chance.choice(list(row))
            if isinstance(row[key], list) and row[key] and isinstance(row[key][0], dict):
                child = chance.choice(row[key])
                child[chance.choice(list(child))] = chance.choice(ODD_VALUES)
            else:
                row[key] = chance.choice(ODD_VALUES)
        try:
            run = import_download(adult, json.dumps(document, ensure_ascii=False).encode(), "odd.json")
        except ImportRefused as refused:
            assert refused.field and refused.reason
        else:
            assert run.imported + run.skipped > 0


def test_a_number_too_large_for_any_field_skips_its_row(adult):
    document = json.loads(for_person(REAL_JSON, adult).decode("utf-8-sig"), strict=False)
    document["myhealthbank"]["bdata"]["r1"][0]["r1.12"] = 1e308
    run = import_download(adult, json.dumps(document, ensure_ascii=False).encode(), "huge-number.json")
    assert run.report["r1"]["skipped"] == 1
    assert run.report["r1"]["skips"][0]["field"] == "r1.12"


def test_control_characters_inside_values_are_dropped_and_nul_never_reaches_the_database(adult):
    document = json.loads(for_person(REAL_JSON, adult).decode("utf-8-sig"), strict=False)
    row = document["myhealthbank"]["bdata"]["r1"][0]
    row["r1.4"] = "慈\x00惠\x07診所"
    run = import_download(adult, json.dumps(document, ensure_ascii=False).encode(), "control.json")
    assert run.report["r1"]["imported"] == 2  # PostgreSQL refuses NUL in text: the row would not be stored
    names = Institution.objects.filter(code=row["r1.3"]).values_list("name", flat=True)
    assert all("\x00" not in name and "\x07" not in name for name in names)
