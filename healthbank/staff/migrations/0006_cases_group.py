"""Records reviewers read case progress and employer records too (SPEC §10, issue 11).

Runs after the case tables exist, so the group gets their view permissions; ``roles.ROLES`` stays the one table.
"""

from django.db import migrations


def sync(apps, schema_editor):
    from healthbank.staff.roles import sync_groups

    sync_groups(apps, schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0005_card_replacement_group"),
        ("insurance", "0010_cases"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
