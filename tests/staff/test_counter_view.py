"""The counter view (SPEC §11): a person's passbook shown to an operator only after an ID check, and logged."""

from __future__ import annotations

import pytest
from django.utils import timezone

from healthbank import policy
from healthbank.audit.models import AccessLog
from healthbank.core.rocdate import format_roc
from healthbank.records.models import Visit

pytestmark = pytest.mark.django_db


def test_the_counter_view_shows_the_passbook_only_after_an_id_check_and_logs_it(admin_client, world):
    recent = Visit.objects.filter(visit_date__gte=timezone.localdate() - policy.SPAN_CARD_RECORDS).first()
    person = recent.person
    newest = Visit.objects.filter(person=person).select_related("institution").order_by("-visit_date").first()
    url = f"/admin/identity/person/{person.pk}/counter-view/"
    before = AccessLog.objects.filter(person_id=person.pk).count()
    form = admin_client.get(url).content.decode()
    assert "查驗之身分證明文件" in form and "以來的就醫紀錄" not in form
    refused = admin_client.post(url, {"id_document": "passport"}).content.decode()  # photo not confirmed
    assert "以來的就醫紀錄" not in refused
    assert AccessLog.objects.filter(person_id=person.pk).count() == before  # nothing shown, nothing logged
    page = admin_client.post(url, {"id_document": "passport", "confirmed": "on"}).content.decode()
    assert "以來的就醫紀錄" in page and person.national_id not in page
    assert newest.institution.name in page and format_roc(newest.visit_date) in page  # a Chinese page: ROC dates
    log = AccessLog.objects.get(person_id=person.pk, what="counter_view")
    assert log.detail == "passport" and log.operator.username == "admin"
