from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassbookConfig(AppConfig):
    name = "healthbank.passbook"
    label = "passbook"
    verbose_name = _("My Health Bank")

    def ready(self) -> None:
        # After every migrate and flush the content editors' group holds exactly its permissions (editors.py).
        from django.db.models.signals import post_migrate

        from .editors import keep_content_editors

        post_migrate.connect(keep_content_editors, dispatch_uid="healthbank.passbook.content_editors")
