"""How people are stored and found: never the ID in clear, always by its keyed hash."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from healthbank.audit.models import AccessLog
from healthbank.identity.models import Person
from healthbank.identity.services import IdentityError, create_person, current_card
from tests.conftest import PERSON_ID

pytestmark = pytest.mark.django_db


def test_the_national_id_is_not_stored_in_clear(person):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM identity_person")
        rows = cursor.fetchall()
    assert PERSON_ID not in repr(rows)
    assert Person.objects.by_national_id(PERSON_ID).get().national_id == PERSON_ID
    assert person.national_id_masked == "A12345****"


def test_a_person_can_be_entered_only_once(person):
    with pytest.raises(IdentityError) as info:
        create_person(national_id=PERSON_ID, name="王小明", sex="M", birth_date=dt.date(1970, 5, 4))
    assert info.value.field == "national_id"


def test_a_malformed_id_or_a_sex_that_contradicts_it_is_refused(db):
    with pytest.raises(IdentityError) as info:
        create_person(national_id="A123456780", name="王", sex="M", birth_date=dt.date(1970, 1, 1))
    assert info.value.field == "national_id"
    with pytest.raises(IdentityError) as info:
        create_person(national_id=PERSON_ID, name="王", sex="F", birth_date=dt.date(1970, 1, 1))
    assert info.value.field == "sex"
    assert not Person.objects.exists()


def test_only_the_newest_card_is_current(person):
    assert current_card(person).card_number == "000033334444"
    assert current_card(person, on=dt.date(2020, 1, 1)).card_number == "000011112222"


def test_an_operator_finds_a_person_by_national_id_in_a_post_form_and_the_read_is_logged(
    admin_client, person, other_person
):
    response = admin_client.post("/admin/identity/person/find/", {"term": PERSON_ID.lower()})
    assert response.status_code == 302
    assert response.url == f"/admin/identity/person/{person.pk}/change/"  # the public id, not the national ID
    page = admin_client.get(response.url)
    assert page.status_code == 200
    assert "A12345****" in page.content.decode() and PERSON_ID not in page.content.decode()
    log = AccessLog.objects.get()
    assert (log.person_id, log.actor_kind, log.what) == (person.pk, "operator", "person_details")
    assert PERSON_ID not in log.actor_label + log.what + log.detail


def test_operator_record_lists_filtered_by_person_are_logged(admin_client, person):
    response = admin_client.get("/admin/records/visit/", {"person__id__exact": str(person.pk)})
    assert response.status_code == 200
    assert AccessLog.objects.filter(person_id=person.pk, what="record_list", detail="records.visit").exists()


def test_operators_read_records_but_cannot_edit_them(admin_client, clinic, person, known, frozen_today):
    from healthbank.core import codes
    from healthbank.records.models import Visit
    from tests.conftest import api_for, post, visit_payload

    post(api_for(clinic), "visits", [visit_payload(known)])
    visit = Visit.objects.get()
    page = admin_client.get(f"/admin/records/visit/{visit.pk}/change/")
    assert page.status_code == 200
    assert codes.drugs()[known.drug].name in page.content.decode()
    response = admin_client.post(f"/admin/records/visit/{visit.pk}/change/", {"copayment": 9999})
    assert response.status_code == 403
    visit.refresh_from_db()
    assert visit.copayment == 50
