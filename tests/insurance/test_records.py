"""The person's records (SPEC §10): enrolment records, mailing address change, notices sent, the last adult
preventive check — on the web in both languages and in the app API, by the one acting rule."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connections
from django.utils import timezone

from healthbank.accounts import emails as account_emails
from healthbank.accounts import outbox
from healthbank.accounts.models import OnlineAccount, OutboxEmail
from healthbank.assessments import reminders
from healthbank.audit.models import AccessLog
from healthbank.identity.models import Enrolment, InsuranceUnit
from healthbank.insurance import addresses, notices
from healthbank.insurance.models import Letter, MailingAddress
from healthbank.records.models import PreventiveCheck
from tests.conftest import make_institution
from tests.insurance.conftest import app_client_for, web_client_for
from tests.vcard.conftest import PASSWORD

pytestmark = pytest.mark.django_db

API = "/api/app/v1/services"
GOOD = {"county": "臺北市", "township": "中正區", "village": "黎明里", "street": "重慶南路一段122號3樓"}
OTHER = {"county": "臺中市", "township": "西屯區", "village": "", "street": "臺灣大道三段99號"}


def _other_place():
    from healthbank.core import codes

    county = next(c for c in codes.counties() if c["name_zh"] == "臺中市")
    town = county["townships"][0]
    return {
        "county": "臺中市",
        "township": town["name_zh"],
        "village": town["villages"][0],
        "street": "臺灣大道三段99號",
    }


def _unit(code, name):
    return InsuranceUnit.objects.get_or_create(
        code=code, defaults={"name": name, "kind": "employer", "county": "臺北市"}
    )[0]


@pytest.fixture
def history(household):
    """陳大文: at 舊公司 2001–2005 (withdrawn), again from 2010 at the fixture's unit, moved to 新公司 in 2020."""
    parent = household.parent
    now = Enrolment.objects.get(person=parent, role="insured")
    old = _unit("111111111", "舊公司股份有限公司")
    Enrolment.objects.create(
        person=parent,
        household=now.household,
        unit=old,
        category=1,
        role="insured",
        relationship="self",
        insured_salary=28800,
        started_on=dt.date(2001, 7, 1),
        ended_on=dt.date(2005, 3, 31),
    )
    now.ended_on = dt.date(2019, 12, 31)
    now.save(update_fields=["ended_on"])
    Enrolment.objects.create(
        person=parent,
        household=now.household,
        unit=_unit("222222222", "新公司有限公司"),
        category=1,
        role="insured",
        relationship="self",
        insured_salary=52400,
        started_on=dt.date(2020, 1, 1),
    )
    return household


# ------------------------------------------------------------------ enrolment records


def test_enrolment_records_show_each_period_with_its_reasons_in_both_languages(history):
    web = web_client_for(history.parent)
    page = web.get(f"/services/{history.parent.pk}/enrolments/").content.decode()
    for text in (
        "投退保資料",
        "新公司有限公司",
        "舊公司股份有限公司",
        "52,400",
        "109/01/01",
        "退保",
        "轉出至",
        "重新加保",
        "首次加保",
    ):
        assert text in page, text
    assert "Withdrawn" not in page and "Transferred" not in page
    page = web.get(f"/en/services/{history.parent.pk}/enrolments/").content.decode()
    for text in (
        "Enrolment and withdrawal records",
        "Transferred out to 新公司有限公司",
        "Re-enrolled",
        "First enrolment",
        "Withdrawn",
        "2020-01-01",
        "insured now",
    ):
        assert text in page, text
    printed = web.get(f"/services/{history.parent.pk}/enrolments/print/").content.decode()
    assert (
        "healthbank/records.css" in printed
        and "舊公司股份有限公司" in printed
        and history.parent.national_id_masked in printed
    )


def test_the_insured_sees_a_dependents_records_through_the_picker_and_it_is_logged(history):
    web = web_client_for(history.parent)
    page = web.get(f"/services/{history.parent.pk}/enrolments/").content.decode()
    assert f"/services/{history.spouse.pk}/enrolments/" in page  # the person picker
    page = web.get(f"/services/{history.spouse.pk}/enrolments/").content.decode()
    assert "依附眷屬" in page and "配偶" in page
    assert AccessLog.objects.filter(person_id=history.spouse.pk, detail="enrolments").exists()


def test_not_yours_is_404_on_every_records_page(history, person):
    spouse_web = web_client_for(history.spouse)
    for path in ("enrolments/", "enrolments/print/", "address/", "notices/", "preventive-check/"):
        assert spouse_web.get(f"/services/{history.parent.pk}/{path}").status_code == 404, path
        assert web_client_for(history.parent).get(f"/services/{person.pk}/{path}").status_code == 404, path
    # the person-only services: a dependent's id too
    parent_web = web_client_for(history.parent)
    for path in ("address/", "notices/", "preventive-check/"):
        assert parent_web.get(f"/services/{history.spouse.pk}/{path}").status_code == 404, path


def test_a_dependent_who_left_is_404(history):
    gone = Enrolment.objects.get(person=history.teen)
    gone.ended_on = timezone.localdate() - dt.timedelta(days=2)
    gone.save(update_fields=["ended_on"])
    assert web_client_for(history.parent).get(f"/services/{history.teen.pk}/enrolments/").status_code == 404
    app = app_client_for(history.parent)
    assert app.get(f"{API}/{history.teen.pk}/enrolments/").status_code == 404


def test_the_app_gives_the_records_with_reasons(history):
    app = app_client_for(history.parent)
    body = app.get(f"{API}/{history.parent.pk}/enrolments/?lang=en").json()
    rows = body["enrolments"]
    assert [r["unit_code"] for r in rows] == ["222222222", "987654321", "111111111"]
    assert rows[0]["ended_on"] is None and rows[0]["start_reason"] == "Transferred in from 舊公司股份有限公司".replace(
        "舊公司股份有限公司", rows[1]["unit_name"]
    )
    assert rows[2]["end_reason"] == "Withdrawn" and rows[1]["start_reason"] == "Re-enrolled"
    spouse = app.get(f"{API}/{history.spouse.pk}/enrolments/").json()["enrolments"]
    assert spouse[0]["role"] == "dependent" and spouse[0]["relationship_label"] == "配偶"
    assert app_client_for(history.spouse).get(f"{API}/{history.parent.pk}/enrolments/").status_code == 404


# ------------------------------------------------------------------ mailing address


@pytest.fixture
def registered(household):
    OnlineAccount.objects.create(
        person=household.parent,
        status="active",
        channel="online",
        password=make_password(PASSWORD),
        email="dawen@example.tw",
        mobile="0912345678",
        created_at=timezone.now(),
        activated_at=timezone.now(),
    )
    return household


def test_an_address_change_takes_effect_keeps_history_and_sends_an_email(registered):
    parent = registered.parent
    web = web_client_for(parent)
    page = web.get(f"/services/{parent.pk}/address/").content.decode()
    assert "通訊地址變更" in page and "尚未提供通訊地址" in page
    assert web.get(f"/en/services/{parent.pk}/address/").content.decode().count("none is on file") == 1
    response = web.post(f"/services/{parent.pk}/address/", GOOD)
    assert response.status_code == 302
    page = web.get(response["Location"]).content.decode()
    assert "100 臺北市中正區黎明里重慶南路一段122號3樓" in page and "通訊地址已變更" in page
    mail = OutboxEmail.objects.get(person=parent)
    assert mail.recipient == "dawen@example.tw" and "重慶南路一段122號3樓" in mail.body
    # the same address again: nothing new
    assert web.post(f"/services/{parent.pk}/address/", GOOD).status_code == 302
    assert MailingAddress.objects.filter(person=parent).count() == 1 and OutboxEmail.objects.count() == 1
    other = _other_place()
    web.post(f"/en/services/{parent.pk}/address/", other)
    rows = list(MailingAddress.objects.filter(person=parent).order_by("valid_from"))
    assert len(rows) == 2 and rows[0].valid_until is not None and rows[1].valid_until is None
    page = web.get(f"/en/services/{parent.pk}/address/").content.decode()
    assert "Address history" in page and "黎明里" in page and other["street"] in page and "current" in page
    assert OutboxEmail.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"county": "火星市"}, "county", "Select a valid choice. 火星市 is not one of the available choices."),
        ({"township": "西屯區"}, "township", "西屯區 is not a township or district of 臺北市."),
        ({"village": "不存在里"}, "village", "不存在里 is not a village of 中正區."),
        ({"street": "   "}, "street", "This field is required."),
    ],
)
def test_a_bad_address_is_refused_naming_the_field_and_nothing_is_stored(registered, change, field, words):
    parent = registered.parent
    response = web_client_for(parent).post(f"/en/services/{parent.pk}/address/", {**GOOD, **change})
    assert response.status_code == 400 and words in response.content.decode()
    app = app_client_for(parent)
    response = app.post(f"{API}/{parent.pk}/address/?lang=en", {**GOOD, **change}, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert (
        not MailingAddress.objects.exists()
        and not OutboxEmail.objects.filter(kind="security_notice", subject__contains="通訊地址").exists()
    )


def test_the_chinese_refusal_names_the_village(registered):
    parent = registered.parent
    response = web_client_for(parent).post(f"/services/{parent.pk}/address/", {**GOOD, "village": "光能里"})
    assert response.status_code == 400 and "光能里不是中正區的村里" in response.content.decode()


def test_the_app_reads_and_changes_the_address_and_dependents_are_404(registered):
    parent = registered.parent
    app = app_client_for(parent)
    assert app.get(f"{API}/{parent.pk}/address/").json() == {"current": None, "history": []}
    body = app.post(f"{API}/{parent.pk}/address/", GOOD, format="json").json()
    assert body["changed"] is True and body["current"]["postal_code"] == "100"
    assert app.post(f"{API}/{parent.pk}/address/", GOOD, format="json").json()["changed"] is False
    assert app.post(f"{API}/{registered.spouse.pk}/address/", GOOD, format="json").status_code == 404
    assert app.get(f"{API}/{registered.spouse.pk}/address/").status_code == 404
    assert MailingAddress.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_leave_exactly_one_current_address(household):
    parent = household.parent
    places = [GOOD, _other_place()] * 3
    start = threading.Barrier(len(places))

    def change(n):
        try:
            start.wait(timeout=30)
            return addresses.change_address(parent, addresses.AddressInput(**places[n]))[1]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(places)) as pool:
        list(pool.map(change, range(len(places))))
    assert MailingAddress.objects.filter(person=parent, valid_until__isnull=True).count() == 1


# ------------------------------------------------------------------ notices sent


def test_notices_list_letters_and_emails_newest_first_and_hide_one_time_links(
    registered, django_capture_on_commit_callbacks
):
    parent = registered.parent
    Letter.objects.create(
        person=parent,
        kind="premium_arrears",
        subject="保險費欠費催繳通知",
        body="您114年9月保險費尚未繳納。",
        sent_on=timezone.localdate() - dt.timedelta(days=30),
    )
    reset = OutboxEmail.objects.create(
        kind="password_reset",
        person=parent,
        recipient="dawen@example.tw",
        subject="重設密碼",
        body="請按 https://healthbank.example/password/reset/SECRET-TOKEN/ 重設",
        created_at=timezone.now(),
        next_attempt_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        addresses.change_address(parent, addresses.AddressInput(**GOOD))
    notice = OutboxEmail.objects.get(kind="security_notice", person=parent)
    notice.refresh_from_db()
    assert notice.sent_at is not None and "黎明里" in notice.body  # sent, and its text kept (no one-time link)
    OutboxEmail.objects.create(
        kind="security_notice",
        person=registered.spouse,
        recipient="s@example.tw",
        subject="別人的通知",
        body="x",
        created_at=timezone.now(),
        next_attempt_at=timezone.now(),
    )
    web = web_client_for(parent)
    page = web.get(f"/services/{parent.pk}/notices/").content.decode()
    assert page.index("健保通訊地址已變更") < page.index("保險費欠費催繳通知")
    assert "別人的通知" not in page and "郵寄" in page and "電子郵件" in page
    page = web.get(f"/services/{parent.pk}/notices/email/{reset.pk}/").content.decode()
    assert "SECRET-TOKEN" not in page and "reset" not in page
    letter = Letter.objects.get()
    assert "您114年9月保險費尚未繳納。" in web.get(f"/services/{parent.pk}/notices/post/{letter.pk}/").content.decode()
    assert "重慶南路" in web.get(f"/en/services/{parent.pk}/notices/email/{notice.pk}/").content.decode()
    app = app_client_for(parent)
    listed = app.get(f"{API}/{parent.pk}/notices/").json()["notices"]
    assert [n["channel"] for n in listed][-1] == "post"  # the letter of a month ago is the oldest
    assert {"重設密碼", "保險費欠費催繳通知", "健保通訊地址已變更 Your NHI mailing address was changed"} <= {
        n["subject"] for n in listed
    }
    detail = app.get(f"{API}/{parent.pk}/notices/email/{reset.pk}/").json()
    assert detail["text"] is None
    other = OutboxEmail.objects.get(person=registered.spouse)
    assert web.get(f"/services/{parent.pk}/notices/email/{other.pk}/").status_code == 404
    assert app.get(f"{API}/{parent.pk}/notices/email/{other.pk}/").status_code == 404
    assert app.get(f"{API}/{parent.pk}/notices/letter/{letter.pk}/").status_code == 404


def test_a_sent_password_reset_still_keeps_no_body(registered):
    account = OnlineAccount.objects.get(person=registered.parent)

    class Reset:
        person, person_id, email, language = registered.parent, registered.parent.pk, account.email, "zh-hant"
        expires_at = timezone.now()

    row = account_emails.password_reset(Reset, "raw-token")
    outbox.deliver(row.pk)
    row.refresh_from_db()
    assert row.sent_at is not None and row.body == ""


# ------------------------------------------------------------------ adult preventive check


def test_the_last_preventive_check_and_the_next_one_say_what_the_passbook_says(registered):
    parent = registered.parent  # born 1978-03-03: 48, every 3 years
    checked = dt.date(2024, 5, 6)
    PreventiveCheck.objects.create(
        person=parent,
        source="A21",
        source_record_id="p1",
        payload_digest="0" * 64,
        ingested_at=timezone.now(),
        institution=make_institution("0140090022"),
        checked_on=checked,
    )
    today = timezone.localdate()
    due = reminders.next_preventive_check(parent.birth_date, checked, today)
    web = web_client_for(parent)
    page = web.get(f"/services/{parent.pk}/preventive-check/").content.decode()
    assert "113/05/06" in page and "成人預防保健" in page
    from healthbank.core.rocdate import format_roc

    assert (format_roc(due) in page) or ("今天" in page)
    body = app_client_for(parent).get(f"{API}/{parent.pk}/preventive-check/?lang=en").json()
    assert body["last_check"] == "2024-05-06" and body["next_due"] == due.isoformat() and body["interval_years"] == 3
    page = (
        web_client_for(registered.spouse).get(f"/en/services/{registered.spouse.pk}/preventive-check/").content.decode()
    )
    assert "None on record" in page


# ------------------------------------------------------------------ the index


def test_the_index_lists_these_services_for_the_person_and_the_enrolments_for_each_dependent(household):
    web = web_client_for(household.parent)
    for prefix, words in (
        ("", ("投退保資料", "通訊地址變更", "寄發通知", "成人預防保健")),
        (
            "/en",
            (
                "Enrolment and withdrawal records",
                "Mailing address change",
                "Notices sent",
                "Last adult preventive check",
            ),
        ),
    ):
        page = web.get(f"{prefix}/services/").content.decode()
        for word in words:
            assert word in page, word
        for service in ("enrolments", "address", "notices", "preventive-check"):
            assert f"{prefix}/services/{household.parent.pk}/{service}/" in page
        for dependent in (household.spouse, household.child, household.teen):
            assert f"{prefix}/services/{dependent.pk}/enrolments/" in page
            assert f"{prefix}/services/{dependent.pk}/address/" not in page
    keys = [s["key"] for s in app_client_for(household.parent).get(f"{API}/").json()["services"]]
    assert {"enrolments", "address", "notices", "preventive_check"} <= set(keys)


def test_no_english_on_the_chinese_pages(history, django_capture_on_commit_callbacks):
    import re

    parent = history.parent
    OnlineAccount.objects.create(
        person=parent, status="active", channel="online", password="!", email="dawen@example.tw",
        mobile="0912345678", created_at=timezone.now(), activated_at=timezone.now(),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        addresses.change_address(parent, addresses.AddressInput(**GOOD))
    letter = notices.post_letter(parent, Letter.Kind.CARD_MAILED, "健保卡寄發通知", "已寄出。")
    assert letter.address.startswith("100 臺北市中正區黎明里")  # posted to the address now on file
    mail = OutboxEmail.objects.get(person=parent, kind="security_notice")
    web = web_client_for(parent)
    english = re.compile(r"\b[A-Za-z][a-z]{2,}\b")
    allowed = {
        "HealthBank",
        "Your",
        "NHI",
        "mailing",
        "address",
        "was",
        "changed",
        "Dear",
        "the",
        "letters",
        "from",
        "now",
        "New",
        "If",
        "this",
        "not",
        "you",
        "reset",
        "your",
        "password",
        "once",
        "with",
        "Forgot",
        "and",
        "call",
        "service",
        "line",
        "on",
        "go",
        "to",
        "new",
        "quot",
    }  # fmt: skip  (the e-mail is bilingual)
    mine = [
        f"{parent.pk}/{page}"
        for page in ("enrolments/", "enrolments/print/", "address/", "notices/", f"notices/post/{letter.pk}/",
                     "preventive-check/", f"notices/email/{mail.pk}/")
    ]  # fmt: skip
    for path in [*mine, f"{history.spouse.pk}/enrolments/"]:
        url = f"/services/{path}"
        html = web.get(url).content.decode()
        main = html.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0] if "print" not in path else html
        main = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", main, flags=re.S)
        main = re.sub(r"<[^>]+>", " ", main)
        words = set(english.findall(main)) - allowed
        assert not words, (url, words)
        if f"email/{mail.pk}" in path:
            assert "重慶南路" in main  # the e-mail's text is shown


def test_a_dependents_periods_elsewhere_stay_theirs(history):
    spouse = history.spouse
    Enrolment.objects.filter(person=spouse).update(started_on=dt.date(2012, 1, 1))
    own = _unit("333333333", "配偶的雇主股份有限公司")
    from healthbank.identity.models import NhiHousehold

    Enrolment.objects.create(
        person=spouse, household=NhiHousehold.objects.create(person=spouse), unit=own, category=1, role="insured",
        relationship="self", insured_salary=40100, started_on=dt.date(2005, 1, 1), ended_on=dt.date(2011, 12, 31),
    )  # fmt: skip
    page = web_client_for(history.parent).get(f"/services/{spouse.pk}/enrolments/").content.decode()
    assert "配偶的雇主股份有限公司" not in page and "以眷屬身分加保" in page
    assert "配偶的雇主股份有限公司" in web_client_for(spouse).get(f"/services/{spouse.pk}/enrolments/").content.decode()
