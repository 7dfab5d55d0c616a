"""The operator site's names, and the access log as the NHI sees it (with the operator's user name)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AccessLog
from .operator_pages import ReadOnlyMixin

admin.site.site_header = _("HealthBank — NHI operator pages")
admin.site.site_title = _("HealthBank operators")
admin.site.index_title = _("NHI staff work")


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "actor_kind", "actor_label", "description", "address", "person_id"]
    list_filter = ["actor_kind", "what", "category"]
    search_fields = ["=person_id"]
    search_help_text = _("A person's public id (from the address of their page).")

    @admin.display(description=_("what"))
    def description(self, obj: AccessLog) -> str:
        return obj.description
