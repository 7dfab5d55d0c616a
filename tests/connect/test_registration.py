"""Operators register agencies and health apps (issue 14): their own permission, and registrations that hold."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client as Browser

from healthbank.connect.models import Application
from healthbank.staff import roles

from .conftest import register


def operator(django_user_model, *groups: str) -> Browser:
    user = django_user_model.objects.create_user(f"op{len(groups)}", password="x-long-staff-pass", is_staff=True)
    user.groups.set([Group.objects.get(name=name) for name in groups])
    browser = Browser()
    browser.force_login(user)
    return browser


def form(**overrides) -> dict:
    data = {
        "name": "綜合所得稅申報",
        "kind": "agency",
        "developer_name": "財政部",
        "privacy_policy_url": "https://tax.example.gov.tw/privacy",
        "allowed_scopes": ["openid", "profile"],
        "longest_access_months": "0",
        "client_id": "tax-filing",
        "client_secret": "a-long-client-secret-of-the-agency",
        "hash_client_secret": "on",
        "client_type": "confidential",
        "authorization_grant_type": "authorization-code",
        "redirect_uris": "https://tax.example.gov.tw/callback",
        "algorithm": "RS256",
    }
    return data | overrides


def test_a_registrar_registers_an_agency_and_other_staff_cannot(db, django_user_model):
    staff = operator(django_user_model, roles.COUNTER_STAFF, roles.RECORDS_REVIEWERS)
    assert staff.get("/admin/connect/application/add/").status_code == 403
    assert staff.post("/admin/connect/application/add/", form()).status_code == 403
    assert "connect/application" not in staff.get("/admin/").content.decode()
    registrar = operator(django_user_model, roles.CONNECT_REGISTRARS)
    response = registrar.post("/admin/connect/application/add/", form())
    assert response.status_code == 302, response.content.decode()[-2000:]
    app = Application.objects.get(client_id="tax-filing")
    assert app.kind == "agency" and not app.may_receive_national_id and app.allowed_scopes == "openid profile"
    page = registrar.get(f"/admin/connect/application/{app.pk}/change/").content.decode()
    assert 'value="profile" checked' in page or "checked" in page.split('value="profile"')[1][:40]
    assert "profile — 您的姓名" in page  # what the person will read on the consent page
    assert app.client_secret.startswith("argon2") or "$" in app.client_secret  # kept as a hash
    assert registrar.get(f"/admin/connect/application/{app.pk}/delete/").status_code == 403  # kept, never deleted


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"may_receive_national_id": True}, "may_receive_national_id"),  # allowed without the scope listed
        ({"allowed_scopes": "openid profile national_id"}, "may_receive_national_id"),  # listed, not allowed
        ({"kind": "health_app", "may_receive_national_id": True, "allowed_scopes": "openid national_id"}, None),
        ({"allowed_scopes": "openid passbook.nothing"}, "allowed_scopes"),
        ({"allowed_scopes": "profile"}, "allowed_scopes"),
        ({"longest_access_months": 14}, "longest_access_months"),
        ({"authorization_grant_type": "client-credentials"}, "authorization_grant_type"),
    ],
)
def test_a_registration_that_breaks_a_rule_is_refused(db, overrides, field):
    client = register()
    for name, value in overrides.items():
        setattr(client.app, name, value)
    with pytest.raises(ValidationError) as refused:
        client.app.full_clean()
    assert field is None or field in refused.value.message_dict


def test_a_sandbox_app_is_refused_on_a_system_of_real_people(db, settings):
    client = register()
    client.app.sandbox = True
    client.app.full_clean()
    settings.CONNECT_PEOPLE_ARE_SYNTHETIC = False
    with pytest.raises(ValidationError) as refused:
        client.app.full_clean()
    assert "sandbox" in refused.value.message_dict
