"""Agency and health-app registrars (issue 14): after the connect tables exist, so the group gets its permissions."""

from django.db import migrations


def sync(apps, schema_editor):
    from healthbank.staff.roles import sync_groups

    sync_groups(apps, schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0006_cases_group"),
        ("connect", "0002_authorization"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
