"""Township-office enrolment (公所加保、轉出、停保、復保; issue 11 service 4): asking on the web and in the app, the
refusals, and the office's decision in the admin changing the enrolment records and telling the person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client

from healthbank.accounts.models import OutboxEmail
from healthbank.audit.models import AccessLog
from healthbank.core.national_id import with_check_digit
from healthbank.external import registry, reset_adapters
from healthbank.identity.models import Enrolment, InsuranceUnit
from healthbank.identity.services import create_person, enrol_dependent, start_household
from healthbank.insurance import township
from healthbank.insurance.models import TownshipRequest
from healthbank.staff import roles
from tests.insurance.conftest import app_client_for, household, web_client_for
from tests.vcard.conftest import jpeg

__all__ = ["household"]

TAIPEI = dt.timezone(dt.timedelta(hours=8))
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
QUEUE = "/en/admin/insurance/townshiprequest/"


def pdf(data: bytes = PDF, name: str = "paper.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def at(time_machine, day: dt.date) -> None:
    time_machine.move_to(dt.datetime.combine(day, dt.time(10, 0), tzinfo=TAIPEI), tick=False)


def office() -> InsuranceUnit:
    return township.township_office("臺北市", "中正區")


@pytest.fixture(autouse=True)
def _document_dirs(settings, tmp_path):
    settings.TOWNSHIP_DOCUMENT_DIR = tmp_path / "township-documents"
    settings.VCARD_PHOTO_DIR = tmp_path / "vcard-photos"


@pytest.fixture
def villager(db):
    """林阿土, insured at the 中正區 office since 2015, with his wife as a dependent."""
    head = create_person(
        national_id=with_check_digit("E10000001"), name="林阿土", sex="M", birth_date=dt.date(1960, 1, 2)
    )
    wife = create_person(
        national_id=with_check_digit("E20000002"), name="林美華", sex="F", birth_date=dt.date(1962, 3, 4)
    )
    family = start_household(head, office(), category=6, salary=27470, since=dt.date(2015, 1, 1))
    enrol_dependent(family, wife, relationship=Enrolment.Relationship.SPOUSE, since=dt.date(2015, 1, 1))
    head.wife = wife
    return head


def ask(person, kind, *, by=None, document=None, **fields) -> TownshipRequest:
    return township.submit_request(
        by or person, person, kind=kind, document=document or pdf(), email="lin@example.tw", **fields
    )


def staff_client(django_user_model, *groups) -> tuple[Client, object]:
    user = django_user_model.objects.create_user(
        f"op{django_user_model.objects.count()}", password="x-long-pass-1", is_staff=True
    )
    user.groups.set([Group.objects.get(name=name) for name in groups])
    client = Client()
    client.force_login(user)
    return client, user


# ---------------------------------------------------------------- suspension and resumption (the 2024 rules)


def test_abroad_suspension_before_2024_12_23_needs_six_months_and_is_resumed_on_the_day_of_return(
    villager, time_machine
):
    at(time_machine, dt.date(2024, 6, 3))
    with pytest.raises(township.TownshipRefused) as short:
        ask(villager, "suspend", reason="abroad", event_on="2024-06-10", planned_return_on="2024-12-09")
    assert short.value.field == "planned_return_on" and "113/12/10" in short.value.message
    assert not TownshipRequest.objects.exists()
    made = ask(villager, "suspend", reason="abroad", event_on="2024-06-10", planned_return_on="2024-12-10")
    assert made.effective_on == dt.date(2024, 6, 10) and made.unit == office()
    township.approve_request(None, made)
    enrolment = Enrolment.objects.get(person=villager, role="insured")
    assert enrolment.ended_on == dt.date(2024, 6, 9)  # not insured from the day of leaving
    with pytest.raises(township.TownshipRefused) as ending:  # approved, not yet left: nothing more to change
        ask(villager, "transfer_out", reason="employed", event_on="2024-06-08")
    assert ending.value.field == "kind" and "113/06/09" in ending.value.message
    assert Enrolment.objects.get(person=villager.wife).ended_on is None  # the wife's cover is her own

    at(time_machine, dt.date(2025, 2, 1))  # back after more than six months: insured again from the day of return
    back = ask(villager, "resume", event_on="2025-01-20")
    assert back.effective_on == dt.date(2025, 1, 20) and back.reason == "abroad"
    township.approve_request(None, back)
    rows = list(Enrolment.objects.filter(person=villager).order_by("started_on"))
    assert [(r.started_on, r.ended_on) for r in rows] == [
        (dt.date(2015, 1, 1), dt.date(2024, 6, 9)),
        (dt.date(2025, 1, 20), None),
    ]
    assert rows[1].category == 6 and rows[1].unit == office() and rows[1].household == rows[0].household


def test_back_within_six_months_the_suspension_is_cancelled_and_the_cover_runs_on(villager, time_machine):
    at(time_machine, dt.date(2024, 6, 3))
    township.approve_request(
        None, ask(villager, "suspend", reason="abroad", event_on="2024-06-10", planned_return_on="2025-01-10")
    )
    at(time_machine, dt.date(2024, 9, 1))
    back = ask(villager, "resume", event_on="2024-08-30")
    assert back.effective_on == dt.date(2024, 6, 10)  # 註銷停保: insured throughout
    township.approve_request(None, back)
    assert list(Enrolment.objects.filter(person=villager).values_list("started_on", "ended_on")) == [
        (dt.date(2015, 1, 1), None)
    ]


def test_no_abroad_suspension_since_2024_12_23_and_resuming_someone_not_suspended_is_refused(villager, time_machine):
    at(time_machine, dt.date(2026, 11, 20))
    with pytest.raises(township.TownshipRefused) as abolished:
        ask(villager, "suspend", reason="abroad", event_on="2026-12-01", planned_return_on="2027-08-01")
    assert abolished.value.field == "reason" and "第36條之1" in abolished.value.message
    with pytest.raises(township.TownshipRefused) as not_suspended:
        ask(villager, "resume", event_on="2026-11-19")
    assert not_suspended.value.field == "kind" and not_suspended.value.status == 409
    assert not TownshipRequest.objects.exists()


# ---------------------------------------------------------------- enrol and transfer out


def test_enrolment_starts_the_day_after_the_previous_cover_and_someone_insured_is_refused(
    villager, household, time_machine
):
    at(time_machine, dt.date(2026, 11, 20))
    with pytest.raises(township.TownshipRefused) as insured:
        ask(household.parent, "enrol", county="臺北市", township="中正區")
    assert insured.value.field == "kind"
    left = household.parent.enrolments.get()
    left.ended_on = dt.date(2026, 10, 31)  # left the employer
    left.save()
    with pytest.raises(township.TownshipRefused) as unknown:
        ask(household.parent, "enrol", county="臺北市", township="不存在區")
    assert unknown.value.field == "township"
    made = ask(household.parent, "enrol", county="新北市", township="板橋區")
    assert made.effective_on == dt.date(2026, 11, 1) and made.unit.name == "新北市板橋區公所"
    township.approve_request(None, made)
    new = household.parent.enrolments.get(ended_on__isnull=True)
    assert (new.category, new.unit.kind, new.started_on, new.role) == (6, "township", dt.date(2026, 11, 1), "insured")


def test_the_township_office_is_where_the_household_is_registered(household, settings, time_machine):
    at(time_machine, dt.date(2026, 11, 20))
    household.parent.enrolments.update(ended_on=dt.date(2026, 10, 31))
    Path(settings.EXTERNAL_DATA_DIR).mkdir(parents=True, exist_ok=True)
    row = {"national_id": household.parent.national_id, "household_number": "A1234567", "county": "臺中市",
           "township": "西屯區", "village": "何安里", "neighbourhood": 3}  # fmt: skip
    registry.write(Path(settings.EXTERNAL_DATA_DIR), [row])
    reset_adapters()
    try:
        with pytest.raises(township.TownshipRefused) as elsewhere:
            ask(household.parent, "enrol", county="臺北市", township="中正區")
        assert elsewhere.value.field == "township" and "臺中市西屯區" in elsewhere.value.message
        assert ask(household.parent, "enrol", county="臺中市", township="西屯區").unit.name == "臺中市西屯區公所"
    finally:
        (Path(settings.EXTERNAL_DATA_DIR) / registry.FILE_NAME).unlink()
        reset_adapters()


def test_a_transfer_out_ends_the_office_cover_the_day_before_for_the_household(villager, time_machine):
    at(time_machine, dt.date(2026, 11, 20))
    with pytest.raises(township.TownshipRefused) as far:
        ask(villager, "transfer_out", reason="employed", event_on="2027-03-01")
    assert far.value.field == "event_on"
    made = ask(villager, "transfer_out", reason="employed", event_on="2026-12-01")
    township.approve_request(None, made)
    assert set(Enrolment.objects.values_list("ended_on", flat=True)) == {dt.date(2026, 11, 30)}


# ---------------------------------------------------------------- one open request, documents, not yours


def test_one_open_request_per_person_and_kind(villager, time_machine):
    at(time_machine, dt.date(2026, 11, 20))
    ask(villager, "transfer_out", reason="moved", event_on="2026-12-01")
    with pytest.raises(township.TownshipRefused) as twice:
        ask(villager, "transfer_out", reason="employed", event_on="2026-12-02")
    assert twice.value.field == "kind" and twice.value.status == 409
    first = TownshipRequest.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():  # a race meets the constraint
        TownshipRequest.objects.create(
            person=villager, requested_by=villager, kind="transfer_out", unit=first.unit,
            effective_on=first.effective_on, document="x", document_type="pdf", email="a@b.tw",
            submitted_at=first.submitted_at,
        )  # fmt: skip
    assert TownshipRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("upload", "words"),
    [
        (SimpleUploadedFile("paper.pdf", b"just text, not a PDF"), "PDF、JPEG 或 PNG"),
        (pdf(PDF.replace(b"<< /Type /Catalog >>", b"<< /OpenAction << /S /JavaScript /JS (x) >> >>")), "程式碼"),
        (pdf(b"%PDF-1.4\n1 0 obj\n<<>>\n"), "損毀"),
        (pdf(b"%PDF-1.4\n" + b"0" * (8 * 1024 * 1024) + b"\n%%EOF\n"), "超過 8 MB"),
    ],
)
def test_a_wrong_document_is_refused_naming_the_field_and_nothing_is_kept(
    villager, settings, time_machine, upload, words
):
    at(time_machine, dt.date(2026, 11, 20))
    with pytest.raises(township.TownshipRefused) as refused:
        ask(villager, "transfer_out", reason="moved", event_on="2026-12-01", document=upload)
    assert refused.value.field == "document" and words in refused.value.message
    assert not TownshipRequest.objects.exists()
    folder = Path(settings.TOWNSHIP_DOCUMENT_DIR)
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def test_a_photo_of_the_paper_is_kept_re_encoded(villager, time_machine):
    at(time_machine, dt.date(2026, 11, 20))
    made = ask(villager, "transfer_out", reason="moved", event_on="2026-12-01", document=jpeg())
    assert made.document_type == "jpeg" and made.document.endswith(".jpg")


def test_the_insured_asks_for_a_dependent_and_a_stranger_gets_404(villager, person, time_machine):
    at(time_machine, dt.date(2026, 11, 20))
    web = web_client_for(villager)
    url = f"/services/{villager.wife.pk}/township/suspend/"
    response = web.post(
        url, {"reason": "missing", "event_on": "2026-11-10", "email": "lin@example.tw", "document": pdf()}
    )
    assert response.status_code == 302
    made = TownshipRequest.objects.get()
    assert (made.person, made.requested_by, made.reason) == (villager.wife, villager, "missing")
    assert AccessLog.objects.filter(person_id=villager.wife.pk, what="nhi_services", detail="township").exists()
    stranger = web_client_for(person)
    assert stranger.get(f"/services/{villager.wife.pk}/township/").status_code == 404
    assert stranger.post(url, {"reason": "missing", "event_on": "2026-11-10", "document": pdf()}).status_code == 404
    app = app_client_for(person)
    assert app.get(f"/api/app/v1/services/{villager.pk}/township").status_code == 404
    assert TownshipRequest.objects.count() == 1


# ---------------------------------------------------------------- pages and app


def test_the_page_in_both_languages_offers_what_fits_and_shows_the_requests(villager, time_machine):
    at(time_machine, dt.date(2026, 11, 20))
    ask(villager, "transfer_out", reason="moved", event_on="2026-12-01")
    web = web_client_for(villager)
    chinese = web.get(f"/services/{villager.pk}/township/").content.decode()
    assert "臺北市中正區公所" in chinese and "104/01/01" in chinese and "115/12/01" in chinese
    assert "待審核" in chinese and "轉出 — 戶籍遷至其他鄉鎮市區" in chinese
    assert "停保" in chinese and "Suspend" not in chinese and "Waiting" not in chinese
    english = web.get(f"/en/services/{villager.pk}/township/").content.decode()
    assert "Waiting for review" in english and "2026-12-01" in english and "Suspend" in english
    form = web.get(f"/services/{villager.pk}/township/suspend/").content.decode()
    assert "第36條之1" in form and "Abroad" not in form
    refused = web.post(
        f"/services/{villager.pk}/township/transfer_out/",
        {"reason": "employed", "event_on": "2026-12-01", "email": "lin@example.tw", "document": pdf()},
    )
    assert refused.status_code == 409 and "相同的申請已在等待公所審核" in refused.content.decode()


def test_the_app_asks_and_reads_with_errors_in_the_one_shape(villager, time_machine):
    at(time_machine, dt.date(2026, 11, 20))
    app = app_client_for(villager)
    url = f"/api/app/v1/services/{villager.wife.pk}/township?lang=en"
    bad = app.post(url, {"kind": "suspend", "reason": "missing", "event_on": "2026-11-10", "email": "x@y.tw",
                         "document": SimpleUploadedFile("a.pdf", b"MZ\x90\x00")}, format="multipart")  # fmt: skip
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["document"]
    made = app.post(url, {"kind": "suspend", "reason": "missing", "event_on": "2026-11-10", "email": "x@y.tw",
                          "document": pdf()}, format="multipart")  # fmt: skip
    assert made.status_code == 201 and made.json()["effective_on"] == "2026-11-10"
    state = app.get(url).json()
    assert state["insured"]["category"] == 6 and state["requests"][0]["status"] == "submitted"
    assert "suspend" not in state["may_ask"] and "transfer_out" in state["may_ask"]
    chinese = app.get(f"/api/app/v1/services/{villager.wife.pk}/township?lang=zh-hant").json()
    assert (
        chinese["requests"][0]["effective_on_shown"] == "115/11/10" and chinese["requests"][0]["kind_label"] == "停保"
    )


# ---------------------------------------------------------------- the office's queue


def test_the_officer_decides_in_the_admin_the_person_is_told_and_every_look_is_logged(
    villager, django_user_model, django_capture_on_commit_callbacks, time_machine
):
    at(time_machine, dt.date(2026, 11, 20))
    made = ask(villager.wife, "suspend", by=villager, reason="missing", event_on="2026-11-10")
    other = ask(villager, "transfer_out", reason="moved", event_on="2026-12-01", document=jpeg())
    nobody, _user = staff_client(django_user_model, roles.VCARD_REVIEWERS)
    assert nobody.get(QUEUE).status_code == 403
    officer, user = staff_client(django_user_model, roles.TOWNSHIP_OFFICERS)
    queue = officer.get(QUEUE).content.decode()
    assert "林○華" in queue and "林美華" not in queue
    assert officer.get(QUEUE, {"kind__exact": "suspend"}).status_code == 200
    page = officer.get(f"{QUEUE}{made.pk}/change/").content.decode()
    assert f"{QUEUE}{made.pk}/document/" in page and "Open the PDF document" in page
    document = officer.get(f"{QUEUE}{made.pk}/document/")
    assert document.status_code == 200 and document.content == PDF and "no-store" in document["Cache-Control"]
    logged = set(AccessLog.objects.filter(person_id=villager.wife.pk, operator=user).values_list("detail", flat=True))
    assert logged == {"township.request", "township.document"}

    no_reason = officer.post(f"{QUEUE}{other.pk}/change/", {"decision": "reject", "reason": "  "})
    assert no_reason.status_code == 400 and "Say why" in no_reason.content.decode()
    other.refresh_from_db()
    assert other.status == "submitted"
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(f"{QUEUE}{other.pk}/change/", {"decision": "reject", "reason": "戶籍謄本不清楚"})
        approved = officer.post(f"{QUEUE}{made.pk}/change/", {"decision": "approve"})
    assert approved.status_code == 302
    assert Enrolment.objects.get(person=villager.wife).ended_on == dt.date(2026, 11, 9)
    assert OutboxEmail.objects.filter(kind="township").count() == 2
    [approved_mail] = [m for m in mail.outbox if "已核准" in m.subject]
    [rejected_mail] = [m for m in mail.outbox if "未核准" in m.subject]
    assert "115/11/10" in approved_mail.body and "林○華" in approved_mail.body and "2026-11-10" in approved_mail.body
    assert "戶籍謄本不清楚" in rejected_mail.body and "林○土" in rejected_mail.body
    again = officer.post(f"{QUEUE}{made.pk}/change/", {"decision": "reject", "reason": "late"})
    assert "already decided" in again.content.decode()
    shown = web_client_for(villager).get(f"/en/services/{villager.pk}/township/").content.decode()
    assert "Rejected" in shown and "戶籍謄本不清楚" in shown
    assert officer.get(f"{QUEUE}{other.pk}/document/").status_code == 404  # deleted with the rejection
