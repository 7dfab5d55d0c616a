"""Records reviewers read a person's one-off direct debits too (issue 11): given once the table exists.

``roles.ROLES`` stays the one table of what each group holds.
"""

from django.db import migrations


def sync(apps, schema_editor):
    from healthbank.staff.roles import sync_groups

    sync_groups(apps, schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0003_township_group"),
        ("insurance", "0007_debit_and_ebill"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
