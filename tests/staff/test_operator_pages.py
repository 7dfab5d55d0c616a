"""Operators see only what their group allows, and every read of a person's data is logged (SPEC §11).

Each operator view is tried by a staff user with no permission (403, nothing
shown, nothing changed) and by a user of the group that has the permission
(200 and an access-log row naming the operator, the person and what was read).
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.hashers import check_password

from healthbank.accounts.models import OnlineAccount
from healthbank.audit.models import AccessLog
from healthbank.identity.models import InsuranceUnit, Person
from healthbank.staff import roles
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db

RECORD_ADMINS = [
    "records.visit",
    "records.chronicprescription",
    "records.labresult",
    "records.report",
    "records.allergy",
    "records.vaccination",
    "records.preventivecheck",
    "records.cancerscreening",
    "records.followup",
    "records.carewish",
    "insurance.premiumcalculation",
    "insurance.premiumpayment",
]


def admin_url(label: str) -> str:
    return "/admin/{}/{}/".format(*label.split("."))


def logged(person_id, what: str, **fields) -> list[AccessLog]:
    return list(AccessLog.objects.filter(person_id=person_id, what=what, **fields))


@pytest.mark.parametrize("label", RECORD_ADMINS)
def test_a_record_admin_refuses_staff_without_its_permission(world, nobody, counter_staff, label):
    record = apps.get_model(label).objects.first()
    assert record is not None, f"the test population has no {label}"
    for client in (nobody, counter_staff):  # counter staff show the passbook, they do not browse records
        assert client.get(admin_url(label), {"person__id__exact": record.person_id}).status_code == 403
        assert client.get(f"{admin_url(label)}{record.pk}/change/").status_code == 403
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("label", RECORD_ADMINS)
def test_a_reviewer_reads_one_persons_records_and_each_read_is_logged(world, reviewer, label):
    record = apps.get_model(label).objects.first()
    person_id = record.person_id
    listing = reviewer.get(admin_url(label), {"person__id__exact": person_id})
    assert listing.status_code == 200
    [entry] = logged(person_id, "record_list", detail=label)
    assert entry.operator.username.startswith("staff") and entry.actor_kind == "operator"
    page = reviewer.get(f"{admin_url(label)}{record.pk}/change/")
    assert page.status_code == 200
    [entry] = logged(person_id, "record", detail=label)
    assert entry.operator is not None


def test_a_record_list_across_people_shows_no_health_data_and_logs_nothing(world, reviewer):
    from healthbank.records.models import LabResult, Visit

    visit = Visit.objects.select_related("institution").order_by("visit_date").first()
    page = reviewer.get("/admin/records/visit/").content.decode()
    assert visit.source_record_id in page or "visit" in page  # the list is there ...
    assert visit.institution.name not in page  # ... but says neither where nor what
    assert "copayment" not in page.lower() and str(visit.person) not in page
    lab = LabResult.objects.exclude(value="").first()
    page = reviewer.get("/en/admin/records/labresult/").content.decode()
    assert lab.name not in page
    assert not AccessLog.objects.exists()


def test_a_list_narrowed_to_a_person_any_other_way_is_refused(world, reviewer):
    visit = apps.get_model("records.visit").objects.first()
    for parameter in ("person", "person_id", "person__id", "person__exact"):
        response = reviewer.get("/admin/records/visit/", {parameter: visit.person_id})
        assert response.status_code == 400, parameter
    assert not AccessLog.objects.exists()


def test_opening_a_persons_page_needs_the_view_permission_and_is_logged(world, nobody, unit_admin, counter_staff):
    person = Person.objects.first()
    url = f"/admin/identity/person/{person.pk}/change/"
    assert nobody.get(url).status_code == 403
    assert unit_admin.get(url).status_code == 403  # unit administrators keep units, not people
    assert nobody.get("/admin/identity/person/").status_code == 403
    assert not AccessLog.objects.exists()
    assert counter_staff.get(url).status_code == 200
    assert logged(person.pk, "person_details")


def test_the_counter_view_needs_its_permission(world, nobody, reviewer, registration_staff, counter_staff):
    from healthbank.records.models import Visit

    person = Visit.objects.order_by("-visit_date").first().person
    url = f"/admin/identity/person/{person.pk}/counter-view/"
    check = {"id_document": "passport", "confirmed": "on"}
    for client in (nobody, reviewer, registration_staff):
        response = client.post(url, check)
        assert response.status_code == 403
        assert "Visits" not in response.content.decode()
    assert not AccessLog.objects.exists()
    response = counter_staff.post(f"/en{url}", check)
    assert response.status_code == 200 and "Visits since" in response.content.decode()
    [entry] = logged(person.pk, "counter_view", detail="passport")
    assert entry.operator.username.startswith("staff")


def test_counter_registration_needs_its_permission(world, nobody, counter_staff, registration_staff):
    from tests.accounts.conftest import TODAY

    adult = next(p for p in world.people if p.mobile and p.age_on(TODAY) >= 20)
    person = Person.objects.by_national_id(adult.national_id).get()
    form = {
        "id_document": "national_id_card",
        "email": "attacker@example.tw",
        "mobile": adult.mobile,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    url = f"/admin/accounts/onlineaccount/counter/{person.pk}/"
    for client in (nobody, counter_staff):
        assert client.post(url, form).status_code == 403
        assert client.get(url).status_code == 403
    assert not OnlineAccount.objects.exists()
    assert registration_staff.post(url, form).status_code == 302
    assert OnlineAccount.objects.get(person=person).status == "active"
    [entry] = logged(person.pk, "counter_registration", detail="national_id_card")
    assert entry.operator.username.startswith("staff")


@pytest.fixture
def account(world):
    from django.utils import timezone

    person = Person.objects.first()
    return OnlineAccount.objects.create(
        person=person,
        status="active",
        channel="online",
        password="x",
        email="me@example.tw",
        created_at=timezone.now(),
        activated_at=timezone.now(),
    )


def test_suspension_and_reinstatement_need_their_permission(account, nobody, counter_staff, registration_staff):
    suspend = f"/admin/accounts/onlineaccount/{account.pk}/suspend/"
    reinstate = f"/admin/accounts/onlineaccount/{account.pk}/reinstate/"
    for client in (nobody, counter_staff):
        assert client.post(suspend, {"reason": "lent the account"}).status_code == 403
    account.refresh_from_db()
    assert account.status == "active"
    assert registration_staff.post(suspend, {"reason": "lent the account"}).status_code == 302
    account.refresh_from_db()
    assert (account.status, account.suspended_reason) == ("suspended", "lent the account")
    for client in (nobody, counter_staff):
        assert client.post(reinstate, {"confirmed": "on"}).status_code == 403
    account.refresh_from_db()
    assert account.status == "suspended"
    assert registration_staff.post(reinstate, {"confirmed": "on"}).status_code == 302
    account.refresh_from_db()
    assert account.status == "active"
    whats = sorted(AccessLog.objects.filter(person_id=account.person_id).values_list("what", flat=True))
    assert whats == ["registration_reinstated", "registration_suspended"]


def test_suspend_and_reinstate_are_buttons_on_the_persons_page(account, registration_staff, counter_staff):
    page_url = f"/en/admin/identity/person/{account.person_id}/change/"
    page = registration_staff.get(page_url).content.decode()
    assert f"/admin/accounts/onlineaccount/{account.pk}/suspend/" in page and "Suspend the registration" in page
    assert "Counter view of the passbook" not in page  # not this group's work
    form = registration_staff.get(f"/en/admin/accounts/onlineaccount/{account.pk}/suspend/").content.decode()
    assert "Reason for the suspension" in form
    assert (
        registration_staff.post(f"/admin/accounts/onlineaccount/{account.pk}/suspend/", {"reason": ""}).status_code
        == 200
    )  # no reason, no suspension
    account.refresh_from_db()
    assert account.status == "active"
    registration_staff.post(f"/admin/accounts/onlineaccount/{account.pk}/suspend/", {"reason": "lent the account"})
    page = registration_staff.get(page_url).content.decode()
    assert f"/admin/accounts/onlineaccount/{account.pk}/reinstate/" in page and "lent the account" in page
    counter_page = counter_staff.get(page_url).content.decode()
    assert "reinstate" not in counter_page and "Counter view of the passbook" in counter_page


def test_a_units_portal_password_is_set_through_a_form_never_a_hash_field(world, nobody, unit_admin):
    unit = InsuranceUnit.objects.order_by("code").first()
    change = unit_admin.get(f"/en/admin/identity/insuranceunit/{unit.pk}/change/").content.decode()
    assert 'name="portal_password"' not in change and "Set the portal password" in change
    url = f"/en/admin/identity/insuranceunit/{unit.pk}/portal-password/"
    assert nobody.post(url, {"password1": "a-long-unit-pass", "password2": "a-long-unit-pass"}).status_code == 403
    unit.refresh_from_db()
    assert not unit.portal_password
    short = unit_admin.post(url, {"password1": "short", "password2": "short"})
    assert short.status_code == 200 and "at least 12 characters" in short.content.decode()
    differ = unit_admin.post(url, {"password1": "a-long-unit-pass", "password2": "a-long-unit-pasS"})
    assert "not the same" in differ.content.decode()
    unit.refresh_from_db()
    assert not unit.portal_password
    assert unit_admin.post(url, {"password1": "a-long-unit-pass", "password2": "a-long-unit-pass"}).status_code == 302
    unit.refresh_from_db()
    assert check_password("a-long-unit-pass", unit.portal_password)


def test_the_groups_hold_only_their_permissions():
    from django.contrib.auth.models import Group

    groups = {g.name: g for g in Group.objects.prefetch_related("permissions__content_type")}
    assert set(roles.ROLES) <= set(groups)
    for name, wanted in roles.ROLES.items():
        held = {f"{p.content_type.app_label}.{p.codename}" for p in groups[name].permissions.all()}
        assert held == set(wanted), name
    counter = set(roles.ROLES[roles.COUNTER_STAFF])
    assert not any(p.startswith(("records.", "insurance.", "accounts.")) for p in counter)
    assert not any(p.startswith(("records.", "insurance.")) for p in roles.ROLES[roles.REGISTRATION_STAFF])
    assert not any(p.startswith(("records.", "accounts.")) for p in roles.ROLES[roles.UNIT_ADMINISTRATORS])
    for permissions in roles.ROLES.values():
        assert not any(p.split(".")[1].startswith(("delete_", "add_")) for p in permissions)


def test_a_list_narrowed_to_a_persons_card_is_refused_and_logs_nothing(world, reviewer):
    """A card is its holder: ``?card=<id>`` listed one person's visits and where they were, with no log entry."""
    visit = apps.get_model("records.visit").objects.exclude(card=None).first()
    for parameter in ("card", "card_id", "card__exact", "card__in"):
        response = reviewer.get("/admin/records/visit/", {parameter: visit.card_id})
        assert response.status_code == 400, parameter
        assert visit.source_record_id not in response.content.decode()
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize(
    ("label", "parameter", "field"),
    [("records.chronicprescription", "icd10", "icd10"), ("records.visit", "kind", "kind"),
     ("records.visit", "institution", "institution_id"), ("records.labresult", "lab_key", "lab_key"),
     ("records.cancerscreening", "abnormal__exact", "abnormal")],
)  # fmt: skip
def test_a_list_across_people_cannot_be_filtered_by_what_the_records_say(world, reviewer, label, parameter, field):
    record = apps.get_model(label).objects.first()
    response = reviewer.get(admin_url(label), {parameter: getattr(record, field)})
    assert response.status_code == 400
    assert not AccessLog.objects.exists()


def test_a_list_narrowed_to_a_person_keeps_its_own_filters(world, reviewer):
    visit = apps.get_model("records.visit").objects.first()
    response = reviewer.get("/admin/records/visit/", {"person__id__exact": visit.person_id, "kind__exact": visit.kind})
    assert response.status_code == 200
    assert logged(visit.person_id, "record_list", detail="records.visit")


@pytest.mark.parametrize("object_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "person"])
def test_the_admins_view_on_site_redirect_answers_404_for_any_object(world, nobody, reviewer, object_id):
    """Django's ``admin/r/<content type>/<id>/`` looked objects up for any staff user and answered 500 for a
    non-UUID id; HealthBank objects have no public page, so it is 404 for every id, existing or not."""
    from django.contrib.contenttypes.models import ContentType

    person = Person.objects.first()
    content_type = ContentType.objects.get_for_model(Person)
    object_id = str(person.pk) if object_id == "person" else object_id
    for client in (nobody, reviewer):
        client.raise_request_exception = False
        assert client.get(f"/admin/r/{content_type.pk}/{object_id}/").status_code == 404


def test_an_operator_refused_a_page_is_sent_back_to_the_operator_pages(nobody):
    for prefix, home in (("", 'href="/admin/"'), ("/en", 'href="/en/admin/"')):
        page = nobody.get(f"{prefix}/admin/identity/person/").content.decode()
        assert home in page
        assert 'href="/"' not in page.split("<main", 1)[1] and 'href="/en/"' not in page.split("<main", 1)[1]
