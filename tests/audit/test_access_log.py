"""The access log stores codes and the person's page says them in the person's language (SPEC §11)."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from healthbank.audit.models import AccessLog
from healthbank.audit.services import record_access

codes_migration = importlib.import_module("healthbank.audit.migrations.0003_accesslog_codes")


@pytest.mark.django_db
def test_free_text_is_refused_and_only_codes_are_stored(person, admin_user):
    with pytest.raises(ValueError):
        record_access(person.pk, what="counter passbook view; ID document: passport", operator=admin_user)
    with pytest.raises(ValueError):  # a document number instead of its type
        record_access(person.pk, what="counter_view", detail="A123456789", operator=admin_user)
    entry = record_access(person.pk, what="record", detail="records.labresult", operator=admin_user)
    assert (entry.actor_kind, entry.actor_label) == ("operator", "operator admin")


@pytest.mark.django_db
def test_entries_read_in_both_languages(person, admin_user):
    entries = [
        record_access(person.pk, what="counter_view", detail="nhi_card", operator=admin_user),
        record_access(person.pk, what="record_list", detail="records.carewish", operator=admin_user),
        record_access(person.pk, what="registration_suspended", operator=admin_user),
    ]
    with translation.override("en"):
        said = [e.description for e in entries] + [entries[0].get_actor_kind_display()]
    assert said == [
        "Passbook shown at the counter (ID document checked: NHI card with photo)",
        "List of records: care wishes",
        "Online-services registration suspended",
        "NHI staff",
    ]
    with translation.override("zh-hant"):
        said = [e.description for e in entries] + [entries[0].get_actor_kind_display()]
    assert said == [
        "臨櫃查詢健康存摺（查驗證件：健保卡（有照片））",
        "紀錄清單：器官捐贈及安寧緩和醫療意願",
        "網路服務註冊已停用",
        "健保署人員",
    ]


def test_the_english_sentences_of_earlier_entries_become_codes():
    assert codes_migration.code_for("person details (admin)") == ("person_details", "")
    assert codes_migration.code_for("visits (admin)") == ("record_list", "records.visit")
    assert codes_migration.code_for("lab result (admin)") == ("record", "records.labresult")
    assert codes_migration.code_for("care wishs (admin)") == ("record_list", "records.carewish")
    assert codes_migration.code_for("counter passbook view; ID document: nhi_card") == ("counter_view", "nhi_card")
    # The free text of a counter registration may hold a document number: it is not kept.
    assert codes_migration.code_for("counter registration (身分證 A123456789)") == ("counter_registration", "")
    assert codes_migration.code_for("registration suspended") == ("registration_suspended", "")
    assert codes_migration.code_for("something else") == ("other", "")


@pytest.mark.django_db(transaction=True)
def test_the_migration_rewrites_stored_rows(person):
    executor = MigrationExecutor(connection)
    executor.migrate([("audit", "0002_accesslog_detail")])
    old = executor.loader.project_state([("audit", "0002_accesslog_detail")]).apps.get_model("audit", "AccessLog")
    from django.utils import timezone

    for what in ("counter passbook view; ID document: passport", "registration reinstated", "visit (admin)"):
        old.objects.create(
            person_id=person.pk, actor_kind="operator", actor_label="operator x", what=what, at=timezone.now()
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    stored = sorted(AccessLog.objects.values_list("what", "detail"))
    assert stored == [("counter_view", "passport"), ("record", "records.visit"), ("registration_reinstated", "")]
