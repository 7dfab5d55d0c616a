"""Township-office enrolment in a real browser (issue 11): on a 360×740 phone the insured person asks the office
to suspend his wife's insurance (missing, reported to the police) with a PDF, after a wrong file is refused; the
officer decides it in the admin on a desktop; the person sees the decision and gets the e-mail. Chinese pages.

Screenshots: tests/e2e/screenshots/township-*.png (git-ignored).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone

from healthbank.identity.models import Enrolment
from healthbank.insurance.models import TownshipRequest
from healthbank.staff import roles
from tests.e2e import test_vcard
from tests.e2e.conftest import DESKTOP, axe_violations, shot
from tests.insurance import test_township
from tests.insurance.test_township import PDF

register = test_vcard.register
tab = test_vcard.tab  # a phone-sized tab logged in as a person
villager = test_township.villager  # 林阿土 and his wife, insured at the 中正區 office

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fits(page, what: str) -> None:
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{what}: {width}px wide"


def test_a_suspension_with_a_document_on_the_phone_and_its_decision_in_the_admin(
    tab, villager, browser, live_server, django_user_model, settings, tmp_path
):
    settings.TOWNSHIP_DOCUMENT_DIR = tmp_path / "documents"
    register(villager, "lin@example.tw")
    wife = villager.wife
    phone = tab(villager)
    phone.goto(f"{phone.base}/services/")
    phone.get_by_role("link", name="公所加保、轉出、停保、復保").last.click()  # the dependent's section
    phone.wait_for_url(f"**/services/{wife.pk}/township/")
    assert "臺北市中正區公所" in phone.inner_text("main")
    shot(phone, "township-dependent-phone")
    phone.get_by_role("link", name="停保").click()
    phone.get_by_label("失蹤（已向警察機關報案）").check()
    missing_since = timezone.localdate() - dt.timedelta(days=9)
    phone.fill("#event_on", missing_since.isoformat())
    assert phone.input_value("#email") == "lin@example.tw"
    not_a_pdf = {"name": "report.pdf", "mimeType": "application/pdf", "buffer": b"hello"}
    phone.set_input_files("#document", files=[not_a_pdf])
    phone.get_by_role("button", name="送出至公所").click()
    assert "僅接受 PDF、JPEG 或 PNG 檔案" in phone.inner_text(".error-summary")
    assert not TownshipRequest.objects.exists()
    shot(phone, "township-wrong-file-phone")
    phone.get_by_label("失蹤（已向警察機關報案）").check()
    phone.fill("#event_on", missing_since.isoformat())
    phone.set_input_files("#document", files=[{"name": "report.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    phone.get_by_role("button", name="送出至公所").click()
    phone.wait_for_url(f"**/services/{wife.pk}/township/")
    main = phone.inner_text("main")
    assert "已送出至公所" in main and "停保 — 失蹤（已向警察機關報案）" in main and "待審核" in main
    fits(phone, "the request list")
    assert axe_violations(phone) == []
    shot(phone, "township-requested-phone")

    officer = django_user_model.objects.create_user("township-op", password="x-long-pass-1", is_staff=True)
    officer.groups.set([Group.objects.get(name=roles.TOWNSHIP_OFFICERS)])
    client = Client()
    client.force_login(officer)
    desk = browser.new_context(viewport=DESKTOP, locale="zh-TW")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    desk.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    admin = desk.new_page()
    admin.goto(live_server.url + "/admin/insurance/townshiprequest/")
    assert "林○華" in admin.inner_text("#result_list")
    shot(admin, "township-queue-desktop")
    admin.click("#result_list tbody tr a")
    assert "開啟 PDF 文件" in admin.inner_text("#content-main")
    admin.get_by_role("button", name="退件").click()
    assert "請說明退件原因" in admin.inner_text("#content-main")  # a refusal needs a reason
    shot(admin, "township-review-desktop")
    admin.get_by_role("button", name="核准").click()
    admin.wait_for_url("**/admin/insurance/townshiprequest/")
    shot(admin, "township-approved-desktop")
    desk.close()

    assert Enrolment.objects.get(person=wife).ended_on == missing_since - dt.timedelta(days=1)
    [notice] = [m for m in mail.outbox if "公所投保申請已核准" in m.subject]
    assert notice.to == ["lin@example.tw"]
    # Suspended, the wife is no longer a current dependent: the insured person's link to her page is gone (the
    # one acting rule), and she sees the decision on her own page.
    phone.reload()
    assert "找不到網頁" in phone.inner_text("main")
    own = tab(wife)
    own.goto(f"{own.base}/services/{wife.pk}/township/")
    main = own.inner_text("main")
    assert "已核准" in main and "停保 — 失蹤（已向警察機關報案）" in main and "停保" in main
    fits(own, "the decided request")
    shot(own, "township-approved-phone")
