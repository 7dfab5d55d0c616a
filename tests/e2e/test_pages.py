"""The landing page in both languages and the operator's person search, in a real browser."""

from __future__ import annotations

import pytest

from tests.conftest import PERSON_ID
from tests.e2e.conftest import assert_accessible, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_home_page_switches_language(page, live_server):
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "健康存摺"
    shot(page, "home-zh")
    assert_accessible(page)
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/en/")
    assert page.locator("h1").inner_text() == "My Health Bank"
    shot(page, "home-en")
    assert_accessible(page)


def test_operator_finds_a_person_by_national_id(page, live_server, person, django_user_model):
    django_user_model.objects.create_superuser("op", "op@example.com", "a-long-demo-password")
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "op")
    page.fill("#id_password", "a-long-demo-password")
    page.click("input[type=submit]")
    page.goto(live_server.url + "/admin/identity/person/")
    page.fill("#searchbar", PERSON_ID)
    page.press("#searchbar", "Enter")
    page.wait_for_load_state()
    shot(page, "admin-person-search")
    row = page.locator("#result_list tbody tr")
    assert row.count() == 1
    assert "A12345****" in row.inner_text()
    assert PERSON_ID not in row.inner_text()
