"""No table keeps an index that another of its indexes already serves (issue 12: every index is paid for on
every insert; the ingestion path writes millions of rows).

A foreign key gets its own index by default. Where another index or unique rule of the same table starts with
that column (the person's tables lead theirs with ``person``), PostgreSQL answers every look-up of the column
from that one, so the column's own index is only cost: ``db_index=False`` on the field.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models


def our_models() -> list:
    """HealthBank's own tables (not Django's, not proxies or unmanaged models)."""
    return [
        model
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and model.__module__.startswith("healthbank.")
    ]


def leading_columns(model) -> set[str]:
    """Fields that lead an index or unique rule of the model that covers every row (no condition)."""
    leads = set()
    for index in model._meta.indexes:
        if index.condition is None and index.fields:
            leads.add(index.fields[0].lstrip("-"))
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None and constraint.fields:
            leads.add(constraint.fields[0])
    for fields in model._meta.unique_together:
        leads.add(fields[0])
    return leads


def test_no_foreign_key_keeps_an_index_that_a_wider_index_already_serves():
    redundant = []
    for model in our_models():
        leads = leading_columns(model)
        for field in model._meta.concrete_fields:
            if field.is_relation and field.db_index and not field.unique and field.name in leads:
                redundant.append(f"{model._meta.label}.{field.name}")
    assert redundant == [], f"set db_index=False (another index leads with the column): {redundant}"


@pytest.mark.django_db
def test_every_unique_rule_and_index_of_the_models_is_in_the_database():
    """A migration that drops an index must not take a rule with it (Django's own ``AlterField`` to
    ``db_index=False`` dropped the partial unique index "one waiting card request a person" on PostgreSQL)."""
    missing = []
    with connection.cursor() as cursor:
        for model in our_models():
            present = set(connection.introspection.get_constraints(cursor, model._meta.db_table))
            wanted = [index.name for index in model._meta.indexes] + [c.name for c in model._meta.constraints]
            missing += [f"{model._meta.db_table}.{name}" for name in wanted if name not in present]
    assert missing == []
