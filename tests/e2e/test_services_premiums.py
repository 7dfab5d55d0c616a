"""個人未繳保費 in a real browser on a 360×740 phone (SPEC §10, issue 11): the list with the overdue months and
the total, a payment slip downloaded and its barcodes read back, the instalment schedule accepted.

Screenshots: tests/e2e/screenshots/premiums-*.png (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from healthbank.insurance import unpaid
from healthbank.insurance.models import InstalmentPlan
from tests.e2e.conftest import DESKTOP, axe_violations, shot
from tests.e2e.test_vcard import fits, tab  # noqa: F401 - the phone-tab fixture
from tests.insurance.test_pdf_layer import pdf_text
from tests.insurance.test_unpaid_premiums import self_payer, slip_barcodes_in, township  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_on_a_phone_the_list_a_slip_and_instalments(tab, self_payer):  # noqa: F811
    page = tab(self_payer)
    page.goto(f"{page.base}/services/{self_payer.pk}/premiums/")
    table = page.locator("table.unpaid-premiums")
    assert table.locator("tbody tr").count() == 6
    assert table.locator("tr.overdue").count() == 5
    assert "NT$ 4,956" in page.locator(".unpaid-total").inner_text()
    fits(page, "the unpaid premiums list")
    assert axe_violations(page) == []
    shot(page, "premiums-list-phone")

    with page.expect_download() as download:
        table.locator("tbody tr").last.get_by_role("link").click()
    pdf = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.startswith("繳款單")
    assert "NT$826" in pdf_text(pdf).replace(" ", "")
    assert unpaid.check_is_valid(*slip_barcodes_in(pdf))

    page.get_by_label("分期期數").select_option("3")
    page.get_by_role("button", name="試算分期").click()
    # The form is a GET to the proposal page: wait for that page's schedule, not for its address (it changes first).
    expect(page.locator("table.instalments tbody tr")).to_have_count(3)
    fits(page, "the proposed schedule")
    shot(page, "premiums-proposal-phone")
    page.get_by_role("button", name="接受此分期計畫").click()
    page.wait_for_url("**/premiums/")
    assert page.get_by_text("分期繳納申請已受理").is_visible()
    assert InstalmentPlan.objects.filter(person=self_payer).count() == 1
    fits(page, "the list with instalments")
    shot(page, "premiums-instalments-phone")
    with page.expect_download() as download:
        page.locator("table.instalments tbody tr").first.get_by_role("link").click()
    assert "NT$1,652" in pdf_text(Path(download.value.path()).read_bytes()).replace(" ", "")
    page.set_viewport_size(DESKTOP)
    shot(page, "premiums-instalments-desktop")
