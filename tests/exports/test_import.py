"""Importing My Health Bank downloads: what real downloads do is read, what is not a download is refused."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest
import pyzipper

from healthbank import policy
from healthbank.exports.mhb_reading import ImportRefused, read_download

DATA = Path(__file__).parent / "data"
REAL_JSON = (DATA / "real_download.json").read_bytes()
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
