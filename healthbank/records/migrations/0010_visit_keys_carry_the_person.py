"""A visit's diagnoses and orders point at (visit, person), one key for the two, on PostgreSQL (issue 12).

Each child row had two keys, to its visit and to its person: two checks a row at commit, a fifth of the database's
time while the generator loads (measured: `perf`, docs in bench/README.md). One composite key checks both at once
and says more: a child row's person is its visit's person. It is also the shape Citus needs between tables
distributed by person (docs/scaling.md). SQLite keeps the two single keys (it cannot alter a table's keys in
place); the models keep describing them as the ORM's relations.
"""

from django.db import migrations, models

CHILD_TABLES = ("records_visitdiagnosis", "records_drugorder", "records_nondrugorder")
COMPOSITE = "{table}_visit_person_fk"


def _key_names(schema_editor, table: str, column: str) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    return [name for name, c in constraints.items() if c["foreign_key"] and c["columns"] == [column]]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    q = schema_editor.quote_name
    for table in CHILD_TABLES:
        for column in ("visit_id", "person_id"):
            for name in _key_names(schema_editor, table, column):
                schema_editor.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}")
        schema_editor.execute(
            f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(COMPOSITE.format(table=table))} "
            f"FOREIGN KEY (visit_id, person_id) REFERENCES records_visit (id, person_id) DEFERRABLE INITIALLY DEFERRED"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    q = schema_editor.quote_name
    for table in CHILD_TABLES:
        schema_editor.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(COMPOSITE.format(table=table))}")
        for column, target in (("visit_id", "records_visit"), ("person_id", "identity_person")):
            schema_editor.execute(
                f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(f'{table}_{column}_fk')} "
                f"FOREIGN KEY ({column}) REFERENCES {target} (id) DEFERRABLE INITIALLY DEFERRED"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0006_drop_indexes_a_wider_index_serves"),
        ("records", "0009_drop_indexes_a_wider_index_serves"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.UniqueConstraint(fields=("id", "person"), name="visit_id_person_unique"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
