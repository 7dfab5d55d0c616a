"""The virtual card reviewers group (SPEC §9): reviews virtual NHI card applications.

Runs after the virtual card's tables exist, so the group gets the card's
permissions; ``roles.ROLES`` stays the one table of what each group holds.
"""

from django.db import migrations


def create_groups(apps, schema_editor):
    from healthbank.staff.roles import sync_groups

    sync_groups(apps, schema_editor.connection.alias)


def remove_group(apps, schema_editor):
    from healthbank.staff.roles import VCARD_REVIEWERS

    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=VCARD_REVIEWERS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_operator_groups"),
        ("vcard", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_group)]
