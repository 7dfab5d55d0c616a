"""The NHI staff group that writes health news (``healthbank.passbook.editors``); every later migrate keeps it."""

from django.db import migrations


def create_group(apps, schema_editor):
    from healthbank.passbook.editors import sync_content_editors

    sync_content_editors(apps, schema_editor.connection.alias)


def remove_group(apps, schema_editor):
    from healthbank.passbook.editors import CONTENT_EDITORS

    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name=CONTENT_EDITORS
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("passbook", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
