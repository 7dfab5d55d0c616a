"""Counter registration and suspension by an NHI operator (SPEC §3.2), every action audited."""

from __future__ import annotations

import pytest

from healthbank.accounts.models import OnlineAccount
from healthbank.audit.models import AccessLog
from healthbank.identity.models import Person
from tests.accounts.conftest import PASSWORD
from tests.accounts.test_login import log_in


def counter_form(person, **changes):
    data = {
        "id_document": "national_id_card",
        "email": "counter@example.tw",
        "mobile": person.mobile,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    data.update(changes)
    return data


def test_an_operator_registers_a_person_at_the_counter_who_can_then_log_in(admin_client, client, adult):
    person = Person.objects.by_national_id(adult.national_id).get()
    response = admin_client.post(f"/admin/accounts/onlineaccount/counter/{person.pk}/", counter_form(adult))
    assert response.status_code == 302
    account = OnlineAccount.objects.get()
    assert (account.status, account.channel) == ("active", "counter")
    log = AccessLog.objects.get(person_id=person.pk)
    assert (log.what, log.detail, log.operator.username) == ("counter_registration", "national_id_card", "admin")
    assert log_in(client, adult).status_code == 302


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"id_document": ""}, "This field is required"), ({"password_confirm": "x"}, "not the same")],
)
def test_counter_registration_needs_the_document_and_matching_passwords(admin_client, adult, changes, message):
    person = Person.objects.by_national_id(adult.national_id).get()
    response = admin_client.post(
        f"/en/admin/accounts/onlineaccount/counter/{person.pk}/", counter_form(adult, **changes)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not OnlineAccount.objects.exists()


def test_a_suspended_registration_cannot_log_in_until_reinstated(admin_client, client, registered):
    account = OnlineAccount.objects.get()
    assert admin_client.post(f"/admin/accounts/onlineaccount/{account.pk}/suspend/", {"reason": ""}).status_code == 200
    assert OnlineAccount.objects.get().status == "active"  # no reason, no suspension
    admin_client.post(f"/admin/accounts/onlineaccount/{account.pk}/suspend/", {"reason": "lent the account"})
    assert OnlineAccount.objects.get().status == "suspended"
    page = log_in(client, registered).content.decode()
    assert "suspended" in page
    admin_client.post(f"/admin/accounts/onlineaccount/{account.pk}/reinstate/", {"confirmed": "on"})
    assert OnlineAccount.objects.get().status == "active"
    assert log_in(client, registered).status_code == 302
    whats = sorted(AccessLog.objects.values_list("what", flat=True))
    assert whats == ["registration_reinstated", "registration_suspended"]


def test_only_staff_reach_the_counter_view(client, adult):
    person = Person.objects.by_national_id(adult.national_id).get()
    response = client.get(f"/admin/identity/person/{person.pk}/counter-view/")
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_the_person_sees_the_counter_view_in_their_access_log(admin_client, client, registered):
    from tests.accounts.test_login import log_in

    person = Person.objects.by_national_id(registered.national_id).get()
    log_in(client, registered)
    assert "Nobody else has looked" in client.get("/en/me/access-log/").content.decode()
    admin_client.post(
        f"/admin/identity/person/{person.pk}/counter-view/", {"id_document": "passport", "confirmed": "on"}
    )
    page = client.get("/en/me/access-log/").content.decode()
    assert "NHI staff" in page and "Passbook shown at the counter (ID document checked: Passport)" in page
    assert "admin" not in page.split("<main")[1]  # the NHI answers for its staff; their names stay inside
    page = client.get("/me/access-log/").content.decode()
    assert "健保署人員" in page and "臨櫃查詢健康存摺（查驗證件：護照）" in page
    assert "counter_view" not in page and "passport" not in page
