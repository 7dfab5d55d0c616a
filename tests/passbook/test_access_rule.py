"""One access rule (SPEC §6.1, §11): the person, a parent until the child's 15th birthday, nobody else."""

from __future__ import annotations

import datetime as dt

import pytest

from healthbank.access import rules
from healthbank.access.models import Grant
from healthbank.access.rules import Reader
from healthbank.access.services import end_grant, grant_child_to_parent, start_of_day
from healthbank.audit.models import AccessLog
from healthbank.identity.models import Enrolment, InsuranceUnit, Person
from healthbank.identity.services import create_person, enrol_dependent, start_household
from healthbank.passbook.viewing import switchable_people

from .conftest import app_as, web_as

TAIPEI = dt.timezone(dt.timedelta(hours=8))


def test_a_parent_reads_their_child_and_each_read_is_in_the_childs_log(family, client):
    parent, child = family
    web_as(parent, client)
    page = client.get(f"/en/passbook/{child.pk}/outpatient/")
    assert page.status_code == 200
    assert "your child under 15" in page.content.decode()
    entry = AccessLog.objects.get(person_id=child.pk, what="passbook", category="outpatient")
    assert entry.actor_kind == "parent" and entry.address == "127.0.0.1"
    own = client.get(f"/en/passbook/{parent.pk}/outpatient/")
    assert own.status_code == 200
    assert not AccessLog.objects.filter(person_id=parent.pk).exists()  # the person's own reads are theirs


def test_the_header_switches_between_own_and_childs_passbook(family, client):
    parent, child = family
    page = web_as(parent, client).get(f"/en/passbook/{parent.pk}/").content.decode()
    assert f"/en/passbook/{child.pk}/" in page and child.masked_name in page


def test_a_stranger_gets_the_same_404_as_for_nobody_and_the_attempt_is_logged(family, adult_with_visits, client):
    _parent, child = family
    web_as(adult_with_visits, client)
    refused = client.get(f"/en/passbook/{child.pk}/outpatient/")
    missing = client.get("/en/passbook/00000000-0000-0000-0000-000000000000/outpatient/")
    assert refused.status_code == missing.status_code == 404
    assert refused.content == missing.content
    entry = AccessLog.objects.get(person_id=child.pk)
    assert (entry.what, entry.actor_kind) == ("refused", "person")


def test_the_app_uses_the_same_rule(family, adult_with_visits):
    parent, child = family
    assert app_as(parent).get(f"/api/app/v1/passbook/{child.pk}/outpatient").status_code == 200
    stranger = app_as(adult_with_visits)
    response = stranger.get(f"/api/app/v1/passbook/{child.pk}/outpatient")
    assert response.status_code == 404 and "errors" in response.json()
    assert AccessLog.objects.filter(person_id=child.pk, what="refused").count() == 1


def _family_born(birth: dt.date) -> tuple[Person, Person]:
    unit = InsuranceUnit.objects.create(code="123456789", name="測試公司", kind="employer", county="臺北市")
    parent = create_person(national_id="A123456789", name="王大明", sex="M", birth_date=dt.date(1980, 5, 5))
    child = create_person(national_id="B120000008", name="王小明", sex="M", birth_date=birth)
    household = start_household(parent, unit, category=1, salary=45800, since=dt.date(2010, 1, 1))
    enrol_dependent(household, child, relationship=Enrolment.Relationship.CHILD, since=birth)
    return parent, child


@pytest.mark.django_db
@pytest.mark.parametrize(
    "birth, last_day, birthday",
    [
        (dt.date(2012, 6, 10), dt.date(2027, 6, 9), dt.date(2027, 6, 10)),
        # Born on 29 February: in a common year the birthday is 1 March (Civil Code arts. 121, 124).
        (dt.date(2012, 2, 29), dt.date(2027, 2, 28), dt.date(2027, 3, 1)),
    ],
)
def test_the_parent_loses_the_child_on_the_15th_birthday_with_nobody_doing_anything(
    birth, last_day, birthday, time_machine
):
    parent, child = _family_born(birth)
    reader = Reader.person(parent)
    time_machine.move_to(dt.datetime.combine(last_day, dt.time(23, 59, 59), tzinfo=TAIPEI), tick=False)
    assert rules.may_read(reader, child, "labs") is not None
    assert [p.pk for p, _why in switchable_people(reader)] == [parent.pk, child.pk]
    time_machine.move_to(dt.datetime.combine(birthday, dt.time(0, 0), tzinfo=TAIPEI), tick=False)
    assert rules.may_read(reader, child, "labs") is None
    assert rules.may_read(Reader.person(child), child, "labs") is not None  # the child reads it themselves
    client = web_as(parent)
    assert client.get(f"/en/passbook/{child.pk}/").status_code == 404
    assert AccessLog.objects.filter(person_id=child.pk, what="refused").exists()


@pytest.mark.django_db
def test_a_grant_ended_early_stops_reads_at_once_and_stays_in_history(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 20, 12, tzinfo=TAIPEI), tick=False)
    parent, child = _family_born(dt.date(2018, 1, 1))
    grant = Grant.objects.get(person=child)
    assert grant.valid_until == start_of_day(dt.date(2033, 1, 1))
    end_grant(grant)
    assert rules.may_read(Reader.person(parent), child, "outpatient") is None
    assert Grant.objects.filter(pk=grant.pk, ended_at__isnull=False).exists()


@pytest.mark.django_db
def test_only_a_child_of_the_insured_gives_a_grant_and_only_once(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 20, 12, tzinfo=TAIPEI), tick=False)
    _parent, child = _family_born(dt.date(2018, 1, 1))
    enrolment = Enrolment.objects.get(person=child)
    assert grant_child_to_parent(enrolment) == Grant.objects.get(person=child)  # a re-run makes no second row
    spouse = create_person(national_id="A223456781", name="王太太", sex="F", birth_date=dt.date(1982, 1, 1))
    enrol_dependent(enrolment.household, spouse, relationship=Enrolment.Relationship.SPOUSE, since=dt.date(2020, 1, 1))
    assert not Grant.objects.filter(person=spouse).exists()


@pytest.mark.django_db
def test_the_parent_loses_the_child_when_the_child_leaves_the_household(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 20, 12, tzinfo=TAIPEI), tick=False)
    parent, child = _family_born(dt.date(2018, 1, 1))
    enrolment = Enrolment.objects.get(person=child)
    enrolment.ended_on = dt.date(2026, 11, 30)  # moves to the other parent's household
    enrolment.save()
    reader = Reader.person(parent)
    assert rules.may_read(reader, child, "outpatient") is not None
    time_machine.move_to(dt.datetime(2026, 12, 1, 0, 0, tzinfo=TAIPEI), tick=False)
    assert rules.may_read(reader, child, "outpatient") is None
    assert Grant.objects.filter(person=child).count() == 1  # the same row, shortened: history kept
