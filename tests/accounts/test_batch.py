"""Batch registration by an insurance unit (SPEC §3.3), as Excel on Traditional-Chinese Windows saves the file."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone, translation

from healthbank import policy
from healthbank.accounts.batch import BatchFileError, process_upload, result_file
from healthbank.accounts.models import BatchUpload, OnlineAccount, RegistrationApplication
from healthbank.core.rocdate import format_roc_compact
from healthbank.identity.models import Enrolment, InsuranceUnit, NhiCard


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def unit(world):
    """The unit with the most current enrollees, with a contact e-mail."""
    counts = {}
    for e in Enrolment.objects.filter(ended_on__isnull=True):
        counts[e.unit_id] = counts.get(e.unit_id, 0) + 1
    unit = InsuranceUnit.objects.get(pk=max(counts, key=counts.get))
    unit.contact_email = "hr@unit.example.tw"
    unit.save()
    return unit


def enrollees(unit):
    return [e.person for e in Enrolment.objects.filter(unit=unit, ended_on__isnull=True).select_related("person")]


def file_name(unit):
    return f"{unit.code}{format_roc_compact(timezone.localdate())}.csv"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_mixed_file_registers_the_good_rows_and_explains_the_rest(unit, world, on_commit):
    people = enrollees(unit)
    assert len(people) >= 2
    first, second = people[0], people[1]
    outsider = next(p for p in world.people if p.national_id not in {x.national_id for x in people})
    lines = [
        f"{first.national_id},first@example.tw,0912345678,02-27065866#123",
        f"{second.national_id},second@example.tw",
        "A123456788,bad@example.tw",  # checksum
        f"{outsider.national_id},out@example.tw",  # not this unit's
        f"{first.national_id},again@example.tw",  # duplicate
        f"{second.national_id},not-an-email",
        '=HYPERLINK("http://evil.example/","click"),x@example.tw',
        "only-one-column",
        "",
    ]
    data = "\r\n".join(lines).encode("cp950")
    with on_commit():
        upload = process_upload(unit, file_name(unit), data)
    assert (upload.rows, upload.accepted, upload.rejected) == (8, 2, 6)
    result = result_file(upload)
    assert first.national_id not in result and second.national_id not in result
    assert "'=HYPER" in result  # a formula comes back as text
    assert "check digit" in result and "not enrolled with your unit" in result and "Duplicate of row 1" in result
    assert OnlineAccount.objects.filter(status="pending", channel="batch").count() == 2
    assert RegistrationApplication.objects.count() == 2
    person_mails = [m for m in mail.outbox if m.to[0] in ("first@example.tw", "second@example.tw")]
    assert len(person_mails) == 2 and "5 日內" in person_mails[0].body
    unit_mail = next(m for m in mail.outbox if m.to == ["hr@unit.example.tw"])
    assert unit_mail.attachments[0][0].endswith("_result.csv")


def test_each_row_is_reported_by_its_line_in_the_file_blank_lines_included(unit, on_commit):
    first, second = enrollees(unit)[:2]
    data = f"{first.national_id},first@example.tw\r\n\r\n,\r\n{second.national_id},not-an-email\r\n".encode()
    with on_commit():
        upload = process_upload(unit, file_name(unit), data)
    assert (upload.rows, upload.accepted, upload.rejected) == (2, 1, 1)
    lines = result_file(upload).splitlines()
    assert lines[1].startswith("1,") and lines[2].startswith("4,")  # the rejected row is line 4 in Excel too


def test_a_wrong_file_name_is_told_todays_name(unit):
    with pytest.raises(BatchFileError) as refused:
        process_upload(unit, "staff.csv", b"x")
    assert file_name(unit) in refused.value.message


def test_the_same_file_twice_registers_nobody_twice(unit, on_commit):
    person = enrollees(unit)[0]
    data = f"{person.national_id},me@example.tw\n".encode()
    with on_commit():
        first = process_upload(unit, file_name(unit), data)
        again = process_upload(unit, file_name(unit), data)
    assert first.pk == again.pk and BatchUpload.objects.count() == 1
    assert RegistrationApplication.objects.count() == 1


def test_utf8_with_bom_and_already_registered_people(unit, on_commit):
    first, second = enrollees(unit)[:2]
    OnlineAccount.objects.create(
        person=second, status="active", channel="online", email="x@example.tw", created_at=timezone.now()
    )
    data = ("\ufeff" + f"{first.national_id},first@example.tw\n{second.national_id},second@example.tw\n").encode()
    with on_commit():
        upload = process_upload(unit, file_name(unit), data)
    assert (upload.accepted, upload.rejected) == (1, 1)
    assert "Already registered." in result_file(upload)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("upload.csv", b"x", "Name the file"),
        ("9999999991150101.csv", b"x", "not your unit"),
        ("{code}1991301.csv", b"x", "not a real ROC date"),
        ("{code}1991231.csv", b"x", "in the future"),
        ("{code}{today}.csv", b"A123456789,\xff\x80\xff\r\n", "neither UTF-8 nor Big5"),
        ("{code}{today}.csv", b"A123456789,a@example.tw\x00\r\n", "control character"),
        ("{code}{today}.csv", b'A123456789,"' + b"x" * 200_000 + b'"\r\n', "longer than"),
        ("{code}{today}.csv", b'A123456789,"unclosed\r\n' + b"y" * 200_000, "longer than"),
        ("{code}{today}.csv", b"a" * (policy.BATCH_REGISTRATION_MAX_BYTES + 1), "larger than"),
    ],
)
def test_bad_files_are_refused_whole_and_nothing_is_stored(unit, name, data, message):
    name = name.format(code=unit.code, today=format_roc_compact(timezone.localdate()))
    with pytest.raises(BatchFileError) as info:
        process_upload(unit, name, data)
    assert message in info.value.message and info.value.field == "file"
    assert not BatchUpload.objects.exists() and not OnlineAccount.objects.exists()


def test_a_batch_registered_person_confirms_with_the_card_and_chooses_a_password(client, unit, on_commit):
    import re

    from tests.accounts.conftest import PASSWORD, read_card
    from tests.accounts.test_login import log_in

    person = enrollees(unit)[0]
    with on_commit():
        process_upload(unit, file_name(unit), f"{person.national_id},me@example.tw\n".encode())
    body = next(m for m in mail.outbox if m.to == ["me@example.tw"]).body
    path = re.search(r"http://[^\s/]+(/\S*register/confirm/[\w-]+/)", body).group(1)
    assert not path.startswith("/en/")  # a unit registers in the default language
    assert "New registration password" in client.get("/en" + path).content.decode()
    card = read_card(NhiCard.objects.filter(person=person).order_by("-issued_on").first().card_number, "confirm")
    fields = {"challenge": card.challenge, "card_number": card.card_number, "national_id": card.national_id,
              "signature": card.signature, "password": PASSWORD, "password_confirm": PASSWORD}  # fmt: skip
    assert "Registration complete" in client.post("/en" + path, fields).content.decode()
    plan_person = type(
        "P", (), {"national_id": person.national_id, "cards": [type("C", (), {"card_number": card.card_number})]}
    )
    assert log_in(client, plan_person).status_code == 302


def test_bad_contacts_and_a_persons_own_pending_application_are_rejected(unit, on_commit):
    first, second, third = enrollees(unit)[:3]
    OnlineAccount.objects.create(
        person=third, status="pending", channel="online", email="mine@example.tw", created_at=timezone.now()
    )
    data = (
        f"{first.national_id},no-at-sign\r\n{second.national_id},ok@example.tw,12345\r\n"
        f"{third.national_id},unit@example.tw\r\n"
    ).encode("cp950")
    with on_commit():
        upload = process_upload(unit, file_name(unit), data)
    assert (upload.accepted, upload.rejected) == (0, 3)
    rows = result_file(upload).splitlines()
    assert "e-mail" in rows[1].lower() and "mobile" in rows[2].lower() and "own application" in rows[3]
    assert OnlineAccount.objects.get(person=third).email == "mine@example.tw"  # the unit did not overwrite it
    assert not OnlineAccount.objects.filter(person__in=[first, second]).exists()


def test_a_later_file_with_a_pending_person_sends_a_new_link_and_keeps_one_account(unit, on_commit):
    person = enrollees(unit)[0]
    with on_commit():
        process_upload(unit, file_name(unit), f"{person.national_id},old@example.tw\n".encode())
        process_upload(unit, file_name(unit), f"{person.national_id},new@example.tw\r\n".encode())
    assert OnlineAccount.objects.get(person=person).email == "new@example.tw"
    statuses = sorted(RegistrationApplication.objects.values_list("status", flat=True))
    assert statuses == ["pending", "superseded"]


def _lines_for(unit, world):
    people = enrollees(unit)
    outsider = next(p for p in world.people if p.national_id not in {x.national_id for x in people})
    return people, [
        f"{people[0].national_id},first@example.tw",
        "A123456788,bad@example.tw",  # check digit
        "A12345678,short@example.tw",  # length
        f"{outsider.national_id},out@example.tw",  # not this unit's
        f"{people[0].national_id},again@example.tw",  # duplicate
        f"{people[1].national_id},not-an-email,123,99",  # e-mail, mobile and landline
        "only-one-column",
    ]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16"])
def test_a_utf16_file_with_or_without_bom_is_read_as_utf16(unit, world, on_commit, encoding):
    _people, lines = _lines_for(unit, world)
    with on_commit():
        upload = process_upload(unit, file_name(unit), "\r\n".join(lines).encode(encoding))
    assert (upload.rows, upload.accepted) == (7, 1)
    result = result_file(upload)
    assert "\x00" not in result and "Duplicate of row 1" in result
    unit_mail = next(m for m in mail.outbox if m.to == ["hr@unit.example.tw"])
    assert "\x00" not in unit_mail.body and "\x00" not in unit_mail.attachments[0][1]


def test_excels_unicode_text_is_tab_separated_utf16(unit, world, on_commit):
    people, _ = _lines_for(unit, world)
    data = f"{people[0].national_id}\tfirst@example.tw\r\n".encode("utf-16")
    with on_commit():
        assert process_upload(unit, file_name(unit), data).accepted == 1


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_the_result_file_is_wholly_in_the_language_of_the_upload(unit, world, on_commit, language):
    import csv
    import io
    import re

    _people, lines = _lines_for(unit, world)
    with on_commit():
        upload = process_upload(unit, file_name(unit), "\r\n".join(lines).encode(), language=language)
    with translation.override("en" if language == "zh-hant" else "zh-hant"):  # whoever reads it later
        result = result_file(upload)
    header, *rows = list(csv.reader(io.StringIO(result)))
    reasons = [row[3] for row in rows]
    assert len(reasons) == 7 and all(reasons[1:])
    for text in [*reasons, *header]:
        if language == "zh-hant":
            assert not re.search(r"[A-Za-z]{3,}", text.replace("09", "")), text  # no English words
        else:
            assert not re.search(r"[\u4e00-\u9fff]", text), text
    attached = next(m for m in mail.outbox if m.to == ["hr@unit.example.tw"]).attachments[0][1]
    assert attached.lstrip("\ufeff") == result


def test_the_invitation_names_the_unit_and_dates_are_roc_in_chinese(unit, on_commit):
    person = enrollees(unit)[0]
    with on_commit():
        process_upload(unit, file_name(unit), f"{person.national_id},me@example.tw\n".encode())
    body = next(m for m in mail.outbox if m.to == ["me@example.tw"]).body
    chinese, english = body.split("—", 1)
    assert f"投保單位「{unit.name}」" in chinese and unit.code in chinese
    assert f"Your insurance unit {unit.name} (unit code {unit.code}) applied on your behalf" in english
    assert "115/11/25 12:00" in chinese and "2026-11-25 12:00" in english  # five days after noon, 2026-11-20
    assert "2026-11-25" not in chinese and "115/11/25" not in english
    result = next(m for m in mail.outbox if m.to == ["hr@unit.example.tw"]).body
    assert "115/11/20 12:00" in result.split("—")[0] and "2026-11-20 12:00" in result.split("—")[1]
