"""The groups an NHI office gives its staff (SPEC §11), each with only its permissions.

The table is ``healthbank.staff.roles.ROLES``; every later migrate keeps the
groups in step with it (``StaffConfig.ready``), so this migration and that
signal apply the same function.
"""

from django.db import migrations


def create_groups(apps, schema_editor):
    from healthbank.staff.roles import sync_groups

    sync_groups(apps, schema_editor.connection.alias)


def remove_groups(apps, schema_editor):
    from healthbank.staff.roles import ROLES

    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("identity", "0003_operator_permissions"),
        ("accounts", "0005_operator_permissions"),
        ("records", "0002_alter_visitdiagnosis_options"),
        ("insurance", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
