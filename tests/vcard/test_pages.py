"""The citizen's virtual card pages (SPEC §9) as a person, their household and a stranger use them: applying, the
card and its one-time QR, lending the card (a named person's code, a household member's "agree"), institutions'
requests, 授權與管理, and who may not (another person's card, a kiosk)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import zxingcpp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from healthbank.access.models import Grant
from healthbank.accounts.login import SESSION_METHOD, Method
from healthbank.identity.models import Enrolment, InsuranceUnit, Person
from healthbank.identity.services import create_person, enrol_dependent, issue_card, start_household
from healthbank.vcard import qr, services
from healthbank.vcard.models import CardApplication, Delegation, InstitutionRequest
from tests.conftest import make_institution
from tests.passbook.conftest import web_as

TAIPEI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=TAIPEI)
TODAY = NOW.date()
HOLDER_ID = "A123456789"
SPOUSE_ID = "A220000009"
OUTSIDER_ID = "F131104093"


# ---------------------------------------------------------------- a small world


def jpeg(size: tuple[int, int] = (400, 300)) -> bytes:
    output = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(output, format="JPEG")
    return output.getvalue()


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def _world(db, settings, tmp_path, time_machine):
    settings.VCARD_PHOTO_DIR = tmp_path / "vcard-photos"
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def holder() -> Person:
    """The insured person of a household (the spouse is in it too), with an NHI card."""
    unit = InsuranceUnit.objects.create(code="123456789", name="測試公司", kind="employer", county="臺北市")
    person = create_person(national_id=HOLDER_ID, name="王大明", sex="M", birth_date=dt.date(1980, 5, 5))
    issue_card(person, card_number="000011112222", issued_on=dt.date(2020, 1, 5))
    household = start_household(person, unit, category=1, salary=45800, since=dt.date(2010, 1, 1))
    spouse = create_person(national_id=SPOUSE_ID, name="林美華", sex="F", birth_date=dt.date(1982, 3, 3))
    enrol_dependent(household, spouse, relationship=Enrolment.Relationship.SPOUSE, since=dt.date(2010, 1, 1))
    return person


@pytest.fixture
def spouse(holder) -> Person:
    return Person.objects.by_national_id(SPOUSE_ID).get()


@pytest.fixture
def outsider(db) -> Person:
    return create_person(national_id=OUTSIDER_ID, name="陳志強", sex="M", birth_date=dt.date(1975, 8, 8))


def apply_for(person: Person, applicant: Person | None = None) -> CardApplication:
    return services.submit_application(
        applicant=applicant or person,
        person=person,
        terms_accepted=True,
        document=CardApplication.Document.NATIONAL_ID_CARD,
        document_photo=upload("id.jpg"),
        portrait=upload("me.jpg"),
        phone="0912345678",
        email="me@example.tw",
        language="en",
    )


def give_card(person: Person) -> CardApplication:
    return services.approve_application(None, apply_for(person))


def text(response) -> str:
    return response.content.decode()


def named_code(client: Client, **fields) -> tuple[str, str]:
    """Add a named delegate on the page; the delegation page's path and the code it shows (dash removed)."""
    form = {"kind": "named", "starts_on": TODAY.isoformat(), **fields}
    made = client.post("/en/vcard/delegations/new/", form)
    assert made.status_code == 302, text(made)
    page = client.get(made["Location"])
    shown = re.search(r"<code>([A-Z0-9]{5})-([A-Z0-9]{5})</code>", text(page))
    assert shown, text(page)
    return made["Location"], shown.group(1) + shown.group(2)


# ---------------------------------------------------------------- the card page and applying


def test_without_a_card_the_page_explains_and_offers_to_apply(holder):
    page = web_as(holder).get("/en/vcard/")
    assert page.status_code == 200
    assert 'href="/en/vcard/apply/"' in text(page) and "Your NHI card on your phone" in text(page)
    assert "Show QR code" not in text(page)


def test_applying_on_the_page_queues_the_application_and_the_page_then_shows_it_waiting(holder):
    client = web_as(holder)
    form = client.get("/en/vcard/apply/")
    assert form.status_code == 200 and 'capture="user"' in text(form) and 'capture="environment"' in text(form)
    assert "blob:" in form["Content-Security-Policy"]  # the photo preview before sending
    sent = client.post(
        "/en/vcard/apply/",
        {
            "terms": "on",
            "person": str(holder.pk),
            "document": "national_id_card",
            "document_photo": upload("id.jpg"),
            "portrait": upload("me.jpg"),
            "phone": "0912-345-678",
            "email": "me@example.tw",
        },
    )
    assert sent.status_code == 302 and sent["Location"] == "/en/vcard/"
    application = CardApplication.objects.get(person=holder)
    assert application.status == "submitted" and application.language == "en" and application.phone == "0912345678"
    home = client.get("/en/vcard/")
    assert "Submitted; you will get an e-mail when it is reviewed." in text(home)
    assert "Waiting for review" in text(home)


def test_a_refused_application_names_the_field_and_stores_nothing(holder):
    client = web_as(holder)
    no_terms = client.post("/en/vcard/apply/", {"document": "national_id_card", "phone": "0912345678"})
    assert no_terms.status_code == 400
    assert 'data-field="terms"' in text(no_terms) and 'id="terms-error"' in text(no_terms)
    bad_phone = client.post(
        "/en/vcard/apply/",
        {
            "terms": "on",
            "document": "national_id_card",
            "document_photo": upload("id.jpg"),
            "portrait": upload("me.jpg"),
            "phone": "12345",
            "email": "me@example.tw",
        },
    )
    assert bad_phone.status_code == 400 and 'id="phone-error"' in text(bad_phone)
    assert "10 digits starting with 09" in text(bad_phone) and 'value="me@example.tw"' in text(bad_phone)
    assert not CardApplication.objects.exists()


def test_a_household_member_is_applied_for_on_their_behalf_and_a_stranger_cannot_be(holder, spouse, outsider):
    client = web_as(holder)
    assert f'value="{spouse.pk}"' in text(client.get("/en/vcard/apply/"))
    fields = {
        "terms": "on",
        "document": "national_id_card",
        "phone": "0912345678",
        "email": "me@example.tw",
    }
    stranger = client.post(
        "/en/vcard/apply/",
        {**fields, "person": str(outsider.pk), "document_photo": upload("a.jpg"), "portrait": upload("b.jpg")},
    )
    assert stranger.status_code == 400 and 'id="person-error"' in text(stranger)
    done = client.post(
        "/en/vcard/apply/",
        {**fields, "person": str(spouse.pk), "document_photo": upload("a.jpg"), "portrait": upload("b.jpg")},
    )
    assert done.status_code == 302
    application = CardApplication.objects.get()
    assert application.person == spouse and application.applicant == holder


def test_a_rejected_application_shows_the_reason_and_apply_again(holder):
    services.reject_application(None, apply_for(holder), "The photo is blurred.")
    page = web_as(holder).get("/en/vcard/")
    assert "Rejected" in text(page) and "The photo is blurred." in text(page) and "Apply again" in text(page)


def test_the_approved_card_shows_masked_identity_and_its_photo_only_to_who_may_use_it(holder, outsider):
    give_card(holder)
    client = web_as(holder)
    page = client.get("/en/vcard/")
    assert page.status_code == 200
    body = text(page)
    assert "王○明" in body and holder.national_id_masked in body and "********2222" in body
    assert HOLDER_ID not in body and "000011112222" not in body
    assert f'src="/en/vcard/photo/{holder.pk}/"' in body and "Show QR code" in body
    photo = client.get(f"/en/vcard/photo/{holder.pk}/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert "no-store" in photo["Cache-Control"] and "private" in photo["Cache-Control"]
    assert Image.open(io.BytesIO(photo.content)).format == "JPEG"
    assert web_as(outsider).get(f"/en/vcard/photo/{holder.pk}/").status_code == 404


# ---------------------------------------------------------------- the one-time QR


def test_show_qr_answers_an_svg_qr_valid_five_minutes_and_the_panel_alone_for_the_script(holder):
    give_card(holder)
    client = web_as(holder)
    page = client.post("/en/vcard/qr/")
    assert page.status_code == 200
    body = text(page)
    assert '<svg role="img" xmlns="http://www.w3.org/2000/svg"' in body and 'class="qr"' in body
    assert 'data-seconds-left="300"' in body and "Valid for 5 minutes and for one scan only" in body
    assert "<html" in body  # without script: the whole page, the code on it
    partial = client.post("/en/vcard/qr/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and text(partial).lstrip().startswith('<section class="qr-panel"')
    assert "<html" not in text(partial) and 'class="qr"' in text(partial)
    assert client.get("/en/vcard/qr/").status_code == 302  # a code is never made by a GET


def test_the_qr_picture_reads_back_as_the_card_code(holder):
    give_card(holder)
    issued = services.issue_card_qr(user=holder, holder=holder)
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.png(issued.text))))
    assert [(r.format.name, r.text) for r in found] == [("QRCode", issued.text)]


def test_a_card_nobody_lent_you_answers_404_and_without_a_card_there_is_no_code(holder, outsider):
    give_card(holder)
    stranger = web_as(outsider)
    assert stranger.post("/en/vcard/qr/", {"for": str(holder.pk)}).status_code == 404
    assert stranger.post("/en/vcard/qr/", {"for": "not-a-uuid"}).status_code == 404
    own = stranger.post("/en/vcard/qr/")
    assert own.status_code == 409 and "no approved virtual NHI card" in text(own)


def test_a_named_delegate_obtains_the_card_and_shows_its_qr(holder, outsider):
    give_card(holder)
    owner = web_as(holder)
    path, code = named_code(
        owner,
        delegate_national_id=OUTSIDER_ID.lower(),
        label="neighbour",
        ends_on=(TODAY + dt.timedelta(days=7)).isoformat(),
    )
    page = text(owner.get(path))
    # The QR is the obtain page's link with the code: the same modules as a QR made of that link.
    modules = re.search(r'<path stroke="#000" d="([^"]+)"', qr.svg(f"http://testserver/en/vcard/obtain/?code={code}"))
    assert page.count('class="qr"') == 1 and modules.group(1) in page
    delegate = web_as(outsider, Client())
    prefilled = delegate.get(f"/en/vcard/obtain/?code={code.lower()}")
    assert f'value="{code[:5]}-{code[5:]}"' in text(prefilled)
    obtained = delegate.post("/en/vcard/obtain/", {"code": f"{code[:5]}-{code[5:]}"})
    assert obtained.status_code == 302 and obtained["Location"] == "/en/vcard/"
    home = text(delegate.get("/en/vcard/"))
    assert "You can now show the card of 王○明." in home and "Cards I can use" in home
    assert f'name="for" value="{holder.pk}"' in home
    shown = delegate.post("/en/vcard/qr/", {"for": str(holder.pk)}, HTTP_HX_REQUEST="true")
    assert shown.status_code == 200 and 'class="qr"' in text(shown)
    assert "Shown by you as their delegate." in text(shown) and f'name="for" value="{holder.pk}"' in text(shown)
    assert delegate.get(f"/en/vcard/photo/{holder.pk}/").status_code == 200
    # The holder sees it in force; the code is no longer shown once taken up.
    assert "In force" in text(owner.get(path)) and code not in text(owner.get(path))


def test_the_code_taken_up_by_the_wrong_person_is_refused_next_to_the_field(holder, spouse, outsider):
    give_card(holder)
    _path, code = named_code(
        web_as(holder), delegate_national_id=OUTSIDER_ID, label="", ends_on=(TODAY + dt.timedelta(days=3)).isoformat()
    )
    wrong = web_as(spouse).post("/en/vcard/obtain/", {"code": code})
    assert wrong.status_code == 403
    assert 'id="code-error"' in text(wrong) and "This code was made for someone else." in text(wrong)
    typo = web_as(outsider).post("/en/vcard/obtain/", {"code": "AAAAA-AAAAA"})
    assert typo.status_code == 400 and "This code is not right" in text(typo)
    assert not Grant.objects.filter(grantee_person__in=[spouse, outsider]).exists()


def test_outside_the_household_a_32_day_delegation_is_refused_naming_the_last_day(holder):
    give_card(holder)
    client = web_as(holder)
    form = {"kind": "named", "delegate_national_id": OUTSIDER_ID, "starts_on": TODAY.isoformat()}
    too_long = client.post(
        "/en/vcard/delegations/new/", {**form, "ends_on": (TODAY + dt.timedelta(days=31)).isoformat()}
    )
    assert too_long.status_code == 400
    assert 'data-field="ends_on"' in text(too_long) and 'id="ends_on-error"' in text(too_long)
    assert "at most 31 days" in text(too_long)
    garbled = client.post("/en/vcard/delegations/new/", {**form, "ends_on": "next friday"})
    assert garbled.status_code == 400 and 'id="ends_on-error"' in text(garbled) and "last day" in text(garbled)
    assert not Delegation.objects.exists()
    # On a Chinese page the last day may be typed in the ROC calendar.
    roc = client.post("/vcard/delegations/new/", {**form, "ends_on": "115/11/27"})
    assert roc.status_code == 302
    assert Delegation.objects.get().ends_at == dt.datetime(2026, 11, 28, tzinfo=TAIPEI)


def test_a_household_member_agrees_and_the_card_is_under_i_can_use(holder, spouse):
    give_card(holder)
    owner = web_as(holder)
    made = owner.post(
        "/en/vcard/delegations/new/",
        {
            "kind": "household",
            "member": str(spouse.pk),
            "starts_on": "",
            "ends_on": (TODAY + dt.timedelta(days=60)).isoformat(),
        },
    )
    assert made.status_code == 302
    waiting = text(owner.get(made["Location"]))
    assert 'Waiting for <span lang="zh-Hant-TW">林○華</span> to agree until 10:10.' in waiting
    member = web_as(spouse, Client())
    asked = text(member.get("/en/vcard/"))
    assert "Household members lending you their card" in asked
    delegation = Delegation.objects.get()
    answered = member.post(f"/en/vcard/delegations/{delegation.pk}/answer/", {"answer": "agree"})
    assert answered.status_code == 302
    manage = text(member.get("/en/vcard/manage/"))
    assert "王○明" in manage and "Delegation within the NHI household" in manage
    assert f"/en/vcard/delegations/{delegation.pk}/end/" in manage  # give back
    given_back = member.post(f"/en/vcard/delegations/{delegation.pk}/end/", {"next": "/en/vcard/manage/"})
    assert given_back.status_code == 302 and given_back["Location"] == "/en/vcard/manage/"
    assert "Nobody has lent you their card." in text(member.get("/en/vcard/manage/"))


def test_manage_lists_delegations_with_their_state_and_the_holder_ends_one(holder, outsider):
    give_card(holder)
    owner = web_as(holder)
    path, _code = named_code(
        owner, delegate_national_id=OUTSIDER_ID, label="mother", ends_on=(TODAY + dt.timedelta(days=5)).isoformat()
    )
    manage = text(owner.get("/en/vcard/manage/"))
    assert "mother" in manage and "Waiting for the delegate" in manage
    assert "waiting for the code to be entered until 2026-11-21 10:00" in manage
    delegation = Delegation.objects.get()
    ended = owner.post(f"/en/vcard/delegations/{delegation.pk}/end/", {"next": "https://evil.example/"})
    assert ended.status_code == 302 and ended["Location"] == "/en/vcard/manage/"
    assert "Cancelled" in text(owner.get("/en/vcard/manage/"))
    # Someone else's delegation is not there for them.
    stranger = web_as(outsider, Client())
    assert stranger.get(path).status_code == 404
    assert stranger.post(f"/en/vcard/delegations/{delegation.pk}/end/").status_code == 404


def test_an_institution_request_is_accepted_on_the_card_page_and_ended_under_authorisations(holder):
    give_card(holder)
    clinic = make_institution("0140000011")
    request = services.request_authorisation(clinic, HOLDER_ID, InstitutionRequest.Purpose.TELEMEDICINE)
    client = web_as(holder)
    home = text(client.get("/en/vcard/"))
    assert "Institutions asking to use your card" in home and clinic.name in home
    assert client.get(f"/en/vcard/requests/{request.pk}/answer/").status_code == 405
    assert client.post(f"/en/vcard/requests/{request.pk}/answer/", {"answer": "maybe"}).status_code == 400
    accepted = client.post(f"/en/vcard/requests/{request.pk}/answer/", {"answer": "accept"})
    assert accepted.status_code == 302 and accepted["Location"] == "/en/vcard/"
    request.refresh_from_db()
    assert request.status == "accepted" and request.grant is not None
    assert f"{clinic.name} may use your card until 11:00." in text(client.get("/en/vcard/"))
    manage = text(client.get("/en/vcard/manage/"))
    assert "In force" in manage and "usable until 2026-11-20 11:00" in manage
    client.post(f"/en/vcard/requests/{request.pk}/end/")
    request.grant.refresh_from_db()
    assert request.grant.ended_at is not None
    assert "Ended" in text(client.get("/en/vcard/manage/"))


def test_use_history_shows_roc_dates_on_chinese_pages_and_who_showed_the_card(holder, outsider):
    give_card(holder)
    clinic = make_institution("0140000011")
    services.scan_card_qr(clinic, services.issue_card_qr(user=holder, holder=holder).text)
    client = web_as(holder)
    chinese = text(client.get("/vcard/manage/"))
    assert "115/11/20 10:00" in chinese and clinic.name in chinese
    english = text(client.get("/en/vcard/manage/"))
    assert "2026-11-20 10:00" in english and "You, on the web" in english


# ---------------------------------------------------------------- languages and who may not


def test_the_english_page_is_in_english(holder):
    page = web_as(holder).get("/en/vcard/")
    assert page.status_code == 200 and '<html lang="en">' in text(page)
    assert "Virtual NHI card" in text(page) and "Institutions that accept the virtual card" in text(page)


def test_a_kiosk_session_is_refused_every_card_page(holder):
    give_card(holder)
    client = web_as(holder)
    session = client.session
    session[SESSION_METHOD] = Method.KIOSK
    session.save()
    for path in ("/en/vcard/", "/en/vcard/manage/", "/en/vcard/apply/", "/en/vcard/obtain/"):
        assert client.get(path).status_code == 403, path
    assert client.post("/en/vcard/qr/").status_code == 403


def test_logged_out_visitors_are_sent_to_log_in(db):
    assert Client().get("/en/vcard/").status_code == 302


def test_too_many_codes_answer_429_and_the_cache_away_answers_503_with_a_clear_message(holder, monkeypatch):
    from healthbank import policy
    from healthbank.accounts import limits

    give_card(holder)
    client = web_as(holder)
    monkeypatch.setattr(policy, "VCARD_QR_ISSUE_RATE", (1, dt.timedelta(minutes=10)))
    assert client.post("/en/vcard/qr/", HTTP_HX_REQUEST="true").status_code == 200
    throttled = client.post("/en/vcard/qr/", HTTP_HX_REQUEST="true")
    assert throttled.status_code == 429 and "Too many codes in a short time" in text(throttled)
    assert 'class="qr"' not in text(throttled) and "New code" in text(throttled)

    def away(*args, **kwargs):
        raise ConnectionError("cache away")

    monkeypatch.setattr(limits, "hit", away)
    outage = client.post("/en/vcard/qr/")
    assert outage.status_code == 503 and outage["Retry-After"]
    assert "cannot reach one of its systems" in text(outage) and 'class="qr"' not in text(outage)


def test_a_scanned_obtain_link_keeps_its_code_through_the_login(client, db, person):
    """The delegate scans the holder's QR with the phone's camera while logged out: after logging in, the
    obtain page opens with the code still in it (the login goes back to the page that asked for it)."""
    response = client.get("/vcard/obtain/?code=ABCDEFGHJK")
    assert response.status_code == 302 and response["Location"].endswith("/login/")
    assert client.session["after_login"] == "/vcard/obtain/?code=ABCDEFGHJK"
    from django.test import RequestFactory

    from healthbank.accounts.decorators import after_login

    request = RequestFactory().get("/login/")
    request.session = {"after_login": "https://evil.example/x"}
    assert after_login(request)["Location"] == "/me/"
    request.session = {"after_login": "/vcard/obtain/?code=ABCDEFGHJK"}
    assert after_login(request)["Location"] == "/vcard/obtain/?code=ABCDEFGHJK"
