"""The insurance unit portal: log in, upload, history, result file; other units' uploads stay theirs."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from healthbank.accounts.models import BatchUpload
from healthbank.core.rocdate import format_roc_compact
from healthbank.identity.models import Enrolment, InsuranceUnit

PASSWORD = "unit-pass-2026"


@pytest.fixture
def unit(world):
    enrolment = Enrolment.objects.filter(ended_on__isnull=True).select_related("unit", "person").first()
    unit = enrolment.unit
    unit.portal_password = make_password(PASSWORD)
    unit.contact_email = "hr@unit.example.tw"
    unit.save()
    unit.member = enrolment.person
    return unit


def upload(client, unit, content: bytes, name: str | None = None):
    name = name or f"{unit.code}{format_roc_compact(timezone.localdate())}.csv"
    return client.post("/en/unit/", {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def test_a_unit_logs_in_uploads_and_downloads_the_result(client, unit):
    assert client.post("/en/unit/login/", {"code": unit.code, "password": "wrong"}).status_code == 200
    assert client.get("/en/unit/").status_code == 302
    assert client.post("/en/unit/login/", {"code": unit.code, "password": PASSWORD}).status_code == 302
    today = f"{unit.code}{format_roc_compact(timezone.localdate())}.csv"
    assert f"(e.g. {today})" in client.get("/en/unit/").content.decode()  # the example is today's name
    page = upload(client, unit, f"{unit.member.national_id},a@example.tw\r\n".encode("cp950")).content.decode()
    assert "1 accepted, 0 rejected" in page
    record = BatchUpload.objects.get()
    assert record.file_name in client.get("/en/unit/").content.decode()
    result = client.get(f"/en/unit/uploads/{record.pk}/result.csv")
    assert result["Content-Disposition"].endswith('_result.csv"')
    assert "accepted" in result.content.decode("utf-8-sig")


def test_a_fifty_megabyte_file_is_refused_and_nothing_is_stored(client, unit):
    client.post("/en/unit/login/", {"code": unit.code, "password": PASSWORD})
    page = upload(client, unit, b"A" * (50 * 1024 * 1024)).content.decode()
    assert "larger than" in page
    assert not BatchUpload.objects.exists()


def test_another_units_result_is_not_found(client, unit, world):
    client.post("/en/unit/login/", {"code": unit.code, "password": PASSWORD})
    upload(client, unit, f"{unit.member.national_id},a@example.tw\n".encode())
    record = BatchUpload.objects.get()
    other = InsuranceUnit.objects.exclude(pk=unit.pk).first()
    other.portal_password = make_password(PASSWORD)
    other.save()
    client.post("/en/unit/logout/")
    client.post("/en/unit/login/", {"code": other.code, "password": PASSWORD})
    assert client.get(f"/en/unit/uploads/{record.pk}/result.csv").status_code == 404


def test_a_file_with_one_huge_quoted_cell_is_a_clear_400_and_nothing_is_stored(client, unit):
    client.post("/en/unit/login/", {"code": unit.code, "password": PASSWORD})
    content = f'{unit.member.national_id},"'.encode() + b"x" * 200_000 + b'"\r\n'
    response = upload(client, unit, content)
    assert response.status_code == 400
    assert "has a cell longer than" in response.content.decode()
    assert not BatchUpload.objects.exists()


def test_the_result_file_is_never_stored_by_a_browser(client, unit):
    client.post("/en/unit/login/", {"code": unit.code, "password": PASSWORD})
    upload(client, unit, f"{unit.member.national_id},a@example.tw\n".encode())
    response = client.get(f"/en/unit/uploads/{BatchUpload.objects.get().pk}/result.csv")
    assert "no-store" in response["Cache-Control"]
