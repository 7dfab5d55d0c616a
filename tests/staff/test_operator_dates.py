"""Dates on the operator pages: the ROC calendar in Chinese (115/11/18), Gregorian ISO in English (SPEC §2).

Django's admin writes dates in its own locale format (``2026年11月18日``, ``Nov. 18, 2026``), which is
neither; every list, record page, inline and the counter view must use the reader's calendar instead.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from healthbank.audit.models import AccessLog
from healthbank.staff import roles
from tests.conftest import post, visit_payload

pytestmark = pytest.mark.django_db

# The admin's own locale formats, which a Chinese or English reader of the NHI's pages should never see.
DJANGO_DATES = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日|\b(?:Jan|Feb|Mar|Apr|May|June?|July?|Aug|Sept?|Oct|Nov|Dec)\.? \d"
)


@pytest.fixture
def visits(frozen_today, person, clinic_api, known):
    for record_id, day in (("V-1", "2026-11-18"), ("V-2", "2026-10-01"), ("V-3", "2026-11-02")):
        status, body = post(clinic_api, "visits", [visit_payload(known, record_id=record_id, visit_date=day)])
        assert status == 200, body
    return person


@pytest.fixture
def staff(db, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="x-long-staff-pass", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=list(roles.ROLES)))
    client = Client()
    client.force_login(user)
    return client


def test_a_persons_page_gives_roc_dates_in_chinese_and_iso_in_english(person, staff):
    chinese = staff.get(f"/admin/identity/person/{person.pk}/change/").content.decode()
    assert "59/05/04" in chinese  # born 1970-05-04
    assert "99/01/05" in chinese and "114/03/01" in chinese  # the cards, in the table and in each row's name
    assert "2010-01-05" not in chinese and not DJANGO_DATES.search(chinese)
    english = staff.get(f"/en/admin/identity/person/{person.pk}/change/").content.decode()
    assert "1970-05-04" in english and "2025-03-01" in english
    assert "59/05/04" not in english and not DJANGO_DATES.search(english)


def test_a_persons_visit_list_gives_roc_dates_newest_first(visits, staff):
    url = f"/admin/records/visit/?person__id__exact={visits.pk}"
    chinese = staff.get(url).content.decode()
    assert not DJANGO_DATES.search(chinese)
    shown = re.findall(r"115/\d\d/\d\d", chinese)
    assert shown == ["115/11/18", "115/11/02", "115/10/01"]
    english = staff.get(f"/en{url}").content.decode()
    assert re.findall(r"2026-\d\d-\d\d", english) == ["2026-11-18", "2026-11-02", "2026-10-01"]
    assert not DJANGO_DATES.search(english)


def test_the_counter_view_gives_roc_dates_in_chinese(visits, staff):
    url = f"/admin/identity/person/{visits.pk}/counter-view/"
    check = {"id_document": "passport", "confirmed": "on"}
    chinese = staff.post(url, check).content.decode()
    assert "115/11/18" in chinese and "115/11/20 10:00" in chinese  # a visit, and when it was shown
    assert "2026-11-18" not in chinese and "2026-11-20" not in chinese
    english = staff.post(f"/en{url}", check).content.decode()
    assert "2026-11-18" in english and "2026-11-20 10:00" in english and "115/" not in english


def test_the_access_log_gives_roc_times_to_the_nhi_and_to_the_person(visits, staff, admin_client, client):
    staff.get(f"/admin/identity/person/{visits.pk}/change/")
    assert AccessLog.objects.filter(person_id=visits.pk).exists()
    chinese = admin_client.get("/admin/audit/accesslog/").content.decode()
    assert "115/11/20 10:00" in chinese and not DJANGO_DATES.search(chinese)
    english = admin_client.get("/en/admin/audit/accesslog/").content.decode()
    assert "2026-11-20 10:00" in english and not DJANGO_DATES.search(english)
    person_sees = citizen_of(client, visits).get("/me/access-log/").content.decode()
    assert "115/11/20 10:00" in person_sees and "2026-11-20" not in person_sees
    assert "2026-11-20 10:00" in client.get("/en/me/access-log/").content.decode()


def citizen_of(client: Client, person) -> Client:
    """The person's own session, as a citizen-certificate login leaves it."""
    from healthbank.accounts.login import SESSION_METHOD, SESSION_PERSON, Method

    session = client.session
    session[SESSION_PERSON], session[SESSION_METHOD] = str(person.pk), Method.CERTIFICATE
    session.save()
    return client


def test_premiums_give_roc_months_and_days(person, staff):
    import datetime as dt

    from healthbank.identity.models import InsuranceUnit
    from healthbank.insurance.models import PremiumCalculation, PremiumPayment

    unit = InsuranceUnit.objects.create(code="000000001", name="測試股份有限公司", kind="employer", county="臺北市")
    calculation = PremiumCalculation.objects.create(
        person=person, unit=unit, month=dt.date(2026, 10, 1), insured_salary=45800,
        rate_per_ten_thousand=517, contribution_share_pct=30, insured_count=1, amount=710,
    )  # fmt: skip
    payment = PremiumPayment.objects.create(
        person=person, calculation=calculation, paid_on=dt.date(2026, 11, 15), amount=710, method="payroll"
    )
    url = f"/admin/insurance/premiumcalculation/?person__id__exact={person.pk}"
    listing = staff.get(url).content.decode()
    assert "115/10" in listing and "115/10/01" not in listing and "2026" not in listing.split("<main")[1]
    assert "2026-10" in staff.get(f"/en{url}").content.decode()
    page = staff.get(f"/admin/insurance/premiumpayment/{payment.pk}/change/").content.decode()
    assert "115/11/15 NT$710" in page and "paid 2026" not in page


def test_an_insurance_units_name_is_not_a_persons_name(staff):
    from healthbank.identity.models import InsuranceUnit

    for code in ("000000002", "000000001"):
        InsuranceUnit.objects.create(code=code, name=f"測試{code[-1]}股份有限公司", kind="employer", county="臺北市")
    listing = staff.get("/admin/identity/insuranceunit/").content.decode()
    assert "名稱" in listing and "姓名" not in listing
    assert listing.index("000000001") < listing.index("000000002")  # in code order
    institutions = staff.get("/admin/records/institution/").content.decode()
    assert "姓名" not in institutions
