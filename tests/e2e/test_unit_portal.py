"""An insurance unit's contact uploads a batch file in a real browser and sees the outcome and the history."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from healthbank.core.rocdate import format_roc_compact
from healthbank.demo.loader import load_population
from healthbank.demo.population import build_population
from healthbank.identity.models import Enrolment
from tests.e2e.conftest import PHONE, assert_accessible, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def unit(transactional_db):
    load_population(build_population(20, seed=33, today=timezone.localdate()))
    enrolment = Enrolment.objects.filter(ended_on__isnull=True).select_related("unit", "person").first()
    unit = enrolment.unit
    unit.portal_password = make_password("unit-pass-2026")
    unit.contact_email = "hr@unit.example.tw"
    unit.save()
    unit.member = enrolment.person
    return unit


def test_a_unit_uploads_a_big5_file_and_reads_the_outcome(page, live_server, unit, tmp_path):
    csv = tmp_path / f"{unit.code}{format_roc_compact(timezone.localdate())}.csv"
    csv.write_bytes(f"{unit.member.national_id},staff@example.tw\r\nA123456788,bad@example.tw\r\n".encode("cp950"))
    page.goto(live_server.url + "/unit/login/")
    assert_accessible(page)
    page.fill("input[name=code]", unit.code)
    page.fill("input[name=password]", "unit-pass-2026")
    page.get_by_role("button", name="登入").click()
    page.wait_for_url("**/unit/")
    page.set_input_files("input[type=file]", str(csv))
    page.get_by_role("button", name="上傳").click()
    # The upload posts to the page it is on: wait for its answer, not for a load state the old page already has.
    page.get_by_text("受理 1 筆，退件 1 筆").wait_for()
    body = page.locator("main").inner_text()
    assert "受理 1 筆，退件 1 筆" in body
    assert csv.name in page.locator("table").inner_text()
    shot(page, "unit-upload-zh")
    assert_accessible(page)
    page.set_viewport_size(PHONE)  # on a phone the result file is in reach, not behind a sideways scroll
    box = page.get_by_role("link", name="處理結果檔").bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"], box
