"""The download page and the app's download endpoints as a person, a parent, a kiosk and a stranger use them."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import pyzipper
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from healthbank import policy
from healthbank.accounts.login import SESSION_METHOD, Method
from healthbank.exports.models import ExportJob, ImportRun
from healthbank.records.models import Visit
from tests.passbook.conftest import app_as, web_as


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _text(response) -> str:
    return response.content.decode()


def produce_on_page(client, person, django_capture_on_commit_callbacks, **fields):
    data = {"categories": ["outpatient", "labs"], "formats": ["html", "json"], "cut": "merged"} | fields
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/passbook/{person.pk}/download/", data)


def test_the_page_in_chinese_offers_every_category_format_and_cut(adult_with_visits, client):
    web_as(adult_with_visits, client)
    page = _text(client.get(f"/passbook/{adult_with_visits.pk}/download/"))
    assert "下載" in page
    ticks = re.findall(r'name="categories" value="([a-z_]+)"', page)
    assert {"outpatient", "dental", "labs", "vaccinations", "cancer_screening", "measurements", "calendar"} <= set(
        ticks
    )
    assert set(re.findall(r'name="formats" value="([a-z]+)"', page)) == {"html", "json", "xml", "fhir"}
    assert set(re.findall(r'name="cut" value="([a-z]+)"', page)) == {"merged", "months"}
    assert "Download my data" not in page  # no English on the Chinese page's title
    english = _text(client.get(f"/en/passbook/{adult_with_visits.pk}/download/"))
    assert "Download my data" in english and "Production list" in english


def test_produce_watch_and_download_on_the_page(adult_with_visits, client, django_capture_on_commit_callbacks):
    web_as(adult_with_visits, client)
    response = produce_on_page(client, adult_with_visits, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    job = ExportJob.objects.get(person=adult_with_visits)
    assert job.status == "ready"  # eager Celery: produced once the request committed
    page = _text(client.get(response["Location"]))
    assert job.file_name in page and f"/passbook/{adult_with_visits.pk}/download/{job.pk}/file" in page
    row = _text(client.get(f"/passbook/{adult_with_visits.pk}/download/{job.pk}/"))
    assert "hx-trigger" not in row  # a ready row stops polling
    download = client.get(f"/passbook/{adult_with_visits.pk}/download/{job.pk}/file")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert unquote(download["Content-Disposition"]).endswith(f"{job.file_name}")
    content = b"".join(download.streaming_content)
    with pyzipper.AESZipFile(io.BytesIO(content)) as archive:
        archive.setpassword(adult_with_visits.national_id.encode())
        assert "html/outpatient.html" in archive.namelist()
        assert archive.read("html/labs.html")


def test_a_running_package_polls_its_row_with_a_progress_bar(adult_with_visits, client):
    web_as(adult_with_visits, client)
    client.post(
        f"/passbook/{adult_with_visits.pk}/download/",
        {"categories": ["outpatient"], "formats": ["html"]},
    )  # no commit in the test: the job waits
    job = ExportJob.objects.get(person=adult_with_visits)
    ExportJob.objects.filter(pk=job.pk).update(status="running", progress=40)
    row = _text(client.get(f"/passbook/{adult_with_visits.pk}/download/{job.pk}/"))
    assert 'hx-trigger="every 1s"' in row and 'aria-valuenow="40"' in row and "40%" in row


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"categories": []}, "請至少勾選一項"),
        ({"formats": []}, "請至少選擇一種檔案格式"),
        ({"categories": ["outpatient", "tarot"]}, "tarot"),
        ({"password_choice": "own", "password": "Tea&Rice-2026", "password_again": "Tea&Rice-2027"}, "兩次"),
        ({"password_choice": "own", "password": "", "password_again": ""}, "密碼"),
    ],
)
def test_a_bad_request_on_the_page_says_why_in_chinese_and_stores_nothing(
    adult_with_visits, client, django_capture_on_commit_callbacks, fields, words
):
    web_as(adult_with_visits, client)
    response = produce_on_page(client, adult_with_visits, django_capture_on_commit_callbacks, **fields)
    assert response.status_code == 400
    assert words in _text(response)
    assert not ExportJob.objects.exists()


def test_the_third_package_at_once_is_refused_with_the_limit(adult_with_visits, client):
    web_as(adult_with_visits, client)
    for _n in range(policy.DOWNLOAD_RUNNING_MAX):
        client.post(f"/passbook/{adult_with_visits.pk}/download/", {"categories": ["labs"], "formats": ["html"]})
    response = client.post(f"/passbook/{adult_with_visits.pk}/download/", {"categories": ["labs"], "formats": ["html"]})
    assert response.status_code == 429
    assert str(policy.DOWNLOAD_RUNNING_MAX) in _text(response)


def test_another_persons_package_is_404_and_a_parent_and_child_see_only_their_own(
    adult_with_visits, family, client, django_capture_on_commit_callbacks
):
    web_as(adult_with_visits, client)
    produce_on_page(client, adult_with_visits, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get(person=adult_with_visits)
    parent, child = family
    stranger = web_as(parent, Client())
    for path in (f"/passbook/{adult_with_visits.pk}/download/", f"/passbook/{adult_with_visits.pk}/download/{job.pk}/"):
        assert stranger.get(path).status_code == 404
    assert stranger.get(f"/passbook/{parent.pk}/download/{job.pk}/file").status_code == 404
    # The parent produces the child's package; it is listed on the child's page for the parent only.
    produce_on_page(stranger, child, django_capture_on_commit_callbacks)
    childs = ExportJob.objects.get(person=child)
    assert childs.file_name in _text(stranger.get(f"/passbook/{child.pk}/download/"))
    assert childs.file_name not in _text(stranger.get(f"/passbook/{parent.pk}/download/"))


def test_a_kiosk_session_shows_the_list_but_produces_nothing(adult_with_visits, client):
    web_as(adult_with_visits, client)
    session = client.session
    session[SESSION_METHOD] = Method.KIOSK
    session.save()
    page = client.get(f"/passbook/{adult_with_visits.pk}/download/")
    assert page.status_code == 200 and 'class="download-form"' not in _text(page)
    refused = client.post(f"/passbook/{adult_with_visits.pk}/download/", {"categories": ["labs"], "formats": ["html"]})
    assert refused.status_code == 403
    assert not ExportJob.objects.exists()


# ---------------------------------------------------------------- the app


def test_the_app_produces_lists_and_downloads_a_package(adult_with_visits, django_capture_on_commit_callbacks):
    app = app_as(adult_with_visits)
    base = f"/api/app/v1/passbook/{adult_with_visits.pk}/downloads"
    with django_capture_on_commit_callbacks(execute=True):
        answer = app.post(base, {"categories": ["outpatient", "allergies"], "formats": ["fhir", "xml"]}, format="json")
    assert answer.status_code == 202, answer.content
    job_id = answer.json()["id"]
    listed = app.get(base).json()
    assert listed["packages"][0]["id"] == job_id and listed["packages"][0]["status"] == "ready"
    assert "outpatient" in listed["categories"] and listed["running_max"] == policy.DOWNLOAD_RUNNING_MAX
    one = app.get(f"{base}/{job_id}").json()
    assert one["progress"] == 100 and one["file_name"].startswith("健康存摺_") and not one["own_password"]
    file = app.get(f"{base}/{job_id}/file")
    assert file.status_code == 200 and file["Content-Type"] == "application/zip"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"categories": [], "formats": ["html"]}, 400, "categories"),
        ({"categories": ["labs"], "formats": ["docx"]}, 400, "formats"),
        ({"categories": "labs", "formats": ["html"]}, 400, "categories"),
        ({"categories": [{"deep": [1]}], "formats": ["html"]}, 400, "categories"),
        ({"categories": ["labs"], "formats": ["html"], "cut": 3}, 400, "cut"),
        ({"categories": ["labs"], "formats": ["html"], "password": "x"}, 400, "password"),
        ([1, 2, 3], 400, "body"),
    ],
)
def test_the_app_refuses_a_bad_request_naming_the_field(adult_with_visits, body, status, field):
    app = app_as(adult_with_visits)
    answer = app.post(f"/api/app/v1/passbook/{adult_with_visits.pk}/downloads", body, format="json")
    assert answer.status_code == status
    assert field in answer.json()["errors"]
    assert not ExportJob.objects.exists()


def test_the_app_answers_404_for_a_strangers_person_or_package(adult_with_visits, family):
    parent, _child = family
    mine = app_as(adult_with_visits)
    answer = mine.post(
        f"/api/app/v1/passbook/{adult_with_visits.pk}/downloads",
        {"categories": ["labs"], "formats": ["html"]},
        format="json",
    )
    job_id = answer.json()["id"]
    stranger = app_as(parent)
    assert stranger.get(f"/api/app/v1/passbook/{adult_with_visits.pk}/downloads").status_code == 404
    assert stranger.get(f"/api/app/v1/passbook/{parent.pk}/downloads/{job_id}").status_code == 404
    assert stranger.get(f"/api/app/v1/passbook/{parent.pk}/downloads/{job_id}/file").status_code == 404


# ---------------------------------------------------------------- importing a download


REAL_JSON = (Path(__file__).parent / "data" / "real_download.json").read_bytes()


def _upload(raw: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, raw, content_type="application/json")


def test_a_person_imports_a_download_on_the_page_and_sees_the_records_marked_imported(adult_with_visits, client):
    web_as(adult_with_visits, client)
    raw = REAL_JSON.replace(b"A12345****", adult_with_visits.national_id_masked.encode())
    response = client.post(
        f"/en/passbook/{adult_with_visits.pk}/download/import/", {"file": _upload(raw, "健康存摺醫療類_20250301.json")}
    )
    assert response.status_code == 200
    page = _text(response)
    assert "5 records imported, 0 skipped" in page and "imported 2, skipped 0" in page
    visit = Visit.objects.filter(person=adult_with_visits, source="MHB", kind="western").get()
    outpatient = _text(
        client.get(f"/en/passbook/{adult_with_visits.pk}/outpatient/?institution={visit.institution.code}")
    )
    assert "imported-badge" in outpatient and "Imported" in outpatient
    again = _text(
        client.post(f"/en/passbook/{adult_with_visits.pk}/download/import/", {"file": _upload(raw, "again.json")})
    )
    assert "0 records imported" in again
    assert ImportRun.objects.filter(person=adult_with_visits).count() == 2


def test_an_import_for_another_person_or_not_a_download_is_refused_on_the_page(adult_with_visits, client):
    web_as(adult_with_visits, client)
    before = Visit.objects.count()
    other = client.post(
        f"/en/passbook/{adult_with_visits.pk}/download/import/", {"file": _upload(REAL_JSON, "someone.json")}
    )
    assert other.status_code == 400 and 'id="import-error"' in _text(other)
    picture = client.post(
        f"/en/passbook/{adult_with_visits.pk}/download/import/",
        {"file": SimpleUploadedFile("cat.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")},
    )
    assert picture.status_code == 400 and 'data-field="file"' in _text(picture)
    assert Visit.objects.count() == before and not ImportRun.objects.exists()


def test_an_oversized_upload_is_refused_before_it_is_read(adult_with_visits, client, settings):
    web_as(adult_with_visits, client)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    huge = policy.IMPORT_MAX_UPLOAD_BYTES + 1024 * 1024
    response = client.post(
        f"/en/passbook/{adult_with_visits.pk}/download/import/",
        {"file": SimpleUploadedFile("big.json", b" " * huge, content_type="application/json")},
    )
    assert response.status_code == 413
    assert f"larger than {policy.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)} MB" in _text(response)


def test_the_app_imports_a_download_and_a_kiosk_or_stranger_cannot(adult_with_visits, family):
    raw = REAL_JSON.replace(b"A12345****", adult_with_visits.national_id_masked.encode())
    app = app_as(adult_with_visits)
    path = f"/api/app/v1/passbook/{adult_with_visits.pk}/imports"
    answer = app.post(path, {"file": _upload(raw, "download.json")}, format="multipart")
    assert answer.status_code == 201, answer.content
    assert answer.json()["imported"] == 5 and answer.json()["report"]["r1"]["imported"] == 2
    missing = app.post(path, {"password": "x"}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()["errors"]
    parent, _child = family
    assert app_as(parent).post(path, {"file": _upload(raw, "d.json")}, format="multipart").status_code == 404


def test_the_list_names_a_packages_data_briefly_enough_for_a_phone():
    from django.utils import translation

    from healthbank.exports.choices import ExportCategory
    from healthbank.exports.selectors import _categories_text

    with translation.override("en"):
        assert _categories_text(ExportCategory.values) == "Every kind of data"
        five = ["outpatient", "labs", "dental", "allergies", "vaccinations"]
        assert _categories_text(five).endswith("and 2 more") and "Lab test results" in _categories_text(five)
    with translation.override("zh-hant"):
        assert _categories_text(["outpatient", "labs"]) == "西醫門診就醫紀錄、檢驗(查)結果"
