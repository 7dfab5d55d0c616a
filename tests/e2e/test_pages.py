"""The landing page in both languages, in a real browser."""

from __future__ import annotations

import pytest

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
