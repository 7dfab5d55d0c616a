"""The person's records in the demo (issue 11): a share of the population has earlier enrolment periods (a move
or a withdrawal and re-enrolment), mailing-address changes and letters, and the pages show them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import translation

from healthbank.demo.loader import load_population
from healthbank.demo.population import build_population
from healthbank.demo.records import add_records, showcase_records
from healthbank.identity.models import Enrolment, Person
from healthbank.insurance import records
from healthbank.insurance.models import Letter, MailingAddress

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


def test_a_share_of_the_population_has_records_worth_showing():
    load_population(build_population(40, 7, TODAY))
    add_records(7, TODAY)
    movers = Enrolment.objects.values("person").annotate(n=Count("pk")).filter(n__gt=1)
    assert movers.exists()
    reasons = set()
    for row in movers:
        person = Person.objects.get(pk=row["person"])
        with translation.override("en"):
            found = records.enrolment_records(person)
        for r in found:
            reasons.add(r.end_reason.split(" ")[0])
    assert "Withdrawn" in reasons or "Transferred" in reasons
    moved = MailingAddress.objects.values("person").annotate(n=Count("pk")).filter(n=2)
    assert moved.exists() and MailingAddress.objects.filter(valid_until__isnull=True).count() == (
        MailingAddress.objects.values("person").distinct().count()
    )
    assert Letter.objects.filter(kind="card_mailed").exists()
    assert all(e.started_on <= e.ended_on for e in Enrolment.objects.exclude(ended_on=None))


def test_the_demo_logins_have_records_to_look_at():
    load_population(build_population(30, 7, TODAY))
    people = list(Person.objects.filter(enrolments__role="insured").order_by("birth_date")[:2])
    showcase_records(people, TODAY)
    showcase_records(people, TODAY)  # again: nothing more
    for person in people:
        assert MailingAddress.objects.filter(person=person).count() == 2
        assert Letter.objects.filter(person=person, kind="premium_arrears").count() == 1
    oldest = people[0]
    with translation.override("en"):
        reasons = {r.end_reason for r in records.enrolment_records(oldest)}
    assert "Withdrawn" in reasons
