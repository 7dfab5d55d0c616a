"""The NHI staff group that writes the home page's health news (SPEC §6.2, §11: each group only its permissions).

Kept like the office's groups of ``healthbank.staff.roles``: the passbook's migration creates the group and every
later ``migrate`` (and ``flush``) sets it back to exactly these permissions. It sees no person's data.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

CONTENT_EDITORS = "內容編輯人員 Content editors"
CONTENT_EDITOR_PERMISSIONS = [
    "passbook.view_healthnews",
    "passbook.add_healthnews",
    "passbook.change_healthnews",
    "passbook.delete_healthnews",
]


def sync_content_editors(apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the content editors' group and give it exactly its permissions (creating them first)."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("passbook")
    stub = getattr(app_config, "models_module", None) is None  # migration state: let create_permissions look
    if stub:
        app_config.models_module = True
    create_permissions(app_config, verbosity=0, using=using, apps=apps)
    if stub:
        app_config.models_module = None
    permission_model = apps.get_model("auth", "Permission")
    wanted = []
    for dotted in CONTENT_EDITOR_PERMISSIONS:
        app_label, codename = dotted.split(".")
        wanted.append(permission_model.objects.using(using).get(content_type__app_label=app_label, codename=codename))
    group, _ = apps.get_model("auth", "Group").objects.using(using).get_or_create(name=CONTENT_EDITORS)
    group.permissions.set(wanted)


def keep_content_editors(sender, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    if getattr(sender, "label", None) == "passbook":
        sync_content_editors(apps, using)
