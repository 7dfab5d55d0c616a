"""Download packages end to end (SPEC §8): ask, produce, open with 7-Zip and pyzipper, download, expire.

The tests read what a person would notice: the file name, the files inside, the password that opens it, the
refusals and their reasons, the production list, the access log.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import zipfile

import pytest
import pyzipper
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from healthbank import policy
from healthbank.access.rules import Reader
from healthbank.access.services import NotReadable
from healthbank.audit.models import AccessLog
from healthbank.exports import services
from healthbank.exports.choices import ExportCategory
from healthbank.exports.models import ExportJob
from healthbank.passbook.viewing import open_viewing
from tests.accounts.conftest import NOON

ALL_FORMATS = ["html", "json", "xml", "fhir"]
SEVEN_ZIP = shutil.which("7z")


def seven_zip(*arguments: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([SEVEN_ZIP, *arguments], capture_output=True, text=True, check=check)  # noqa: S603


def viewing_of(person, reader_person=None):
    reader = Reader.person(reader_person or person, address="10.1.2.3")
    return open_viewing(reader, person.pk, "zh-hant")


def ask(person, reader_person=None, **asked):
    viewing = viewing_of(person, reader_person)
    asked.setdefault("categories", ["outpatient", "labs"])
    asked.setdefault("formats", ["html", "json"])
    return services.request_export(viewing, services.clean_selection(viewing, **asked))


def produced(person, reader_person=None, **asked) -> ExportJob:
    job = ask(person, reader_person, **asked)
    return services.produce_export(job.pk)


def read_package(job: ExportJob, password: str) -> dict[str, bytes]:
    with pyzipper.AESZipFile(services.storage_dir() / job.stored_as) as archive:
        archive.setpassword(password.encode())
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english():
    """The refusals are read in English here (the pages' Chinese is tested in test_download_pages)."""
    with translation.override("en"):
        yield


# ---------------------------------------------------------------- asking


@pytest.mark.parametrize(
    ("asked", "field", "words"),
    [
        ({"categories": []}, "categories", "Tick at least one"),
        ({"categories": ["outpatient", "horoscope"]}, "categories", "horoscope"),
        ({"formats": []}, "formats", "at least one file format"),
        ({"formats": ["pdf"]}, "formats", "pdf"),
        ({"cut": "weekly"}, "cut", "merged"),
        ({"cut": "months", "months": ["2026-13"]}, "months", "2026-13"),
        ({"cut": "months", "months": ["2019-01"]}, "months", "outside"),
        ({"cut": "months", "months": ["2027-01"]}, "months", "outside"),
        ({"cut": "merged", "months": ["2026-01"]}, "months", "cut by months"),
        ({"password": "short"}, "password", "8 to 64"),
        ({"password": "健康存摺密碼很長很長"}, "password", "no Chinese"),
        ({"password": "has a space in it"}, "password", "no spaces"),
    ],
)
def test_a_bad_selection_is_refused_naming_the_field_and_nothing_is_stored(adult_with_visits, asked, field, words):
    with pytest.raises(services.ExportRefused) as refused:
        ask(adult_with_visits, **asked)
    assert refused.value.field == field
    assert words in refused.value.message
    assert not ExportJob.objects.exists()


def test_at_most_the_policy_number_of_packages_are_in_production_at_once(adult_with_visits):
    for _n in range(policy.DOWNLOAD_RUNNING_MAX):
        ask(adult_with_visits)  # the test's transaction never commits: the jobs stay waiting
    with pytest.raises(services.ExportRefused) as refused:
        ask(adult_with_visits)
    assert refused.value.status == 429
    assert f"{policy.DOWNLOAD_RUNNING_MAX} packages are already in production" in refused.value.message
    assert ExportJob.objects.filter(person=adult_with_visits).count() == policy.DOWNLOAD_RUNNING_MAX


def test_the_file_is_named_by_the_roc_date_and_the_days_sequence(adult_with_visits, time_machine):
    first = produced(adult_with_visits)
    second = produced(adult_with_visits)
    assert (first.file_name, second.file_name) == ("健康存摺_1151120_1.zip", "健康存摺_1151120_2.zip")
    time_machine.move_to(NOON + dt.timedelta(days=1), tick=False)
    assert produced(adult_with_visits).file_name == "健康存摺_1151121_1.zip"


# ---------------------------------------------------------------- the package


def test_a_full_package_opens_with_the_national_id_and_holds_every_format(adult_with_visits):
    job = produced(adult_with_visits, categories=ExportCategory.values, formats=ALL_FORMATS)
    assert job.status == "ready" and job.progress == 100 and job.size > 0
    assert job.record_count > 100
    password = adult_with_visits.national_id  # already upper-case first letter
    files = read_package(job, password)
    names = set(files)
    assert {"README.txt", "index.html", "html/outpatient.html", "html/labs.html", "fhir/outpatient.json"} <= names
    assert "myhealthbank/健康存摺醫療類_20261120.json" in names
    assert "myhealthbank/健康存摺醫療類_20261120.xml" in names
    assert "calendar/calendar.ics" in names
    assert adult_with_visits.national_id not in files["README.txt"].decode()
    assert adult_with_visits.national_id_masked in files["README.txt"].decode()
    # Every member is AES-encrypted: without the password nothing reads.
    with zipfile.ZipFile(services.storage_dir() / job.stored_as) as plain:
        assert all(info.flag_bits & 0x1 for info in plain.infolist())
    with pyzipper.AESZipFile(services.storage_dir() / job.stored_as) as archive:
        archive.setpassword(b"A000000000")
        with pytest.raises(RuntimeError):
            archive.read("README.txt")


def test_a_chosen_password_opens_it_and_the_national_id_does_not(adult_with_visits):
    job = produced(adult_with_visits, password="Tea&Rice-2026")
    assert job.own_password and job.sealed_password == ""  # the chosen password is not kept once produced
    assert "html/outpatient.html" in read_package(job, "Tea&Rice-2026")
    with pytest.raises(RuntimeError):
        read_package(job, adult_with_visits.national_id)


@pytest.mark.skipif(SEVEN_ZIP is None, reason="7-Zip (Debian's p7zip-full) is not installed")
def test_seven_zip_opens_the_package_with_the_national_id(adult_with_visits, tmp_path):
    job = produced(adult_with_visits, categories=["outpatient", "labs", "allergies"], formats=ALL_FORMATS)
    package = services.storage_dir() / job.stored_as
    tested = seven_zip("t", f"-p{adult_with_visits.national_id}", str(package))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "Everything is Ok" in tested.stdout
    listed = seven_zip("l", "-slt", str(package), check=True).stdout
    assert "Method = AES-256 Deflate" in listed
    out = tmp_path / "out"
    seven_zip("x", f"-p{adult_with_visits.national_id}", f"-o{out}", str(package), check=True)
    assert (out / "html" / "outpatient.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype")
    wrong = seven_zip("t", "-pA000000000", str(package))
    assert wrong.returncode != 0


def test_single_months_cut_outpatient_into_one_file_a_month_and_only_the_months_asked(adult_with_visits):
    job = produced(adult_with_visits, categories=["outpatient", "labs"], formats=["html", "fhir"], cut="months")
    names = set(read_package(job, adult_with_visits.national_id))
    monthly = sorted(n for n in names if n.startswith("html/outpatient_"))
    assert len(monthly) > 3 and "html/outpatient.html" not in names
    assert "html/labs.html" in names  # labs are never cut
    month = monthly[0].removeprefix("html/outpatient_").removesuffix(".html")
    only = produced(adult_with_visits, categories=["outpatient"], formats=["html"], cut="months", months=[month])
    assert {n for n in read_package(only, adult_with_visits.national_id) if n.startswith("html/outpatient")} == {
        f"html/outpatient_{month}.html"
    }


# ---------------------------------------------------------------- downloading and expiry


def test_only_who_asked_downloads_it_and_only_for_seven_days(adult_with_visits, family, time_machine):
    job = produced(adult_with_visits)
    me = Reader.person(adult_with_visits)
    found, path = services.open_download(me, adult_with_visits, job.pk)
    assert path.exists() and found.pk == job.pk
    parent, _child = family
    for stranger, whose in ((Reader.person(parent), adult_with_visits), (me, parent)):
        with pytest.raises(NotReadable):
            services.open_download(stranger, whose, job.pk)
    with pytest.raises(NotReadable):
        services.open_download(me, adult_with_visits, "not-a-uuid")

    time_machine.move_to(job.available_until - dt.timedelta(seconds=1), tick=False)
    services.sweep_exports()
    services.open_download(me, adult_with_visits, job.pk)  # still there one second before

    time_machine.move_to(job.available_until, tick=False)
    with pytest.raises(services.ExportRefused) as refused:
        services.open_download(me, adult_with_visits, job.pk)
    assert refused.value.status == 410 and "expired" in refused.value.message
    assert services.sweep_exports()["deleted"] == 1
    assert not path.exists() and not ExportJob.objects.filter(pk=job.pk).exists()


def test_production_and_download_are_in_the_access_log(adult_with_visits):
    job = produced(adult_with_visits)
    services.open_download(Reader.person(adult_with_visits), adult_with_visits, job.pk)
    logged = list(AccessLog.objects.filter(person_id=adult_with_visits.pk).values_list("what", "actor_kind"))
    assert ("download_produced", "person") in logged and ("download_taken", "person") in logged
    assert ExportJob.objects.get(pk=job.pk).downloads == 1


def test_a_parent_produces_the_childs_package_and_every_category_read_is_logged(family):
    parent, child = family
    job = produced(child, reader_person=parent, categories=["outpatient", "vaccinations"])
    assert job.status == "ready"
    assert job.requested_by_id == parent.pk
    assert read_package(job, child.national_id)  # the child's ID opens the child's package
    entries = AccessLog.objects.filter(person_id=child.pk)
    assert set(entries.filter(what="passbook").values_list("category", flat=True)) >= {"outpatient", "vaccinations"}
    assert entries.filter(what="download_produced", actor_kind="parent").exists()


def test_a_parent_whose_child_turned_15_before_production_gets_a_failed_job_not_the_data(family, time_machine):
    parent, child = family
    job = ask(child, reader_person=parent)
    fifteenth = child.birth_date.replace(year=child.birth_date.year + 15)
    time_machine.move_to(dt.datetime.combine(fifteenth, dt.time(9), tzinfo=NOON.tzinfo), tick=False)
    done = services.produce_export(job.pk)
    assert done.status == "failed" and "no longer" in done.failure
    assert done.running_slot is None and not done.stored_as


def test_a_job_is_produced_once_even_if_the_task_arrives_twice(adult_with_visits):
    job = ask(adult_with_visits)
    assert services.produce_export(job.pk).status == "ready"
    assert services.produce_export(job.pk) is None  # the second delivery finds nothing waiting
    assert len(list(services.storage_dir().iterdir())) == 1


def test_the_sweep_frees_the_slot_of_a_job_whose_worker_died(adult_with_visits, time_machine):
    job = ask(adult_with_visits)
    ExportJob.objects.filter(pk=job.pk).update(status="running", produced_at=timezone.now())
    time_machine.move_to(NOON + policy.DOWNLOAD_PRODUCTION_TIMEOUT + dt.timedelta(minutes=1), tick=False)
    assert services.sweep_exports()["stuck"] == 1
    assert ExportJob.objects.get(pk=job.pk).running_slot is None


# ---------------------------------------------------------------- the counter


@pytest.fixture
def clerk(django_user_model):
    from django.contrib.auth.models import Group

    from healthbank.staff import roles

    user = django_user_model.objects.create_user("counter7", password="x-long-staff-pass", is_staff=True)
    user.groups.set([Group.objects.get(name=roles.COUNTER_STAFF)])
    return user


def test_the_counter_command_writes_the_package_and_logs_the_operator(adult_with_visits, tmp_path, clerk):
    out = tmp_path / "package.zip"
    stdout = io.StringIO()
    call_command(
        "export_myhealthbank",
        "--national-id", adult_with_visits.national_id.lower(),
        "--out", str(out),
        "--operator", "counter7",
        "--document", "national_id_card",
        "--formats", "json,xml",
        stdout=stdout,
    )  # fmt: skip
    with pyzipper.AESZipFile(out) as archive:
        archive.setpassword(adult_with_visits.national_id.encode())
        assert "myhealthbank/健康存摺醫療類_20261120.json" in archive.namelist()
    logged = AccessLog.objects.filter(person_id=adult_with_visits.pk, operator=clerk)
    assert set(logged.values_list("what", flat=True)) >= {"counter_view", "passbook", "download_produced"}
    with pytest.raises(CommandError, match="exists already"):
        call_command(
            "export_myhealthbank", "--national-id", adult_with_visits.national_id, "--out", str(out),
            "--operator", "counter7", "--document", "passport",
        )  # fmt: skip


def test_the_counter_command_refuses_staff_without_the_counter_permission(
    adult_with_visits, tmp_path, django_user_model, clerk
):
    django_user_model.objects.create_user("plainstaff", password="x-long-staff-pass", is_staff=True)
    with pytest.raises(CommandError, match="--operator"):
        call_command(
            "export_myhealthbank", "--national-id", adult_with_visits.national_id, "--out", str(tmp_path / "p.zip"),
            "--operator", "plainstaff", "--document", "passport",
        )  # fmt: skip
    with pytest.raises(CommandError, match="--national-id"):
        call_command(
            "export_myhealthbank", "--national-id", "A12345678", "--out", str(tmp_path / "p.zip"),
            "--operator", "counter7", "--document", "passport",
        )  # fmt: skip
    assert not (tmp_path / "p.zip").exists()
    assert not AccessLog.objects.filter(person_id=adult_with_visits.pk, what="download_produced").exists()
