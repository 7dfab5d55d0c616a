"""健保卡補發及更換照片 (SPEC §10, §2): requesting a new card on the web, deciding it, and the old card no longer
working for login and card proofs from the moment the new one is issued."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from captcha.models import CaptchaStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from PIL import Image

from cardagent.proof import proof_message
from healthbank import policy
from healthbank.accounts.login import LoginError, authenticate_with_card_number
from healthbank.accounts.models import OutboxEmail
from healthbank.identity.card_proof import CardProof, CardProofError, issue_challenge, verify
from healthbank.identity.models import NhiCard
from healthbank.identity.services import current_card
from healthbank.insurance import card_replacement as service
from healthbank.insurance import card_rules
from healthbank.insurance.models import CardReplacementRequest
from tests.insurance.conftest import app_client_for, web_client_for
from tests.vcard.conftest import PASSWORD, jpeg

pytestmark = pytest.mark.django_db

ADDRESS = {"county": "臺北市", "township": "大安區", "village": "", "street": "羅斯福路四段1號"}


@pytest.fixture(autouse=True)
def photo_dir(settings, tmp_path) -> Path:
    settings.VCARD_PHOTO_DIR = tmp_path / "photos"
    return settings.VCARD_PHOTO_DIR


def stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def photo_upload(name: str = "me.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg().getvalue(), content_type="image/jpeg")


def form(**changes) -> dict:
    data = {"reason": "lost", "photo": photo_upload(), "fee_accepted": "on", **ADDRESS}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def page_of(client: Client, person, prefix: str = "/en") -> str:
    response = client.get(f"{prefix}/services/{person.pk}/card/")
    assert response.status_code == 200
    return response.content.decode()


def submit(person, applicant=None, reason="lost", photo=True) -> CardReplacementRequest:
    return service.submit_request(
        applicant or person,
        person,
        reason=reason,
        photo=jpeg() if photo else None,
        address=ADDRESS,
        fee_accepted=True,
    )


# ---------------------------------------------------------------- the rules


def test_the_fee_follows_the_nhi_fee_rule():
    assert card_rules.card_fee("lost") == card_rules.card_fee("damaged") == card_rules.card_fee("photo") == 200
    assert card_rules.card_fee("defective") == card_rules.card_fee("misprinted") == 0
    assert card_rules.photo_required("lost", 14) and not card_rules.photo_required("lost", 13)
    assert card_rules.photo_required("photo", 5)
    assert card_rules.next_card_number("000077770004") == "000077770005"
    assert card_rules.next_card_number(None) == "000000000001"


# ---------------------------------------------------------------- the web page


def test_a_person_requests_a_new_card_for_a_lost_one_on_the_web(household, photo_dir):
    parent = household.parent
    app_client_for(parent)  # the online account (its e-mail gets the decision)
    client = web_client_for(parent)
    page = page_of(client, parent)
    assert "Apply for a new card" in page and "********0001" in page and "NT$200" in page
    response = client.post(f"/en/services/{parent.pk}/card/", form())
    assert response.status_code == 302, response.content.decode()
    request = CardReplacementRequest.objects.get(person=parent)
    assert (request.reason, request.fee, request.postal_code, request.status) == ("lost", 200, "106", "submitted")
    assert len(stored_files(photo_dir)) == 1
    old = NhiCard.objects.get(card_number="000077770001")
    assert old.reported_lost_on == timezone.localdate()  # reported lost at once
    page = page_of(client, parent)
    assert "Waiting for review" in page and "Reported lost" in page and "106 臺北市大安區羅斯福路四段1號" in page
    photo = client.get(f"/en/services/{parent.pk}/card/{request.pk}/photo")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(photo.content)).getexif() == {}
    # Nobody else sees the photo: another household's person, or the dependent acting for the insured.
    assert web_client_for(household.spouse).get(f"/en/services/{parent.pk}/card/{request.pk}/photo").status_code == 404
    chinese = page_of(client, parent, prefix="")
    assert "健保卡補發" in chinese and "Waiting for review" not in chinese


def test_the_insured_person_applies_for_a_dependent_and_not_for_anyone_else(household, photo_dir):
    client = web_client_for(household.parent)
    page = page_of(client, household.child)
    assert "You are applying for your dependent" in page
    response = client.post(f"/en/services/{household.child.pk}/card/", form(reason="photo"))
    assert response.status_code == 302
    request = CardReplacementRequest.objects.get(person=household.child)
    assert request.applicant == household.parent and request.on_behalf
    # The spouse is a dependent, not the insured: the parent's and the child's card pages are not hers.
    spouse = web_client_for(household.spouse)
    for somebody in (household.parent, household.child):
        assert spouse.get(f"/en/services/{somebody.pk}/card/").status_code == 404
        assert spouse.post(f"/en/services/{somebody.pk}/card/", form()).status_code == 404
    assert CardReplacementRequest.objects.count() == 1 and len(stored_files(photo_dir)) == 1


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"photo": SimpleUploadedFile("a.pdf", b"%PDF-1.4 not a photo", content_type="image/jpeg")}, "photo", "JPEG"),
        ({"photo": None}, "photo", "Upload a recent front photo"),
        ({"reason": "stolen"}, "reason", "Select a valid choice"),
        ({"reason": ""}, "reason", "Choose why a new card is needed"),
        ({"township": "信義鄉"}, "township", "not in 臺北市"),
        ({"county": ""}, "county", "Choose the county or city"),
        ({"street": ""}, "street", "Enter the street"),
        ({"fee_accepted": None}, "fee_accepted", "Agree to pay the card fee of NT$200"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(household, photo_dir, changes, field, words):
    client = web_client_for(household.parent)
    response = client.post(f"/en/services/{household.parent.pk}/card/", form(**changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert words in page and f'href="#id_{field}' in page  # the error summary leads to the field
    assert not CardReplacementRequest.objects.exists() and stored_files(photo_dir) == []
    assert NhiCard.objects.get(card_number="000077770001").reported_lost_on is None


def polyglot() -> bytes:
    """A real JPEG with a ZIP archive appended: it opens as a photo and as an archive."""
    archive = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.php", "<?php system($_GET['c']); ?>")
    return jpeg().getvalue() + archive.getvalue()


def test_a_polyglot_photo_and_a_40_mb_photo_are_refused(household, photo_dir):
    client = web_client_for(household.parent)
    url = f"/en/services/{household.parent.pk}/card/"
    mixed = SimpleUploadedFile("me.jpg", polyglot(), content_type="image/jpeg")
    page = client.post(url, form(photo=mixed)).content.decode()
    assert "holds more than a photo" in page
    huge = SimpleUploadedFile("me.jpg", b"\xff\xd8" + b"\x00" * (40 * 1024 * 1024), content_type="image/jpeg")
    response = client.post(url, form(photo=huge))
    assert response.status_code == 400
    assert "The photo is larger than 8 MB" in response.content.decode()
    assert not CardReplacementRequest.objects.exists() and stored_files(photo_dir) == []


def test_a_second_request_while_one_waits_is_refused(household, photo_dir):
    submit(household.parent)
    client = web_client_for(household.parent)
    response = client.post(f"/en/services/{household.parent.pk}/card/", form(reason="photo"))
    assert response.status_code == 409
    assert "already waiting for review" in response.content.decode()
    assert CardReplacementRequest.objects.count() == 1 and len(stored_files(photo_dir)) == 1
    with pytest.raises(service.CardRequestRefused) as refused:
        submit(household.parent, reason="photo")
    assert refused.value.field == "person"


def test_a_child_under_14_may_apply_without_a_photo_and_defective_cards_are_free(household):
    request = submit(household.child, applicant=household.parent, reason="defective", photo=False)
    assert (request.photo, request.fee) == ("", 0)


# ---------------------------------------------------------------- the decision and the old card


def log_in(national_id: str, card_number: str, password: str = PASSWORD):
    return authenticate_with_card_number(national_id, card_number, password, "10.9.8.7")


def test_approval_issues_a_new_card_and_the_old_one_stops_working(household):
    parent = household.parent
    app_client_for(parent)
    assert log_in(parent.national_id, "000077770001").person == parent
    request = submit(parent, reason="photo")
    assert log_in(parent.national_id, "000077770001").person == parent  # a photo change: works until issued
    approval = service.approve_request(None, request)
    new = approval.card
    assert len(new.card_number) == 12 and new.card_number > "000077770004" and new.reason == "photo"
    assert current_card(parent) == new and new.issued_on == timezone.localdate()
    request.refresh_from_db()
    assert request.status == "approved" and request.new_card == new
    # The old card number no longer logs in, and the person is told why in words they understand.
    with pytest.raises(LoginError) as refused, translation.override("en"):
        log_in(parent.national_id, "000077770001")
    assert "has been replaced by a newer card" in refused.value.message
    assert log_in(parent.national_id, new.card_number).person == parent
    # The e-mail is in the outbox, without the full card number.
    [mail] = OutboxEmail.objects.filter(person=parent, kind=OutboxEmail.Kind.NHI_CARD)
    assert "is issued" in mail.subject and new.card_number[-4:] in mail.body and new.card_number not in mail.body
    # A card proof with the new card's key is accepted; the old card's is refused as replaced.
    challenge = issue_challenge("login")
    signature = approval.card_key.sign(proof_message(challenge, new.card_number, parent.national_id))
    proof = CardProof(challenge, new.card_number, parent.national_id, base64.b64encode(signature).decode())
    assert verify(proof, "login") == new


def test_the_web_login_with_the_old_card_number_says_it_was_replaced(household):
    parent = household.parent
    app_client_for(parent)
    service.approve_request(None, submit(parent, reason="damaged"))
    client = Client()
    page = client.get("/en/login/").content.decode()
    key = re.search(r'name="captcha_0" value="([^"]+)"', page).group(1)
    answer = CaptchaStore.objects.get(hashkey=key).response
    data = {"national_id": parent.national_id, "card_number": "000077770001", "password": PASSWORD}
    page = client.post("/en/login/", {**data, "captcha_0": key, "captcha_1": answer}).content.decode()
    assert "This NHI card has been replaced by a newer card and no longer works" in page


def test_a_lost_card_stops_working_at_once_and_stays_lost_after_a_rejection(household):
    parent = household.parent
    app_client_for(parent)
    request = submit(parent, reason="lost")
    with pytest.raises(LoginError) as refused, translation.override("en"):
        log_in(parent.national_id, "000077770001")
    assert "was reported lost" in refused.value.message
    with pytest.raises(service.CardRequestRefused) as no_reason:
        service.reject_request(None, request, "  ")
    assert no_reason.value.field == "rejection_reason"
    service.reject_request(None, request, "照片不清楚，請重新拍攝")
    request.refresh_from_db()
    assert request.status == "rejected" and request.photo == ""
    with pytest.raises(LoginError):
        log_in(parent.national_id, "000077770001")
    [mail] = OutboxEmail.objects.filter(person=parent, kind=OutboxEmail.Kind.NHI_CARD)
    assert "照片不清楚" in mail.body and "not approved" in mail.subject
    with pytest.raises(service.CardRequestRefused) as twice:
        service.approve_request(None, request)
    assert twice.value.status == 409
    assert "Rejected" in page_of(web_client_for(parent), parent)


def test_a_lost_card_is_refused_by_the_card_proof(household):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    card = NhiCard.objects.get(card_number="000077770002")
    card.public_key = key.public_key().public_bytes_raw()
    card.save(update_fields=["public_key"])
    submit(household.spouse, reason="lost")
    challenge = issue_challenge("login")
    signature = key.sign(proof_message(challenge, card.card_number, household.spouse.national_id))
    with pytest.raises(CardProofError) as refused:
        verify(
            CardProof(challenge, card.card_number, household.spouse.national_id, base64.b64encode(signature).decode()),
            "login",
        )
    assert refused.value.code == "lost_card"


def test_two_cards_issued_the_same_day_the_later_is_the_newest(household, time_machine):
    first = service.approve_request(None, submit(household.teen, applicant=household.parent, reason="photo"))
    second = service.approve_request(None, submit(household.teen, applicant=household.parent, reason="damaged"))
    assert first.card.issued_on == second.card.issued_on
    assert current_card(household.teen) == second.card
    time_machine.move_to(timezone.now() + dt.timedelta(days=1))
    assert current_card(household.teen) == second.card


def test_the_passbook_card_page_shows_the_new_card(household):
    parent = household.parent
    new = service.approve_request(None, submit(parent, reason="photo")).card
    page = web_client_for(parent).get(f"/en/passbook/{parent.pk}/insurance/cards/").content.decode()
    assert f"********{new.card_number[-4:]}" in page and "Valid" in page
    policy_fee = policy.NHI_CARD_FEE
    assert policy_fee == 200


# ---------------------------------------------------------------- the app


def api_url(person) -> str:
    return f"/api/app/v1/services/{person.pk}/card-replacement"


def test_the_app_requests_a_card_for_a_dependent_and_reads_the_decision(household, photo_dir):
    app = app_client_for(household.parent)
    body = app.get(api_url(household.teen) + "?lang=en").json()
    assert body["can_apply"] and body["card"]["card_number"] == "********0004" and body["requests"] == []
    assert {r["reason"]: r["fee"] for r in body["reasons"]} == {
        "lost": 200,
        "damaged": 200,
        "defective": 0,
        "photo": 200,
        "misprinted": 0,
    }
    response = app.post(api_url(household.teen) + "?lang=en", {**form(reason="photo")}, format="multipart")
    assert response.status_code == 201, response.content
    made = response.json()
    assert (made["status"], made["fee"], made["on_behalf"]) == ("submitted", 200, True)
    assert made["address"] == "106 臺北市大安區羅斯福路四段1號"
    again = app.post(api_url(household.teen), {**form(reason="lost")}, format="multipart")
    assert again.status_code == 409 and list(again.json()["errors"]) == ["person"]
    service.approve_request(None, CardReplacementRequest.objects.get(pk=made["id"]))
    body = app.get(api_url(household.teen)).json()
    [row] = body["requests"]
    assert row["status"] == "approved" and row["status_label"] == "已核准，新卡已製發"
    assert row["new_card_last4"] == current_card(household.teen).card_number[-4:]
    assert body["card"]["card_number"].endswith(row["new_card_last4"]) and body["can_apply"]


def test_the_app_refuses_naming_the_field_and_stores_nothing(household, photo_dir):
    app = app_client_for(household.parent)
    url = api_url(household.parent) + "?lang=en"
    not_image = SimpleUploadedFile("me.jpg", b"GIF89a not really", content_type="image/jpeg")
    cases = [
        ({"photo": not_image}, 400, "photo"),
        ({"photo": SimpleUploadedFile("me.jpg", polyglot(), content_type="image/jpeg")}, 400, "photo"),
        ({"township": "不存在區"}, 400, "township"),
        ({"reason": "stolen"}, 400, "reason"),
        ({"fee_accepted": None}, 400, "fee_accepted"),
    ]
    for changes, status, field in cases:
        response = app.post(url, form(**changes), format="multipart")
        assert response.status_code == status, (changes, response.content)
        assert list(response.json()["errors"]) == [field]
    big = app.post(url, form(), format="multipart", CONTENT_LENGTH=str(40 * 1024 * 1024))
    assert big.status_code == 413 and "larger than 8 MB" in big.json()["errors"]["photo"][0]
    assert not CardReplacementRequest.objects.exists() and stored_files(photo_dir) == []
    assert NhiCard.objects.get(card_number="000077770001").reported_lost_on is None


def test_the_app_answers_404_for_someone_who_is_not_a_dependent(household, photo_dir):
    spouse_app = app_client_for(household.spouse)
    for somebody in (household.parent, household.child):
        assert spouse_app.get(api_url(somebody)).status_code == 404
        response = spouse_app.post(api_url(somebody), form(), format="multipart")
        assert response.status_code == 404 and "errors" in response.json()
    assert spouse_app.get("/api/app/v1/services/not-a-uuid/card-replacement").status_code == 404
    assert not CardReplacementRequest.objects.exists() and stored_files(photo_dir) == []


def test_two_requests_racing_past_the_early_check_store_one(household, photo_dir, monkeypatch):
    """Both pass the "already waiting?" look-up (as two requests at the same instant do); the constraint keeps
    one, and the second's photo is deleted again."""
    monkeypatch.setattr(service, "has_waiting_request", lambda person: False)
    submit(household.parent, reason="photo")
    with pytest.raises(service.CardRequestRefused) as refused:
        submit(household.parent, reason="photo")
    assert (refused.value.field, refused.value.status) == ("person", 409)
    assert CardReplacementRequest.objects.count() == 1 and len(stored_files(photo_dir)) == 1


def test_the_form_starts_from_the_mailing_address_on_file(household):
    from healthbank.insurance import addresses

    assert service.default_address(household.parent)["county"] == ""
    place = {"county": "臺北市", "township": "中正區", "village": "黎明里", "street": "重慶南路一段122號3樓"}
    addresses.change_address(household.parent, addresses.AddressInput(**place))
    assert service.default_address(household.parent) == place
    page = web_client_for(household.parent).get(f"/services/{household.parent.pk}/card/").content.decode()
    assert "重慶南路一段122號3樓" in page


def test_the_card_maker_mails_the_approved_card_and_it_logs_in_through_the_card_reader(
    household, settings, tmp_path, django_capture_on_commit_callbacks
):
    """The simulated card maker writes the new card's file (what the card agent reads) only once the approval is
    committed; that card reads back the holder's details and its chip signs a login proof HealthBank accepts."""
    from cardagent.nhicard import parse_basic_data
    from cardagent.sources import SimulatedCard

    settings.SIMULATED_CARDS_DIR = tmp_path / "cards"
    parent = household.parent
    request = submit(parent, reason="damaged")
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        approval = service.approve_request(None, request)
    new = approval.card
    made = settings.SIMULATED_CARDS_DIR / f"{new.card_number}.json"
    assert not made.exists()  # nothing is made before the commit
    for callback in waiting:
        callback()
    card = SimulatedCard(made)
    details = parse_basic_data(card.read_basic_data())
    assert (details["card_number"], details["national_id"]) == (new.card_number, parent.national_id)
    assert card.public_key_raw() == bytes(new.public_key)
    challenge = issue_challenge("login")
    signature = card.sign(proof_message(challenge, new.card_number, parent.national_id))
    proof = CardProof(challenge, new.card_number, parent.national_id, base64.b64encode(signature).decode())
    assert verify(proof, "login") == new


class _BrokenCardMaker:
    def __init__(self, data_dir):
        pass

    def make(self, **card):
        raise OSError("the card maker's line is down")


def test_a_failed_card_order_leaves_the_approval_standing_and_logs_no_id(
    household, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EXTERNAL_ADAPTERS = {**settings.EXTERNAL_ADAPTERS, "card_maker": f"{__name__}._BrokenCardMaker"}
    parent = household.parent
    with django_capture_on_commit_callbacks(execute=True):
        approval = service.approve_request(None, submit(parent, reason="photo"))
    assert CardReplacementRequest.objects.get().status == "approved" and current_card(parent) == approval.card
    assert f"…{approval.card.card_number[-4:]} failed" in caplog.text
    assert parent.national_id not in caplog.text and approval.card.card_number not in caplog.text
