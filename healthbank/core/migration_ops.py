"""Migration operations of our own."""

from __future__ import annotations

from django.db import migrations


def drop_foreign_key_indexes(app_label: str, alterations: list[migrations.AlterField]):
    """The ``AlterField``s that set ``db_index=False`` on foreign keys, dropping only each key's own index.

    Django's own ``AlterField`` drops every b-tree index on exactly that column whose name is not in
    ``Meta.indexes``; on PostgreSQL that includes the partial unique index of a ``UniqueConstraint`` on the same
    column (one waiting card request a person, one virtual card a person), which would leave the rule unenforced.
    Here the database loses only the index Django made for the key (named from the table and the column), on
    every backend, and gets it back on the way down.
    """

    def indexes(apps, schema_editor):
        for alteration in alterations:
            model = apps.get_model(app_label, alteration.model_name)
            field = model._meta.get_field(alteration.name)
            yield model, field, schema_editor._create_index_name(model._meta.db_table, [field.column], suffix="")

    def forwards(apps, schema_editor):
        for _model, _field, name in indexes(apps, schema_editor):
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def backwards(apps, schema_editor):
        for model, field, name in indexes(apps, schema_editor):
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field], name=name))

    return migrations.SeparateDatabaseAndState(
        state_operations=alterations,
        database_operations=[migrations.RunPython(forwards, backwards)],
    )
