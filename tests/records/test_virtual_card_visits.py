"""Visits made with the virtual NHI card (SPEC §9): the scan or the accepted request an institution names when it
uploads the visit, refused after its time or for another institution or person; stays, courses of treatment
and refills may mix both cards; the person sees which card was used."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import translation
from PIL import Image
from rest_framework.test import APIClient

from healthbank.accounts.login import SESSION_METHOD, SESSION_PERSON, Method
from healthbank.records.models import Visit
from healthbank.vcard import services as vcard
from tests.conftest import OTHER_ID, PERSON_ID, api_for, make_institution, post, visit_payload

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
NO_GRANT = "No live virtual-card scan or authorisation of this institution for this person has this id."
NOT_MIXED = (
    "Only inpatient stays, courses of treatment and prescription refills can mix the NHI card and the virtual card."
)


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


def jpeg() -> io.BytesIO:
    """A photo as a phone sends it (a gradient, large enough to show a face or a document)."""
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((400, 500)).convert("RGB").save(buffer, format="JPEG", quality=85)
    buffer.seek(0)
    buffer.name = "photo.jpg"
    return buffer


def with_virtual_card(person):
    application = vcard.submit_application(
        person,
        person,
        terms_accepted=True,
        document="national_id_card",
        document_photo=jpeg(),
        portrait=jpeg(),
        phone="0912345678",
        email="p@example.com",
    )
    return vcard.approve_application(None, application)


def scan_id(institution, person) -> str:
    """The person shows the card QR, the institution scans it: the scan_id it names in the upload."""
    return vcard.scan_card_qr(institution, vcard.issue_card_qr(person, person).text).scan.token_id


def accepted_request_id(institution, person, national_id: str) -> str:
    request = vcard.request_authorisation(institution, national_id, "telemedicine")
    vcard.answer_request(person, request.pk, accept=True)
    return str(request.pk)


@pytest.fixture
def holder(person):
    with_virtual_card(person)
    return person


def virtual_visit(known, reference: str, **overrides) -> dict:
    return visit_payload(known, card_medium="virtual", virtual_card=reference, **overrides)


def outcome(body: dict, index: int = 0) -> dict:
    return body["results"][index]


def test_a_visit_made_with_a_scanned_card_is_stored_as_a_virtual_card_visit(clinic, clinic_api, holder, known):
    scan = scan_id(clinic, holder)
    status, body = post(clinic_api, "visits", [virtual_visit(known, scan)])
    assert status == 200 and outcome(body)["status"] == "created"
    visit = Visit.objects.get(pk=outcome(body)["id"])
    assert (visit.card_medium, visit.virtual_card) == ("virtual", scan)
    with translation.override("en"):
        assert visit.get_card_medium_display() == "Virtual NHI card"
    assert visit.get_card_medium_display() == "虛擬健保卡"  # the default language


def test_another_institutions_scan_is_refused(clinic, clinic_api, holder, known):
    elsewhere = make_institution("0140000022")
    status, body = post(clinic_api, "visits", [virtual_visit(known, scan_id(elsewhere, holder))])
    assert status == 422
    assert outcome(body)["errors"] == {"virtual_card": [NO_GRANT]}
    assert not Visit.objects.exists()


def test_a_scan_of_one_person_does_not_carry_a_visit_of_another(clinic, clinic_api, holder, other_person, known):
    scan = scan_id(clinic, holder)
    theirs = virtual_visit(known, scan, national_id=OTHER_ID, card_number="000055556666")
    status, body = post(clinic_api, "visits", [theirs])
    assert status == 422 and outcome(body)["errors"] == {"virtual_card": [NO_GRANT]}
    assert not Visit.objects.exists()


def test_a_scan_lets_the_institution_upload_for_a_day(clinic, clinic_api, holder, known, time_machine):
    scan = scan_id(clinic, holder)
    time_machine.move_to(NOW + dt.timedelta(hours=23, minutes=59), tick=False)
    status, _ = post(clinic_api, "visits", [virtual_visit(known, scan, record_id="V-late")])
    assert status == 200
    time_machine.move_to(NOW + dt.timedelta(hours=24), tick=False)
    status, body = post(clinic_api, "visits", [virtual_visit(known, scan, record_id="V-too-late")])
    assert status == 422 and outcome(body)["errors"] == {"virtual_card": [NO_GRANT]}


def test_an_accepted_request_lets_the_institution_upload_for_an_hour(clinic, clinic_api, holder, known, time_machine):
    reference = accepted_request_id(clinic, holder, PERSON_ID)
    time_machine.move_to(NOW + dt.timedelta(minutes=59), tick=False)
    status, body = post(clinic_api, "visits", [virtual_visit(known, reference.upper(), record_id="V-in-time")])
    assert status == 200 and outcome(body)["status"] == "created"
    assert Visit.objects.get(source_record_id="V-in-time").virtual_card == reference
    time_machine.move_to(NOW + dt.timedelta(hours=1, minutes=1), tick=False)
    status, body = post(clinic_api, "visits", [virtual_visit(known, reference, record_id="V-after-the-hour")])
    assert status == 422 and outcome(body)["errors"] == {"virtual_card": [NO_GRANT]}
    assert not Visit.objects.filter(source_record_id="V-after-the-hour").exists()


def test_a_request_the_person_has_not_accepted_is_refused(clinic, clinic_api, holder, known):
    request = vcard.request_authorisation(clinic, PERSON_ID, "telemedicine")
    status, body = post(clinic_api, "visits", [virtual_visit(known, str(request.pk))])
    assert status == 422 and outcome(body)["errors"] == {"virtual_card": [NO_GRANT]}


def test_once_accepted_a_virtual_visit_can_be_re_sent_and_corrected_after_its_time(
    clinic, clinic_api, holder, known, time_machine
):
    reference = accepted_request_id(clinic, holder, PERSON_ID)
    first = virtual_visit(known, reference)
    assert post(clinic_api, "visits", [first])[0] == 200
    time_machine.move_to(NOW + dt.timedelta(hours=3), tick=False)
    status, body = post(clinic_api, "visits", [first])
    assert status == 200 and outcome(body)["status"] == "unchanged"
    status, body = post(clinic_api, "visits", [virtual_visit(known, reference, copayment=150)])
    assert status == 200 and outcome(body)["status"] == "replaced"  # the same visit, the same authorisation
    # Naming another, dead, authorisation is a new use of the card: refused, and the visit stays as it was.
    other = virtual_visit(known, scan_id(make_institution("0140000022"), holder), copayment=150)
    status, body = post(clinic_api, "visits", [other])
    assert status == 422 and outcome(body)["errors"] == {"virtual_card": [NO_GRANT]}
    assert Visit.objects.get().virtual_card == reference


def test_a_visit_stored_before_the_card_fields_is_still_unchanged_when_re_sent(clinic_api, person, known):
    """The fingerprint leaves the new fields out while they hold their defaults (earlier visits' digests hold)."""
    assert post(clinic_api, "visits", [visit_payload(known)])[0] == 200
    explicit = visit_payload(known, card_medium="physical", virtual_card="", course_treatment=False)
    status, body = post(clinic_api, "visits", [explicit])
    assert status == 200 and outcome(body)["status"] == "unchanged"


def test_an_outpatient_visit_cannot_mix_the_two_cards(clinic, clinic_api, holder, known):
    status, body = post(
        clinic_api, "visits", [visit_payload(known, card_medium="mixed", virtual_card=scan_id(clinic, holder))]
    )
    assert status == 422 and outcome(body)["errors"] == {"card_medium": [NOT_MIXED]}


def test_a_stay_and_a_course_of_treatment_can_mix_the_two_cards(clinic, clinic_api, holder, known):
    stay = visit_payload(
        known,
        record_id="S-1",
        kind="inpatient",
        visit_date="2026-11-10",
        end_date="2026-11-18",
        card_medium="mixed",
        virtual_card=scan_id(clinic, holder),
    )
    course = visit_payload(
        known, record_id="C-1", course_treatment=True, card_medium="mixed", virtual_card=scan_id(clinic, holder)
    )
    status, body = post(clinic_api, "visits", [stay, course])
    assert status == 200, body
    stored = {v.source_record_id: v for v in Visit.objects.all()}
    assert stored["S-1"].card_medium == "mixed" and stored["S-1"].get_card_medium_display() == "健保卡及虛擬健保卡"
    assert (stored["C-1"].card_medium, stored["C-1"].course_treatment) == ("mixed", True)


def test_a_prescription_refill_can_mix_the_two_cards(clinic_api, pharmacy, holder, known):
    prescription = {"record_id": "RX-1", "days_per_fill": 28, "fills": 3, "icd10": known.icd}
    assert post(clinic_api, "visits", [visit_payload(known, chronic_prescription=prescription)])[0] == 200
    refill = visit_payload(
        known,
        record_id="P-1",
        institution=pharmacy.code,
        kind="pharmacy",
        refill_of={"institution": "0140000011", "record_id": "RX-1", "refill_number": 2},
        card_medium="mixed",
        virtual_card=scan_id(pharmacy, holder),
    )
    status, body = post(api_for(pharmacy), "visits", [refill])
    assert status == 200, body
    assert Visit.objects.get(source_record_id="P-1").card_medium == "mixed"


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"virtual_card": "0" * 32}, "virtual_card", "Name a virtual card only with card_medium virtual or mixed."),
        ({"card_medium": "virtual"}, "virtual_card", "names the scan_id"),
        ({"card_medium": "virtual", "virtual_card": "x" * 41}, "virtual_card", "at most 40 characters"),
        ({"card_medium": "chip"}, "card_medium", "'physical', 'virtual' or 'mixed'"),
    ],
)
def test_card_fields_that_do_not_fit_are_refused_naming_the_field(clinic_api, person, known, overrides, field, reason):
    status, body = post(clinic_api, "visits", [visit_payload(known, **overrides)])
    assert status == 422
    assert reason in " ".join(outcome(body)["errors"][field])
    assert not Visit.objects.exists()


def test_an_agency_cannot_send_visits_at_all(holder, known):
    status, body = post(api_for(agency="CDC"), "visits", [virtual_visit(known, "0" * 32)])
    assert status == 403 and "record_type" in body["errors"]


def test_the_person_sees_which_card_the_visit_was_made_with(clinic, clinic_api, holder, known, app_token):
    _, body = post(clinic_api, "visits", [virtual_visit(known, scan_id(clinic, holder))])
    virtual = outcome(body)["id"]
    _, body = post(clinic_api, "visits", [visit_payload(known, record_id="V-2")])
    physical = outcome(body)["id"]
    web = Client()
    session = web.session
    session[SESSION_PERSON], session[SESSION_METHOD] = str(holder.pk), Method.CERTIFICATE
    session.save()
    page = web.get(f"/en/passbook/{holder.pk}/visits/{virtual}/")
    assert page.status_code == 200
    assert "Card used" in page.content.decode() and "Virtual NHI card" in page.content.decode()
    plain = web.get(f"/en/passbook/{holder.pk}/visits/{physical}/").content.decode()
    assert "Card used" not in plain  # the physical card is the usual case: no row
    app = APIClient()
    app.credentials(HTTP_AUTHORIZATION=f"Token {app_token}")
    answer = app.get(f"/api/app/v1/passbook/{holder.pk}/visits/{virtual}?lang=en").json()
    assert (answer["card_medium"], answer["card_medium_label"]) == ("virtual", "Virtual NHI card")
