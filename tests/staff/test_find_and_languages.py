"""Finding people and registrations by a POST form, and the operator pages in both languages."""

from __future__ import annotations

import pytest
from django.utils import timezone

from healthbank.accounts.models import OnlineAccount
from healthbank.identity.services import create_person
from tests.conftest import OTHER_ID, PERSON_ID

pytestmark = pytest.mark.django_db


def test_the_registration_list_is_searched_by_a_posted_national_id(person, other_person, nobody, registration_staff):
    account = OnlineAccount.objects.create(
        person=person, status="active", channel="online", email="me@example.tw", created_at=timezone.now()
    )
    assert nobody.post("/admin/accounts/onlineaccount/find/", {"term": PERSON_ID}).status_code == 403
    found = registration_staff.post("/admin/accounts/onlineaccount/find/", {"term": PERSON_ID})
    assert found.status_code == 302 and found.url == f"/admin/accounts/onlineaccount/{account.pk}/change/"
    missing = registration_staff.post("/en/admin/accounts/onlineaccount/find/", {"term": OTHER_ID})
    assert missing.status_code == 200 and "Nobody on record matches" in missing.content.decode()
    assert OTHER_ID not in missing.content.decode().replace(f'value="{OTHER_ID}"', "")
    listing = registration_staff.get("/admin/accounts/onlineaccount/").content.decode()
    assert 'method="post"' in listing and 'id="searchbar"' not in listing  # no GET search to leak an ID


def test_a_name_with_several_matches_lists_them_masked(person, counter_staff, nobody):
    import datetime as dt

    create_person(national_id="A223456781", name="王小美", sex="F", birth_date=dt.date(1980, 1, 2))
    assert nobody.post("/admin/identity/person/find/", {"term": "王小"}).status_code == 403
    page = counter_staff.post("/admin/identity/person/find/", {"term": "王小"}).content.decode()
    assert "王○明" in page and "王○美" in page and "王小明" not in page
    assert f"/admin/identity/person/{person.pk}/change/" in page
    bad = counter_staff.post("/en/admin/identity/person/find/", {"term": "A12345678"}).content.decode()
    assert "Enter a national ID or resident certificate number" in bad


def test_the_operator_pages_follow_the_language_switch(person, reviewer):
    english = reviewer.get("/en/admin/").content.decode()
    assert "Health records" in english and "Care wishes" in english and "Care wishs" not in english
    chinese = reviewer.get("/admin/").content.decode()
    assert "健康紀錄" in chinese and "器官捐贈及安寧緩和醫療意願" in chinese and "Health records" not in chinese
    page = reviewer.get(f"/en/admin/identity/person/{person.pk}/change/").content.decode()
    assert "Date of birth" in page and "Records of this person" in page and "Lab results" in page
    page = reviewer.get(f"/admin/identity/person/{person.pk}/change/").content.decode()
    assert "出生日期" in page and "此人的紀錄" in page and "檢驗結果" in page
