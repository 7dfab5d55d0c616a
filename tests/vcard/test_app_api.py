"""The app's virtual-card endpoints (/api/app/v1/vcard…): what the app gets, what it is refused, and that
nobody reaches another person's card, request or delegation by its id."""

from __future__ import annotations

import base64
import io
import uuid
from pathlib import Path

import pytest
import zxingcpp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from healthbank.vcard import services
from healthbank.vcard.models import CardApplication, Delegation, InstitutionRequest
from tests.conftest import OTHER_ID, PERSON_ID
from tests.vcard.conftest import APP, app_client_for, approved_card, jpeg_upload, post_json, submit
from tests.vcard.test_photos import png_header_only

APPLY = f"{APP}/applications"


@pytest.fixture
def photo_dir(settings, tmp_path) -> Path:
    settings.VCARD_PHOTO_DIR = tmp_path / "vcard-photos"
    return settings.VCARD_PHOTO_DIR


def stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def application_form(**changes) -> dict:
    form = {
        "terms_accepted": "true",
        "document": "national_id_card",
        "document_photo": jpeg_upload("id-card.jpg"),
        "portrait": jpeg_upload("me.jpg"),
        "phone": "0912-345-678",
        "email": "me@example.tw",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def apply(app, **changes):
    return app.post(APPLY, application_form(**changes), format="multipart")


def test_the_card_home_before_applying_is_empty(person):
    body = app_client_for(person).get(APP).json()
    assert body == {"card": None, "application": None, "requests": [], "household_asks": [], "usable": []}


def test_applying_with_two_photos_queues_the_application(person, photo_dir):
    app = app_client_for(person)
    response = apply(app)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["on_behalf"] is False and body["rejection_reason"] == ""
    application = CardApplication.objects.get(pk=body["id"])
    assert application.phone == "0912345678" and application.email == "me@example.tw"
    assert len(stored_files(photo_dir)) == 2
    home = app.get(APP).json()
    assert home["application"]["id"] == body["id"] and home["card"] is None
    again = apply(app)
    assert again.status_code == 409 and again.json()["reason"] == "waiting"
    assert CardApplication.objects.filter(person=person).count() == 1


def test_the_approved_card_shows_masked(holder):
    card = app_client_for(holder).get(APP).json()["card"]
    assert card["person_id"] == str(holder.pk) and card["national_id"] == "A12345****"
    assert card["name"] == holder.masked_name and card["since"]
    assert card["card_number"] != "000033334444" and card["card_number"].endswith("4444")


def not_a_photo(name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"<?php system($_GET['c']); ?>", content_type="image/jpeg")


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"document_photo": not_a_photo()}, "document_photo"),
        ({"portrait": not_a_photo("me.jpg")}, "portrait"),
        ({"portrait": jpeg_upload("tiny.jpg", size=(100, 120))}, "portrait"),
        ({"document_photo": None}, "document_photo"),
        ({"portrait": None}, "portrait"),
        ({"terms_accepted": "false"}, "terms"),
        ({"terms_accepted": None}, "terms"),
        ({"document": "driving_licence"}, "document"),
        ({"document": "nhi_card"}, "document"),  # an adult shows an ID card, residence permit or passport
        ({"phone": "0212345678"}, "phone"),
        ({"phone": "09１2345678"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"person_id": str(uuid.uuid4())}, "person_id"),
    ],
)
def test_a_wrong_field_is_named_and_nothing_is_kept(person, photo_dir, changes, field):
    response = apply(app_client_for(person), **changes)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert not CardApplication.objects.exists()
    assert stored_files(photo_dir) == []  # a document photo stored before the portrait was refused is gone


def test_a_png_without_its_pixels_is_refused_even_with_the_whole_site_loaded(person, photo_dir):
    """The site imports WeasyPrint (the doctor summary), which turns on Pillow's LOAD_TRUNCATED_IMAGES for the
    whole process; a photo whose pixel data is missing must still be refused, not stored as a black picture."""
    hollow = SimpleUploadedFile("scan.png", png_header_only(600, 800), content_type="image/png")
    response = apply(app_client_for(person), document_photo=hollow)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["document_photo"]
    assert not CardApplication.objects.exists() and stored_files(photo_dir) == []


def test_a_body_declared_larger_than_two_photos_is_refused_unread(person, photo_dir):
    app = app_client_for(person)
    response = app.post(APPLY, application_form(), format="multipart", CONTENT_LENGTH=str(40 * 1024 * 1024))
    assert response.status_code == 413, response.content
    assert response.json()["errors"]["body"]
    assert not CardApplication.objects.exists() and stored_files(photo_dir) == []


def test_a_household_member_applies_for_a_dependent(household, photo_dir):
    parent_app = app_client_for(household.parent)
    members = parent_app.get(f"{APP}/household").json()["members"]
    assert [m["person_id"] for m in members] == [
        str(household.spouse.pk),
        str(household.teen.pk),
        str(household.child.pk),
    ]
    assert all(set(m) == {"person_id", "name", "birth_year"} for m in members)
    assert all("*" not in m["name"] and "○" in m["name"] for m in members)  # masked names
    response = apply(parent_app, person_id=str(household.child.pk), document="nhi_card", portrait=None)
    assert response.status_code == 201, response.content
    assert response.json()["on_behalf"] is True
    assert CardApplication.objects.get(person=household.child).applicant == household.parent


def test_a_person_outside_any_household_has_no_members(holder):
    assert app_client_for(holder).get(f"{APP}/household").json() == {"members": []}


def test_the_qr_comes_as_text_and_as_a_png_a_phone_reads_back(holder):
    body = post_json(app_client_for(holder), f"{APP}/qr").json()
    assert body["qr"].startswith("HBVC1.") and body["valid_seconds"] == 300 and body["holder"] == holder.masked_name
    assert body["qr_png"].startswith("data:image/png;base64,")
    picture = Image.open(io.BytesIO(base64.b64decode(body["qr_png"].split(",", 1)[1])))
    [found] = zxingcpp.read_barcodes(picture)
    assert found.text == body["qr"]


def test_a_named_delegation_comes_with_its_code_once_and_a_qr_of_the_obtain_link(holder, other_person):
    today = timezone.localdate()
    body = {"kind": "named", "delegate_national_id": OTHER_ID, "label": "媽媽", "ends_on": str(today)}
    made = post_json(app_client_for(holder), f"{APP}/delegations", body).json()
    assert made["qr"].endswith(f"/vcard/obtain/?code={made['code']}")
    picture = Image.open(io.BytesIO(base64.b64decode(made["qr_png"].removeprefix("data:image/png;base64,"))))
    [found] = zxingcpp.read_barcodes(picture)
    assert found.text == made["qr"] and found.format == zxingcpp.BarcodeFormat.QRCode


def test_no_card_no_qr(person):
    response = post_json(app_client_for(person), f"{APP}/qr")
    assert response.status_code == 409 and response.json()["reason"] == "no_card"


def test_the_card_photo_is_the_holders_only(holder, other_person):
    app = app_client_for(holder)
    response = app.get(f"{APP}/photo/{holder.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert Image.open(io.BytesIO(response.content)).format == "JPEG"
    approved_card(other_person)
    assert app.get(f"{APP}/photo/{other_person.pk}").status_code == 404


def test_the_history_of_an_unused_card_is_empty(holder):
    """Rows after scans are in test_scan and test_delegations."""
    assert app_client_for(holder).get(f"{APP}/history").json() == {"scans": [], "shown_by_me": []}


ENDPOINTS = [
    ("get", APP),
    ("post", APPLY),
    ("post", f"{APP}/qr"),
    ("get", f"{APP}/photo/{uuid.uuid4()}"),
    ("get", f"{APP}/household"),
    ("get", f"{APP}/history"),
    ("post", f"{APP}/requests/{uuid.uuid4()}/answer"),
    ("post", f"{APP}/requests/{uuid.uuid4()}/end"),
    ("get", f"{APP}/delegations"),
    ("post", f"{APP}/delegations"),
    ("post", f"{APP}/delegations/obtain"),
    ("post", f"{APP}/delegations/{uuid.uuid4()}/end"),
]


@pytest.mark.parametrize("method, path", ENDPOINTS)
@pytest.mark.parametrize("header", [None, "Token not-a-token", "Bearer hb_00000000_x"])
def test_every_endpoint_needs_the_app_token(db, method, path, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = getattr(client, method)(path, {}, format="json")
    assert response.status_code == 401, response.content
    assert response.json()["errors"]


@pytest.fixture
def others(holder, other_person, household, institution):
    """Another person's card, institution request, named delegation and household ask."""
    approved_card(household.parent)
    request = services.request_authorisation(institution, PERSON_ID, "telemedicine")
    today = timezone.localdate()
    named, _code = services.delegate_to_named_person(
        holder, delegate_national_id=OTHER_ID, label="", starts_on=None, ends_on=today
    )
    asked = services.delegate_to_household_member(household.parent, household.spouse.pk, starts_on=None, ends_on=today)
    return request, named, asked


def test_another_persons_ids_are_not_found_everywhere(others, holder, household):
    request, named, asked = others
    teen = app_client_for(household.teen)  # in the parent's household, and still a stranger to all of it
    assert teen.get(f"{APP}/photo/{holder.pk}").status_code == 404
    assert teen.get(f"{APP}/photo/{household.parent.pk}").status_code == 404
    for person_id in (holder.pk, household.parent.pk, "not-a-uuid", uuid.uuid4(), household.child.pk):
        assert post_json(teen, f"{APP}/qr", {"person_id": str(person_id)}).status_code == 404, person_id
    assert post_json(teen, f"{APP}/requests/{request.pk}/answer", {"answer": "accept"}).status_code == 404
    assert post_json(teen, f"{APP}/requests/{request.pk}/end").status_code == 404
    for delegation in (named, asked):
        for action in ("end", "agree", "decline"):
            assert post_json(teen, f"{APP}/delegations/{delegation.pk}/{action}").status_code == 404, action
    assert teen.get(f"{APP}/delegations").json() == {"delegations": [], "institutions": []}
    request.refresh_from_db()
    assert request.status == InstitutionRequest.Status.WAITING
    assert set(Delegation.objects.values_list("status", flat=True)) == {"waiting"}


def test_an_unknown_action_on_a_delegation_changes_nothing(others, household):
    _request, _named, asked = others
    spouse = app_client_for(household.spouse)
    for action in ("remove", "accept", "AGREE", "delete"):
        assert post_json(spouse, f"{APP}/delegations/{asked.pk}/{action}").status_code == 404, action
    asked.refresh_from_db()
    assert asked.status == Delegation.Status.WAITING
    assert post_json(spouse, f"{APP}/delegations/{asked.pk}/agree").status_code == 200


def test_the_delegations_list_shows_mine_and_the_institutions(others, holder):
    request, named, _asked = others
    body = app_client_for(holder).get(f"{APP}/delegations").json()
    assert [d["id"] for d in body["delegations"]] == [str(named.pk)]
    assert body["delegations"][0]["state"] == "waiting" and "code" not in body["delegations"][0]
    assert [i["id"] for i in body["institutions"]] == [str(request.pk)]
    assert body["institutions"][0]["status"] == "waiting" and body["institutions"][0]["institution"]


def test_a_rejected_application_shows_its_reason_in_the_app(person):
    application = submit(person)
    services.reject_application(None, application, "The photo is blurred.")
    home = app_client_for(person).get(APP).json()
    assert (
        home["application"]["status"] == "rejected"
        and home["application"]["rejection_reason"] == "The photo is blurred."
    )


def test_too_many_codes_in_ten_minutes_are_throttled(holder):
    app = app_client_for(holder)
    allowed, _window = services.policy.VCARD_QR_ISSUE_RATE
    for _ in range(allowed):
        assert post_json(app, f"{APP}/qr").status_code == 200
    response = post_json(app, f"{APP}/qr")
    assert response.status_code == 429 and response.json()["reason"] == "throttled"


@pytest.mark.parametrize("field", ["ends_on", "starts_on"])
def test_a_date_at_the_end_of_the_calendar_is_refused_naming_it(holder, field):
    body = {"kind": "named", "delegate_national_id": OTHER_ID, "ends_on": "9999-12-31"}
    if field == "starts_on":
        body["starts_on"] = "9999-12-31"
    response = post_json(app_client_for(holder), f"{APP}/delegations", body)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["ends_on"]
    assert not Delegation.objects.exists()


def test_an_institutions_hour_is_ended_early_in_the_app(others, holder):
    request, _named, _asked = others
    app = app_client_for(holder)
    assert post_json(app, f"{APP}/requests/{request.pk}/answer", {"answer": "accept"}).json()["status"] == "accepted"
    ended = post_json(app, f"{APP}/requests/{request.pk}/end")
    assert ended.status_code == 200, ended.content
    assert ended.json()["status"] == "ended" and ended.json()["institution"]
    assert app.get(f"{APP}/delegations").json()["institutions"][0]["status"] == "ended"


def test_a_lent_card_names_its_delegation_so_the_delegate_can_give_it_back(holder, other_person):
    named, code = services.delegate_to_named_person(
        holder, delegate_national_id=OTHER_ID, label="", starts_on=None, ends_on=timezone.localdate()
    )
    delegate = app_client_for(other_person)
    assert post_json(delegate, f"{APP}/delegations/obtain", {"code": code}).status_code == 200
    [lent] = delegate.get(APP).json()["usable"]
    assert lent["delegation_id"] == str(named.pk)
    assert post_json(delegate, f"{APP}/delegations/{lent['delegation_id']}/end").status_code == 200
    assert delegate.get(APP).json()["usable"] == []
