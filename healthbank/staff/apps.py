from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "healthbank.staff"
    label = "staff"
    verbose_name = _("NHI staff roles")

    def ready(self):
        from django.contrib import admin

        from .forms import OperatorLoginForm
        from .roles import keep_groups_in_step

        admin.site.login_form = OperatorLoginForm

        # After every migrate and flush, the office's groups hold exactly the permissions of roles.py.
        post_migrate.connect(keep_groups_in_step, sender=self, dispatch_uid="healthbank.staff.groups")
