"""Whom a person may use the personal NHI data services for (SPEC §10): themselves and their dependents now."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from healthbank.access import rules
from healthbank.access.rules import Reader
from healthbank.access.services import NotReadable
from healthbank.audit.models import AccessLog
from healthbank.identity.models import Enrolment
from healthbank.insurance import selectors
from tests.insurance.conftest import app_client_for

pytestmark = pytest.mark.django_db


def test_the_insured_acts_for_each_dependent_and_it_is_in_the_dependents_log(household):
    reader = Reader.person(household.parent, address="10.1.2.3")
    assert [p.pk for p in selectors.people_acted_for(reader)] == [
        household.parent.pk,
        household.spouse.pk,
        household.teen.pk,
        household.child.pk,
    ]
    found = selectors.person_acted_for(reader, str(household.spouse.pk), service="enrolments")
    assert found == household.spouse
    entry = AccessLog.objects.get(person_id=household.spouse.pk)
    assert (entry.what, entry.detail, entry.actor_kind) == ("nhi_services", "enrolments", "insured")
    selectors.person_acted_for(reader, household.parent.pk, service="enrolments")
    assert not AccessLog.objects.filter(person_id=household.parent.pk).exists()  # one's own use is not logged


def test_a_dependent_acts_only_for_themselves(household):
    reader = Reader.person(household.spouse)
    assert selectors.people_acted_for(reader) == [household.spouse]
    for other in (household.parent, household.child):
        with pytest.raises(NotReadable):
            selectors.person_acted_for(reader, other.pk, service="enrolments")
    refused = AccessLog.objects.get(person_id=household.parent.pk)
    assert refused.what == "refused"


def test_a_dependent_who_left_the_household_is_no_longer_acted_for(household):
    reader = Reader.person(household.parent)
    enrolment = Enrolment.objects.get(person=household.teen, household__person=household.parent)
    enrolment.ended_on = timezone.localdate() - dt.timedelta(days=1)
    enrolment.save(update_fields=["ended_on"])
    assert rules.may_act_for(reader, household.teen) is None
    with pytest.raises(NotReadable):
        selectors.person_acted_for(reader, household.teen.pk, service="enrolments")
    with pytest.raises(NotReadable):
        selectors.person_acted_for(reader, "not-a-uuid", service="enrolments")


def test_the_app_lists_the_user_then_the_dependents(household):
    app = app_client_for(household.parent)
    body = app.get("/api/app/v1/services/?lang=en").json()
    assert [p["is_self"] for p in body["people"]] == [True, False, False, False]
    assert body["people"][1]["name"] == household.spouse.masked_name
    assert app_client_for(household.spouse).get("/api/app/v1/services/").json()["people"] == [
        {"id": str(household.spouse.pk), "name": household.spouse.masked_name, "is_self": True}
    ]
    assert app.get("/api/app/v1/services/?lang=fr").status_code == 400


def test_the_services_need_a_login():
    from django.test import Client

    assert Client().get("/services/").status_code == 302
    assert Client().get("/api/app/v1/services/").status_code == 401
