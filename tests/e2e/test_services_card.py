"""健保卡補發及更換照片 in a real browser (SPEC §10, issue 11): on a 360×740 phone the insured person asks for a
new card with a photo and a delivery address picked from the county/township drop-downs; an operator approves it
in the admin; the phone shows the new card, and the old card's number no longer logs in, saying why.

Screenshots go to tests/e2e/screenshots/card-*.png (git-ignored).
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.models import Group
from django.utils import timezone
from PIL import Image

from healthbank.accounts.models import OnlineAccount
from healthbank.identity.services import current_card
from healthbank.insurance.models import CardReplacementRequest
from healthbank.staff import roles
from tests.e2e.conftest import DESKTOP, PHONE, axe_violations, shot
from tests.vcard import conftest as vcard
from tests.vcard.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

household = vcard.household


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((600, 800)).convert("RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def phone_tab(browser, live_server, person):
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from healthbank.accounts.login import SESSION_ACCOUNT, SESSION_METHOD, SESSION_PERSON, Method

    session = SessionStore()
    session[SESSION_PERSON], session[SESSION_METHOD] = str(person.pk), Method.CERTIFICATE
    session[SESSION_ACCOUNT] = str(OnlineAccount.objects.get(person=person).pk)
    session.create()
    context = browser.new_context(viewport=PHONE, locale="zh-TW", reduced_motion="reduce")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key,
                          "domain": urlsplit(live_server.url).hostname, "path": "/", "httpOnly": True,
                          "sameSite": "Lax"}])  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(60_000)
    return context, page


def fits(page, what: str) -> None:
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{what}: the page is {width}px wide on a {PHONE['width']}px phone"


def test_a_new_card_with_a_photo_on_a_phone_approved_in_the_admin(browser, live_server, household, django_user_model):
    parent = household.parent
    from django.contrib.auth.hashers import make_password

    now = timezone.now()
    OnlineAccount.objects.create(
        person=parent, status="active", channel="online", email="parent@example.tw", mobile="0912345678",
        password=make_password(PASSWORD), created_at=now, activated_at=now,
    )  # fmt: skip
    old_number = current_card(parent).card_number
    refused: list[str] = []

    # 1. The person asks for a new card on the phone, in Chinese.
    context, phone = phone_tab(browser, live_server, parent)
    phone.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    phone.goto(f"{live_server.url}/services/{parent.pk}/card/")
    assert "健保卡補發及更換照片" in phone.inner_text("h1")
    phone.select_option("#id_reason", "damaged")
    phone.set_input_files("#id_photo", files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}])
    phone.select_option("#id_county", "臺北市")
    phone.wait_for_function("() => document.querySelector('select#id_township')?.options.length > 2")
    phone.select_option("select#id_township", "大安區")
    phone.fill("#id_street", "羅斯福路四段1號")
    phone.check("#id_fee_accepted")
    fits(phone, "the form")
    assert axe_violations(phone) == []
    shot(phone, "card-form-phone")
    with phone.expect_navigation():
        phone.click("main form button[type=submit]")
    shot(phone, "card-sent-phone")
    text = phone.inner_text("main")
    assert "待審核" in text and "106 臺北市大安區羅斯福路四段1號" in text and "NT$200" in text
    phone.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth)")
    fits(phone, "the waiting request")
    shot(phone, "card-waiting-phone")
    request = CardReplacementRequest.objects.get(person=parent)

    # 2. The operator of the card replacement group approves it in the admin.
    user = django_user_model.objects.create_user("cardop", password="a-long-demo-password", is_staff=True)
    user.groups.set(Group.objects.filter(name=roles.CARD_REPLACEMENT_REVIEWERS))
    admin_context = browser.new_context(viewport=DESKTOP, locale="zh-TW")
    admin = admin_context.new_page()
    admin.set_default_timeout(60_000)
    admin.goto(live_server.url + "/admin/login/")
    admin.fill("#id_username", "cardop")
    admin.fill("#id_password", "a-long-demo-password")
    with admin.expect_navigation():
        admin.click("input[type=submit]")
    admin.goto(live_server.url + "/admin/insurance/cardreplacementrequest/")
    assert parent.masked_name in admin.inner_text("#result_list")
    with admin.expect_navigation():
        admin.click("#result_list tbody tr:first-child th a")
    assert f"/{request.pk}/change/" in admin.url
    admin.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth)")
    shot(admin, "card-admin-review")
    with admin.expect_navigation():
        admin.click(".review-approve input[type=submit]")
    assert "已核准" in admin.inner_text("#content")
    shot(admin, "card-admin-approved")
    new = current_card(parent)
    assert new.card_number != old_number

    # 3. The phone shows the new card; the old card number no longer logs in, in words the holder understands.
    phone.reload()
    text = phone.inner_text("main")
    assert "已核准，新卡已製發" in text and f"新卡卡號末四碼 {new.card_number[-4:]}" in text
    fits(phone, "the decided request")
    shot(phone, "card-approved-phone")
    login_context = browser.new_context(viewport=PHONE, locale="zh-TW")
    login = login_context.new_page()
    login.set_default_timeout(60_000)
    login.goto(live_server.url + "/login/")
    key = login.get_attribute("input[name=captcha_0]", "value")
    login.fill("#id_national_id", parent.national_id)
    login.fill("#id_card_number", old_number)
    login.fill("#id_password", PASSWORD)
    login.fill("#id_captcha_1", CaptchaStore.objects.get(hashkey=key).response)
    with login.expect_navigation():
        login.click("main form button[type=submit]")
    assert re.search("此健保卡已換發新卡，不能再使用", login.inner_text("main"))
    shot(login, "card-old-number-login-phone")
    for c in (context, admin_context, login_context):
        c.close()
    assert refused == [], f"Content-Security-Policy violations: {refused}"
