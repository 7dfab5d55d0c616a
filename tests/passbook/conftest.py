"""A loaded population with care history; people reading their own, their child's or a stranger's passbook."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from healthbank.accounts.login import SESSION_METHOD, SESSION_PERSON, Method
from healthbank.accounts.models import OnlineAccount
from healthbank.devices import services as devices
from healthbank.identity.models import Enrolment, Person
from tests.accounts.conftest import TODAY, loaded_once, use_loaded

PASSWORD = "Hb-2026ok"
_addresses = itertools.count(1)


@pytest.fixture(scope="package")
def _loaded_world_with_history(django_db_setup, django_db_blocker):
    """Loaded once for every passbook test module (each test still rolls back what it changes)."""
    yield from loaded_once(django_db_blocker, history=True)


@pytest.fixture
def world(_loaded_world_with_history, db, time_machine):
    return use_loaded(_loaded_world_with_history, time_machine, history=True)


@pytest.fixture
def family(world) -> tuple[Person, Person]:
    """A parent (the insured) and their child under 15 insured under them."""
    enrolment = (
        Enrolment.objects.filter(role="dependent", relationship="child", ended_on__isnull=True)
        .select_related("person", "household__person")
        .order_by("-person__birth_date")
    )
    for e in enrolment:
        if e.person.age_on(TODAY) < 15:
            return e.household.person, e.person
    raise AssertionError("the population has no child under 15")


@pytest.fixture
def adult_with_visits(world) -> Person:
    """The adult with the most western-medicine visits (a full passbook)."""
    from django.db.models import Count

    from healthbank.records.models import Visit

    busiest = (
        Visit.objects.filter(kind="western", person__birth_date__lte=TODAY.replace(year=TODAY.year - 20))
        .values("person")
        .annotate(n=Count("id"))
        .order_by("-n", "person")
        .first()
    )
    return Person.objects.get(pk=busiest["person"])


def web_as(person: Person, client: Client | None = None) -> Client:
    """The person logged in on the web (a citizen-certificate session: no password needed)."""
    client = client or Client()
    session = client.session
    session[SESSION_PERSON], session[SESSION_METHOD] = str(person.pk), Method.CERTIFICATE
    session.save()
    return client


def app_as(person: Person) -> APIClient:
    """The person logged in on the app: a verified device and a token from POST /api/app/v1/login."""
    address = f"10.77.{next(_addresses) % 250}.{next(_addresses) % 250 + 1}"
    if not OnlineAccount.objects.filter(person=person).exists():
        OnlineAccount.objects.create(
            person=person,
            status="active",
            channel="online",
            password=make_password(PASSWORD),
            email="me@example.tw",
            mobile="0912345678",
            created_at=timezone.now(),
            activated_at=timezone.now(),
        )
    issued = devices.issue_device_code(person)
    _binding, credential = devices.bind_device(
        issued.code, platform="Android", model="Pixel 9", device_identifier=f"dev-{person.pk}"
    )
    client = APIClient(REMOTE_ADDR=address)
    response = client.post(
        "/api/app/v1/login",
        {"national_id": person.national_id, "password": PASSWORD, "device_credential": credential},
        format="json",
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


@pytest.fixture
def counter_staff_client(db, django_user_model) -> Client:
    """A staff user of the counter group (the passbook permission), logged in to the operator pages."""
    from django.contrib.auth.models import Group

    from healthbank.staff import roles

    user = django_user_model.objects.create_user("counter1", password="x-long-staff-pass", is_staff=True)
    user.groups.set([Group.objects.get(name=roles.COUNTER_STAFF)])
    client = Client()
    client.force_login(user)
    return client
