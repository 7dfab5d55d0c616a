"""The township-office enrolment officers group (SPEC §10): decides category-6 requests.

Runs after the requests' table exists, so the group gets its permissions; ``roles.ROLES`` stays the one table
of what each group holds.
"""

from django.db import migrations


def create_groups(apps, schema_editor):
    from healthbank.staff.roles import sync_groups

    sync_groups(apps, schema_editor.connection.alias)


def remove_group(apps, schema_editor):
    from healthbank.staff.roles import TOWNSHIP_OFFICERS

    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name=TOWNSHIP_OFFICERS
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_vcard_reviewers"),
        ("insurance", "0005_township"),
    ]

    operations = [migrations.RunPython(create_groups, remove_group)]
