"""The NHI card replacement reviewers group (SPEC §10): decides requests for a new NHI card.

Runs after the card replacement table exists, so the group gets its permissions; ``roles.ROLES`` stays the one
table of what each group holds.
"""

from django.db import migrations


def create_groups(apps, schema_editor):
    from healthbank.staff.roles import sync_groups

    sync_groups(apps, schema_editor.connection.alias)


def remove_group(apps, schema_editor):
    from healthbank.staff.roles import CARD_REPLACEMENT_REVIEWERS

    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name=CARD_REPLACEMENT_REVIEWERS
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0004_debit_group"),
        ("insurance", "0009_card_replacement"),
    ]

    operations = [migrations.RunPython(create_groups, remove_group)]
