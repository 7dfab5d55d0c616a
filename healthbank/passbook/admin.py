"""Operator pages of the passbook: the home page's health news (SPEC §6.2), for the content editors' group.

Django's ModelAdmin checks the model's own view / add / change / delete permissions for every page and action
(never only "is staff"); ``editors.CONTENT_EDITORS`` holds them. Measurements are the person's own and have no
operator page.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import HealthNews


@admin.register(HealthNews)
class HealthNewsAdmin(admin.ModelAdmin):
    list_display = ["published_on", "title_zh", "title_en", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title_zh", "title_en"]
    ordering = ["-published_on"]
    date_hierarchy = "published_on"
    fieldsets = [
        (None, {"fields": ["published_on", "is_published"]}),
        (_("Chinese"), {"fields": ["title_zh", "body_zh"]}),
        (_("English"), {"fields": ["title_en", "body_en"]}),
    ]
